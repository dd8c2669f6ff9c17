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
	"github.com/wechat-deploy/wechat-deploy/components/alicloud/sdk/log"
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
	// FlowLogProject, when set, is the Simple Log Service project (a name unique in the region) that receives
	// the VPC's flow logs, kept FlowLogRetentionDays.
	FlowLogProject       string
	FlowLogRetentionDays int
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
	// EgressReady are the resources after which the VSwitches reach the internet (SNAT, routes): ACK's
	// cluster creation pulls images and calls cloud APIs from the nodes, and fails without them.
	EgressReady []pulumi.Resource `pulumi:"-"`
}

// NewNetwork validates args, plans the VSwitches and registers the network.
func NewNetwork(ctx *pulumi.Context, name string, args *NetworkArgs, opts ...pulumi.ResourceOption) (*Network, error) {
	if args == nil || len(args.Zones) == 0 {
		return nil, fmt.Errorf("creating VPC %s: %w: zones are required", name, ErrInvalidArgs)
	}
	vpcCIDR, err := netip.ParsePrefix(args.CIDR)
	if err != nil {
		return nil, fmt.Errorf("creating VPC %s: %w: CIDR: %w", name, ErrInvalidArgs, err)
	}
	plan, err := netplan.Plan(vpcCIDR, len(args.Zones), netplan.AlicloudTiers(args.WorkerPrefix, args.PodPrefix), netplan.MaxPrefixAlicloud)
	if err != nil {
		return nil, fmt.Errorf("creating VPC %s: %w: %w", name, ErrInvalidArgs, err)
	}
	n := &Network{Plan: plan}
	if err := ctx.RegisterComponentResource(NetworkType, name, n, opts...); err != nil {
		return nil, fmt.Errorf("registering VPC %s: %w", name, err)
	}
	b := &networkBuild{ctx: ctx, name: name, args: args, plan: plan, parent: pulumi.Parent(n), tags: pulumi.ToStringMap(args.Tags)}
	if err := b.build(n); err != nil {
		return nil, fmt.Errorf("creating VPC %s: %w", name, err)
	}
	if err := ctx.RegisterResourceOutputs(n, pulumi.Map{
		"vpcId": n.VpcID, "workerVswitchIds": n.WorkerVSwitchIDs, "podVswitchIds": n.PodVSwitchIDs,
		"securityGroupId": n.SecurityGroupID,
	}); err != nil {
		return nil, fmt.Errorf("registering outputs of VPC %s: %w", name, err)
	}
	return n, nil
}

// networkBuild registers the network's children in named steps.
type networkBuild struct {
	ctx    *pulumi.Context
	name   string
	args   *NetworkArgs
	plan   []netplan.Subnet
	parent pulumi.ResourceOption
	tags   pulumi.StringMap
	// egressReady collects what outbound traffic of the VSwitches needs (SNAT entries, default routes,
	// route table attachments).
	egressReady []pulumi.Resource
}

// zoneSwitches are the VSwitches of one zone: workers, and pods with Terway.
type zoneSwitches struct {
	worker, pod pulumi.IDOutput
	hasPod      bool
}

// sources are the VSwitches whose traffic leaves through the zone's NAT, by kind.
func (z zoneSwitches) sources() map[string]pulumi.IDOutput {
	m := map[string]pulumi.IDOutput{"worker": z.worker}
	if z.hasPod {
		m["pod"] = z.pod
	}
	return m
}

// egress is one NAT gateway with its EIP bound, as SNAT entries and routes need it.
type egress struct {
	natID     pulumi.IDOutput
	snatTable pulumi.StringOutput
	ip        pulumi.StringOutput
	bound     pulumi.Resource
}

