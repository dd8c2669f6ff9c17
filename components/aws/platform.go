// Package aws is the AWS platform: a VPC, an EKS cluster, an ECR repository and the AWS Load Balancer
// Controller, as typed components with the same outputs contract as the other clouds.
package aws

import (
	"fmt"
	"slices"
	"strings"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/wechat-deploy/wechat-deploy/components/kube"
	"github.com/wechat-deploy/wechat-deploy/components/netplan"
	"github.com/wechat-deploy/wechat-deploy/components/platform"
)

// PlatformType is the type token of the Platform component.
const PlatformType = "wechat-deploy:aws:Platform"

// PlatformArgs configure the whole AWS platform.
type PlatformArgs struct {
	// Region is where everything is created; Tags go on every resource through the provider's default tags.
	Region string
	Tags   map[string]string
	// Zones are explicit availability zones; empty picks the first ZoneCount available zones of the region.
	Zones     []string
	ZoneCount int
	// Network, Cluster and Registry configure the parts; the platform fills in what it wires between them
	// (VPC, subnets, zones, region, cluster name on subnets).
	Network  NetworkArgs
	Cluster  ClusterArgs
	Registry RegistryArgs
	// HostedZone, when set, is the public Route 53 zone holding Domain: the platform points Domain at the
	// load balancer and, with TLS and no CertificateARN, issues an ACM certificate for it validated there.
	HostedZone, Domain string
	// TLS terminates HTTPS at the load balancer with CertificateARN, or the issued certificate.
	TLS            bool
	CertificateARN string
	// Managed turns on EKS's managed metrics and log shipping for the app.
	Managed ManagedArgs
	// Database, when set, provisions the app's PostgreSQL (RDS) in database subnets of its own; the platform fills
	// in the VPC, the subnets, the client security group and the partition.
	Database *DatabaseArgs
	// Delivery, when set, grants the environment's delivery roles (made by infra/bootstrap with
	// DeliveryIdentity) access to the cluster: the deploy role as an admin, the preview role as a viewer.
	Delivery *DeliveryAccess
}

// ManagedArgs select EKS's managed services: an Amazon Managed Service for Prometheus workspace with a managed
// scraper of the app's metrics port (Metrics: App's pods in the cluster's app namespace, port MetricsPortName),
// CloudWatch Container Insights (ContainerInsights), and its container logs in CloudWatch Logs kept
// LogRetentionDays days (Logs).
type ManagedArgs struct {
	Metrics, ContainerInsights, Logs bool
	LogRetentionDays                 int
	App, MetricsPortName             string
}

// validate checks what the stack decides, so that the platform can refuse it before it registers anything.
func (m ManagedArgs) validate() error {
	switch {
	case m.Logs && !m.ContainerInsights:
		return fmt.Errorf("%w: logs are shipped by the Container Insights addon's Fluent Bit; turn Container Insights on", ErrInvalidArgs)
	case m.Metrics && (m.App == "" || m.MetricsPortName == ""):
		return fmt.Errorf("%w: the managed scraper needs the app's name and metrics port", ErrInvalidArgs)
	}
	return nil
}

// DeliveryAccess names the delivery roles of one environment: Project-Environment-deploy and -preview in the
// account the platform runs in.
type DeliveryAccess struct {
	Project, Environment string
}

// Platform is the AWS platform.
type Platform struct {
	pulumi.ResourceState

	// Outputs is the platform contract.
	Outputs platform.Outputs `pulumi:"-"`
	// Network, Cluster and Registry are the parts, for callers that need more than the contract.
	Network  *Network  `pulumi:"-"`
	Cluster  *Cluster  `pulumi:"-"`
	Registry *Registry `pulumi:"-"`
}

