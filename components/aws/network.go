package aws

import (
	"errors"
	"fmt"
	"net/netip"
	"strconv"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/cloudwatch"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ec2"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/iam"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/wechat-deploy/wechat-deploy/components/netplan"
)

// NetworkType is the type token of the Network component.
const NetworkType = "wechat-deploy:aws:Network"

// ErrInvalidArgs is wrapped by every argument validation error of this package.
var ErrInvalidArgs = errors.New("invalid arguments")

// NetworkArgs configure the VPC.
type NetworkArgs struct {
	// CIDR is the VPC block.
	CIDR string
	// Zones are the availability zones to use, one public and one private subnet in each.
	Zones []string
	// PrivatePrefix and PublicPrefix are the prefix lengths of the subnets; DatabasePrefix, when set, adds a
	// database subnet per zone (no route out of the VPC) after them.
	PrivatePrefix, PublicPrefix, DatabasePrefix int
	// NATPerZone gives every zone its own NAT gateway; otherwise all private subnets share the first one.
	NATPerZone bool
	// FlowLogRetentionDays is the retention of the VPC flow log group.
	FlowLogRetentionDays int
	// ClusterName is tagged onto subnets for the load balancer controller's discovery.
	ClusterName string
	// Protect protects the VPC from deletion.
	Protect bool
}

// Network is a VPC with public and private subnets per zone, NAT, routing and flow logs.
type Network struct {
	pulumi.ResourceState

	VpcID            pulumi.StringOutput      `pulumi:"vpcId"`
	PrivateSubnetIDs pulumi.StringArrayOutput `pulumi:"privateSubnetIds"`
	PublicSubnetIDs  pulumi.StringArrayOutput `pulumi:"publicSubnetIds"`
	// DatabaseSubnetIDs are the database subnets (empty without NetworkArgs.DatabasePrefix).
	DatabaseSubnetIDs pulumi.StringArrayOutput `pulumi:"databaseSubnetIds"`
	// Plan is the subnet layout that was created.
	Plan []netplan.Subnet `pulumi:"-"`
}

