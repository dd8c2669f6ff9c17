package cs

import (
	"reflect"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/wechat-deploy/wechat-deploy/components/alicloud/sdk/internal"
)

// RegistryEnterpriseNamespace is an ACR Enterprise namespace (alicloud:cs/registryEnterpriseNamespace:RegistryEnterpriseNamespace).
type RegistryEnterpriseNamespace struct {
	pulumi.CustomResourceState

	Name pulumi.StringOutput `pulumi:"name"`
}

type registryEnterpriseNamespaceArgs struct {
	AutoCreate        *bool   `pulumi:"autoCreate"`
	DefaultVisibility *string `pulumi:"defaultVisibility"`
	InstanceId        string  `pulumi:"instanceId"`
	Name              *string `pulumi:"name"`
}

// RegistryEnterpriseNamespaceArgs configure a namespace.
type RegistryEnterpriseNamespaceArgs struct {
	AutoCreate        pulumi.BoolPtrInput
	DefaultVisibility pulumi.StringPtrInput
	InstanceId        pulumi.StringInput
	Name              pulumi.StringPtrInput
}

// ElementType implements pulumi.Input.
func (RegistryEnterpriseNamespaceArgs) ElementType() reflect.Type {
	return reflect.TypeOf((*registryEnterpriseNamespaceArgs)(nil)).Elem()
}

// NewRegistryEnterpriseNamespace registers a namespace.
func NewRegistryEnterpriseNamespace(ctx *pulumi.Context, name string, args *RegistryEnterpriseNamespaceArgs, opts ...pulumi.ResourceOption) (*RegistryEnterpriseNamespace, error) {
	return internal.Register[RegistryEnterpriseNamespace](ctx, "alicloud:cs/registryEnterpriseNamespace:RegistryEnterpriseNamespace", name, args, opts)
}

// RegistryEnterpriseRepo is an ACR Enterprise repository (alicloud:cs/registryEnterpriseRepo:RegistryEnterpriseRepo).
type RegistryEnterpriseRepo struct {
	pulumi.CustomResourceState

	Name      pulumi.StringOutput `pulumi:"name"`
	Namespace pulumi.StringOutput `pulumi:"namespace"`
	RepoId    pulumi.StringOutput `pulumi:"repoId"`
}

type registryEnterpriseRepoArgs struct {
	Detail          *string `pulumi:"detail"`
	InstanceId      string  `pulumi:"instanceId"`
	Name            *string `pulumi:"name"`
	Namespace       string  `pulumi:"namespace"`
	RepoType        string  `pulumi:"repoType"`
	Summary         string  `pulumi:"summary"`
	TagImmutability *bool   `pulumi:"tagImmutability"`
}

// RegistryEnterpriseRepoArgs configure a repository.
type RegistryEnterpriseRepoArgs struct {
	Detail          pulumi.StringPtrInput
	InstanceId      pulumi.StringInput
	Name            pulumi.StringPtrInput
	Namespace       pulumi.StringInput
	RepoType        pulumi.StringInput
	Summary         pulumi.StringInput
	TagImmutability pulumi.BoolPtrInput
}

// ElementType implements pulumi.Input.
func (RegistryEnterpriseRepoArgs) ElementType() reflect.Type {
	return reflect.TypeOf((*registryEnterpriseRepoArgs)(nil)).Elem()
}

// NewRegistryEnterpriseRepo registers a repository.
func NewRegistryEnterpriseRepo(ctx *pulumi.Context, name string, args *RegistryEnterpriseRepoArgs, opts ...pulumi.ResourceOption) (*RegistryEnterpriseRepo, error) {
	return internal.Register[RegistryEnterpriseRepo](ctx, "alicloud:cs/registryEnterpriseRepo:RegistryEnterpriseRepo", name, args, opts)
}
