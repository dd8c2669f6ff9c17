// Package ram mirrors github.com/pulumi/pulumi-alicloud/sdk/v3/go/alicloud/ram for the resources wechat-deploy
// uses.
package ram

import (
	"reflect"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/wechat-deploy/wechat-deploy/components/alicloud/sdk/internal"
)

// Role is a RAM role (alicloud:ram/role:Role).
type Role struct {
	pulumi.CustomResourceState

	Arn      pulumi.StringOutput `pulumi:"arn"`
	RoleName pulumi.StringOutput `pulumi:"roleName"`
}

type roleArgs struct {
	AssumeRolePolicyDocument *string           `pulumi:"assumeRolePolicyDocument"`
	Description              *string           `pulumi:"description"`
	MaxSessionDuration       *int              `pulumi:"maxSessionDuration"`
	RoleName                 *string           `pulumi:"roleName"`
	Tags                     map[string]string `pulumi:"tags"`
}

// RoleArgs configure a role.
type RoleArgs struct {
	AssumeRolePolicyDocument pulumi.StringPtrInput
	Description              pulumi.StringPtrInput
	MaxSessionDuration       pulumi.IntPtrInput
	RoleName                 pulumi.StringPtrInput
	Tags                     pulumi.StringMapInput
}

// ElementType implements pulumi.Input.
func (RoleArgs) ElementType() reflect.Type { return reflect.TypeOf((*roleArgs)(nil)).Elem() }

// NewRole registers a role.
func NewRole(ctx *pulumi.Context, name string, args *RoleArgs, opts ...pulumi.ResourceOption) (*Role, error) {
	return internal.Register[Role](ctx, "alicloud:ram/role:Role", name, args, opts)
}

// GetRolesArgs filter the account's roles (alicloud:ram/getRoles:getRoles).
type GetRolesArgs struct {
	NameRegex *string `pulumi:"nameRegex"`
}

// GetRolesRole is one role found.
type GetRolesRole struct {
	Arn  string `pulumi:"arn"`
	Id   string `pulumi:"id"`
	Name string `pulumi:"name"`
}

// GetRolesResult are the roles found.
type GetRolesResult struct {
	Id    string         `pulumi:"id"`
	Names []string       `pulumi:"names"`
	Roles []GetRolesRole `pulumi:"roles"`
}

// GetRoles lists the account's RAM roles whose names match the filter.
func GetRoles(ctx *pulumi.Context, args *GetRolesArgs, opts ...pulumi.InvokeOption) (*GetRolesResult, error) {
	var rv GetRolesResult
	if err := ctx.Invoke("alicloud:ram/getRoles:getRoles", args, &rv, internal.InvokeOpts(opts)...); err != nil {
		return nil, err
	}
	return &rv, nil
}
