package cs

import (
	"reflect"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/wechat-deploy/wechat-deploy/components/alicloud/sdk/internal"
)

// NodePool is an ACK node pool (alicloud:cs/nodePool:NodePool).
type NodePool struct {
	pulumi.CustomResourceState

	NodePoolId   pulumi.StringOutput `pulumi:"nodePoolId"`
	NodePoolName pulumi.StringOutput `pulumi:"nodePoolName"`
}

type nodePoolArgs struct {
	ClusterId               string                           `pulumi:"clusterId"`
	ImageType               *string                          `pulumi:"imageType"`
	InstanceMetadataOptions *NodePoolInstanceMetadataOptions `pulumi:"instanceMetadataOptions"`
	InstanceTypes           []string                         `pulumi:"instanceTypes"`
	InstallCloudMonitor     *bool                            `pulumi:"installCloudMonitor"`
	Labels                  []NodePoolLabel                  `pulumi:"labels"`
	Management              *NodePoolManagement              `pulumi:"management"`
	NodePoolName            *string                          `pulumi:"nodePoolName"`
	Password                *string                          `pulumi:"password"`
	RuntimeName             *string                          `pulumi:"runtimeName"`
	ScalingConfig           *NodePoolScalingConfig           `pulumi:"scalingConfig"`
	SecurityGroupIds        []string                         `pulumi:"securityGroupIds"`
	SystemDiskCategory      *string                          `pulumi:"systemDiskCategory"`
	SystemDiskEncrypted     *bool                            `pulumi:"systemDiskEncrypted"`
	SystemDiskKmsKey        *string                          `pulumi:"systemDiskKmsKey"`
	SystemDiskSize          *int                             `pulumi:"systemDiskSize"`
	Tags                    map[string]string                `pulumi:"tags"`
	VswitchIds              []string                         `pulumi:"vswitchIds"`
}

// NodePoolArgs configure a node pool.
type NodePoolArgs struct {
	ClusterId               pulumi.StringInput
	ImageType               pulumi.StringPtrInput
	InstanceMetadataOptions *NodePoolInstanceMetadataOptionsArgs
	InstanceTypes           pulumi.StringArrayInput
	InstallCloudMonitor     pulumi.BoolPtrInput
	Labels                  NodePoolLabelArray
	Management              *NodePoolManagementArgs
	NodePoolName            pulumi.StringPtrInput
	// Password is a secret, as in the official SDK.
	Password            pulumi.StringPtrInput
	RuntimeName         pulumi.StringPtrInput
	ScalingConfig       *NodePoolScalingConfigArgs
	SecurityGroupIds    pulumi.StringArrayInput
	SystemDiskCategory  pulumi.StringPtrInput
	SystemDiskEncrypted pulumi.BoolPtrInput
	SystemDiskKmsKey    pulumi.StringPtrInput
	SystemDiskSize      pulumi.IntPtrInput
	Tags                pulumi.StringMapInput
	VswitchIds          pulumi.StringArrayInput
}

// ElementType implements pulumi.Input.
func (NodePoolArgs) ElementType() reflect.Type { return reflect.TypeOf((*nodePoolArgs)(nil)).Elem() }

// NewNodePool registers a node pool; a password, when given, is sent and stored as a secret.
func NewNodePool(ctx *pulumi.Context, name string, args *NodePoolArgs, opts ...pulumi.ResourceOption) (*NodePool, error) {
	if args != nil && args.Password != nil {
		args.Password = pulumi.ToSecret(args.Password).(pulumi.StringPtrInput)
	}
	opts = append(opts, pulumi.AdditionalSecretOutputs([]string{"password"}))
	return internal.Register[NodePool](ctx, "alicloud:cs/nodePool:NodePool", name, args, opts)
}
