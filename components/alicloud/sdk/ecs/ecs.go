// Package ecs mirrors github.com/pulumi/pulumi-alicloud/sdk/v3/go/alicloud/ecs for the resources wechat-deploy
// uses.
package ecs

import (
	"reflect"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/wechat-deploy/wechat-deploy/components/alicloud/sdk/internal"
)

// EipAddress is an elastic IP (alicloud:ecs/eipAddress:EipAddress).
type EipAddress struct {
	pulumi.CustomResourceState

	IpAddress   pulumi.StringOutput `pulumi:"ipAddress"`
	AddressName pulumi.StringOutput `pulumi:"addressName"`
}

type eipAddressArgs struct {
	AddressName        *string           `pulumi:"addressName"`
	Bandwidth          *string           `pulumi:"bandwidth"`
	DeletionProtection *bool             `pulumi:"deletionProtection"`
	InternetChargeType *string           `pulumi:"internetChargeType"`
	Isp                *string           `pulumi:"isp"`
	PaymentType        *string           `pulumi:"paymentType"`
	Tags               map[string]string `pulumi:"tags"`
}

// EipAddressArgs configure an elastic IP.
type EipAddressArgs struct {
	AddressName        pulumi.StringPtrInput
	Bandwidth          pulumi.StringPtrInput
	DeletionProtection pulumi.BoolPtrInput
	InternetChargeType pulumi.StringPtrInput
	Isp                pulumi.StringPtrInput
	PaymentType        pulumi.StringPtrInput
	Tags               pulumi.StringMapInput
}

// ElementType implements pulumi.Input.
func (EipAddressArgs) ElementType() reflect.Type {
	return reflect.TypeOf((*eipAddressArgs)(nil)).Elem()
}

// NewEipAddress registers an elastic IP.
func NewEipAddress(ctx *pulumi.Context, name string, args *EipAddressArgs, opts ...pulumi.ResourceOption) (*EipAddress, error) {
	return internal.Register[EipAddress](ctx, "alicloud:ecs/eipAddress:EipAddress", name, args, opts)
}

// EipAssociation binds an elastic IP to an instance (alicloud:ecs/eipAssociation:EipAssociation).
type EipAssociation struct {
	pulumi.CustomResourceState
}

type eipAssociationArgs struct {
	AllocationId string  `pulumi:"allocationId"`
	InstanceId   string  `pulumi:"instanceId"`
	InstanceType *string `pulumi:"instanceType"`
}

// EipAssociationArgs configure a binding.
type EipAssociationArgs struct {
	AllocationId pulumi.StringInput
	InstanceId   pulumi.StringInput
	InstanceType pulumi.StringPtrInput
}

// ElementType implements pulumi.Input.
func (EipAssociationArgs) ElementType() reflect.Type {
	return reflect.TypeOf((*eipAssociationArgs)(nil)).Elem()
}

// NewEipAssociation registers a binding.
func NewEipAssociation(ctx *pulumi.Context, name string, args *EipAssociationArgs, opts ...pulumi.ResourceOption) (*EipAssociation, error) {
	return internal.Register[EipAssociation](ctx, "alicloud:ecs/eipAssociation:EipAssociation", name, args, opts)
}

// SecurityGroup is a security group (alicloud:ecs/securityGroup:SecurityGroup).
type SecurityGroup struct {
	pulumi.CustomResourceState

	SecurityGroupName pulumi.StringOutput `pulumi:"securityGroupName"`
}

type securityGroupArgs struct {
	Description       *string           `pulumi:"description"`
	InnerAccessPolicy *string           `pulumi:"innerAccessPolicy"`
	SecurityGroupName *string           `pulumi:"securityGroupName"`
	SecurityGroupType *string           `pulumi:"securityGroupType"`
	Tags              map[string]string `pulumi:"tags"`
	VpcId             *string           `pulumi:"vpcId"`
}

// SecurityGroupArgs configure a security group.
type SecurityGroupArgs struct {
	Description       pulumi.StringPtrInput
	InnerAccessPolicy pulumi.StringPtrInput
	SecurityGroupName pulumi.StringPtrInput
	SecurityGroupType pulumi.StringPtrInput
	Tags              pulumi.StringMapInput
	VpcId             pulumi.StringPtrInput
}

// ElementType implements pulumi.Input.
func (SecurityGroupArgs) ElementType() reflect.Type {
	return reflect.TypeOf((*securityGroupArgs)(nil)).Elem()
}

// NewSecurityGroup registers a security group.
func NewSecurityGroup(ctx *pulumi.Context, name string, args *SecurityGroupArgs, opts ...pulumi.ResourceOption) (*SecurityGroup, error) {
	return internal.Register[SecurityGroup](ctx, "alicloud:ecs/securityGroup:SecurityGroup", name, args, opts)
}

// SecurityGroupRule is one rule of a security group (alicloud:ecs/securityGroupRule:SecurityGroupRule).
type SecurityGroupRule struct {
	pulumi.CustomResourceState
}

type securityGroupRuleArgs struct {
	CidrIp          *string `pulumi:"cidrIp"`
	Description     *string `pulumi:"description"`
	IpProtocol      string  `pulumi:"ipProtocol"`
	NicType         *string `pulumi:"nicType"`
	Policy          *string `pulumi:"policy"`
	PortRange       *string `pulumi:"portRange"`
	Priority        *int    `pulumi:"priority"`
	SecurityGroupId string  `pulumi:"securityGroupId"`
	Type            string  `pulumi:"type"`
}

// SecurityGroupRuleArgs configure a rule.
type SecurityGroupRuleArgs struct {
	CidrIp          pulumi.StringPtrInput
	Description     pulumi.StringPtrInput
	IpProtocol      pulumi.StringInput
	NicType         pulumi.StringPtrInput
	Policy          pulumi.StringPtrInput
	PortRange       pulumi.StringPtrInput
	Priority        pulumi.IntPtrInput
	SecurityGroupId pulumi.StringInput
	Type            pulumi.StringInput
}

// ElementType implements pulumi.Input.
func (SecurityGroupRuleArgs) ElementType() reflect.Type {
	return reflect.TypeOf((*securityGroupRuleArgs)(nil)).Elem()
}

// NewSecurityGroupRule registers a rule.
func NewSecurityGroupRule(ctx *pulumi.Context, name string, args *SecurityGroupRuleArgs, opts ...pulumi.ResourceOption) (*SecurityGroupRule, error) {
	return internal.Register[SecurityGroupRule](ctx, "alicloud:ecs/securityGroupRule:SecurityGroupRule", name, args, opts)
}
