package program

import (
	"fmt"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

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
	return platform.Outputs{}, fmt.Errorf("%s: %s:cloud: the alicloud platform is not wired yet", cfg.File, config.Namespace)
}
