package aws

import (
	"fmt"
	"slices"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/cloudwatch"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ec2"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/eks"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/iam"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/kms"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/wechat-deploy/wechat-deploy/components/kube"
	"github.com/wechat-deploy/wechat-deploy/components/platform"
)

// ClusterType is the type token of the Cluster component.
const ClusterType = "wechat-deploy:aws:Cluster"

// ControlPlaneLogTypes are the EKS control-plane logs every cluster ships to CloudWatch.
var ControlPlaneLogTypes = []string{"api", "audit", "authenticator", "controllerManager", "scheduler"}

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
	// InstanceTypes, MinNodes, DesiredNodes, MaxNodes and DiskSizeGiB shape the managed node group; AMIType is
	// the node image of the instance types' architecture (default AL2023_x86_64_STANDARD).
	InstanceTypes                    []string
	AMIType                          string
	MinNodes, DesiredNodes, MaxNodes int
	DiskSizeGiB                      int
	// Addons are the managed addons with pinned versions.
	Addons []platform.Addon
	// LogRetentionDays is the retention of control-plane logs.
	LogRetentionDays int
	// Admins are IAM principals granted cluster-admin through access entries, Viewers read-only access
	// (ViewerAccessPolicy). The identity that creates the cluster gets no entry of its own: whoever runs
	// `pulumi up` must be one of the admins.
	Admins, Viewers []string
	// UpgradePolicy is the cluster's support type, UpgradeExtended (the default: the version stays pinned until
	// extended support ends) or UpgradeStandard.
	UpgradePolicy string
	// KubeconfigProfile and KubeconfigRoleARN are passed to `aws eks get-token` in the exported kubeconfig, and
	// are the identity the program's own token is issued for (see ProviderKubeconfig).
	KubeconfigProfile, KubeconfigRoleARN string
	// AppNamespace and AppServiceAccount name the workload's service account for its IRSA role.
	AppNamespace, AppServiceAccount string
	// Tags are put on what the node group launches (instances, volumes, network interfaces), which the
	// provider's default tags do not reach.
	Tags map[string]string
	// Protect protects the cluster and its KMS key.
	Protect bool
}

