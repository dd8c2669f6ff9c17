// Package vpc mirrors github.com/pulumi/pulumi-alicloud/sdk/v3/go/alicloud/vpc for the resources wechat-deploy
// uses.
package vpc

import (
	"reflect"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/wechat-deploy/wechat-deploy/components/alicloud/sdk/internal"
)

// Network is a VPC (alicloud:vpc/network:Network).
type Network struct {
	pulumi.CustomResourceState

	CidrBlock    pulumi.StringOutput    `pulumi:"cidrBlock"`
	VpcName      pulumi.StringOutput    `pulumi:"vpcName"`
	RouteTableId pulumi.StringOutput    `pulumi:"routeTableId"`
	Tags         pulumi.StringMapOutput `pulumi:"tags"`
}

type networkArgs struct {
	CidrBlock   *string           `pulumi:"cidrBlock"`
	Description *string           `pulumi:"description"`
	VpcName     *string           `pulumi:"vpcName"`
	Tags        map[string]string `pulumi:"tags"`
}

// NetworkArgs configure a VPC.
type NetworkArgs struct {
	CidrBlock   pulumi.StringPtrInput
	Description pulumi.StringPtrInput
	VpcName     pulumi.StringPtrInput
	Tags        pulumi.StringMapInput
}

// ElementType implements pulumi.Input.
func (NetworkArgs) ElementType() reflect.Type { return reflect.TypeOf((*networkArgs)(nil)).Elem() }

// NewNetwork registers a VPC.
func NewNetwork(ctx *pulumi.Context, name string, args *NetworkArgs, opts ...pulumi.ResourceOption) (*Network, error) {
	return internal.Register[Network](ctx, "alicloud:vpc/network:Network", name, args, opts)
}

// Switch is a VSwitch (alicloud:vpc/switch:Switch).
type Switch struct {
	pulumi.CustomResourceState

	CidrBlock   pulumi.StringOutput `pulumi:"cidrBlock"`
	VpcId       pulumi.StringOutput `pulumi:"vpcId"`
	ZoneId      pulumi.StringOutput `pulumi:"zoneId"`
	VswitchName pulumi.StringOutput `pulumi:"vswitchName"`
}

type switchArgs struct {
	CidrBlock   *string           `pulumi:"cidrBlock"`
	Description *string           `pulumi:"description"`
	VpcId       *string           `pulumi:"vpcId"`
	VswitchName *string           `pulumi:"vswitchName"`
	ZoneId      *string           `pulumi:"zoneId"`
	Tags        map[string]string `pulumi:"tags"`
}

// SwitchArgs configure a VSwitch.
type SwitchArgs struct {
	CidrBlock   pulumi.StringPtrInput
	Description pulumi.StringPtrInput
	VpcId       pulumi.StringPtrInput
	VswitchName pulumi.StringPtrInput
	ZoneId      pulumi.StringPtrInput
	Tags        pulumi.StringMapInput
}

// ElementType implements pulumi.Input.
func (SwitchArgs) ElementType() reflect.Type { return reflect.TypeOf((*switchArgs)(nil)).Elem() }

// NewSwitch registers a VSwitch.
func NewSwitch(ctx *pulumi.Context, name string, args *SwitchArgs, opts ...pulumi.ResourceOption) (*Switch, error) {
	return internal.Register[Switch](ctx, "alicloud:vpc/switch:Switch", name, args, opts)
}

// NatGateway is a NAT gateway (alicloud:vpc/natGateway:NatGateway).
type NatGateway struct {
	pulumi.CustomResourceState

	NatGatewayName pulumi.StringOutput `pulumi:"natGatewayName"`
	// SnatTableIds is the ID of the gateway's SNAT table.
	SnatTableIds pulumi.StringOutput `pulumi:"snatTableIds"`
}

type natGatewayArgs struct {
	DeletionProtection *bool             `pulumi:"deletionProtection"`
	Description        *string           `pulumi:"description"`
	InternetChargeType *string           `pulumi:"internetChargeType"`
	NatGatewayName     *string           `pulumi:"natGatewayName"`
	NatType            *string           `pulumi:"natType"`
	NetworkType        *string           `pulumi:"networkType"`
	PaymentType        *string           `pulumi:"paymentType"`
	Tags               map[string]string `pulumi:"tags"`
	VpcId              string            `pulumi:"vpcId"`
	VswitchId          *string           `pulumi:"vswitchId"`
}

