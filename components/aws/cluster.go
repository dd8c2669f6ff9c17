package aws

import (
	"fmt"
	"slices"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/cloudwatch"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ec2"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/eks"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/iam"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/kms"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/wechat-deploy/wechat-deploy/components/kube"
)

// ClusterType is the type token of the Cluster component.
const ClusterType = "wechat-deploy:aws:Cluster"

// ControlPlaneLogTypes are the EKS control-plane logs every cluster ships to CloudWatch.
var ControlPlaneLogTypes = []string{"api", "audit", "authenticator", "controllerManager", "scheduler"}

// Addon is an EKS managed addon pinned to a version.
type Addon struct {
	Name, Version, Config string
}

// addonsBeforeNodes are installed before the node group; the rest after it.
var addonsBeforeNodes = []string{"vpc-cni", "kube-proxy", "eks-pod-identity-agent"}

// ClusterArgs configure the EKS cluster.
type ClusterArgs struct {
	// ClusterName is the EKS cluster name (physical, stable).
	ClusterName string
	// Region and Partition locate the cluster (for kubeconfig and managed policy ARNs).
	Region, Partition string
	// Version is the Kubernetes minor version.
	Version string
	// VpcID and the subnets from the network.
	VpcID            pulumi.StringInput
	PrivateSubnetIDs pulumi.StringArrayInput
	// EndpointPublic, EndpointPrivate and PublicAccessCIDRs set API endpoint access.
	EndpointPublic, EndpointPrivate bool
	PublicAccessCIDRs               []string
	// ServiceCIDR is the Kubernetes service range.
	ServiceCIDR string
	// InstanceTypes, MinNodes, DesiredNodes, MaxNodes and DiskSizeGiB shape the managed node group.
	InstanceTypes                    []string
	MinNodes, DesiredNodes, MaxNodes int
	DiskSizeGiB                      int
	// Addons are the managed addons with pinned versions.
	Addons []Addon
	// LogRetentionDays is the retention of control-plane logs.
	LogRetentionDays int
	// Admins are IAM principals granted cluster-admin through access entries.
	Admins []string
	// KubeconfigProfile and KubeconfigRoleARN are passed to `aws eks get-token` in the kubeconfig.
	KubeconfigProfile, KubeconfigRoleARN string
	// AppNamespace and AppServiceAccount name the workload's service account for its IRSA role.
	AppNamespace, AppServiceAccount string
	// Protect protects the cluster and its KMS key.
	Protect bool
}

// Cluster is an EKS cluster with encrypted Secrets, control-plane logs, access entries, IRSA and a managed node
// group.
type Cluster struct {
	pulumi.ResourceState

	ClusterName     pulumi.StringOutput `pulumi:"clusterName"`
	Endpoint        pulumi.StringOutput `pulumi:"endpoint"`
	OIDCProviderARN pulumi.StringOutput `pulumi:"oidcProviderArn"`
	OIDCIssuerURL   pulumi.StringOutput `pulumi:"oidcIssuerUrl"`
	// Kubeconfig authenticates with `aws eks get-token`; it is a secret.
	Kubeconfig pulumi.StringOutput `pulumi:"kubeconfig"`
	// AppRoleARN is the IRSA role of the app's service account (no policies attached: add what the app needs).
	AppRoleARN pulumi.StringOutput `pulumi:"appRoleArn"`
	// KMSKeyARN encrypts Kubernetes Secrets.
	KMSKeyARN pulumi.StringOutput `pulumi:"kmsKeyArn"`
	// NodeSecurityGroupID is the cluster security group EKS attaches to nodes.
	NodeSecurityGroupID pulumi.StringOutput `pulumi:"nodeSecurityGroupId"`
}

