// Package alicloud is the Alibaba Cloud platform: a VPC with VSwitches per zone and enhanced NAT, an ACK managed
// cluster with a node pool, and an ACR Enterprise registry, as typed components with the same outputs contract
// as the other clouds.
package alicloud

import (
	"errors"
	"fmt"
	"net/netip"
	"strconv"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/wechat-deploy/wechat-deploy/components/alicloud/sdk/ecs"
	"github.com/wechat-deploy/wechat-deploy/components/alicloud/sdk/vpc"
	"github.com/wechat-deploy/wechat-deploy/components/netplan"
)

// NetworkType is the type token of the Network component.
const NetworkType = "wechat-deploy:alicloud:Network"

// ErrInvalidArgs is wrapped by every argument validation error of this package.
var ErrInvalidArgs = errors.New("invalid arguments")

// NetworkArgs configure the VPC.
type NetworkArgs struct {
	CIDR string
	// Zones are the zones to use; each gets a worker VSwitch, and a pod VSwitch with Terway.
	Zones []string
	// WorkerPrefix and PodPrefix are the VSwitch prefix lengths; PodPrefix 0 means no pod VSwitches (flannel).
	WorkerPrefix, PodPrefix int
	// PodCIDR is the flannel pod range allowed into the security group (empty with Terway).
	PodCIDR string
	// NATPerZone gives every zone its own NAT gateway and route table.
	NATPerZone bool
	Tags       map[string]string
	Protect    bool
	// DeletionProtection turns on the cloud-side deletion protection of NAT gateways and EIPs.
	DeletionProtection bool
}

// Network is a VPC with worker (and pod) VSwitches per zone, enhanced NAT with EIPs and SNAT, and the cluster's
// security group.
type Network struct {
	pulumi.ResourceState

	VpcID            pulumi.StringOutput      `pulumi:"vpcId"`
	WorkerVSwitchIDs pulumi.StringArrayOutput `pulumi:"workerVswitchIds"`
	PodVSwitchIDs    pulumi.StringArrayOutput `pulumi:"podVswitchIds"`
	SecurityGroupID  pulumi.StringOutput      `pulumi:"securityGroupId"`
	// Plan is the VSwitch layout that was created.
	Plan []netplan.Subnet `pulumi:"-"`
}

