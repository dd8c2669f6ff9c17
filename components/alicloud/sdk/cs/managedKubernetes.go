// Package cs mirrors github.com/pulumi/pulumi-alicloud/sdk/v3/go/alicloud/cs (Container Service: ACK and the
// ACR Enterprise namespaces and repositories) for the resources and invokes wechat-deploy uses.
package cs

import (
	"reflect"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/wechat-deploy/wechat-deploy/components/alicloud/sdk/internal"
)

// ManagedKubernetes is an ACK managed cluster (alicloud:cs/managedKubernetes:ManagedKubernetes).
type ManagedKubernetes struct {
	pulumi.CustomResourceState

	Name         pulumi.StringOutput                 `pulumi:"name"`
	ClusterSpec  pulumi.StringOutput                 `pulumi:"clusterSpec"`
	Version      pulumi.StringOutput                 `pulumi:"version"`
	VpcId        pulumi.StringOutput                 `pulumi:"vpcId"`
	Connections  ManagedKubernetesConnectionsOutput  `pulumi:"connections"`
	RrsaMetadata ManagedKubernetesRrsaMetadataOutput `pulumi:"rrsaMetadata"`
}

type managedKubernetesArgs struct {
	Addons                    []ManagedKubernetesAddon            `pulumi:"addons"`
	AuditLogConfig            *ManagedKubernetesAuditLogConfig    `pulumi:"auditLogConfig"`
	ClusterSpec               *string                             `pulumi:"clusterSpec"`
	ControlPlaneLogComponents []string                            `pulumi:"controlPlaneLogComponents"`
	ControlPlaneLogTtl        *string                             `pulumi:"controlPlaneLogTtl"`
	DeletionProtection        *bool                               `pulumi:"deletionProtection"`
	DisableEncryption         *bool                               `pulumi:"disableEncryption"`
	EnableRrsa                *bool                               `pulumi:"enableRrsa"`
	EncryptionProviderKey     *string                             `pulumi:"encryptionProviderKey"`
	IsEnterpriseSecurityGroup *bool                               `pulumi:"isEnterpriseSecurityGroup"`
	MaintenanceWindow         *ManagedKubernetesMaintenanceWindow `pulumi:"maintenanceWindow"`
	Name                      *string                             `pulumi:"name"`
	NewNatGateway             *bool                               `pulumi:"newNatGateway"`
	OperationPolicy           *ManagedKubernetesOperationPolicy   `pulumi:"operationPolicy"`
	PodCidr                   *string                             `pulumi:"podCidr"`
	PodVswitchIds             []string                            `pulumi:"podVswitchIds"`
	ProxyMode                 *string                             `pulumi:"proxyMode"`
	SecurityGroupId           *string                             `pulumi:"securityGroupId"`
	ServiceCidr               *string                             `pulumi:"serviceCidr"`
	SlbInternetEnabled        *bool                               `pulumi:"slbInternetEnabled"`
	Tags                      map[string]string                   `pulumi:"tags"`
	Timezone                  *string                             `pulumi:"timezone"`
	Version                   *string                             `pulumi:"version"`
	VswitchIds                []string                            `pulumi:"vswitchIds"`
}

// ManagedKubernetesArgs configure a cluster.
type ManagedKubernetesArgs struct {
	Addons                    ManagedKubernetesAddonArray
	AuditLogConfig            *ManagedKubernetesAuditLogConfigArgs
	ClusterSpec               pulumi.StringPtrInput
	ControlPlaneLogComponents pulumi.StringArrayInput
	ControlPlaneLogTtl        pulumi.StringPtrInput
	DeletionProtection        pulumi.BoolPtrInput
	DisableEncryption         pulumi.BoolPtrInput
	EnableRrsa                pulumi.BoolPtrInput
	EncryptionProviderKey     pulumi.StringPtrInput
	IsEnterpriseSecurityGroup pulumi.BoolPtrInput
	MaintenanceWindow         *ManagedKubernetesMaintenanceWindowArgs
	Name                      pulumi.StringPtrInput
	NewNatGateway             pulumi.BoolPtrInput
	OperationPolicy           *ManagedKubernetesOperationPolicyArgs
	PodCidr                   pulumi.StringPtrInput
	PodVswitchIds             pulumi.StringArrayInput
	ProxyMode                 pulumi.StringPtrInput
	SecurityGroupId           pulumi.StringPtrInput
	ServiceCidr               pulumi.StringPtrInput
	SlbInternetEnabled        pulumi.BoolPtrInput
	Tags                      pulumi.StringMapInput
	Timezone                  pulumi.StringPtrInput
	Version                   pulumi.StringPtrInput
	VswitchIds                pulumi.StringArrayInput
}

// ElementType implements pulumi.Input.
func (ManagedKubernetesArgs) ElementType() reflect.Type {
	return reflect.TypeOf((*managedKubernetesArgs)(nil)).Elem()
}

// NewManagedKubernetes registers a cluster.
func NewManagedKubernetes(ctx *pulumi.Context, name string, args *ManagedKubernetesArgs, opts ...pulumi.ResourceOption) (*ManagedKubernetes, error) {
	return internal.Register[ManagedKubernetes](ctx, "alicloud:cs/managedKubernetes:ManagedKubernetes", name, args, opts)
}
