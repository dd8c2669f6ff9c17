// Package cr mirrors github.com/pulumi/pulumi-alicloud/sdk/v3/go/alicloud/cr (Container Registry Enterprise
// Edition) for the resources and invokes wechat-deploy uses.
package cr

import (
	"reflect"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/wechat-deploy/wechat-deploy/components/alicloud/sdk/internal"
)

// RegistryEnterpriseInstance is an ACR Enterprise instance (alicloud:cr/registryEnterpriseInstance:RegistryEnterpriseInstance).
type RegistryEnterpriseInstance struct {
	pulumi.CustomResourceState

	InstanceName pulumi.StringOutput `pulumi:"instanceName"`
	InstanceType pulumi.StringOutput `pulumi:"instanceType"`
	Status       pulumi.StringOutput `pulumi:"status"`
}

type registryEnterpriseInstanceArgs struct {
	ImageScanner  *string `pulumi:"imageScanner"`
	InstanceName  string  `pulumi:"instanceName"`
	InstanceType  string  `pulumi:"instanceType"`
	Password      *string `pulumi:"password"`
	PaymentType   string  `pulumi:"paymentType"`
	Period        *int    `pulumi:"period"`
	RenewPeriod   *int    `pulumi:"renewPeriod"`
	RenewalStatus *string `pulumi:"renewalStatus"`
}

// RegistryEnterpriseInstanceArgs configure an instance.
type RegistryEnterpriseInstanceArgs struct {
	ImageScanner pulumi.StringPtrInput
	InstanceName pulumi.StringInput
	InstanceType pulumi.StringInput
	// Password is the registry login password; a secret, as in the official SDK.
	Password      pulumi.StringPtrInput
	PaymentType   pulumi.StringInput
	Period        pulumi.IntPtrInput
	RenewPeriod   pulumi.IntPtrInput
	RenewalStatus pulumi.StringPtrInput
}

// ElementType implements pulumi.Input.
func (RegistryEnterpriseInstanceArgs) ElementType() reflect.Type {
	return reflect.TypeOf((*registryEnterpriseInstanceArgs)(nil)).Elem()
}

// NewRegistryEnterpriseInstance registers an instance; a password is sent and stored as a secret.
func NewRegistryEnterpriseInstance(ctx *pulumi.Context, name string, args *RegistryEnterpriseInstanceArgs, opts ...pulumi.ResourceOption) (*RegistryEnterpriseInstance, error) {
	if args != nil && args.Password != nil {
		args.Password = pulumi.ToSecret(args.Password).(pulumi.StringPtrInput)
	}
	opts = append(opts, pulumi.AdditionalSecretOutputs([]string{"password"}))
	return internal.Register[RegistryEnterpriseInstance](ctx, "alicloud:cr/registryEnterpriseInstance:RegistryEnterpriseInstance", name, args, opts)
}

// VpcEndpointLinkedVpc lets a VPC reach an instance privately (alicloud:cr/vpcEndpointLinkedVpc:VpcEndpointLinkedVpc).
type VpcEndpointLinkedVpc struct {
	pulumi.CustomResourceState

	Status pulumi.StringOutput `pulumi:"status"`
}

type vpcEndpointLinkedVpcArgs struct {
	EnableCreateDnsRecordInPvzt *bool  `pulumi:"enableCreateDnsRecordInPvzt"`
	InstanceId                  string `pulumi:"instanceId"`
	ModuleName                  string `pulumi:"moduleName"`
	VpcId                       string `pulumi:"vpcId"`
	VswitchId                   string `pulumi:"vswitchId"`
}

// VpcEndpointLinkedVpcArgs configure the link.
type VpcEndpointLinkedVpcArgs struct {
	EnableCreateDnsRecordInPvzt pulumi.BoolPtrInput
	InstanceId                  pulumi.StringInput
	ModuleName                  pulumi.StringInput
	VpcId                       pulumi.StringInput
	VswitchId                   pulumi.StringInput
}

// ElementType implements pulumi.Input.
func (VpcEndpointLinkedVpcArgs) ElementType() reflect.Type {
	return reflect.TypeOf((*vpcEndpointLinkedVpcArgs)(nil)).Elem()
}

// NewVpcEndpointLinkedVpc registers the link.
func NewVpcEndpointLinkedVpc(ctx *pulumi.Context, name string, args *VpcEndpointLinkedVpcArgs, opts ...pulumi.ResourceOption) (*VpcEndpointLinkedVpc, error) {
	return internal.Register[VpcEndpointLinkedVpc](ctx, "alicloud:cr/vpcEndpointLinkedVpc:VpcEndpointLinkedVpc", name, args, opts)
}