// build lays out the VPC, the VSwitches of every zone, enhanced NAT with EIPs, SNAT and routes per zone, and
// the nodes' security group.
func (b *networkBuild) build(n *Network) error {
	network, err := vpc.NewNetwork(b.ctx, b.name+"-vpc", &vpc.NetworkArgs{
		VpcName: pulumi.String(b.name), CidrBlock: pulumi.String(b.args.CIDR), Tags: b.tags,
		Description: pulumi.String("wechat-deploy " + b.name),
	}, b.parent, pulumi.Protect(b.args.Protect))
	if err != nil {
		return fmt.Errorf("VPC: %w", err)
	}
	switches, err := b.vswitches(network)
	if err != nil {
		return err
	}
	gateways, err := b.natGateways(network, switches)
	if err != nil {
		return err
	}
	for z, zone := range b.args.Zones {
		g := gateways[0]
		if b.args.NATPerZone {
			g = gateways[z]
		}
		if err := b.zoneEgress(network, z, zone, switches[z], g); err != nil {
			return err
		}
	}
	sg, err := b.securityGroup(network)
	if err != nil {
		return err
	}
	if b.args.FlowLogProject != "" {
		if err := b.flowLogs(network); err != nil {
			return err
		}
	}
	var workers, pods pulumi.StringArray
	for _, zs := range switches {
		workers = append(workers, zs.worker)
		if zs.hasPod {
			pods = append(pods, zs.pod)
		}
	}
	n.VpcID = network.ID().ToStringOutput()
	n.WorkerVSwitchIDs = workers.ToStringArrayOutput()
	n.PodVSwitchIDs = pods.ToStringArrayOutput()
	n.SecurityGroupID = sg.ID().ToStringOutput()
	n.EgressReady = b.egressReady
	return nil
}

// vswitches creates each zone's worker VSwitch and, with Terway, its pod VSwitch, from the plan.
func (b *networkBuild) vswitches(network *vpc.Network) ([]zoneSwitches, error) {
	zones := len(b.args.Zones)
	newSwitch := func(kind string, z int, zone string, cidr string) (pulumi.IDOutput, error) {
		sw, err := vpc.NewSwitch(b.ctx, b.name+"-"+kind+"-"+strconv.Itoa(z), &vpc.SwitchArgs{
			VswitchName: pulumi.String(b.name + "-" + kind + "-" + zone), VpcId: network.ID(), ZoneId: pulumi.String(zone),
			CidrBlock: pulumi.String(cidr), Tags: b.tags,
		}, b.parent)
		if err != nil {
			return pulumi.IDOutput{}, fmt.Errorf("%s VSwitch in %s: %w", kind, zone, err)
		}
		return sw.ID(), nil
	}
	out := make([]zoneSwitches, zones)
	for z, zone := range b.args.Zones {
		var err error
		if out[z].worker, err = newSwitch("worker", z, zone, b.plan[z].CIDR.String()); err != nil {
			return nil, err
		}
		if b.args.PodPrefix > 0 {
			out[z].hasPod = true
			if out[z].pod, err = newSwitch("pod", z, zone, b.plan[zones+z].CIDR.String()); err != nil {
				return nil, err
			}
		}
	}
	return out, nil
}

