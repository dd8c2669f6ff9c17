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
