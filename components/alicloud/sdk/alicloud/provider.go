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
	Region *string `pulumi:"region"`
}

// ProviderArgs configure the provider; credentials come from the environment (ALIBABA_CLOUD_* or OIDC).
type ProviderArgs struct {
	Region pulumi.StringPtrInput
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
