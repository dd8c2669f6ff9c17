// Package sdk holds typed Pulumi bindings for the Alibaba Cloud resources wechat-deploy uses. The official Go
// SDK (github.com/pulumi/pulumi-alicloud/sdk/v3/go) is not available to this project's build, so these
// bindings register the provider's own type tokens and property names, taken from that SDK at the provider
// version in internal.ProviderVersion, and mirror its package names and API shape: switching to the official
// SDK is a change of import path from .../components/alicloud/sdk/<pkg> to .../sdk/v3/go/alicloud/<pkg>.
// Only the properties wechat-deploy sets or reads are bound; a test checks every token and property name
// against testdata/schema-<version>.txt, a list taken from the official SDK.
package sdk