// NatGatewayArgs configure a NAT gateway.
type NatGatewayArgs struct {
	DeletionProtection pulumi.BoolPtrInput
	Description        pulumi.StringPtrInput
	InternetChargeType pulumi.StringPtrInput
	NatGatewayName     pulumi.StringPtrInput
	NatType            pulumi.StringPtrInput
	NetworkType        pulumi.StringPtrInput
	PaymentType        pulumi.StringPtrInput
	Tags               pulumi.StringMapInput
	VpcId              pulumi.StringInput
	VswitchId          pulumi.StringPtrInput
}

// ElementType implements pulumi.Input.
func (NatGatewayArgs) ElementType() reflect.Type {
	return reflect.TypeOf((*natGatewayArgs)(nil)).Elem()
}

// NewNatGateway registers a NAT gateway.
func NewNatGateway(ctx *pulumi.Context, name string, args *NatGatewayArgs, opts ...pulumi.ResourceOption) (*NatGateway, error) {
	return internal.Register[NatGateway](ctx, "alicloud:vpc/natGateway:NatGateway", name, args, opts)
}

// SnatEntry is a SNAT rule (alicloud:vpc/snatEntry:SnatEntry).
type SnatEntry struct {
	pulumi.CustomResourceState

	SnatEntryName pulumi.StringOutput `pulumi:"snatEntryName"`
}

type snatEntryArgs struct {
	SnatEntryName   *string `pulumi:"snatEntryName"`
	SnatIp          string  `pulumi:"snatIp"`
	SnatTableId     string  `pulumi:"snatTableId"`
	SourceVswitchId *string `pulumi:"sourceVswitchId"`
}

// SnatEntryArgs configure a SNAT rule.
type SnatEntryArgs struct {
	SnatEntryName   pulumi.StringPtrInput
	SnatIp          pulumi.StringInput
	SnatTableId     pulumi.StringInput
	SourceVswitchId pulumi.StringPtrInput
}

// ElementType implements pulumi.Input.
func (SnatEntryArgs) ElementType() reflect.Type { return reflect.TypeOf((*snatEntryArgs)(nil)).Elem() }

// NewSnatEntry registers a SNAT rule.
func NewSnatEntry(ctx *pulumi.Context, name string, args *SnatEntryArgs, opts ...pulumi.ResourceOption) (*SnatEntry, error) {
	return internal.Register[SnatEntry](ctx, "alicloud:vpc/snatEntry:SnatEntry", name, args, opts)
}

// RouteTable is a custom route table (alicloud:vpc/routeTable:RouteTable).
type RouteTable struct {
	pulumi.CustomResourceState

	RouteTableName pulumi.StringOutput `pulumi:"routeTableName"`
}

type routeTableArgs struct {
	AssociateType  *string           `pulumi:"associateType"`
	Description    *string           `pulumi:"description"`
	RouteTableName *string           `pulumi:"routeTableName"`
	Tags           map[string]string `pulumi:"tags"`
	VpcId          string            `pulumi:"vpcId"`
}

// RouteTableArgs configure a route table.
type RouteTableArgs struct {
	AssociateType  pulumi.StringPtrInput
	Description    pulumi.StringPtrInput
	RouteTableName pulumi.StringPtrInput
	Tags           pulumi.StringMapInput
	VpcId          pulumi.StringInput
}

// ElementType implements pulumi.Input.
func (RouteTableArgs) ElementType() reflect.Type {
	return reflect.TypeOf((*routeTableArgs)(nil)).Elem()
}

// NewRouteTable registers a route table.
func NewRouteTable(ctx *pulumi.Context, name string, args *RouteTableArgs, opts ...pulumi.ResourceOption) (*RouteTable, error) {
	return internal.Register[RouteTable](ctx, "alicloud:vpc/routeTable:RouteTable", name, args, opts)
}

// RouteTableAttachment attaches a VSwitch to a route table (alicloud:vpc/routeTableAttachment:RouteTableAttachment).
type RouteTableAttachment struct {
	pulumi.CustomResourceState
}

