package program

import (
	"fmt"
	"os"
	"strings"

	"github.com/wechat-deploy/wechat-deploy/components/alicloud"
	"github.com/wechat-deploy/wechat-deploy/infra/config"
)

func alicloudArgs(cfg *config.Config) (*alicloud.PlatformArgs, error) {
	n, k, g := cfg.Network, cfg.Cluster, cfg.Registry
	podPrefix := 0
	if cfg.UsesTerway() {
		podPrefix = n.PublicSubnetPrefix
	}
	tags := cfg.ResourceTags()
	args := &alicloud.PlatformArgs{
		Region:    cfg.Region,
		Zones:     n.AvailabilityZones,
		ZoneCount: n.Zones,
		Network: alicloud.NetworkArgs{
			CIDR:               n.CIDR,
			WorkerPrefix:       n.PrivateSubnetPrefix,
			PodPrefix:          podPrefix,
			PodCIDR:            k.PodCIDR,
			NATPerZone:         n.NATMode == config.NATPerZone,
			Tags:               tags,
			Protect:            cfg.Protect,
			DeletionProtection: cfg.IsProduction(),
			// Flow logs go to a log project named after the cluster (project names are unique per region).
			FlowLogProject:       clusterName(cfg) + "-flow-logs",
			FlowLogRetentionDays: n.FlowLogRetentionDays,
		},
		Cluster: alicloud.ClusterArgs{
			ClusterName:        clusterName(cfg),
			Spec:               k.Spec,
			Version:            k.Version,
			PodCIDR:            k.PodCIDR,
			ServiceCIDR:        k.ServiceCIDR,
			PublicEndpoint:     k.Endpoint.Public,
			Addons:             addons(k.Addons),
			LogRetentionDays:   k.LogRetentionDays,
			InstanceTypes:      k.InstanceTypes,
			ImageType:          cfg.NodeImage(),
			MinNodes:           k.MinNodes,
			MaxNodes:           k.MaxNodes,
			DiskSizeGiB:        k.DiskSizeGiB,
			AppNamespace:       cfg.App.Namespace,
			AppServiceAccount:  cfg.App.Name,
			DeletionProtection: cfg.IsProduction(),
			Protect:            cfg.Protect,
			Tags:               tags,
		},
		Registry: alicloud.RegistryArgs{
			InstanceName:       clusterName(cfg),
			InstanceSpec:       g.InstanceSpec,
			ExistingInstanceID: g.ExistingInstanceID,
			Namespace:          g.Namespace,
			Repository:         g.Name,
			PushCIDRs:          g.PushCIDRs,
			Protect:            cfg.Protect,
		},
	}
	if d := cfg.Database; d.Provision {
		args.Database = &alicloud.DatabaseArgs{
			InstanceName: clusterName(cfg) + "-db", InstanceClass: d.InstanceClass, StorageGiB: d.StorageGiB,
			DatabaseName: d.Name, Username: d.Username, Password: cfg.Secrets.DatabasePassword,
			BackupRetentionDays: d.BackupRetentionDays, HighAvailability: *d.MultiAZ, DeletionProtection: *d.DeletionProtection,
			MonitoringPeriod: *d.MonitoringInterval, LogConnections: cfg.IsProduction(), Tags: tags, Protect: cfg.Protect,
		}
	}
	if m := cfg.Observability.Managed; m.Any() {
		// Log projects are unique per region: named after the cluster, like the flow logs'.
		args.Managed = alicloud.ManagedArgs{Metrics: m.Metrics, Logs: m.Logs, LogProject: clusterName(cfg) + "-app-logs", LogRetentionDays: m.LogRetentionDays}
	}
	if t := cfg.App.TLS; t.Enabled && t.ACMEEmail != "" {
		args.ACME = &alicloud.ACMEArgs{Issuer: t.ClusterIssuer, Email: t.ACMEEmail, IngressClass: cfg.App.IngressClass}
	}
	oidc, err := oidcFromEnv(os.Getenv, cfg.Stack)
	if err != nil {
		return nil, fmt.Errorf("%s: alicloud credentials: %w", cfg.File, err)
	}
	args.OIDC = oidc
	return args, nil
}

// The variables a deployment exports for the alicloud provider's OIDC credentials (stacks/*-cn.deploy.yaml).
const (
	envOIDCProviderARN = "ALIBABA_CLOUD_OIDC_PROVIDER_ARN"
	envRoleARN         = "ALIBABA_CLOUD_ROLE_ARN"
	envOIDCTokenFile   = "ALIBABA_CLOUD_OIDC_TOKEN_FILE"
)

// oidcFromEnv returns the OIDC role exchange the environment describes, or nil when it names none (then the
// provider's default credential chain applies). Some of the variables without the others is an error: the
// deployment meant OIDC and would otherwise run with whatever else the environment holds.
func oidcFromEnv(getenv func(string) string, stack string) (*alicloud.OIDCCredentials, error) {
	vars := []string{envOIDCProviderARN, envRoleARN, envOIDCTokenFile}
	var set, missing []string
	for _, v := range vars {
		if getenv(v) != "" {
			set = append(set, v)
		} else {
			missing = append(missing, v)
		}
	}
	switch {
	case len(set) == 0:
		return nil, nil
	case len(missing) > 0:
		return nil, fmt.Errorf("%s set but %s not: set all three for OIDC credentials, or none", strings.Join(set, ", "), strings.Join(missing, ", "))
	}
	return &alicloud.OIDCCredentials{
		ProviderARN: getenv(envOIDCProviderARN), RoleARN: getenv(envRoleARN), TokenFile: getenv(envOIDCTokenFile),
		SessionName: "wechat-deploy-" + stack,
	}, nil
}
