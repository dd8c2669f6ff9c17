// Package alicloud mirrors github.com/pulumi/pulumi-alicloud/sdk/v3/go/alicloud: the provider and the
// package-level invokes.
package alicloud

import (
	"reflect"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/wechat-deploy/wechat-deploy/components/alicloud/sdk/internal"
)

// Provider is an instance of the alicloud provider.
type Provider struct {
	pulumi.ProviderResourceState
}

type providerArgs struct {
	Region             *string                     `pulumi:"region"`
	AssumeRoleWithOidc *ProviderAssumeRoleWithOidc `pulumi:"assumeRoleWithOidc"`
}

// ProviderArgs configure the provider; credentials come from the environment (ALIBABA_CLOUD_ACCESS_KEY_*), or
// from an OIDC token exchanged for a RAM role when AssumeRoleWithOidc is set.
type ProviderArgs struct {
	Region             pulumi.StringPtrInput
	AssumeRoleWithOidc *ProviderAssumeRoleWithOidcArgs
}

// ProviderAssumeRoleWithOidc exchanges an OIDC token issued by an identity provider RAM trusts for STS
// credentials of a RAM role (AssumeRoleWithOIDC).
type ProviderAssumeRoleWithOidc struct {
	OidcProviderArn   string  `pulumi:"oidcProviderArn"`
	RoleArn           string  `pulumi:"roleArn"`
	OidcToken         *string `pulumi:"oidcToken"`
	OidcTokenFile     *string `pulumi:"oidcTokenFile"`
	Policy            *string `pulumi:"policy"`
	RoleSessionName   *string `pulumi:"roleSessionName"`
	SessionExpiration *int    `pulumi:"sessionExpiration"`
}

// ProviderAssumeRoleWithOidcArgs is the input form.
type ProviderAssumeRoleWithOidcArgs struct {
	OidcProviderArn   pulumi.StringInput
	RoleArn           pulumi.StringInput
	OidcToken         pulumi.StringPtrInput
	OidcTokenFile     pulumi.StringPtrInput
	Policy            pulumi.StringPtrInput
	RoleSessionName   pulumi.StringPtrInput
	SessionExpiration pulumi.IntPtrInput
}

// ElementType implements pulumi.Input.
func (ProviderAssumeRoleWithOidcArgs) ElementType() reflect.Type {
	return reflect.TypeOf((*ProviderAssumeRoleWithOidc)(nil)).Elem()
}

// ElementType implements pulumi.Input.
func (ProviderArgs) ElementType() reflect.Type { return reflect.TypeOf((*providerArgs)(nil)).Elem() }

// NewProvider registers an alicloud provider.
func NewProvider(ctx *pulumi.Context, name string, args *ProviderArgs, opts ...pulumi.ResourceOption) (*Provider, error) {
	if args == nil {
		args = &ProviderArgs{}
	}
	return internal.Register[Provider](ctx, "pulumi:providers:alicloud", name, args, opts)
}
