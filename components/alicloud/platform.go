package alicloud

import (
	"fmt"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/wechat-deploy/wechat-deploy/components/alicloud/sdk/alicloud"
	"github.com/wechat-deploy/wechat-deploy/components/alicloud/sdk/cs"
	"github.com/wechat-deploy/wechat-deploy/components/kube"
	"github.com/wechat-deploy/wechat-deploy/components/netplan"
	"github.com/wechat-deploy/wechat-deploy/components/platform"
)

// PlatformType is the type token of the Platform component.
const PlatformType = "wechat-deploy:alicloud:Platform"

// PlatformArgs configure the whole Alibaba Cloud platform.
type PlatformArgs struct {
	Region string
	// Zones are explicit zones; empty picks the first ZoneCount zones that can create VSwitches.
	Zones     []string
	ZoneCount int
	// Network, Cluster and Registry configure the parts; the platform fills in what it wires between them.
	Network  NetworkArgs
	Cluster  ClusterArgs
	Registry RegistryArgs
}

// Platform is the Alibaba Cloud platform.
type Platform struct {
	pulumi.ResourceState

	// Outputs is the platform contract.
	Outputs  platform.Outputs `pulumi:"-"`
	Network  *Network         `pulumi:"-"`
	Cluster  *Cluster         `pulumi:"-"`
	Registry *Registry        `pulumi:"-"`
}

// NewPlatform registers the Alibaba Cloud platform.
func NewPlatform(ctx *pulumi.Context, name string, args *PlatformArgs, opts ...pulumi.ResourceOption) (*Platform, error) {
	if args == nil || args.Region == "" {
		return nil, fmt.Errorf("creating Alibaba Cloud platform %s: %w: a region is required", name, ErrInvalidArgs)
	}
	p := &Platform{}
	if err := ctx.RegisterComponentResource(PlatformType, name, p, opts...); err != nil {
		return nil, fmt.Errorf("registering Alibaba Cloud platform %s: %w", name, err)
	}
	provider, err := alicloud.NewProvider(ctx, name+"-alicloud", &alicloud.ProviderArgs{Region: pulumi.String(args.Region)}, pulumi.Parent(p))
	if err != nil {
		return nil, fmt.Errorf("creating alicloud provider for platform %s: %w", name, err)
	}
	child := []pulumi.ResourceOption{pulumi.Parent(p), pulumi.Provider(provider)}

	zones, err := platform.PickZones(args.Zones, args.ZoneCount, args.Region, func() ([]string, error) {
		res, err := alicloud.GetZones(ctx, &alicloud.GetZonesArgs{AvailableResourceCreation: pulumi.StringRef("VSwitch")},
			pulumi.Provider(provider))
		if err != nil {
			return nil, err
		}
		return res.Ids, nil
	})
	if err != nil {
		return nil, fmt.Errorf("creating Alibaba Cloud platform %s: %w", name, err)
	}

	netArgs := args.Network
	netArgs.Zones = zones
	p.Network, err = NewNetwork(ctx, name, &netArgs, child...)
	if err != nil {
		return nil, err
	}
	regArgs := args.Registry
	regArgs.VpcID = p.Network.VpcID
	regArgs.VSwitchID = p.Network.WorkerVSwitchIDs.Index(pulumi.Int(0))
	p.Registry, err = NewRegistry(ctx, name, &regArgs, child...)
	if err != nil {
		return nil, err
	}
	clusterArgs := args.Cluster
	clusterArgs.WorkerVSwitchIDs = p.Network.WorkerVSwitchIDs
	if args.Network.PodPrefix > 0 {
		clusterArgs.PodVSwitchIDs = p.Network.PodVSwitchIDs
	}
	clusterArgs.SecurityGroupID = p.Network.SecurityGroupID
	// Nodes pull from ACR with the credential helper, which exchanges the node's RAM role for registry tokens
	// (no long-lived pull secret in the cluster).
	clusterArgs.ExtraAddons = cs.ManagedKubernetesAddonArray{cs.ManagedKubernetesAddonArgs{
		Name: pulumi.String("aliyun-acr-credential-helper"),
		Config: pulumi.Sprintf(`{"AcrInstanceInfo":[{"instanceId":"%s","regionId":"%s"}],"watchNamespace":"all","expiringThreshold":"15m"}`,
			p.Registry.InstanceID, args.Region),
	}}
	p.Cluster, err = NewCluster(ctx, name, &clusterArgs, child...)
	if err != nil {
		return nil, err
	}
	k8s, err := kube.NewProvider(ctx, name+"-k8s", &kube.ProviderArgs{
		Kubeconfig:        p.Cluster.Kubeconfig,
		ClusterIdentifier: ClusterIdentifier(args.Region, args.Cluster.ClusterName),
	}, pulumi.Parent(p))
	if err != nil {
		return nil, err
	}
	p.Outputs = platform.Outputs{
		Provider:        k8s,
		Kubeconfig:      p.Cluster.Kubeconfig,
		ClusterName:     p.Cluster.ClusterName,
		ClusterEndpoint: p.Cluster.Endpoint,
		Registry:        p.Registry.Credentials,
		RepositoryURL:   p.Registry.RepositoryURL,
		PullServer:      p.Registry.PullServer,
		OIDCProviderARN: p.Cluster.OIDCProviderARN,
		ServiceAccountAnnotations: pulumi.StringMap{
			"pod-identity.alibabacloud.com/role-name": p.Cluster.AppRoleName,
		}.ToStringMapOutput(),
		NamespaceLabels: map[string]string{"pod-identity.alibabacloud.com/injection": "on"},
		TrustedProxies:  ingressControllerRanges(args.Network, p.Network.Plan),
	}
	if err := ctx.RegisterResourceOutputs(p, pulumi.Map{
		"clusterName": p.Outputs.ClusterName, "repositoryUrl": p.Outputs.RepositoryURL, "vpcId": p.Network.VpcID,
	}); err != nil {
		return nil, fmt.Errorf("registering outputs of Alibaba Cloud platform %s: %w", name, err)
	}
	return p, nil
}

// ClusterIdentifier is the stable identity of an ACK cluster, which a credential rotation never alters.
func ClusterIdentifier(region, clusterName string) string { return "ack:" + region + ":" + clusterName }

// Contract is the platform's outputs contract.
func (p *Platform) Contract() platform.Outputs { return p.Outputs }

// ingressControllerRanges are where ACK's nginx ingress controller pods take their addresses: the pod VSwitches
// with Terway, the pod CIDR with flannel. The app believes X-Forwarded-For from them only.
func ingressControllerRanges(network NetworkArgs, plan []netplan.Subnet) []string {
	if network.PodCIDR != "" {
		return []string{network.PodCIDR}
	}
	return netplan.CIDRsOf(plan, "pod")
}
