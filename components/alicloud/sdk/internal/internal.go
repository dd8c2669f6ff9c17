// Package internal holds what the Alibaba Cloud bindings share: the provider version their names come from.
package internal

import "github.com/pulumi/pulumi/sdk/v3/go/pulumi"

// ProviderVersion is the version of the alicloud provider plugin (and official SDK) the type tokens and
// property names were taken from; every resource and invoke asks the engine for exactly this plugin.
const ProviderVersion = "3.105.0"

// ResourceOpts prepends the provider version pin to a resource's options.
func ResourceOpts(opts []pulumi.ResourceOption) []pulumi.ResourceOption {
	return append([]pulumi.ResourceOption{pulumi.Version(ProviderVersion)}, opts...)
}

// InvokeOpts prepends the provider version pin to an invoke's options.
func InvokeOpts(opts []pulumi.InvokeOption) []pulumi.InvokeOption {
	return append([]pulumi.InvokeOption{pulumi.Version(ProviderVersion)}, opts...)
}

// Register registers a resource of type token with the pinned plugin version and returns it (the body every
// generated constructor of the official SDK has).
func Register[T any, PT interface {
	*T
	pulumi.Resource
}](ctx *pulumi.Context, token, name string, args pulumi.Input, opts []pulumi.ResourceOption) (PT, error) {
	r := PT(new(T))
	if err := ctx.RegisterResource(token, name, args, r, ResourceOpts(opts)...); err != nil {
		return nil, err
	}
	return r, nil
}