// NewNetwork validates args, plans the subnets and registers the network.
func NewNetwork(ctx *pulumi.Context, name string, args *NetworkArgs, opts ...pulumi.ResourceOption) (*Network, error) {
	if args == nil {
		return nil, fmt.Errorf("creating network %s: %w: args are required", name, ErrInvalidArgs)
	}
	vpcCIDR, err := netip.ParsePrefix(args.CIDR)
	if err != nil {
		return nil, fmt.Errorf("creating network %s: %w: VPC CIDR: %w", name, ErrInvalidArgs, err)
	}
	if len(args.Zones) < 2 {
		return nil, fmt.Errorf("creating network %s: %w: EKS needs at least 2 zones, got %d", name, ErrInvalidArgs, len(args.Zones))
	}
	tiers := netplan.AWSTiers(args.PrivatePrefix, args.PublicPrefix)
	if args.DatabasePrefix > 0 {
		tiers = append(tiers, netplan.Tier{Name: netplan.AWSDatabaseTier, Prefix: args.DatabasePrefix})
	}
	plan, err := netplan.Plan(vpcCIDR, len(args.Zones), tiers, netplan.MaxPrefixAWS)
	if err != nil {
		return nil, fmt.Errorf("creating network %s: %w: %w", name, ErrInvalidArgs, err)
	}
	n := &Network{Plan: plan}
	if err := ctx.RegisterComponentResource(NetworkType, name, n, opts...); err != nil {
		return nil, fmt.Errorf("registering network %s: %w", name, err)
	}
	b := &networkBuild{ctx: ctx, name: name, args: args, plan: plan, parent: pulumi.Parent(n)}
	if err := b.build(n); err != nil {
		return nil, err
	}
	outputs := pulumi.Map{"vpcId": n.VpcID, "privateSubnetIds": n.PrivateSubnetIDs, "publicSubnetIds": n.PublicSubnetIDs}
	if args.DatabasePrefix > 0 {
		outputs["databaseSubnetIds"] = n.DatabaseSubnetIDs
	}
	if err := ctx.RegisterResourceOutputs(n, outputs); err != nil {
		return nil, fmt.Errorf("registering outputs of network %s: %w", name, err)
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
}

// tags are a resource's Name tag plus extra ones (the provider adds the stack's default tags).
func (b *networkBuild) tags(resourceName string, extra map[string]string) pulumi.StringMap {
	m := pulumi.StringMap{"Name": pulumi.String(resourceName)}
	for k, v := range extra {
		m[k] = pulumi.String(v)
	}
	return m
}

// build lays out the VPC, the public side (internet gateway, public subnets, NAT), the private side (subnets
// routed through NAT) and the flow logs.
func (b *networkBuild) build(n *Network) error {
	vpc, err := b.vpc()
	if err != nil {
		return err
	}
	public, natIDs, err := b.publicSubnets(vpc)
	if err != nil {
		return err
	}
	private, err := b.privateSubnets(vpc, natIDs)
	if err != nil {
		return err
	}
	if b.args.DatabasePrefix > 0 {
		db, err := b.databaseSubnets(vpc)
		if err != nil {
			return err
		}
		n.DatabaseSubnetIDs = db.ToStringArrayOutput()
	}
	if err := flowLogs(b.ctx, b.name, vpc, b.args.FlowLogRetentionDays, b.parent); err != nil {
		return err
	}
	n.VpcID = vpc.ID().ToStringOutput()
	n.PrivateSubnetIDs = private.ToStringArrayOutput()
	n.PublicSubnetIDs = public.ToStringArrayOutput()
	return nil
}

// vpc is the VPC with DNS, and its default security group stripped so that nothing relies on it (it allows
// all traffic between its members).
func (b *networkBuild) vpc() (*ec2.Vpc, error) {
	vpc, err := ec2.NewVpc(b.ctx, b.name+"-vpc", &ec2.VpcArgs{
		CidrBlock:          pulumi.String(b.args.CIDR),
		EnableDnsSupport:   pulumi.Bool(true),
		EnableDnsHostnames: pulumi.Bool(true),
		Tags:               b.tags(b.name, nil),
	}, b.parent, pulumi.Protect(b.args.Protect))
	if err != nil {
		return nil, fmt.Errorf("creating VPC for network %s: %w", b.name, err)
	}
	if _, err := ec2.NewDefaultSecurityGroup(b.ctx, b.name+"-default-sg", &ec2.DefaultSecurityGroupArgs{
		VpcId: vpc.ID(), Tags: b.tags(b.name+"-default-deny", nil),
	}, b.parent); err != nil {
		return nil, fmt.Errorf("restricting default security group of network %s: %w", b.name, err)
	}
	return vpc, nil
}

// publicSubnets are one public subnet per zone behind the internet gateway (tagged for internet-facing load
// balancers), with a NAT gateway in the first zone or in every zone. It returns the subnets and the NATs.
func (b *networkBuild) publicSubnets(vpc *ec2.Vpc) (pulumi.StringArray, []pulumi.IDOutput, error) {
	name, args := b.name, b.args
	igw, err := ec2.NewInternetGateway(b.ctx, name+"-igw", &ec2.InternetGatewayArgs{VpcId: vpc.ID(), Tags: b.tags(name, nil)}, b.parent)
	if err != nil {
		return nil, nil, fmt.Errorf("creating internet gateway for network %s: %w", name, err)
	}
	routes, err := ec2.NewRouteTable(b.ctx, name+"-public-rt", &ec2.RouteTableArgs{
		VpcId: vpc.ID(),
		Routes: ec2.RouteTableRouteArray{ec2.RouteTableRouteArgs{
			CidrBlock: pulumi.String("0.0.0.0/0"), GatewayId: igw.ID(),
		}},
		Tags: b.tags(name+"-public", nil),
	}, b.parent)
	if err != nil {
		return nil, nil, fmt.Errorf("creating public route table for network %s: %w", name, err)
	}
	zones := len(args.Zones)
	var public pulumi.StringArray
	var natIDs []pulumi.IDOutput
	for z, zone := range args.Zones {
		suffix := strconv.Itoa(z)
		pub, err := ec2.NewSubnet(b.ctx, name+"-public-"+suffix, &ec2.SubnetArgs{
			VpcId: vpc.ID(), CidrBlock: pulumi.String(b.plan[zones+z].CIDR.String()), AvailabilityZone: pulumi.String(zone),
			MapPublicIpOnLaunch: pulumi.Bool(false),
			Tags: b.tags(name+"-public-"+zone, map[string]string{
				"kubernetes.io/role/elb": "1", "kubernetes.io/cluster/" + args.ClusterName: "shared",
			}),
		}, b.parent)
		if err != nil {
			return nil, nil, fmt.Errorf("creating public subnet in %s for network %s: %w", zone, name, err)
		}
		public = append(public, pub.ID())
		if _, err := ec2.NewRouteTableAssociation(b.ctx, name+"-public-"+suffix, &ec2.RouteTableAssociationArgs{
			SubnetId: pub.ID(), RouteTableId: routes.ID(),
		}, b.parent); err != nil {
			return nil, nil, fmt.Errorf("routing public subnet in %s for network %s: %w", zone, name, err)
		}
		if args.NATPerZone || z == 0 {
			nat, err := b.natGateway(z, zone, pub, igw)
			if err != nil {
				return nil, nil, err
			}
			natIDs = append(natIDs, nat.ID())
		}
	}
	return public, natIDs, nil
}

// natGateway is a public NAT gateway with its elastic IP in the zone's public subnet.
func (b *networkBuild) natGateway(z int, zone string, subnet *ec2.Subnet, igw *ec2.InternetGateway) (*ec2.NatGateway, error) {
	suffix := strconv.Itoa(z)
	eip, err := ec2.NewEip(b.ctx, b.name+"-nat-"+suffix, &ec2.EipArgs{Domain: pulumi.String("vpc"), Tags: b.tags(b.name+"-nat-"+zone, nil)}, b.parent)
	if err != nil {
		return nil, fmt.Errorf("creating NAT address in %s for network %s: %w", zone, b.name, err)
	}
	nat, err := ec2.NewNatGateway(b.ctx, b.name+"-nat-"+suffix, &ec2.NatGatewayArgs{
		AllocationId: eip.ID(), SubnetId: subnet.ID(), ConnectivityType: pulumi.String("public"), Tags: b.tags(b.name+"-"+zone, nil),
	}, b.parent, pulumi.DependsOn([]pulumi.Resource{igw}))
	if err != nil {
		return nil, fmt.Errorf("creating NAT gateway in %s for network %s: %w", zone, b.name, err)
	}
	return nat, nil
}

// privateSubnets are one private subnet per zone (tagged for internal load balancers), each with a route table
// to its zone's NAT gateway, or to the shared one.
func (b *networkBuild) privateSubnets(vpc *ec2.Vpc, natIDs []pulumi.IDOutput) (pulumi.StringArray, error) {
	name, args := b.name, b.args
	var private pulumi.StringArray
	for z, zone := range args.Zones {
		suffix := strconv.Itoa(z)
		priv, err := ec2.NewSubnet(b.ctx, name+"-private-"+suffix, &ec2.SubnetArgs{
			VpcId: vpc.ID(), CidrBlock: pulumi.String(b.plan[z].CIDR.String()), AvailabilityZone: pulumi.String(zone),
			Tags: b.tags(name+"-private-"+zone, map[string]string{
				"kubernetes.io/role/internal-elb": "1", "kubernetes.io/cluster/" + args.ClusterName: "shared",
			}),
		}, b.parent)
		if err != nil {
			return nil, fmt.Errorf("creating private subnet in %s for network %s: %w", zone, name, err)
		}
		private = append(private, priv.ID())
		nat := natIDs[0]
		if args.NATPerZone {
			nat = natIDs[z]
		}
		rt, err := ec2.NewRouteTable(b.ctx, name+"-private-rt-"+suffix, &ec2.RouteTableArgs{
			VpcId: vpc.ID(),
			Routes: ec2.RouteTableRouteArray{ec2.RouteTableRouteArgs{
				CidrBlock: pulumi.String("0.0.0.0/0"), NatGatewayId: nat,
			}},
			Tags: b.tags(name+"-private-"+zone, nil),
		}, b.parent)
		if err != nil {
			return nil, fmt.Errorf("creating private route table in %s for network %s: %w", zone, name, err)
		}
		if _, err := ec2.NewRouteTableAssociation(b.ctx, name+"-private-"+suffix, &ec2.RouteTableAssociationArgs{
			SubnetId: priv.ID(), RouteTableId: rt.ID(),
		}, b.parent); err != nil {
			return nil, fmt.Errorf("routing private subnet in %s for network %s: %w", zone, name, err)
		}
	}
	return private, nil
}

// databaseSubnets are one database subnet per zone, on a route table of their own with no route out of the VPC:
// a database answers the VPC and reaches nothing beyond it.
func (b *networkBuild) databaseSubnets(vpc *ec2.Vpc) (pulumi.StringArray, error) {
	name, args := b.name, b.args
	rt, err := ec2.NewRouteTable(b.ctx, name+"-database-rt", &ec2.RouteTableArgs{
		VpcId: vpc.ID(), Tags: b.tags(name+"-database", nil),
	}, b.parent)
	if err != nil {
		return nil, fmt.Errorf("creating database route table for network %s: %w", name, err)
	}
	cidrs := netplan.CIDRsOf(b.plan, netplan.AWSDatabaseTier)
	var ids pulumi.StringArray
	for z, zone := range args.Zones {
		suffix := strconv.Itoa(z)
		sn, err := ec2.NewSubnet(b.ctx, name+"-database-"+suffix, &ec2.SubnetArgs{
			VpcId: vpc.ID(), CidrBlock: pulumi.String(cidrs[z]), AvailabilityZone: pulumi.String(zone),
			Tags: b.tags(name+"-database-"+zone, nil),
		}, b.parent)
		if err != nil {
			return nil, fmt.Errorf("creating database subnet in %s for network %s: %w", zone, name, err)
		}
		if _, err := ec2.NewRouteTableAssociation(b.ctx, name+"-database-"+suffix, &ec2.RouteTableAssociationArgs{
			SubnetId: sn.ID(), RouteTableId: rt.ID(),
		}, b.parent); err != nil {
			return nil, fmt.Errorf("routing database subnet in %s for network %s: %w", zone, name, err)
		}
		ids = append(ids, sn.ID())
	}
	return ids, nil
}

// flowLogPolicy lets the flow-log service write to the group (created here, so no logs:CreateLogGroup) and list
// groups, which it does before delivering (docs: "IAM role for publishing flow logs to CloudWatch Logs").
func flowLogPolicy(groupARN string) string {
	return policyDocument(
		statement{
			Effect:   "Allow",
			Action:   []string{"logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"},
			Resource: []string{groupARN, groupARN + ":*"},
		},
		// DescribeLogGroups is a list action: it is granted on all groups or not at all.
		statement{Effect: "Allow", Action: []string{"logs:DescribeLogGroups"}, Resource: "*"},
	)
}

// flowLogs sends every accepted and rejected flow of the VPC to a CloudWatch log group with a retention.
func flowLogs(ctx *pulumi.Context, name string, vpc *ec2.Vpc, retentionDays int, parent pulumi.ResourceOption) error {
	group, err := cloudwatch.NewLogGroup(ctx, name+"-flow-logs", &cloudwatch.LogGroupArgs{
		Name:            pulumi.String("/aws/vpc/" + name + "/flow-logs"),
		RetentionInDays: pulumi.Int(retentionDays),
	}, parent)
	if err != nil {
		return fmt.Errorf("creating flow log group for network %s: %w", name, err)
	}
	role, err := iam.NewRole(ctx, name+"-flow-logs", &iam.RoleArgs{
		AssumeRolePolicy: pulumi.String(serviceTrust("vpc-flow-logs.amazonaws.com")),
	}, parent)
	if err != nil {
		return fmt.Errorf("creating flow log role for network %s: %w", name, err)
	}
	if _, err := iam.NewRolePolicy(ctx, name+"-flow-logs", &iam.RolePolicyArgs{
		Role:   role.ID(),
		Policy: group.Arn.ApplyT(flowLogPolicy).(pulumi.StringOutput),
	}, parent); err != nil {
		return fmt.Errorf("granting flow log role for network %s: %w", name, err)
	}
	if _, err := ec2.NewFlowLog(ctx, name+"-flow-logs", &ec2.FlowLogArgs{
		VpcId:                  vpc.ID(),
		TrafficType:            pulumi.String("ALL"),
		LogDestinationType:     pulumi.String("cloud-watch-logs"),
		LogDestination:         group.Arn,
		IamRoleArn:             role.Arn,
		MaxAggregationInterval: pulumi.Int(60),
	}, parent); err != nil {
		return fmt.Errorf("creating flow log for network %s: %w", name, err)
	}
	return nil
}