// Cluster is an EKS cluster with encrypted Secrets, control-plane logs, access entries, IRSA and a managed node
// group.
type Cluster struct {
	pulumi.ResourceState

	ClusterName     pulumi.StringOutput `pulumi:"clusterName"`
	ARN             pulumi.StringOutput `pulumi:"arn"`
	Endpoint        pulumi.StringOutput `pulumi:"endpoint"`
	OIDCProviderARN pulumi.StringOutput `pulumi:"oidcProviderArn"`
	OIDCIssuerURL   pulumi.StringOutput `pulumi:"oidcIssuerUrl"`
	// Kubeconfig authenticates with `aws eks get-token`; it is a secret. It is for people and tools that have
	// the AWS CLI.
	Kubeconfig pulumi.StringOutput `pulumi:"kubeconfig"`
	// ProviderKubeconfig is what the program's Kubernetes provider uses: a bearer token issued by the AWS
	// provider (aws:eks/getClusterAuth, the aws-iam-authenticator token, valid 15 minutes) instead of an exec
	// plugin, so nothing outside the program has to exist where it runs — Pulumi Deployments' executor has no
	// AWS CLI. A secret; it changes on every run, which updates the provider in place (kube.NewProvider).
	ProviderKubeconfig pulumi.StringOutput `pulumi:"-"`
	// AppRoleARN is the IRSA role of the app's service account (no policies attached: add what the app needs).
	AppRoleARN pulumi.StringOutput `pulumi:"appRoleArn"`
	// KMSKeyARN encrypts Kubernetes Secrets.
	KMSKeyARN pulumi.StringOutput `pulumi:"kmsKeyArn"`
	// NodeSecurityGroupID is the cluster security group EKS attaches to nodes.
	NodeSecurityGroupID pulumi.StringOutput `pulumi:"nodeSecurityGroupId"`
	// Ready are the resources after which the cluster runs pods: the node group and the addons.
	Ready []pulumi.Resource `pulumi:"-"`
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
	if a.UpgradePolicy != "" && a.UpgradePolicy != UpgradeStandard && a.UpgradePolicy != UpgradeExtended {
		return fmt.Errorf("%w: upgrade policy %q is neither %s nor %s", ErrInvalidArgs, a.UpgradePolicy, UpgradeStandard, UpgradeExtended)
	}
	if len(a.Admins) == 0 {
		return fmt.Errorf("%w: at least one admin principal is required (the creator gets no access entry)", ErrInvalidArgs)
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
	b := &clusterBuild{ctx: ctx, name: name, args: args, parent: pulumi.Parent(c)}
	if err := b.build(c); err != nil {
		return nil, fmt.Errorf("creating EKS cluster %s: %w", name, err)
	}
	if err := ctx.RegisterResourceOutputs(c, pulumi.Map{
		"clusterName": c.ClusterName, "arn": c.ARN, "endpoint": c.Endpoint, "oidcProviderArn": c.OIDCProviderARN,
		"oidcIssuerUrl": c.OIDCIssuerURL, "kubeconfig": c.Kubeconfig, "appRoleArn": c.AppRoleARN, "kmsKeyArn": c.KMSKeyARN,
	}); err != nil {
		return nil, fmt.Errorf("registering outputs of EKS cluster %s: %w", name, err)
	}
	return c, nil
}

// clusterBuild registers the cluster's children in named steps; each step wraps its errors with what it made.
type clusterBuild struct {
	ctx    *pulumi.Context
	name   string
	args   *ClusterArgs
	parent pulumi.ResourceOption
}

func (b *clusterBuild) policyARN(name string) string { return managedPolicy(b.args.Partition, name) }

// build runs the steps in dependency order: the control plane (role, key, logs, cluster), who may use it
// (access entries, OIDC), the nodes with the addons around them, and the app's identity.
func (b *clusterBuild) build(c *Cluster) error {
	role, err := b.controlPlaneRole()
	if err != nil {
		return err
	}
	key, err := b.secretsKey()
	if err != nil {
		return err
	}
	logs, err := b.controlPlaneLogs()
	if err != nil {
		return err
	}
	cluster, err := b.cluster(role, key, logs)
	if err != nil {
		return err
	}
	access, err := b.accessEntries(cluster)
	if err != nil {
		return err
	}
	issuer := cluster.Identities.Index(pulumi.Int(0)).Oidcs().Index(pulumi.Int(0)).Issuer().Elem()
	oidc, err := iam.NewOpenIdConnectProvider(b.ctx, b.name+"-oidc", &iam.OpenIdConnectProviderArgs{
		Url:           issuer,
		ClientIdLists: pulumi.StringArray{pulumi.String("sts.amazonaws.com")},
	}, b.parent)
	if err != nil {
		return fmt.Errorf("OIDC provider: %w", err)
	}
	nodeRole, nodePolicies, err := b.nodeRole()
	if err != nil {
		return err
	}
	// Networking addons go first: without a CNI and kube-proxy nodes never become Ready.
	early, err := b.addons(cluster, true, nil)
	if err != nil {
		return err
	}
	nodeGroup, err := b.nodeGroup(cluster, nodeRole, append(nodePolicies, early...))
	if err != nil {
		return err
	}
	// The other addons (coredns) schedule pods, so they wait for the nodes.
	late, err := b.addons(cluster, false, []pulumi.Resource{nodeGroup})
	if err != nil {
		return err
	}
	appRole, err := b.appRole(oidc, issuer)
	if err != nil {
		return err
	}

	ca := cluster.CertificateAuthority.Data().Elem()
	args := b.args
	c.ClusterName = cluster.Name
	c.ARN = cluster.Arn
	c.Endpoint = cluster.Endpoint
	c.OIDCProviderARN = oidc.Arn
	c.OIDCIssuerURL = issuer
	c.AppRoleARN = appRole.Arn
	c.KMSKeyARN = key.Arn
	c.NodeSecurityGroupID = cluster.VpcConfig.ClusterSecurityGroupId().Elem()
	// The kubeconfig is known only once the admins' access policies are associated, so nothing talks to the
	// API server before its caller may.
	c.Kubeconfig = pulumi.ToSecret(pulumi.All(cluster.Name, cluster.Endpoint, ca, access).ApplyT(func(v []any) (string, error) {
		return EKSKubeconfig(v[0].(string), v[1].(string), v[2].(string), args.Region, args.KubeconfigProfile, args.KubeconfigRoleARN)
	})).(pulumi.StringOutput)
	if c.ProviderKubeconfig, err = b.providerKubeconfig(c, cluster, ca, access); err != nil {
		return err
	}
	// Whatever runs on the cluster (the load balancer controller, workloads) needs schedulable nodes with
	// networking and DNS in place.
	c.Ready = append(append([]pulumi.Resource{nodeGroup}, early...), late...)
	return nil
}

// providerKubeconfig renders the token kubeconfig of the program's Kubernetes provider. The token is issued for
// the identity of the cluster's AWS provider, or for the kubeconfig profile or role when one is configured (an
// AWS provider of their own), the same identity `aws eks get-token` would use.
func (b *clusterBuild) providerKubeconfig(c *Cluster, cluster *eks.Cluster, ca pulumi.StringOutput, access pulumi.StringArrayOutput) (pulumi.StringOutput, error) {
	args := b.args
	opts := []pulumi.InvokeOption{pulumi.Parent(c)}
	if args.KubeconfigProfile != "" || args.KubeconfigRoleARN != "" {
		pa := &aws.ProviderArgs{Region: pulumi.String(args.Region)}
		if args.KubeconfigProfile != "" {
			pa.Profile = pulumi.String(args.KubeconfigProfile)
		}
		if args.KubeconfigRoleARN != "" {
			pa.AssumeRole = &aws.ProviderAssumeRoleArgs{RoleArn: pulumi.String(args.KubeconfigRoleARN), SessionName: pulumi.String(b.name + "-kubernetes")}
		}
		identity, err := aws.NewProvider(b.ctx, b.name+"-kubeconfig-identity", pa, b.parent)
		if err != nil {
			return pulumi.StringOutput{}, fmt.Errorf("AWS provider of the kubeconfig identity: %w", err)
		}
		opts = append(opts, pulumi.Provider(identity))
	}
	// Issued only once the admins' access policies are associated, like the exported kubeconfig.
	name := pulumi.All(cluster.Name, access).ApplyT(func(v []any) string { return v[0].(string) }).(pulumi.StringOutput)
	auth := eks.GetClusterAuthOutput(b.ctx, eks.GetClusterAuthOutputArgs{Name: name}, opts...)
	return pulumi.ToSecret(pulumi.All(cluster.Name, cluster.Endpoint, ca, auth.Token()).ApplyT(func(v []any) (string, error) {
		return kube.TokenKubeconfig(v[0].(string), v[1].(string), v[2].(string), v[3].(string))
	})).(pulumi.StringOutput), nil
}

// controlPlaneRole is the role EKS assumes to run the control plane, with the cluster policy attached.
func (b *clusterBuild) controlPlaneRole() (*controlPlaneRole, error) {
	role, err := iam.NewRole(b.ctx, b.name+"-cluster-role", &iam.RoleArgs{
		AssumeRolePolicy: pulumi.String(policyDocument(statement{
			Effect: "Allow", Principal: map[string]any{"Service": "eks.amazonaws.com"},
			Action: []string{"sts:AssumeRole", "sts:TagSession"},
		})),
	}, b.parent)
	if err != nil {
		return nil, fmt.Errorf("cluster role: %w", err)
	}
	policy, err := iam.NewRolePolicyAttachment(b.ctx, b.name+"-cluster-policy", &iam.RolePolicyAttachmentArgs{
		Role: role.Name, PolicyArn: pulumi.String(b.policyARN("AmazonEKSClusterPolicy")),
	}, b.parent)
	if err != nil {
		return nil, fmt.Errorf("cluster role policy: %w", err)
	}
	return &controlPlaneRole{role: role, policy: policy}, nil
}

type controlPlaneRole struct {
	role   *iam.Role
	policy *iam.RolePolicyAttachment
}

// secretsKey is the KMS key (rotated yearly) that envelope-encrypts Kubernetes Secrets, with an alias.
func (b *clusterBuild) secretsKey() (*kms.Key, error) {
	key, err := kms.NewKey(b.ctx, b.name+"-secrets-key", &kms.KeyArgs{
		Description:          pulumi.String("Envelope encryption of Kubernetes Secrets in EKS cluster " + b.args.ClusterName),
		EnableKeyRotation:    pulumi.Bool(true),
		DeletionWindowInDays: pulumi.Int(30),
	}, b.parent, pulumi.Protect(b.args.Protect))
	if err != nil {
		return nil, fmt.Errorf("KMS key: %w", err)
	}
	if _, err := kms.NewAlias(b.ctx, b.name+"-secrets-key", &kms.AliasArgs{
		Name: pulumi.String("alias/eks/" + b.args.ClusterName + "/secrets"), TargetKeyId: key.KeyId,
	}, b.parent); err != nil {
		return nil, fmt.Errorf("KMS alias: %w", err)
	}
	return key, nil
}

// controlPlaneLogs creates the log group EKS would otherwise create itself with no expiry.
func (b *clusterBuild) controlPlaneLogs() (*cloudwatch.LogGroup, error) {
	group, err := cloudwatch.NewLogGroup(b.ctx, b.name+"-control-plane-logs", &cloudwatch.LogGroupArgs{
		Name:            pulumi.String("/aws/eks/" + b.args.ClusterName + "/cluster"),
		RetentionInDays: pulumi.Int(b.args.LogRetentionDays),
	}, b.parent)
	if err != nil {
		return nil, fmt.Errorf("control-plane log group: %w", err)
	}
	return group, nil
}

// cluster is the EKS control plane: private subnets, endpoint access as configured, Secrets encrypted, every
// control-plane log shipped, access entries only, addons managed by us.
func (b *clusterBuild) cluster(role *controlPlaneRole, key *kms.Key, logs *cloudwatch.LogGroup) (*eks.Cluster, error) {
	args := b.args
	publicCIDRs := pulumi.ToStringArray(args.PublicAccessCIDRs)
	if !args.EndpointPublic {
		publicCIDRs = nil
	}
	cluster, err := eks.NewCluster(b.ctx, b.name, &eks.ClusterArgs{
		Name:    pulumi.String(args.ClusterName),
		RoleArn: role.role.Arn,
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
			// No hidden admin: the creator's entry could be neither listed nor removed here. Admins come from
			// access entries (cluster.admins and the deploy role).
			BootstrapClusterCreatorAdminPermissions: pulumi.Bool(false),
		},
		KubernetesNetworkConfig: &eks.ClusterKubernetesNetworkConfigArgs{
			ServiceIpv4Cidr: pulumi.String(args.ServiceCIDR), IpFamily: pulumi.String("ipv4"),
		},
		// The managed addons below replace the self-managed ones, so versions are pinned and upgrades are ours.
		BootstrapSelfManagedAddons: pulumi.Bool(false),
		UpgradePolicy:              &eks.ClusterUpgradePolicyArgs{SupportType: pulumi.String(upgradePolicy(args.UpgradePolicy))},
	}, b.parent, pulumi.Protect(args.Protect), pulumi.DependsOn([]pulumi.Resource{role.policy, logs}),
		// The creator flag only matters at creation and changing it replaces the cluster: clusters made with
		// it on keep it (delete that access entry by hand) instead of being rebuilt.
		pulumi.IgnoreChanges([]string{"accessConfig.bootstrapClusterCreatorAdminPermissions"}))
	if err != nil {
		return nil, fmt.Errorf("cluster: %w", err)
	}
	return cluster, nil
}