// NewNetwork validates args, plans the VSwitches and registers the network.
func NewNetwork(ctx *pulumi.Context, name string, args *NetworkArgs, opts ...pulumi.ResourceOption) (*Network, error) {
	if args == nil || len(args.Zones) == 0 {
		return nil, fmt.Errorf("creating VPC %s: %w: zones are required", name, ErrInvalidArgs)
	}
	vpcCIDR, err := netip.ParsePrefix(args.CIDR)
	if err != nil {
		return nil, fmt.Errorf("creating VPC %s: %w: CIDR: %v", name, ErrInvalidArgs, err)
	}
	tiers := []netplan.Tier{{Name: "worker", Prefix: args.WorkerPrefix}}
	if args.PodPrefix > 0 {
		tiers = append(tiers, netplan.Tier{Name: "pod", Prefix: args.PodPrefix})
	}
	plan, err := netplan.Plan(vpcCIDR, len(args.Zones), tiers, netplan.MaxPrefixAlicloud)
	if err != nil {
		return nil, fmt.Errorf("creating VPC %s: %w: %v", name, ErrInvalidArgs, err)
	}
	n := &Network{Plan: plan}
	if err := ctx.RegisterComponentResource(NetworkType, name, n, opts...); err != nil {
		return nil, fmt.Errorf("registering VPC %s: %w", name, err)
	}
	parent := pulumi.Parent(n)
	tags := pulumi.ToStringMap(args.Tags)
	fail := func(what string, err error) (*Network, error) {
		return nil, fmt.Errorf("creating VPC %s: %s: %w", name, what, err)
	}

	network, err := vpc.NewNetwork(ctx, name+"-vpc", &vpc.NetworkArgs{
		VpcName: pulumi.String(name), CidrBlock: pulumi.String(args.CIDR), Tags: tags,
		Description: pulumi.String("wechat-deploy " + name),
	}, parent, pulumi.Protect(args.Protect))
	if err != nil {
		return fail("VPC", err)
	}
	zones := len(args.Zones)
	var workers, pods pulumi.StringArray
	var workerSwitches []*vpc.Switch
	for z, zone := range args.Zones {
		s := strconv.Itoa(z)
		w, err := vpc.NewSwitch(ctx, name+"-worker-"+s, &vpc.SwitchArgs{
			VswitchName: pulumi.String(name + "-worker-" + zone), VpcId: network.ID(), ZoneId: pulumi.String(zone),
			CidrBlock: pulumi.String(plan[z].CIDR.String()), Tags: tags,
		}, parent)
		if err != nil {
			return fail("worker VSwitch in "+zone, err)
		}
		workers = append(workers, w.ID())
		workerSwitches = append(workerSwitches, w)
		if args.PodPrefix > 0 {
			p, err := vpc.NewSwitch(ctx, name+"-pod-"+s, &vpc.SwitchArgs{
				VswitchName: pulumi.String(name + "-pod-" + zone), VpcId: network.ID(), ZoneId: pulumi.String(zone),
				CidrBlock: pulumi.String(plan[zones+z].CIDR.String()), Tags: tags,
			}, parent)
			if err != nil {
				return fail("pod VSwitch in "+zone, err)
			}
			pods = append(pods, p.ID())
		}
	}

	// One enhanced NAT gateway (or one per zone), each with an EIP, SNAT for its zone's VSwitches and a
	// route table that sends the zone's internet traffic through it.
	var natIDs []pulumi.IDOutput
	var snatTables, snatIPs []pulumi.StringOutput
	var natDeps [][]pulumi.Resource
	for z, zone := range args.Zones {
		if !args.NATPerZone && z > 0 {
			break
		}
		s := strconv.Itoa(z)
		nat, err := vpc.NewNatGateway(ctx, name+"-nat-"+s, &vpc.NatGatewayArgs{
			VpcId: network.ID(), VswitchId: workerSwitches[z].ID(),
			NatGatewayName: pulumi.String(name + "-" + zone), NatType: pulumi.String("Enhanced"),
			NetworkType: pulumi.String("internet"), PaymentType: pulumi.String("PayAsYouGo"),
			InternetChargeType: pulumi.String("PayByLcu"), DeletionProtection: pulumi.Bool(args.DeletionProtection),
			Tags: tags,
		}, parent)
		if err != nil {
			return fail("NAT gateway in "+zone, err)
		}
		eip, err := ecs.NewEipAddress(ctx, name+"-nat-"+s, &ecs.EipAddressArgs{
			AddressName: pulumi.String(name + "-nat-" + zone), Bandwidth: pulumi.String("200"),
			InternetChargeType: pulumi.String("PayByTraffic"), PaymentType: pulumi.String("PayAsYouGo"),
			Isp: pulumi.String("BGP"), DeletionProtection: pulumi.Bool(args.DeletionProtection), Tags: tags,
		}, parent)
		if err != nil {
			return fail("NAT EIP in "+zone, err)
		}
		assoc, err := ecs.NewEipAssociation(ctx, name+"-nat-"+s, &ecs.EipAssociationArgs{
			AllocationId: eip.ID(), InstanceId: nat.ID(), InstanceType: pulumi.String("Nat"),
		}, parent)
		if err != nil {
			return fail("NAT EIP binding in "+zone, err)
		}
		natIDs = append(natIDs, nat.ID())
		snatTables = append(snatTables, nat.SnatTableIds)
		snatIPs = append(snatIPs, eip.IpAddress)
		natDeps = append(natDeps, []pulumi.Resource{assoc})
	}
	for z, zone := range args.Zones {
		s := strconv.Itoa(z)
		g := 0
		if args.NATPerZone {
			g = z
		}
		sources := []pulumi.StringInput{workers[z]}
		if args.PodPrefix > 0 {
			sources = append(sources, pods[z])
		}
		for i, src := range sources {
			kind := []string{"worker", "pod"}[i]
			if _, err := vpc.NewSnatEntry(ctx, name+"-snat-"+kind+"-"+s, &vpc.SnatEntryArgs{
				SnatTableId: snatTables[g], SourceVswitchId: src, SnatIp: snatIPs[g],
				SnatEntryName: pulumi.String(name + "-" + kind + "-" + zone),
			}, parent, pulumi.DependsOn(natDeps[g])); err != nil {
				return fail("SNAT for "+kind+" VSwitch in "+zone, err)
			}
		}
		rt, err := vpc.NewRouteTable(ctx, name+"-rt-"+s, &vpc.RouteTableArgs{
			VpcId: network.ID(), RouteTableName: pulumi.String(name + "-" + zone),
			AssociateType: pulumi.String("VSwitch"), Tags: tags,
		}, parent)
		if err != nil {
			return fail("route table in "+zone, err)
		}
		if _, err := vpc.NewRouteEntry(ctx, name+"-default-route-"+s, &vpc.RouteEntryArgs{
			RouteTableId: rt.ID(), DestinationCidrblock: pulumi.String("0.0.0.0/0"),
			NexthopType: pulumi.String("NatGateway"), NexthopId: natIDs[g],
		}, parent); err != nil {
			return fail("default route in "+zone, err)
		}
		for i, src := range sources {
			kind := []string{"worker", "pod"}[i]
			if _, err := vpc.NewRouteTableAttachment(ctx, name+"-rt-"+kind+"-"+s, &vpc.RouteTableAttachmentArgs{
				RouteTableId: rt.ID(), VswitchId: src,
			}, parent); err != nil {
				return fail("route table attachment in "+zone, err)
			}
		}
	}

	sg, err := ecs.NewSecurityGroup(ctx, name+"-cluster-sg", &ecs.SecurityGroupArgs{
		SecurityGroupName: pulumi.String(name + "-cluster"), VpcId: network.ID(), Tags: tags,
		SecurityGroupType: pulumi.String("normal"), InnerAccessPolicy: pulumi.String("Accept"),
		Description: pulumi.String("ACK nodes of " + name + ": traffic from inside the VPC only"),
	}, parent)
	if err != nil {
		return fail("security group", err)
	}
	internal := []string{args.CIDR}
	if args.PodCIDR != "" {
		internal = append(internal, args.PodCIDR)
	}
	for i, cidr := range internal {
		for _, proto := range []string{"tcp", "udp", "icmp"} {
			ports := "1/65535"
			if proto == "icmp" {
				ports = "-1/-1"
			}
			if _, err := ecs.NewSecurityGroupRule(ctx, fmt.Sprintf("%s-sg-in-%s-%d", name, proto, i), &ecs.SecurityGroupRuleArgs{
				SecurityGroupId: sg.ID(), Type: pulumi.String("ingress"), IpProtocol: pulumi.String(proto),
				PortRange: pulumi.String(ports), CidrIp: pulumi.String(cidr), Policy: pulumi.String("accept"),
				Priority: pulumi.Int(1), NicType: pulumi.String("intranet"),
				Description: pulumi.String("cluster-internal " + proto + " from " + cidr),
			}, parent); err != nil {
				return fail("security group rule", err)
			}
		}
	}

	n.VpcID = network.ID().ToStringOutput()
	n.WorkerVSwitchIDs = workers.ToStringArrayOutput()
	n.PodVSwitchIDs = pods.ToStringArrayOutput()
	n.SecurityGroupID = sg.ID().ToStringOutput()
	if err := ctx.RegisterResourceOutputs(n, pulumi.Map{
		"vpcId": n.VpcID, "workerVswitchIds": n.WorkerVSwitchIDs, "podVswitchIds": n.PodVSwitchIDs,
		"securityGroupId": n.SecurityGroupID,
	}); err != nil {
		return nil, fmt.Errorf("registering outputs of VPC %s: %w", name, err)
	}
	return n, nil
}
