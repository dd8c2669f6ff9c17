package cs

import (
	"reflect"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// ManagedKubernetesAddon is one cluster addon.
type ManagedKubernetesAddon struct {
	Config   *string `pulumi:"config"`
	Disabled *bool   `pulumi:"disabled"`
	Name     *string `pulumi:"name"`
	Version  *string `pulumi:"version"`
}

// ManagedKubernetesAddonArgs is the input form of ManagedKubernetesAddon.
type ManagedKubernetesAddonArgs struct {
	Config   pulumi.StringPtrInput
	Disabled pulumi.BoolPtrInput
	Name     pulumi.StringPtrInput
	Version  pulumi.StringPtrInput
}

// ElementType implements pulumi.Input.
func (ManagedKubernetesAddonArgs) ElementType() reflect.Type {
	return reflect.TypeOf((*ManagedKubernetesAddon)(nil)).Elem()
}

// ManagedKubernetesAddonArray is a list of addons.
type ManagedKubernetesAddonArray []ManagedKubernetesAddonArgs

// ElementType implements pulumi.Input.
func (ManagedKubernetesAddonArray) ElementType() reflect.Type {
	return reflect.TypeOf((*[]ManagedKubernetesAddon)(nil)).Elem()
}

// ManagedKubernetesOperationPolicy configures automatic operations.
type ManagedKubernetesOperationPolicy struct {
	ClusterAutoUpgrade *ManagedKubernetesOperationPolicyClusterAutoUpgrade `pulumi:"clusterAutoUpgrade"`
}

// ManagedKubernetesOperationPolicyArgs is the input form of ManagedKubernetesOperationPolicy.
type ManagedKubernetesOperationPolicyArgs struct {
	ClusterAutoUpgrade *ManagedKubernetesOperationPolicyClusterAutoUpgradeArgs
}

// ElementType implements pulumi.Input.
func (ManagedKubernetesOperationPolicyArgs) ElementType() reflect.Type {
	return reflect.TypeOf((*ManagedKubernetesOperationPolicy)(nil)).Elem()
}

// ManagedKubernetesOperationPolicyClusterAutoUpgrade enables automatic upgrades on a channel.
type ManagedKubernetesOperationPolicyClusterAutoUpgrade struct {
	Channel *string `pulumi:"channel"`
	Enabled *bool   `pulumi:"enabled"`
}

// ManagedKubernetesOperationPolicyClusterAutoUpgradeArgs is the input form.
type ManagedKubernetesOperationPolicyClusterAutoUpgradeArgs struct {
	Channel pulumi.StringPtrInput
	Enabled pulumi.BoolPtrInput
}

// ElementType implements pulumi.Input.
func (ManagedKubernetesOperationPolicyClusterAutoUpgradeArgs) ElementType() reflect.Type {
	return reflect.TypeOf((*ManagedKubernetesOperationPolicyClusterAutoUpgrade)(nil)).Elem()
}

// ManagedKubernetesMaintenanceWindow is when managed upgrades may run.
type ManagedKubernetesMaintenanceWindow struct {
	Duration        *string `pulumi:"duration"`
	Enable          *bool   `pulumi:"enable"`
	MaintenanceTime *string `pulumi:"maintenanceTime"`
	WeeklyPeriod    *string `pulumi:"weeklyPeriod"`
}

// ManagedKubernetesMaintenanceWindowArgs is the input form.
type ManagedKubernetesMaintenanceWindowArgs struct {
	Duration        pulumi.StringPtrInput
	Enable          pulumi.BoolPtrInput
	MaintenanceTime pulumi.StringPtrInput
	WeeklyPeriod    pulumi.StringPtrInput
}

// ElementType implements pulumi.Input.
func (ManagedKubernetesMaintenanceWindowArgs) ElementType() reflect.Type {
	return reflect.TypeOf((*ManagedKubernetesMaintenanceWindow)(nil)).Elem()
}

// ManagedKubernetesAuditLogConfig configures API server audit logs.
type ManagedKubernetesAuditLogConfig struct {
	Enabled        *bool   `pulumi:"enabled"`
	SlsProjectName *string `pulumi:"slsProjectName"`
}

// ManagedKubernetesAuditLogConfigArgs is the input form.
type ManagedKubernetesAuditLogConfigArgs struct {
	Enabled        pulumi.BoolPtrInput
	SlsProjectName pulumi.StringPtrInput
}

// ElementType implements pulumi.Input.
func (ManagedKubernetesAuditLogConfigArgs) ElementType() reflect.Type {
	return reflect.TypeOf((*ManagedKubernetesAuditLogConfig)(nil)).Elem()
}

// ManagedKubernetesConnections are the cluster's endpoints.
type ManagedKubernetesConnections struct {
	ApiServerInternet *string `pulumi:"apiServerInternet"`
	ApiServerIntranet *string `pulumi:"apiServerIntranet"`
	MasterPublicIp    *string `pulumi:"masterPublicIp"`
	ServiceDomain     *string `pulumi:"serviceDomain"`
}

// ManagedKubernetesConnectionsOutput is the output form of ManagedKubernetesConnections.
type ManagedKubernetesConnectionsOutput struct{ *pulumi.OutputState }

// ElementType implements pulumi.Output.
func (ManagedKubernetesConnectionsOutput) ElementType() reflect.Type {
	return reflect.TypeOf((*ManagedKubernetesConnections)(nil)).Elem()
}

// ApiServerInternet is the public API server URL.
func (o ManagedKubernetesConnectionsOutput) ApiServerInternet() pulumi.StringPtrOutput {
	return o.ApplyT(func(v ManagedKubernetesConnections) *string { return v.ApiServerInternet }).(pulumi.StringPtrOutput)
}

// ApiServerIntranet is the VPC API server URL.
func (o ManagedKubernetesConnectionsOutput) ApiServerIntranet() pulumi.StringPtrOutput {
	return o.ApplyT(func(v ManagedKubernetesConnections) *string { return v.ApiServerIntranet }).(pulumi.StringPtrOutput)
}

// ManagedKubernetesRrsaMetadata describes the cluster's RRSA OIDC provider.
type ManagedKubernetesRrsaMetadata struct {
	Enabled             *bool   `pulumi:"enabled"`
	RamOidcProviderArn  *string `pulumi:"ramOidcProviderArn"`
	RamOidcProviderName *string `pulumi:"ramOidcProviderName"`
	RrsaOidcIssuerUrl   *string `pulumi:"rrsaOidcIssuerUrl"`
}

// ManagedKubernetesRrsaMetadataOutput is the output form of ManagedKubernetesRrsaMetadata.
type ManagedKubernetesRrsaMetadataOutput struct{ *pulumi.OutputState }

// ElementType implements pulumi.Output.
func (ManagedKubernetesRrsaMetadataOutput) ElementType() reflect.Type {
	return reflect.TypeOf((*ManagedKubernetesRrsaMetadata)(nil)).Elem()
}

// RamOidcProviderArn is the ARN of the RAM OIDC provider.
func (o ManagedKubernetesRrsaMetadataOutput) RamOidcProviderArn() pulumi.StringPtrOutput {
	return o.ApplyT(func(v ManagedKubernetesRrsaMetadata) *string { return v.RamOidcProviderArn }).(pulumi.StringPtrOutput)
}

// RrsaOidcIssuerUrl is the OIDC issuer of service account tokens.
func (o ManagedKubernetesRrsaMetadataOutput) RrsaOidcIssuerUrl() pulumi.StringPtrOutput {
	return o.ApplyT(func(v ManagedKubernetesRrsaMetadata) *string { return v.RrsaOidcIssuerUrl }).(pulumi.StringPtrOutput)
}

// NodePoolScalingConfig enables auto scaling.
type NodePoolScalingConfig struct {
	Enable  *bool   `pulumi:"enable"`
	MaxSize *int    `pulumi:"maxSize"`
	MinSize *int    `pulumi:"minSize"`
	Type    *string `pulumi:"type"`
}

// NodePoolScalingConfigArgs is the input form.
type NodePoolScalingConfigArgs struct {
	Enable  pulumi.BoolPtrInput
	MaxSize pulumi.IntPtrInput
	MinSize pulumi.IntPtrInput
	Type    pulumi.StringPtrInput
}

// ElementType implements pulumi.Input.
func (NodePoolScalingConfigArgs) ElementType() reflect.Type {
	return reflect.TypeOf((*NodePoolScalingConfig)(nil)).Elem()
}

// NodePoolManagement enables managed node operations.
type NodePoolManagement struct {
	AutoRepair     *bool `pulumi:"autoRepair"`
	AutoUpgrade    *bool `pulumi:"autoUpgrade"`
	AutoVulFix     *bool `pulumi:"autoVulFix"`
	Enable         *bool `pulumi:"enable"`
	MaxUnavailable *int  `pulumi:"maxUnavailable"`
}

// NodePoolManagementArgs is the input form.
type NodePoolManagementArgs struct {
	AutoRepair     pulumi.BoolPtrInput
	AutoUpgrade    pulumi.BoolPtrInput
	AutoVulFix     pulumi.BoolPtrInput
	Enable         pulumi.BoolPtrInput
	MaxUnavailable pulumi.IntPtrInput
}

// ElementType implements pulumi.Input.
func (NodePoolManagementArgs) ElementType() reflect.Type {
	return reflect.TypeOf((*NodePoolManagement)(nil)).Elem()
}

// NodePoolLabel is a Kubernetes label of the pool's nodes.
type NodePoolLabel struct {
	Key   string  `pulumi:"key"`
	Value *string `pulumi:"value"`
}

// NodePoolLabelArgs is the input form.
type NodePoolLabelArgs struct {
	Key   pulumi.StringInput
	Value pulumi.StringPtrInput
}

// ElementType implements pulumi.Input.
func (NodePoolLabelArgs) ElementType() reflect.Type {
	return reflect.TypeOf((*NodePoolLabel)(nil)).Elem()
}

// NodePoolLabelArray is a list of labels.
type NodePoolLabelArray []NodePoolLabelArgs

// ElementType implements pulumi.Input.
func (NodePoolLabelArray) ElementType() reflect.Type {
	return reflect.TypeOf((*[]NodePoolLabel)(nil)).Elem()
}

// NodePoolInstanceMetadataOptions configures the instance metadata service of the nodes.
type NodePoolInstanceMetadataOptions struct {
	HttpTokens *string `pulumi:"httpTokens"`
}

// NodePoolInstanceMetadataOptionsArgs is the input form.
type NodePoolInstanceMetadataOptionsArgs struct {
	HttpTokens pulumi.StringPtrInput
}

// ElementType implements pulumi.Input.
func (NodePoolInstanceMetadataOptionsArgs) ElementType() reflect.Type {
	return reflect.TypeOf((*NodePoolInstanceMetadataOptions)(nil)).Elem()
}

// GetClusterCredentialResultOutput is the output form of GetClusterCredentialResult.
type GetClusterCredentialResultOutput struct{ *pulumi.OutputState }

// ElementType implements pulumi.Output.
func (GetClusterCredentialResultOutput) ElementType() reflect.Type {
	return reflect.TypeOf((*GetClusterCredentialResult)(nil)).Elem()
}

// KubeConfig is the cluster's kubeconfig.
func (o GetClusterCredentialResultOutput) KubeConfig() pulumi.StringOutput {
	return o.ApplyT(func(v GetClusterCredentialResult) string { return v.KubeConfig }).(pulumi.StringOutput)
}

// GetRegistryEnterpriseInstancesResultOutput is the output form of GetRegistryEnterpriseInstancesResult.
type GetRegistryEnterpriseInstancesResultOutput struct{ *pulumi.OutputState }

// ElementType implements pulumi.Output.
func (GetRegistryEnterpriseInstancesResultOutput) ElementType() reflect.Type {
	return reflect.TypeOf((*GetRegistryEnterpriseInstancesResult)(nil)).Elem()
}

func init() {
	pulumi.RegisterOutputType(ManagedKubernetesConnectionsOutput{})
	pulumi.RegisterOutputType(ManagedKubernetesRrsaMetadataOutput{})
	pulumi.RegisterOutputType(GetClusterCredentialResultOutput{})
	pulumi.RegisterOutputType(GetRegistryEnterpriseInstancesResultOutput{})
}