// Access policies of EKS access entries (docs.aws.amazon.com/eks/latest/userguide/access-policy-permissions.html).
const (
	// AdminAccessPolicy is cluster-admin.
	AdminAccessPolicy = "AmazonEKSClusterAdminPolicy"
	// ViewerAccessPolicy reads objects but not Secrets: a pull-request preview must not read production
	// secrets. The Kubernetes provider's dry-run requests are refused for it, and it then diffs client-side.
	ViewerAccessPolicy = "AmazonEKSViewPolicy"
)

// accessEntries grant each admin cluster-admin and each viewer read-only access through access entries; the
// result is the association IDs, known once every grant is in place.
func (b *clusterBuild) accessEntries(cluster *eks.Cluster) (pulumi.StringArrayOutput, error) {
	var ids pulumi.StringArray
	grant := func(kind string, i int, principal, policy string) error {
		name := fmt.Sprintf("%s-%s-%d", b.name, kind, i)
		entry, err := eks.NewAccessEntry(b.ctx, name, &eks.AccessEntryArgs{
			ClusterName: cluster.Name, PrincipalArn: pulumi.String(principal), Type: pulumi.String("STANDARD"),
		}, b.parent)
		if err != nil {
			return fmt.Errorf("access entry for %s: %w", principal, err)
		}
		assoc, err := eks.NewAccessPolicyAssociation(b.ctx, name, &eks.AccessPolicyAssociationArgs{
			ClusterName:  cluster.Name,
			PrincipalArn: entry.PrincipalArn,
			PolicyArn:    pulumi.String("arn:" + b.args.Partition + ":eks::aws:cluster-access-policy/" + policy),
			AccessScope:  &eks.AccessPolicyAssociationAccessScopeArgs{Type: pulumi.String("cluster")},
		}, b.parent)
		if err != nil {
			return fmt.Errorf("access policy for %s: %w", principal, err)
		}
		ids = append(ids, assoc.ID().ToStringOutput())
		return nil
	}
	for i, admin := range b.args.Admins {
		if err := grant("admin", i, admin, AdminAccessPolicy); err != nil {
			return pulumi.StringArrayOutput{}, err
		}
	}
	for i, viewer := range b.args.Viewers {
		if err := grant("viewer", i, viewer, ViewerAccessPolicy); err != nil {
			return pulumi.StringArrayOutput{}, err
		}
	}
	return ids.ToStringArrayOutput(), nil
}

