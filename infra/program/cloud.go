package program

import (
	"fmt"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/wechat-deploy/wechat-deploy/components/alicloud"
	"github.com/wechat-deploy/wechat-deploy/components/aws"
	"github.com/wechat-deploy/wechat-deploy/components/platform"
	"github.com/wechat-deploy/wechat-deploy/infra/config"
)

// clusterName is the physical cluster name of a stack: stable, and unique per project and environment.
func clusterName(cfg *config.Config) string { return cfg.Project + "-" + cfg.Environment }

// newCloudPlatform builds the AWS or Alibaba Cloud platform.
func newCloudPlatform(ctx *pulumi.Context, cfg *config.Config) (platform.Outputs, error) {
	switch cfg.Cloud {
	case config.CloudAWS:
		p, err := aws.NewPlatform(ctx, cfg.Environment, awsArgs(cfg))
		if err != nil {
			return platform.Outputs{}, fmt.Errorf("%s: %w", cfg.File, err)
		}
		return p.Outputs, nil
	case config.CloudAlicloud:
		return newAlicloudPlatform(ctx, cfg)
	}
	return platform.Outputs{}, fmt.Errorf("%s: %s:cloud: %q has no platform", cfg.File, config.Namespace, cfg.Cloud)
}

func awsArgs(cfg *config.Config) *aws.PlatformArgs {
	n, k := cfg.Network, cfg.Cluster
	addons := make([]aws.Addon, len(k.Addons))
	for i, a := range k.Addons {
		addons[i] = aws.Addon{Name: a.Name, Version: a.Version, Config: a.Config}
	}
	return &aws.PlatformArgs{
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
			MinNodes:          k.MinNodes,
			DesiredNodes:      k.DesiredNodes,
			MaxNodes:          k.MaxNodes,
			DiskSizeGiB:       k.DiskSizeGiB,
			Addons:            addons,
			LogRetentionDays:  k.LogRetentionDays,
			Admins:            k.Admins,
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
	}
}

func newAlicloudPlatform(ctx *pulumi.Context, cfg *config.Config) (platform.Outputs, error) {
	p, err := alicloud.NewPlatform(ctx, cfg.Environment, alicloudArgs(cfg))
	if err != nil {
		return platform.Outputs{}, fmt.Errorf("%s: %w", cfg.File, err)
	}
	return p.Outputs, nil
}

func alicloudArgs(cfg *config.Config) *alicloud.PlatformArgs {
	n, k, g := cfg.Network, cfg.Cluster, cfg.Registry
	addons := make([]alicloud.Addon, len(k.Addons))
	for i, a := range k.Addons {
		addons[i] = alicloud.Addon{Name: a.Name, Version: a.Version, Config: a.Config}
	}
	podPrefix := 0
	if cfg.UsesTerway() {
		podPrefix = n.PublicSubnetPrefix
	}
	tags := cfg.ResourceTags()
	return &alicloud.PlatformArgs{
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
		},
		Cluster: alicloud.ClusterArgs{
			ClusterName:        clusterName(cfg),
			Spec:               k.Spec,
			Version:            k.Version,
			PodCIDR:            k.PodCIDR,
			ServiceCIDR:        k.ServiceCIDR,
			PublicEndpoint:     k.Endpoint.Public,
			Addons:             addons,
			LogRetentionDays:   k.LogRetentionDays,
			InstanceTypes:      k.InstanceTypes,
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
			PushCIDRs:          k.Endpoint.PublicAccessCIDRs,
			Protect:            cfg.Protect,
		},
	}
}