func (a *ClusterArgs) validate() error {
	switch {
	case a.ClusterName == "" || a.Region == "" || a.Version == "":
		return fmt.Errorf("%w: cluster name, region and version are required", ErrInvalidArgs)
	case a.VpcID == nil || a.PrivateSubnetIDs == nil:
		return fmt.Errorf("%w: VPC and private subnets are required", ErrInvalidArgs)
	case !a.EndpointPublic && !a.EndpointPrivate:
		return fmt.Errorf("%w: the API endpoint needs public or private access", ErrInvalidArgs)
	case a.EndpointPublic && len(a.PublicAccessCIDRs) == 0:
		return fmt.Errorf("%w: a public endpoint needs allowed CIDRs (EKS would open it to 0.0.0.0/0)", ErrInvalidArgs)
	case a.MinNodes < 1 || a.MinNodes > a.MaxNodes || a.DesiredNodes < a.MinNodes || a.DesiredNodes > a.MaxNodes:
		return fmt.Errorf("%w: nodes min %d / desired %d / max %d are inconsistent", ErrInvalidArgs, a.MinNodes, a.DesiredNodes, a.MaxNodes)
	case len(a.InstanceTypes) == 0:
		return fmt.Errorf("%w: at least one instance type is required", ErrInvalidArgs)
	}
	for _, ad := range a.Addons {
		if ad.Version == "" {
			return fmt.Errorf("%w: addon %s is not pinned to a version", ErrInvalidArgs, ad.Name)
		}
	}
	return nil
}