func upgradePolicy(p string) string {
	if p == "" {
		return UpgradeExtended
	}
	return p
}

// nodeRolePolicies are the AWS managed policies every EKS node needs (SSM for shell-less access).
var nodeRolePolicies = []string{"AmazonEKSWorkerNodePolicy", "AmazonEKS_CNI_Policy", "AmazonEC2ContainerRegistryReadOnly", "AmazonSSMManagedInstanceCore"}

// nodeRole is the instance role of the nodes and its policy attachments.
func (b *clusterBuild) nodeRole() (*iam.Role, []pulumi.Resource, error) {
	role, err := iam.NewRole(b.ctx, b.name+"-node-role", &iam.RoleArgs{
		AssumeRolePolicy: pulumi.String(serviceTrust("ec2.amazonaws.com")),
	}, b.parent)
	if err != nil {
		return nil, nil, fmt.Errorf("node role: %w", err)
	}
	var attached []pulumi.Resource
	for _, p := range nodeRolePolicies {
		att, err := iam.NewRolePolicyAttachment(b.ctx, b.name+"-node-"+p, &iam.RolePolicyAttachmentArgs{
			Role: role.Name, PolicyArn: pulumi.String(b.policyARN(p)),
		}, b.parent)
		if err != nil {
			return nil, nil, fmt.Errorf("node policy %s: %w", p, err)
		}
		attached = append(attached, att)
	}
	return role, attached, nil
}