type routeTableAttachmentArgs struct {
	RouteTableId string `pulumi:"routeTableId"`
	VswitchId    string `pulumi:"vswitchId"`
}

// RouteTableAttachmentArgs configure an attachment.
type RouteTableAttachmentArgs struct {
	RouteTableId pulumi.StringInput
	VswitchId    pulumi.StringInput
}

// ElementType implements pulumi.Input.
func (RouteTableAttachmentArgs) ElementType() reflect.Type {
	return reflect.TypeOf((*routeTableAttachmentArgs)(nil)).Elem()
}

// NewRouteTableAttachment registers an attachment.
func NewRouteTableAttachment(ctx *pulumi.Context, name string, args *RouteTableAttachmentArgs, opts ...pulumi.ResourceOption) (*RouteTableAttachment, error) {
	return internal.Register[RouteTableAttachment](ctx, "alicloud:vpc/routeTableAttachment:RouteTableAttachment", name, args, opts)
}

// RouteEntry is a route (alicloud:vpc/routeEntry:RouteEntry).
type RouteEntry struct {
	pulumi.CustomResourceState
}

type routeEntryArgs struct {
	Description          *string `pulumi:"description"`
	DestinationCidrblock *string `pulumi:"destinationCidrblock"`
	NexthopId            *string `pulumi:"nexthopId"`
	NexthopType          *string `pulumi:"nexthopType"`
	RouteTableId         string  `pulumi:"routeTableId"`
}

// RouteEntryArgs configure a route.
type RouteEntryArgs struct {
	Description          pulumi.StringPtrInput
	DestinationCidrblock pulumi.StringPtrInput
	NexthopId            pulumi.StringPtrInput
	NexthopType          pulumi.StringPtrInput
	RouteTableId         pulumi.StringInput
}

// ElementType implements pulumi.Input.
func (RouteEntryArgs) ElementType() reflect.Type {
	return reflect.TypeOf((*routeEntryArgs)(nil)).Elem()
}

// NewRouteEntry registers a route.
func NewRouteEntry(ctx *pulumi.Context, name string, args *RouteEntryArgs, opts ...pulumi.ResourceOption) (*RouteEntry, error) {
	return internal.Register[RouteEntry](ctx, "alicloud:vpc/routeEntry:RouteEntry", name, args, opts)
}

// FlowLog captures the traffic of a VPC, VSwitch or network interface into a logstore
// (alicloud:vpc/flowLog:FlowLog).
type FlowLog struct {
	pulumi.CustomResourceState

	FlowLogId pulumi.StringOutput `pulumi:"flowLogId"`
	Status    pulumi.StringOutput `pulumi:"status"`
}

type flowLogArgs struct {
	AggregationInterval *string           `pulumi:"aggregationInterval"`
	Description         *string           `pulumi:"description"`
	FlowLogName         *string           `pulumi:"flowLogName"`
	LogStoreName        *string           `pulumi:"logStoreName"`
	ProjectName         *string           `pulumi:"projectName"`
	ResourceId          *string           `pulumi:"resourceId"`
	ResourceType        *string           `pulumi:"resourceType"`
	Status              *string           `pulumi:"status"`
	TrafficType         *string           `pulumi:"trafficType"`
	Tags                map[string]string `pulumi:"tags"`
}

// FlowLogArgs configure a flow log.
type FlowLogArgs struct {
	AggregationInterval pulumi.StringPtrInput
	Description         pulumi.StringPtrInput
	FlowLogName         pulumi.StringPtrInput
	LogStoreName        pulumi.StringPtrInput
	ProjectName         pulumi.StringPtrInput
	ResourceId          pulumi.StringPtrInput
	ResourceType        pulumi.StringPtrInput
	Status              pulumi.StringPtrInput
	TrafficType         pulumi.StringPtrInput
	Tags                pulumi.StringMapInput
}

// ElementType implements pulumi.Input.
func (FlowLogArgs) ElementType() reflect.Type { return reflect.TypeOf((*flowLogArgs)(nil)).Elem() }

// NewFlowLog registers a flow log.
func NewFlowLog(ctx *pulumi.Context, name string, args *FlowLogArgs, opts ...pulumi.ResourceOption) (*FlowLog, error) {
	return internal.Register[FlowLog](ctx, "alicloud:vpc/flowLog:FlowLog", name, args, opts)
}