// NewCluster validates args and registers the cluster.
func NewCluster(ctx *pulumi.Context, name string, args *ClusterArgs, opts ...pulumi.ResourceOption) (*Cluster, error) {
	if args == nil {
		return nil, fmt.Errorf("creating EKS cluster %s: %w: args are required", name, ErrInvalidArgs)
	}
	if err := args.validate(); err != nil {
		return nil, fmt.Errorf("creating EKS cluster %s: %w", name, err)
	}
	c := &Cluster{}
	if err := ctx.RegisterComponentResource(ClusterType, name, c, opts...); err != nil {
		return nil, fmt.Errorf("registering EKS cluster %s: %w", name, err)
	}
	parent := pulumi.Parent(c)
	fail := func(what string, err error) (*Cluster, error) {
		return nil, fmt.Errorf("creating EKS cluster %s: %s: %w", name, what, err)
	}
	policy := func(n string) string { return managedPolicy(args.Partition, n) }

	clusterRole, err := iam.NewRole(ctx, name+"-cluster-role", &iam.RoleArgs{
		AssumeRolePolicy: pulumi.String(policyDocument(statement{
			Effect: "Allow", Principal: map[string]any{"Service": "eks.amazonaws.com"},
			Action: []string{"sts:AssumeRole", "sts:TagSession"},
		})),
	}, parent)
	if err != nil {
		return fail("cluster role", err)
	}
	clusterPolicy, err := iam.NewRolePolicyAttachment(ctx, name+"-cluster-policy", &iam.RolePolicyAttachmentArgs{
		Role: clusterRole.Name, PolicyArn: pulumi.String(policy("AmazonEKSClusterPolicy")),
	}, parent)
	if err != nil {
		return fail("cluster role policy", err)
	}

	key, err := kms.NewKey(ctx, name+"-secrets-key", &kms.KeyArgs{
		Description:          pulumi.String("Envelope encryption of Kubernetes Secrets in EKS cluster " + args.ClusterName),
		EnableKeyRotation:    pulumi.Bool(true),
		DeletionWindowInDays: pulumi.Int(30),
	}, parent, pulumi.Protect(args.Protect))
	if err != nil {
		return fail("KMS key", err)
	}
	if _, err := kms.NewAlias(ctx, name+"-secrets-key", &kms.AliasArgs{
		Name: pulumi.String("alias/eks/" + args.ClusterName + "/secrets"), TargetKeyId: key.KeyId,
	}, parent); err != nil {
		return fail("KMS alias", err)
	}

	// EKS would create this group itself with no expiry; creating it first sets the retention.
	logGroup, err := cloudwatch.NewLogGroup(ctx, name+"-control-plane-logs", &cloudwatch.LogGroupArgs{
		Name:            pulumi.String("/aws/eks/" + args.ClusterName + "/cluster"),
		RetentionInDays: pulumi.Int(args.LogRetentionDays),
	}, parent)
	if err != nil {
		return fail("control-plane log group", err)
	}

	publicCIDRs := pulumi.ToStringArray(args.PublicAccessCIDRs)
	if !args.EndpointPublic {
		publicCIDRs = nil
	}
	cluster, err := eks.NewCluster(ctx, name, &eks.ClusterArgs{
		Name:    pulumi.String(args.ClusterName),
		RoleArn: clusterRole.Arn,
		Version: pulumi.String(args.Version),
		VpcConfig: &eks.ClusterVpcConfigArgs{
			SubnetIds:             args.PrivateSubnetIDs,
			EndpointPublicAccess:  pulumi.Bool(args.EndpointPublic),
			EndpointPrivateAccess: pulumi.Bool(args.EndpointPrivate),
			PublicAccessCidrs:     publicCIDRs,
		},
		EncryptionConfig: &eks.ClusterEncryptionConfigArgs{
			Provider:  &eks.ClusterEncryptionConfigProviderArgs{KeyArn: key.Arn},
			Resources: pulumi.StringArray{pulumi.String("secrets")},
		},
		EnabledClusterLogTypes: pulumi.ToStringArray(ControlPlaneLogTypes),
		AccessConfig: &eks.ClusterAccessConfigArgs{
			// Access entries only: no aws-auth ConfigMap to drift or to lock everyone out.
			AuthenticationMode: pulumi.String("API"),
			// The identity that runs `pulumi up` must reach the cluster to deploy the workload.
			BootstrapClusterCreatorAdminPermissions: pulumi.Bool(true),
		},
		KubernetesNetworkConfig: &eks.ClusterKubernetesNetworkConfigArgs{
			ServiceIpv4Cidr: pulumi.String(args.ServiceCIDR), IpFamily: pulumi.String("ipv4"),
		},
		// The managed addons below replace the self-managed ones, so versions are pinned and upgrades are ours.
		BootstrapSelfManagedAddons: pulumi.Bool(false),
		UpgradePolicy:              &eks.ClusterUpgradePolicyArgs{SupportType: pulumi.String("STANDARD")},
	}, parent, pulumi.Protect(args.Protect), pulumi.DependsOn([]pulumi.Resource{clusterPolicy, logGroup}))
	if err != nil {
		return fail("cluster", err)
	}

	for i, admin := range args.Admins {
		entry, err := eks.NewAccessEntry(ctx, fmt.Sprintf("%s-admin-%d", name, i), &eks.AccessEntryArgs{
			ClusterName: cluster.Name, PrincipalArn: pulumi.String(admin), Type: pulumi.String("STANDARD"),
		}, parent)
		if err != nil {
			return fail("access entry for "+admin, err)
		}
		if _, err := eks.NewAccessPolicyAssociation(ctx, fmt.Sprintf("%s-admin-%d", name, i), &eks.AccessPolicyAssociationArgs{
			ClusterName:  cluster.Name,
			PrincipalArn: entry.PrincipalArn,
			PolicyArn:    pulumi.String("arn:" + args.Partition + ":eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy"),
			AccessScope:  &eks.AccessPolicyAssociationAccessScopeArgs{Type: pulumi.String("cluster")},
		}, parent); err != nil {
			return fail("access policy for "+admin, err)
		}
	}

	issuer := cluster.Identities.Index(pulumi.Int(0)).Oidcs().Index(pulumi.Int(0)).Issuer().Elem()
	oidc, err := iam.NewOpenIdConnectProvider(ctx, name+"-oidc", &iam.OpenIdConnectProviderArgs{
		Url:           issuer,
		ClientIdLists: pulumi.StringArray{pulumi.String("sts.amazonaws.com")},
	}, parent)
	if err != nil {
		return fail("OIDC provider", err)
	}

	nodeRole, err := iam.NewRole(ctx, name+"-node-role", &iam.RoleArgs{
		AssumeRolePolicy: pulumi.String(serviceTrust("ec2.amazonaws.com")),
	}, parent)
	if err != nil {
		return fail("node role", err)
	}
	var nodePolicies []pulumi.Resource
	for _, p := range []string{"AmazonEKSWorkerNodePolicy", "AmazonEKS_CNI_Policy", "AmazonEC2ContainerRegistryReadOnly", "AmazonSSMManagedInstanceCore"} {
		att, err := iam.NewRolePolicyAttachment(ctx, name+"-node-"+p, &iam.RolePolicyAttachmentArgs{
			Role: nodeRole.Name, PolicyArn: pulumi.String(policy(p)),
		}, parent)
		if err != nil {
			return fail("node policy "+p, err)
		}
		nodePolicies = append(nodePolicies, att)
	}

	newAddon := func(ad Addon, deps []pulumi.Resource) (pulumi.Resource, error) {
		var cfg pulumi.StringPtrInput
		if ad.Config != "" {
			cfg = pulumi.String(ad.Config)
		}
		return eks.NewAddon(ctx, name+"-"+ad.Name, &eks.AddonArgs{
			ClusterName:              cluster.Name,
			AddonName:                pulumi.String(ad.Name),
			AddonVersion:             pulumi.String(ad.Version),
			ConfigurationValues:      cfg,
			ResolveConflictsOnCreate: pulumi.String("OVERWRITE"),
			ResolveConflictsOnUpdate: pulumi.String("OVERWRITE"),
		}, parent, pulumi.DependsOn(deps))
	}
	// Networking addons go first: without a CNI and kube-proxy nodes never become Ready.
	early := append([]pulumi.Resource{}, nodePolicies...)
	for _, ad := range args.Addons {
		if slices.Contains(addonsBeforeNodes, ad.Name) {
			addon, err := newAddon(ad, nil)
			if err != nil {
				return fail("addon "+ad.Name, err)
			}
			early = append(early, addon)
		}
	}

	lt, err := ec2.NewLaunchTemplate(ctx, name+"-nodes", &ec2.LaunchTemplateArgs{
		Description: pulumi.String("Nodes of EKS cluster " + args.ClusterName + ": IMDSv2 only, encrypted volumes"),
		MetadataOptions: &ec2.LaunchTemplateMetadataOptionsArgs{
			HttpEndpoint: pulumi.String("enabled"),
			HttpTokens:   pulumi.String("required"),
			// One hop: pods cannot reach the node's credentials through IMDS; they use IRSA.
			HttpPutResponseHopLimit: pulumi.Int(1),
			InstanceMetadataTags:    pulumi.String("disabled"),
		},
		BlockDeviceMappings: ec2.LaunchTemplateBlockDeviceMappingArray{ec2.LaunchTemplateBlockDeviceMappingArgs{
			DeviceName: pulumi.String("/dev/xvda"),
			Ebs: &ec2.LaunchTemplateBlockDeviceMappingEbsArgs{
				VolumeSize:          pulumi.Int(args.DiskSizeGiB),
				VolumeType:          pulumi.String("gp3"),
				Encrypted:           pulumi.String("true"),
				DeleteOnTermination: pulumi.String("true"),
			},
		}},
		UpdateDefaultVersion: pulumi.Bool(true),
	}, parent)
	if err != nil {
		return fail("launch template", err)
	}
	nodeGroup, err := eks.NewNodeGroup(ctx, name+"-nodes", &eks.NodeGroupArgs{
		ClusterName:   cluster.Name,
		NodeRoleArn:   nodeRole.Arn,
		SubnetIds:     args.PrivateSubnetIDs,
		Version:       cluster.Version,
		AmiType:       pulumi.String("AL2023_x86_64_STANDARD"),
		CapacityType:  pulumi.String("ON_DEMAND"),
		InstanceTypes: pulumi.ToStringArray(args.InstanceTypes),
		ScalingConfig: &eks.NodeGroupScalingConfigArgs{
			MinSize: pulumi.Int(args.MinNodes), DesiredSize: pulumi.Int(args.DesiredNodes), MaxSize: pulumi.Int(args.MaxNodes),
		},
		UpdateConfig:   &eks.NodeGroupUpdateConfigArgs{MaxUnavailablePercentage: pulumi.Int(33)},
		LaunchTemplate: &eks.NodeGroupLaunchTemplateArgs{Id: lt.ID(), Version: lt.LatestVersion.ApplyT(func(v int) string { return fmt.Sprint(v) }).(pulumi.StringOutput)},
		Labels:         pulumi.StringMap{"wechat-deploy/node-group": pulumi.String("default")},
	}, parent,
		// The desired size is only the starting point: afterwards the cluster autoscaler owns it.
		pulumi.IgnoreChanges([]string{"scalingConfig.desiredSize"}),
		pulumi.DependsOn(early))
	if err != nil {
		return fail("node group", err)
	}
	// The other addons (coredns) schedule pods, so they wait for the nodes.
	for _, ad := range args.Addons {
		if !slices.Contains(addonsBeforeNodes, ad.Name) {
			if _, err := newAddon(ad, []pulumi.Resource{nodeGroup}); err != nil {
				return fail("addon "+ad.Name, err)
			}
		}
	}

	appRole, err := iam.NewRole(ctx, name+"-app", &iam.RoleArgs{
		Description: pulumi.String("IRSA role of " + args.AppNamespace + "/" + args.AppServiceAccount),
		AssumeRolePolicy: pulumi.All(oidc.Arn, issuer).ApplyT(func(v []any) string {
			return irsaTrust(v[0].(string), v[1].(string), args.AppNamespace, args.AppServiceAccount)
		}).(pulumi.StringOutput),
	}, parent)
	if err != nil {
		return fail("app IRSA role", err)
	}

	ca := cluster.CertificateAuthority.Data().Elem()
	c.ClusterName = cluster.Name
	c.Endpoint = cluster.Endpoint
	c.OIDCProviderARN = oidc.Arn
	c.OIDCIssuerURL = issuer
	c.AppRoleARN = appRole.Arn
	c.KMSKeyARN = key.Arn
	c.NodeSecurityGroupID = cluster.VpcConfig.ClusterSecurityGroupId().Elem()
	c.Kubeconfig = pulumi.ToSecret(pulumi.All(cluster.Name, cluster.Endpoint, ca).ApplyT(func(v []any) (string, error) {
		return EKSKubeconfig(v[0].(string), v[1].(string), v[2].(string), args.Region, args.KubeconfigProfile, args.KubeconfigRoleARN)
	})).(pulumi.StringOutput)
	if err := ctx.RegisterResourceOutputs(c, pulumi.Map{
		"clusterName": c.ClusterName, "endpoint": c.Endpoint, "oidcProviderArn": c.OIDCProviderARN,
		"oidcIssuerUrl": c.OIDCIssuerURL, "kubeconfig": c.Kubeconfig, "appRoleArn": c.AppRoleARN, "kmsKeyArn": c.KMSKeyARN,
	}); err != nil {
		return nil, fmt.Errorf("registering outputs of EKS cluster %s: %w", name, err)
	}
	return c, nil
}

// EKSKubeconfig renders a kubeconfig that authenticates with `aws eks get-token` (client.authentication.k8s.io/v1beta1),
// optionally with a named profile and an assumed role: no token is stored in it.
func EKSKubeconfig(clusterName, endpoint, caData, region, profile, roleARN string) (string, error) {
	args := []string{"eks", "get-token", "--cluster-name", clusterName, "--region", region, "--output", "json"}
	if roleARN != "" {
		args = append(args, "--role-arn", roleARN)
	}
	env := map[string]string{}
	if profile != "" {
		env["AWS_PROFILE"] = profile
	}
	return kube.ExecKubeconfig(clusterName, endpoint, caData, "aws", args, env)
}