// addons installs the configured addons that go before the nodes (beforeNodes) or after them, each after deps.
func (b *clusterBuild) addons(cluster *eks.Cluster, beforeNodes bool, deps []pulumi.Resource) ([]pulumi.Resource, error) {
	var made []pulumi.Resource
	for _, ad := range b.args.Addons {
		if slices.Contains(addonsBeforeNodes, ad.Name) != beforeNodes {
			continue
		}
		var cfg pulumi.StringPtrInput
		if ad.Config != "" {
			cfg = pulumi.String(ad.Config)
		}
		addon, err := eks.NewAddon(b.ctx, b.name+"-"+ad.Name, &eks.AddonArgs{
			ClusterName:              cluster.Name,
			AddonName:                pulumi.String(ad.Name),
			AddonVersion:             pulumi.String(ad.Version),
			ConfigurationValues:      cfg,
			ResolveConflictsOnCreate: pulumi.String("OVERWRITE"),
			ResolveConflictsOnUpdate: pulumi.String("OVERWRITE"),
		}, b.parent, pulumi.DependsOn(deps))
		if err != nil {
			return nil, fmt.Errorf("addon %s: %w", ad.Name, err)
		}
		made = append(made, addon)
	}
	return made, nil
}

// nodeGroup is the managed node group on the private subnets, launched from a template that enforces IMDSv2
// with one hop and encrypted gp3 volumes; it waits for deps (node policies, networking addons).
func (b *clusterBuild) nodeGroup(cluster *eks.Cluster, role *iam.Role, deps []pulumi.Resource) (*eks.NodeGroup, error) {
	args := b.args
	lt, err := ec2.NewLaunchTemplate(b.ctx, b.name+"-nodes", &ec2.LaunchTemplateArgs{
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
		TagSpecifications:    launchTags(args.Tags),
		UpdateDefaultVersion: pulumi.Bool(true),
	}, b.parent)
	if err != nil {
		return nil, fmt.Errorf("launch template: %w", err)
	}
	nodeGroup, err := eks.NewNodeGroup(b.ctx, b.name+"-nodes", &eks.NodeGroupArgs{
		ClusterName:   cluster.Name,
		NodeRoleArn:   role.Arn,
		SubnetIds:     args.PrivateSubnetIDs,
		Version:       cluster.Version,
		AmiType:       pulumi.String(amiType(args.AMIType)),
		CapacityType:  pulumi.String("ON_DEMAND"),
		InstanceTypes: pulumi.ToStringArray(args.InstanceTypes),
		ScalingConfig: &eks.NodeGroupScalingConfigArgs{
			MinSize: pulumi.Int(args.MinNodes), DesiredSize: pulumi.Int(args.DesiredNodes), MaxSize: pulumi.Int(args.MaxNodes),
		},
		UpdateConfig:   &eks.NodeGroupUpdateConfigArgs{MaxUnavailablePercentage: pulumi.Int(33)},
		LaunchTemplate: &eks.NodeGroupLaunchTemplateArgs{Id: lt.ID(), Version: lt.LatestVersion.ApplyT(func(v int) string { return fmt.Sprint(v) }).(pulumi.StringOutput)},
		Labels:         pulumi.StringMap{"wechat-deploy/node-group": pulumi.String("default")},
	}, b.parent,
		// The desired size is only the starting point: afterwards the cluster autoscaler owns it.
		pulumi.IgnoreChanges([]string{"scalingConfig.desiredSize"}),
		pulumi.DependsOn(deps))
	if err != nil {
		return nil, fmt.Errorf("node group: %w", err)
	}
	return nodeGroup, nil
}

