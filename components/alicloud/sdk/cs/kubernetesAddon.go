package cs

import (
	"reflect"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/wechat-deploy/wechat-deploy/components/alicloud/sdk/internal"
)

// KubernetesAddon is an ACK component installed in a cluster after its creation
// (alicloud:cs/kubernetesAddon:KubernetesAddon). The cluster's own addons list is read at creation only; this
// resource also installs, configures and removes components of a running cluster. Always set Name: the
// provider auto-names a resource without one, and no component has such a name.
type KubernetesAddon struct {
	pulumi.CustomResourceState

	CanUpgrade  pulumi.BoolOutput   `pulumi:"canUpgrade"`
	ClusterId   pulumi.StringOutput `pulumi:"clusterId"`
	Config      pulumi.StringOutput `pulumi:"config"`
	Name        pulumi.StringOutput `pulumi:"name"`
	NextVersion pulumi.StringOutput `pulumi:"nextVersion"`
	Required    pulumi.BoolOutput   `pulumi:"required"`
	Version     pulumi.StringOutput `pulumi:"version"`
}

type kubernetesAddonArgs struct {
	CleanupCloudResources *bool   `pulumi:"cleanupCloudResources"`
	ClusterId             string  `pulumi:"clusterId"`
	Config                *string `pulumi:"config"`
	Name                  *string `pulumi:"name"`
	Version               *string `pulumi:"version"`
}

// KubernetesAddonArgs configure a component: its name, the cluster, its configuration JSON (string values)
// and, optionally, a pinned version (empty takes ACK's default).
type KubernetesAddonArgs struct {
	CleanupCloudResources pulumi.BoolPtrInput
	ClusterId             pulumi.StringInput
	Config                pulumi.StringPtrInput
	Name                  pulumi.StringPtrInput
	Version               pulumi.StringPtrInput
}

// ElementType implements pulumi.Input.
func (KubernetesAddonArgs) ElementType() reflect.Type {
	return reflect.TypeOf((*kubernetesAddonArgs)(nil)).Elem()
}

// NewKubernetesAddon registers a cluster component.
func NewKubernetesAddon(ctx *pulumi.Context, name string, args *KubernetesAddonArgs, opts ...pulumi.ResourceOption) (*KubernetesAddon, error) {
	return internal.Register[KubernetesAddon](ctx, "alicloud:cs/kubernetesAddon:KubernetesAddon", name, args, opts)
}