// NewPlatform registers the AWS platform.
func NewPlatform(ctx *pulumi.Context, name string, args *PlatformArgs, opts ...pulumi.ResourceOption) (*Platform, error) {
	if args == nil || args.Region == "" {
		return nil, fmt.Errorf("creating AWS platform %s: %w: a region is required", name, ErrInvalidArgs)
	}
	if err := args.Managed.validate(); err != nil {
		return nil, fmt.Errorf("creating AWS platform %s: %w", name, err)
	}
	if args.Managed.Metrics && !args.Cluster.EndpointPrivate {
		return nil, fmt.Errorf("creating AWS platform %s: %w: the managed scraper reaches the cluster through its private API endpoint; enable it", name, ErrInvalidArgs)
	}
	if args.Database != nil {
		if err := args.Database.validateSettings(); err != nil {
			return nil, fmt.Errorf("creating AWS platform %s: database: %w", name, err)
		}
	}
	p := &Platform{}
	if err := ctx.RegisterComponentResource(PlatformType, name, p, opts...); err != nil {
		return nil, fmt.Errorf("registering AWS platform %s: %w", name, err)
	}
	provider, err := aws.NewProvider(ctx, name+"-aws", &aws.ProviderArgs{
		Region:      pulumi.String(args.Region),
		DefaultTags: &aws.ProviderDefaultTagsArgs{Tags: pulumi.ToStringMap(args.Tags)},
	}, pulumi.Parent(p))
	if err != nil {
		return nil, fmt.Errorf("creating AWS provider for platform %s: %w", name, err)
	}
	child := []pulumi.ResourceOption{pulumi.Parent(p), pulumi.Provider(provider)}

	zones, err := platform.PickZones(args.Zones, args.ZoneCount, args.Region, func() ([]string, error) {
		azs, err := aws.GetAvailabilityZones(ctx, &aws.GetAvailabilityZonesArgs{State: pulumi.StringRef("available")},
			pulumi.Provider(provider))
		if err != nil {
			return nil, err
		}
		return azs.Names, nil
	})
	if err != nil {
		return nil, fmt.Errorf("creating AWS platform %s: %w", name, err)
	}
	partition, err := aws.GetPartition(ctx, &aws.GetPartitionArgs{}, pulumi.Provider(provider))
	if err != nil {
		return nil, fmt.Errorf("creating AWS platform %s: reading partition: %w", name, err)
	}

	release, ok := EKSReleaseOf(args.Cluster.Version)
	if !ok {
		return nil, fmt.Errorf("creating AWS platform %s: %w: Kubernetes %q is not in the EKS release table (%v)",
			name, ErrInvalidArgs, args.Cluster.Version, SupportedEKSVersions())
	}
	clusterArgs := args.Cluster
	if args.Delivery != nil {
		caller, err := aws.GetCallerIdentity(ctx, &aws.GetCallerIdentityArgs{}, pulumi.Provider(provider))
		if err != nil {
			return nil, fmt.Errorf("creating AWS platform %s: reading the account: %w", name, err)
		}
		role := func(kind string) string {
			return fmt.Sprintf("arn:%s:iam::%s:role/%s", partition.Partition, caller.AccountId,
				DeliveryRoleName(args.Delivery.Project, args.Delivery.Environment, kind))
		}
		clusterArgs.Admins = append(slices.Clone(clusterArgs.Admins), role(DeployRole))
		clusterArgs.Viewers = append(slices.Clone(clusterArgs.Viewers), role(PreviewRole))
	}

	netArgs := args.Network
	netArgs.Zones = zones
	if args.Database != nil {
		netArgs.DatabasePrefix = netplan.DatabasePrefix(netArgs.PublicPrefix, netplan.MaxPrefixAWS)
	}
	netArgs.ClusterName = args.Cluster.ClusterName
	p.Network, err = NewNetwork(ctx, name, &netArgs, child...)
	if err != nil {
		return nil, err
	}
	clusterArgs.Region = args.Region
	clusterArgs.Tags = args.Tags
	clusterArgs.Partition = partition.Partition
	clusterArgs.VpcID = p.Network.VpcID
	clusterArgs.PrivateSubnetIDs = p.Network.PrivateSubnetIDs
	p.Cluster, err = NewCluster(ctx, name, &clusterArgs, child...)
	if err != nil {
		return nil, err
	}
	p.Registry, err = NewRegistry(ctx, name, &args.Registry, child...)
	if err != nil {
		return nil, err
	}
	k8s, err := kube.NewProvider(ctx, name+"-k8s", &kube.ProviderArgs{
		Kubeconfig:        p.Cluster.ProviderKubeconfig,
		ClusterIdentifier: ClusterIdentifier(partition.Partition, args.Region, args.Cluster.ClusterName),
	}, pulumi.Parent(p))
	if err != nil {
		return nil, err
	}
	if _, err := NewLoadBalancerController(ctx, name+"-lb", &LoadBalancerControllerArgs{
		ClusterName:     p.Cluster.ClusterName,
		Region:          args.Region,
		Partition:       partition.Partition,
		VpcID:           p.Network.VpcID,
		OIDCProviderARN: p.Cluster.OIDCProviderARN,
		OIDCIssuerURL:   p.Cluster.OIDCIssuerURL,
		DependsOn:       p.Cluster.Ready,
	}, pulumi.Parent(p), pulumi.Providers(provider, k8s)); err != nil {
		return nil, err
	}
	if _, err := NewMetricsServer(ctx, name+"-metrics", &MetricsServerArgs{ChartVersion: release.MetricsServerChart, DependsOn: p.Cluster.Ready},
		pulumi.Parent(p), pulumi.Provider(k8s)); err != nil {
		return nil, err
	}

	// The ALB serves ACM certificates only (never a Kubernetes Secret): a given one, or one issued here.
	var certificate pulumi.StringInput
	if args.TLS && args.CertificateARN != "" {
		certificate = pulumi.String(args.CertificateARN)
	}
	var domain *Domain
	if args.HostedZone != "" {
		domain, err = NewDomain(ctx, name, &DomainArgs{
			HostedZone: args.HostedZone, Domain: args.Domain, Region: args.Region,
			Certificate: args.TLS && args.CertificateARN == "",
		}, child...)
		if err != nil {
			return nil, err
		}
		if args.TLS && args.CertificateARN == "" {
			certificate = domain.CertificateARN
		}
	}
	if args.TLS && certificate == nil {
		return nil, fmt.Errorf("creating AWS platform %s: %w: TLS needs a certificate ARN or a hosted zone to issue one in", name, ErrInvalidArgs)
	}

	var data platform.DataServices
	if args.Database != nil {
		dbArgs := *args.Database
		dbArgs.VpcID, dbArgs.SubnetIDs = p.Network.VpcID, p.Network.DatabaseSubnetIDs
		dbArgs.ClientSecurityGroupID, dbArgs.Partition = p.Cluster.NodeSecurityGroupID, partition.Partition
		db, err := NewDatabase(ctx, name, &dbArgs, child...)
		if err != nil {
			return nil, err
		}
		data.Database = db.Endpoint
	}
	var scraper platform.Scraper
	if mg := args.Managed; mg.Metrics || mg.ContainerInsights || mg.Logs {
		obs, err := NewManagedObservability(ctx, name, &ObservabilityArgs{
			ClusterName: args.Cluster.ClusterName, ClusterARN: p.Cluster.ARN, Partition: partition.Partition,
			DependsOn: p.Cluster.Ready, ManagedArgs: mg,
			SubnetIDs: p.Network.PrivateSubnetIDs, CIDRs: netplan.CIDRsOf(p.Network.Plan, "private"),
			SecurityGroupIDs: pulumi.StringArray{p.Cluster.NodeSecurityGroupID},
			AppNamespace:     args.Cluster.AppNamespace, Addon: release.CloudWatchObservability,
		}, child...)
		if err != nil {
			return nil, err
		}
		scraper = obs.Scraper
	}
	p.Outputs = platform.Outputs{
		Data:            data,
		Scraper:         scraper,
		Provider:        k8s,
		Kubeconfig:      p.Cluster.Kubeconfig,
		ClusterName:     p.Cluster.ClusterName,
		ClusterEndpoint: p.Cluster.Endpoint,
		Registry:        p.Registry.Credentials,
		RepositoryURL:   p.Registry.RepositoryURL,
		OIDCProviderARN: p.Cluster.OIDCProviderARN,
		ServiceAccountAnnotations: pulumi.StringMap{
			"eks.amazonaws.com/role-arn": p.Cluster.AppRoleARN,
		}.ToStringMapOutput(),
		IngressController: func(tls platform.IngressTLS) pulumi.StringMap {
			ann := pulumi.StringMap{}
			for k, v := range ALBIngressAnnotations(tls) {
				ann[k] = pulumi.String(v)
			}
			if certificate != nil {
				ann[albCertificateAnnotation] = certificate
			}
			return ann
		},
		// An internet-facing ALB (target type ip) connects to pods from its nodes in the public subnets.
		TrustedProxies: netplan.CIDRsOf(p.Network.Plan, "public"),
	}
	if domain != nil {
		p.Outputs.PublishHost = domain.Alias
	}
	if err := ctx.RegisterResourceOutputs(p, pulumi.Map{
		"clusterName": p.Outputs.ClusterName, "repositoryUrl": p.Outputs.RepositoryURL, "vpcId": p.Network.VpcID,
	}); err != nil {
		return nil, fmt.Errorf("registering outputs of AWS platform %s: %w", name, err)
	}
	return p, nil
}

// ClusterIdentifier is the stable identity of an EKS cluster: its ARN without the account, which a credential
// or kubeconfig format change never alters.
func ClusterIdentifier(partition, region, clusterName string) string {
	return strings.Join([]string{"arn", partition, "eks", region, "cluster/" + clusterName}, ":")
}

// Contract is the platform's outputs contract.
func (p *Platform) Contract() platform.Outputs { return p.Outputs }
