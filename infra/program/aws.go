package program

import (
	"github.com/wechat-deploy/wechat-deploy/components/aws"
	"github.com/wechat-deploy/wechat-deploy/components/platform"
	"github.com/wechat-deploy/wechat-deploy/components/workload"
	"github.com/wechat-deploy/wechat-deploy/infra/config"
)

func awsArgs(cfg *config.Config) *aws.PlatformArgs {
	n, k := cfg.Network, cfg.Cluster
	args := &aws.PlatformArgs{
		Region:    cfg.Region,
		Tags:      cfg.ResourceTags(),
		Zones:     n.AvailabilityZones,
		ZoneCount: n.Zones,
		Network: aws.NetworkArgs{
			CIDR:                 n.CIDR,
			PrivatePrefix:        n.PrivateSubnetPrefix,
			PublicPrefix:         n.PublicSubnetPrefix,
			NATPerZone:           n.NATMode == config.NATPerZone,
			FlowLogRetentionDays: n.FlowLogRetentionDays,
			Protect:              cfg.Protect,
		},
		Cluster: aws.ClusterArgs{
			ClusterName:       clusterName(cfg),
			Version:           k.Version,
			EndpointPublic:    k.Endpoint.Public,
			EndpointPrivate:   k.Endpoint.Private,
			PublicAccessCIDRs: k.Endpoint.PublicAccessCIDRs,
			ServiceCIDR:       k.ServiceCIDR,
			InstanceTypes:     k.InstanceTypes,
			AMIType:           cfg.NodeImage(),
			MinNodes:          k.MinNodes,
			DesiredNodes:      k.DesiredNodes,
			MaxNodes:          k.MaxNodes,
			DiskSizeGiB:       k.DiskSizeGiB,
			Addons:            addons(k.Addons),
			LogRetentionDays:  k.LogRetentionDays,
			Admins:            k.Admins,
			UpgradePolicy:     k.UpgradePolicy,
			KubeconfigProfile: k.KubeconfigProfile,
			KubeconfigRoleARN: k.KubeconfigRoleARN,
			AppNamespace:      cfg.App.Namespace,
			AppServiceAccount: cfg.App.Name,
			Protect:           cfg.Protect,
		},
		Registry: aws.RegistryArgs{
			RepositoryName: cfg.Registry.Name,
			KeepImages:     cfg.Registry.KeepImages,
			Protect:        cfg.Protect,
		},
		HostedZone:     cfg.App.HostedZone,
		Domain:         cfg.App.Domain,
		TLS:            cfg.App.TLS.Enabled,
		CertificateARN: cfg.App.TLS.CertificateARN,
	}
	if d := cfg.Database; d.Provision {
		args.Database = &aws.DatabaseArgs{
			Identifier: clusterName(cfg), InstanceClass: d.InstanceClass, StorageGiB: d.StorageGiB,
			DatabaseName: d.Name, Username: d.Username, Password: cfg.Secrets.DatabasePassword,
			BackupRetentionDays: d.BackupRetentionDays, MultiAZ: *d.MultiAZ, DeletionProtection: *d.DeletionProtection,
			PerformanceInsights: *d.PerformanceInsights, MonitoringInterval: *d.MonitoringInterval,
			LogConnections: cfg.IsProduction(), Protect: cfg.Protect,
		}
	}
	if m := cfg.Observability.Managed; m.Any() {
		args.Managed = aws.ManagedArgs{
			Metrics: m.Metrics, ContainerInsights: m.ContainerInsights, Logs: m.Logs, LogRetentionDays: m.LogRetentionDays,
			App: cfg.App.Name, MetricsPortName: workload.MetricsPortName,
		}
	}
	if *k.DeliveryRoles {
		args.Delivery = &aws.DeliveryAccess{Project: cfg.Project, Environment: cfg.Stack}
	}
	return args
}

// addons converts the configured addons (the stack file's shape) to the components' shape.
func addons(in []config.Addon) []platform.Addon {
	out := make([]platform.Addon, len(in))
	for i, a := range in {
		out[i] = platform.Addon(a)
	}
	return out
}