// EndpointAclPolicy allows a CIDR to reach an instance's public endpoint (alicloud:cr/endpointAclPolicy:EndpointAclPolicy).
type EndpointAclPolicy struct {
	pulumi.CustomResourceState
}

type endpointAclPolicyArgs struct {
	Description  *string `pulumi:"description"`
	EndpointType string  `pulumi:"endpointType"`
	Entry        string  `pulumi:"entry"`
	InstanceId   string  `pulumi:"instanceId"`
	ModuleName   *string `pulumi:"moduleName"`
}

// EndpointAclPolicyArgs configure an ACL entry.
type EndpointAclPolicyArgs struct {
	Description  pulumi.StringPtrInput
	EndpointType pulumi.StringInput
	Entry        pulumi.StringInput
	InstanceId   pulumi.StringInput
	ModuleName   pulumi.StringPtrInput
}

// ElementType implements pulumi.Input.
func (EndpointAclPolicyArgs) ElementType() reflect.Type {
	return reflect.TypeOf((*endpointAclPolicyArgs)(nil)).Elem()
}

// NewEndpointAclPolicy registers an ACL entry.
func NewEndpointAclPolicy(ctx *pulumi.Context, name string, args *EndpointAclPolicyArgs, opts ...pulumi.ResourceOption) (*EndpointAclPolicy, error) {
	return internal.Register[EndpointAclPolicy](ctx, "alicloud:cr/endpointAclPolicy:EndpointAclPolicy", name, args, opts)
}

// GetEndpointAclServiceArgs select, and with Enable switch on, an endpoint's access control.
type GetEndpointAclServiceArgs struct {
	Enable       bool   `pulumi:"enable"`
	EndpointType string `pulumi:"endpointType"`
	InstanceId   string `pulumi:"instanceId"`
	ModuleName   string `pulumi:"moduleName"`
}

// GetEndpointAclServiceResult is the endpoint's access control state.
type GetEndpointAclServiceResult struct {
	Enable       bool   `pulumi:"enable"`
	EndpointType string `pulumi:"endpointType"`
	Id           string `pulumi:"id"`
	InstanceId   string `pulumi:"instanceId"`
	ModuleName   string `pulumi:"moduleName"`
	Status       string `pulumi:"status"`
}

// GetEndpointAclServiceOutputArgs is the output form of GetEndpointAclServiceArgs.
type GetEndpointAclServiceOutputArgs struct {
	Enable       pulumi.BoolInput
	EndpointType pulumi.StringInput
	InstanceId   pulumi.StringInput
	ModuleName   pulumi.StringInput
}

// ElementType implements pulumi.Input.
func (GetEndpointAclServiceOutputArgs) ElementType() reflect.Type {
	return reflect.TypeOf((*GetEndpointAclServiceArgs)(nil)).Elem()
}

// GetEndpointAclServiceResultOutput is the output form of GetEndpointAclServiceResult.
type GetEndpointAclServiceResultOutput struct{ *pulumi.OutputState }

// ElementType implements pulumi.Output.
func (GetEndpointAclServiceResultOutput) ElementType() reflect.Type {
	return reflect.TypeOf((*GetEndpointAclServiceResult)(nil)).Elem()
}

// Status is the endpoint's state (RUNNING when enabled).
func (o GetEndpointAclServiceResultOutput) Status() pulumi.StringOutput {
	return o.ApplyT(func(v GetEndpointAclServiceResult) string { return v.Status }).(pulumi.StringOutput)
}

// InstanceId is the instance whose endpoint was read.
func (o GetEndpointAclServiceResultOutput) InstanceId() pulumi.StringOutput {
	return o.ApplyT(func(v GetEndpointAclServiceResult) string { return v.InstanceId }).(pulumi.StringOutput)
}

// GetEndpointAclServiceOutput reads (and with Enable, switches on) an instance endpoint.
func GetEndpointAclServiceOutput(ctx *pulumi.Context, args GetEndpointAclServiceOutputArgs, opts ...pulumi.InvokeOption) GetEndpointAclServiceResultOutput {
	return pulumi.ToOutputWithContext(ctx.Context(), args).ApplyT(func(v any) (GetEndpointAclServiceResultOutput, error) {
		options := pulumi.InvokeOutputOptions{InvokeOptions: internal.InvokeOpts(opts)}
		return ctx.InvokeOutput("alicloud:cr/getEndpointAclService:getEndpointAclService", v.(GetEndpointAclServiceArgs),
			GetEndpointAclServiceResultOutput{}, options).(GetEndpointAclServiceResultOutput), nil
	}).(GetEndpointAclServiceResultOutput)
}

func init() {
	pulumi.RegisterOutputType(GetEndpointAclServiceResultOutput{})
}