// LaunchTaggedResources are the resource types a node's launch tags them on: what the node group creates per
// node and bills.
var LaunchTaggedResources = []string{"instance", "volume", "network-interface"}

// launchTags tags every resource a node launch creates with the stack's tags, for cost allocation.
func launchTags(tags map[string]string) ec2.LaunchTemplateTagSpecificationArray {
	if len(tags) == 0 {
		return nil
	}
	var specs ec2.LaunchTemplateTagSpecificationArray
	for _, t := range LaunchTaggedResources {
		specs = append(specs, ec2.LaunchTemplateTagSpecificationArgs{ResourceType: pulumi.String(t), Tags: pulumi.ToStringMap(tags)})
	}
	return specs
}

func amiType(t string) string {
	if t == "" {
		return "AL2023_x86_64_STANDARD"
	}
	return t
}

// appRole is the IRSA role only the app's service account can assume (no policies: add what the app needs).
func (b *clusterBuild) appRole(oidc *iam.OpenIdConnectProvider, issuer pulumi.StringOutput) (*iam.Role, error) {
	args := b.args
	role, err := iam.NewRole(b.ctx, b.name+"-app", &iam.RoleArgs{
		Description: pulumi.String("IRSA role of " + args.AppNamespace + "/" + args.AppServiceAccount),
		AssumeRolePolicy: pulumi.All(oidc.Arn, issuer).ApplyT(func(v []any) string {
			return irsaTrust(v[0].(string), v[1].(string), args.AppNamespace, args.AppServiceAccount)
		}).(pulumi.StringOutput),
	}, b.parent)
	if err != nil {
		return nil, fmt.Errorf("app IRSA role: %w", err)
	}
	return role, nil
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
