// Package kms mirrors github.com/pulumi/pulumi-alicloud/sdk/v3/go/alicloud/kms for the resources wechat-deploy
// uses.
package kms

import (
	"reflect"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/wechat-deploy/wechat-deploy/components/alicloud/sdk/internal"
)

// Key is a KMS key (alicloud:kms/key:Key).
type Key struct {
	pulumi.CustomResourceState

	Arn pulumi.StringOutput `pulumi:"arn"`
}

type keyArgs struct {
	AutomaticRotation   *string           `pulumi:"automaticRotation"`
	DeletionProtection  *string           `pulumi:"deletionProtection"`
	Description         *string           `pulumi:"description"`
	KeySpec             *string           `pulumi:"keySpec"`
	KeyUsage            *string           `pulumi:"keyUsage"`
	PendingWindowInDays *int              `pulumi:"pendingWindowInDays"`
	ProtectionLevel     *string           `pulumi:"protectionLevel"`
	RotationInterval    *string           `pulumi:"rotationInterval"`
	Tags                map[string]string `pulumi:"tags"`
}

// KeyArgs configure a key.
type KeyArgs struct {
	AutomaticRotation   pulumi.StringPtrInput
	DeletionProtection  pulumi.StringPtrInput
	Description         pulumi.StringPtrInput
	KeySpec             pulumi.StringPtrInput
	KeyUsage            pulumi.StringPtrInput
	PendingWindowInDays pulumi.IntPtrInput
	ProtectionLevel     pulumi.StringPtrInput
	RotationInterval    pulumi.StringPtrInput
	Tags                pulumi.StringMapInput
}

// ElementType implements pulumi.Input.
func (KeyArgs) ElementType() reflect.Type { return reflect.TypeOf((*keyArgs)(nil)).Elem() }

// NewKey registers a key.
func NewKey(ctx *pulumi.Context, name string, args *KeyArgs, opts ...pulumi.ResourceOption) (*Key, error) {
	return internal.Register[Key](ctx, "alicloud:kms/key:Key", name, args, opts)
}