// natGateways creates one enhanced NAT gateway (or one per zone) in the zone's worker VSwitch, each with an EIP.
func (b *networkBuild) natGateways(network *vpc.Network, switches []zoneSwitches) ([]egress, error) {
	var out []egress
	for z, zone := range b.args.Zones {
		if !b.args.NATPerZone && z > 0 {
			break
		}
		s := strconv.Itoa(z)
		nat, err := vpc.NewNatGateway(b.ctx, b.name+"-nat-"+s, &vpc.NatGatewayArgs{
			VpcId: network.ID(), VswitchId: switches[z].worker,
			NatGatewayName: pulumi.String(b.name + "-" + zone), NatType: pulumi.String("Enhanced"),
			NetworkType: pulumi.String("internet"), PaymentType: pulumi.String("PayAsYouGo"),
			InternetChargeType: pulumi.String("PayByLcu"), DeletionProtection: pulumi.Bool(b.args.DeletionProtection),
			Tags: b.tags,
		}, b.parent)
		if err != nil {
			return nil, fmt.Errorf("NAT gateway in %s: %w", zone, err)
		}
		eip, err := ecs.NewEipAddress(b.ctx, b.name+"-nat-"+s, &ecs.EipAddressArgs{
			AddressName: pulumi.String(b.name + "-nat-" + zone), Bandwidth: pulumi.String("200"),
			InternetChargeType: pulumi.String("PayByTraffic"), PaymentType: pulumi.String("PayAsYouGo"),
			Isp: pulumi.String("BGP"), DeletionProtection: pulumi.Bool(b.args.DeletionProtection), Tags: b.tags,
		}, b.parent)
		if err != nil {
			return nil, fmt.Errorf("NAT EIP in %s: %w", zone, err)
		}
		assoc, err := ecs.NewEipAssociation(b.ctx, b.name+"-nat-"+s, &ecs.EipAssociationArgs{
			AllocationId: eip.ID(), InstanceId: nat.ID(), InstanceType: pulumi.String("Nat"),
		}, b.parent)
		if err != nil {
			return nil, fmt.Errorf("NAT EIP binding in %s: %w", zone, err)
		}
		out = append(out, egress{natID: nat.ID(), snatTable: nat.SnatTableIds, ip: eip.IpAddress, bound: assoc})
	}
	return out, nil
}

// zoneEgress sends a zone's VSwitches to the internet through its NAT: SNAT entries and a route table whose
// default route is the NAT gateway.
func (b *networkBuild) zoneEgress(network *vpc.Network, z int, zone string, switches zoneSwitches, g egress) error {
	s := strconv.Itoa(z)
	sources := switches.sources()
	for _, kind := range []string{"worker", "pod"} {
		src, ok := sources[kind]
		if !ok {
			continue
		}
		snat, err := vpc.NewSnatEntry(b.ctx, b.name+"-snat-"+kind+"-"+s, &vpc.SnatEntryArgs{
			SnatTableId: g.snatTable, SourceVswitchId: src, SnatIp: g.ip,
			SnatEntryName: pulumi.String(b.name + "-" + kind + "-" + zone),
		}, b.parent, pulumi.DependsOn([]pulumi.Resource{g.bound}))
		if err != nil {
			return fmt.Errorf("SNAT for %s VSwitch in %s: %w", kind, zone, err)
		}
		b.egressReady = append(b.egressReady, snat)
	}
	rt, err := vpc.NewRouteTable(b.ctx, b.name+"-rt-"+s, &vpc.RouteTableArgs{
		VpcId: network.ID(), RouteTableName: pulumi.String(b.name + "-" + zone),
		AssociateType: pulumi.String("VSwitch"), Tags: b.tags,
	}, b.parent)
	if err != nil {
		return fmt.Errorf("route table in %s: %w", zone, err)
	}
	route, err := vpc.NewRouteEntry(b.ctx, b.name+"-default-route-"+s, &vpc.RouteEntryArgs{
		RouteTableId: rt.ID(), DestinationCidrblock: pulumi.String("0.0.0.0/0"),
		NexthopType: pulumi.String("NatGateway"), NexthopId: g.natID,
	}, b.parent)
	if err != nil {
		return fmt.Errorf("default route in %s: %w", zone, err)
	}
	b.egressReady = append(b.egressReady, route)
	for _, kind := range []string{"worker", "pod"} {
		src, ok := sources[kind]
		if !ok {
			continue
		}
		att, err := vpc.NewRouteTableAttachment(b.ctx, b.name+"-rt-"+kind+"-"+s, &vpc.RouteTableAttachmentArgs{
			RouteTableId: rt.ID(), VswitchId: src,
		}, b.parent)
		if err != nil {
			return fmt.Errorf("route table attachment in %s: %w", zone, err)
		}
		b.egressReady = append(b.egressReady, att)
	}
	return nil
}

