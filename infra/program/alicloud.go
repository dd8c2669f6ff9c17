package program

import (
	"github.com/wechat-deploy/wechat-deploy/components/alicloud"
	"github.com/wechat-deploy/wechat-deploy/infra/config"
)

func alicloudArgs(cfg *config.Config) *alicloud.PlatformArgs {
	n, k, g := cfg.Network, cfg.Cluster, cfg.Registry
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
			PushCIDRs:          k.Endpoint.PublicAccessCIDRs,
			Protect:            cfg.Protect,
		},
	}
}
