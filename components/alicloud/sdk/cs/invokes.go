package cs

import (
	"reflect"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/wechat-deploy/wechat-deploy/components/alicloud/sdk/internal"
)

// GetClusterCredentialArgs select the cluster.
type GetClusterCredentialArgs struct {
	ClusterId                string `pulumi:"clusterId"`
	TemporaryDurationMinutes *int   `pulumi:"temporaryDurationMinutes"`
}

// GetClusterCredentialResult is the cluster's kubeconfig.
type GetClusterCredentialResult struct {
	ClusterId  string `pulumi:"clusterId"`
	Expiration string `pulumi:"expiration"`
	Id         string `pulumi:"id"`
	KubeConfig string `pulumi:"kubeConfig"`
}

// GetClusterCredentialOutputArgs is the output form of GetClusterCredentialArgs.
type GetClusterCredentialOutputArgs struct {
	ClusterId                pulumi.StringInput
	TemporaryDurationMinutes pulumi.IntPtrInput
}

// ElementType implements pulumi.Input.
func (GetClusterCredentialOutputArgs) ElementType() reflect.Type {
	return reflect.TypeOf((*GetClusterCredentialArgs)(nil)).Elem()
}

// GetClusterCredentialOutput reads a cluster's kubeconfig once the cluster ID is known (the output form of the
// alicloud:cs/getClusterCredential:getClusterCredential invoke). The kubeconfig is a secret.
func GetClusterCredentialOutput(ctx *pulumi.Context, args GetClusterCredentialOutputArgs, opts ...pulumi.InvokeOption) GetClusterCredentialResultOutput {
	return pulumi.ToOutputWithContext(ctx.Context(), args).ApplyT(func(v any) (GetClusterCredentialResultOutput, error) {
		options := pulumi.InvokeOutputOptions{InvokeOptions: internal.InvokeOpts(opts)}
		return ctx.InvokeOutput("alicloud:cs/getClusterCredential:getClusterCredential", v.(GetClusterCredentialArgs),
			GetClusterCredentialResultOutput{}, options).(GetClusterCredentialResultOutput), nil
	}).(GetClusterCredentialResultOutput)
}

// GetRegistryEnterpriseInstancesArgs select instances.
type GetRegistryEnterpriseInstancesArgs struct {
	EnableDetails *bool    `pulumi:"enableDetails"`
	Ids           []string `pulumi:"ids"`
}

// GetRegistryEnterpriseInstancesInstance is one instance, with temporary login credentials when details are
// enabled.
type GetRegistryEnterpriseInstancesInstance struct {
	AuthorizationToken string   `pulumi:"authorizationToken"`
	Id                 string   `pulumi:"id"`
	Name               string   `pulumi:"name"`
	PublicEndpoints    []string `pulumi:"publicEndpoints"`
	TempUsername       string   `pulumi:"tempUsername"`
	VpcEndpoints       []string `pulumi:"vpcEndpoints"`
}

// GetRegistryEnterpriseInstancesResult lists instances.
type GetRegistryEnterpriseInstancesResult struct {
	Id        string                                   `pulumi:"id"`
	Ids       []string                                 `pulumi:"ids"`
	Instances []GetRegistryEnterpriseInstancesInstance `pulumi:"instances"`
}

// GetRegistryEnterpriseInstancesOutputArgs is the output form of GetRegistryEnterpriseInstancesArgs.
type GetRegistryEnterpriseInstancesOutputArgs struct {
	EnableDetails pulumi.BoolPtrInput
	Ids           pulumi.StringArrayInput
}

// ElementType implements pulumi.Input.
func (GetRegistryEnterpriseInstancesOutputArgs) ElementType() reflect.Type {
	return reflect.TypeOf((*GetRegistryEnterpriseInstancesArgs)(nil)).Elem()
}

// GetRegistryEnterpriseInstancesOutput reads instances (the output form of the
// alicloud:cs/getRegistryEnterpriseInstances:getRegistryEnterpriseInstances invoke).
func GetRegistryEnterpriseInstancesOutput(ctx *pulumi.Context, args GetRegistryEnterpriseInstancesOutputArgs, opts ...pulumi.InvokeOption) GetRegistryEnterpriseInstancesResultOutput {
	return pulumi.ToOutputWithContext(ctx.Context(), args).ApplyT(func(v any) (GetRegistryEnterpriseInstancesResultOutput, error) {
		options := pulumi.InvokeOutputOptions{InvokeOptions: internal.InvokeOpts(opts)}
		return ctx.InvokeOutput("alicloud:cs/getRegistryEnterpriseInstances:getRegistryEnterpriseInstances",
			v.(GetRegistryEnterpriseInstancesArgs), GetRegistryEnterpriseInstancesResultOutput{}, options).(GetRegistryEnterpriseInstancesResultOutput), nil
	}).(GetRegistryEnterpriseInstancesResultOutput)
}