// securityGroup admits traffic from inside the VPC (and the flannel pod range) only.
func (b *networkBuild) securityGroup(network *vpc.Network) (*ecs.SecurityGroup, error) {
	sg, err := ecs.NewSecurityGroup(b.ctx, b.name+"-cluster-sg", &ecs.SecurityGroupArgs{
		SecurityGroupName: pulumi.String(b.name + "-cluster"), VpcId: network.ID(), Tags: b.tags,
		SecurityGroupType: pulumi.String("normal"), InnerAccessPolicy: pulumi.String("Accept"),
		Description: pulumi.String("ACK nodes of " + b.name + ": traffic from inside the VPC only"),
	}, b.parent)
	if err != nil {
		return nil, fmt.Errorf("security group: %w", err)
	}
	internal := []string{b.args.CIDR}
	if b.args.PodCIDR != "" {
		internal = append(internal, b.args.PodCIDR)
	}
	// Alibaba Cloud's own services reach the nodes from 100.64.0.0/10: load balancer health checks and the
	// managed control plane (webhooks, metrics, KMS-encrypted Secrets).
	internal = append(internal, CloudServiceCIDR)
	for i, cidr := range internal {
		for _, proto := range []string{"tcp", "udp", "icmp"} {
			ports := "1/65535"
			if proto == "icmp" {
				ports = "-1/-1"
			}
			if _, err := ecs.NewSecurityGroupRule(b.ctx, fmt.Sprintf("%s-sg-in-%s-%d", b.name, proto, i), &ecs.SecurityGroupRuleArgs{
				SecurityGroupId: sg.ID(), Type: pulumi.String("ingress"), IpProtocol: pulumi.String(proto),
				PortRange: pulumi.String(ports), CidrIp: pulumi.String(cidr), Policy: pulumi.String("accept"),
				Priority: pulumi.Int(1), NicType: pulumi.String("intranet"),
				Description: pulumi.String("cluster-internal " + proto + " from " + cidr),
			}, b.parent); err != nil {
				return nil, fmt.Errorf("security group rule: %w", err)
			}
		}
	}
	return sg, nil
}

// CloudServiceCIDR is where Alibaba Cloud's managed services (CLB/NLB health checks, the ACK control plane)
// connect from.
const CloudServiceCIDR = "100.64.0.0/10"

// flowLogs sends every accepted and dropped flow of the VPC to a logstore kept for the retention.
func (b *networkBuild) flowLogs(network *vpc.Network) error {
	project, err := log.NewProject(b.ctx, b.name+"-flow-logs", &log.ProjectArgs{
		ProjectName: pulumi.String(b.args.FlowLogProject), Tags: b.tags,
		Description: pulumi.String("VPC flow logs of " + b.name),
	}, b.parent, pulumi.Protect(b.args.Protect))
	if err != nil {
		return fmt.Errorf("flow log project: %w", err)
	}
	store, err := log.NewStore(b.ctx, b.name+"-flow-logs", &log.StoreArgs{
		ProjectName: project.ProjectName, LogstoreName: pulumi.String("vpc-flow-logs"),
		RetentionPeriod: pulumi.Int(b.args.FlowLogRetentionDays), ShardCount: pulumi.Int(2), AutoSplit: pulumi.Bool(true),
	}, b.parent)
	if err != nil {
		return fmt.Errorf("flow log store: %w", err)
	}
	if _, err := vpc.NewFlowLog(b.ctx, b.name+"-flow-logs", &vpc.FlowLogArgs{
		FlowLogName: pulumi.String(b.name + "-vpc"), Description: pulumi.String("All traffic of VPC " + b.name),
		ResourceType: pulumi.String("VPC"), ResourceId: network.ID(), TrafficType: pulumi.String("All"),
		ProjectName: store.ProjectName, LogStoreName: store.LogstoreName, Status: pulumi.String("Active"), Tags: b.tags,
	}, b.parent); err != nil {
		return fmt.Errorf("flow log: %w", err)
	}
	return nil
}
