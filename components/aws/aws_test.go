package aws

import (
	"encoding/json"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/wechat-deploy/wechat-deploy/components/componenttest"
	"github.com/wechat-deploy/wechat-deploy/components/platform"
)

func devArgs() PlatformArgs {
	return PlatformArgs{
		Region: "ap-southeast-1", ZoneCount: 2, Tags: map[string]string{"stack": "dev"},
		Network: NetworkArgs{CIDR: "10.10.0.0/16", PrivatePrefix: 18, PublicPrefix: 19, FlowLogRetentionDays: 14},
		Cluster: ClusterArgs{
			ClusterName: "wechat-deploy-dev", Version: "1.33", EndpointPublic: true, EndpointPrivate: true,
			PublicAccessCIDRs: []string{"0.0.0.0/0"}, ServiceCIDR: "172.20.0.0/16", InstanceTypes: []string{"t3.large"},
			MinNodes: 1, DesiredNodes: 2, MaxNodes: 3, DiskSizeGiB: 50, LogRetentionDays: 30,
			Addons:       []platform.Addon{{Name: "vpc-cni", Version: "v1.19.5-eksbuild.1"}, {Name: "coredns", Version: "v1.12.1-eksbuild.2"}},
			AppNamespace: "wechat-api", AppServiceAccount: "wechat-api",
			Admins: []string{"arn:aws:iam::123456789012:role/dev-admins"},
		},
		Registry: RegistryArgs{RepositoryName: "wechat-api", KeepImages: 20},
	}
}

func prodArgs() PlatformArgs {
	a := devArgs()
	a.ZoneCount = 3
	a.Network = NetworkArgs{CIDR: "10.30.0.0/16", PrivatePrefix: 18, PublicPrefix: 20, NATPerZone: true, FlowLogRetentionDays: 90, Protect: true}
	a.Cluster.PublicAccessCIDRs = []string{"203.0.113.0/24"}
	a.Cluster.MinNodes, a.Cluster.DesiredNodes, a.Cluster.MaxNodes = 3, 3, 9
	a.Cluster.Admins = []string{"arn:aws:iam::123456789012:role/platform-admins"}
	a.Cluster.KubeconfigProfile, a.Cluster.KubeconfigRoleARN = "prod", "arn:aws:iam::123456789012:role/deployer"
	a.Cluster.Protect = true
	a.Registry.Protect, a.Registry.KeepImages = true, 50
	return a
}

func run(t *testing.T, args PlatformArgs) (*componenttest.Result, *Platform) {
	t.Helper()
	opts := componenttest.Options{Project: "wechat-deploy", Stack: "test", Config: map[string]string{"wechat-deploy:region": args.Region}}
	return componenttest.Component(t, opts, func(ctx *pulumi.Context) (*Platform, error) { return NewPlatform(ctx, "prod", &args) })
}

func TestNetworkShapes(t *testing.T) {
	tests := []struct {
		name            string
		args            PlatformArgs
		zones, nats     int
		protect         bool
		privateCIDRs    []string
		publicCIDRs     []string
		retentionInDays float64
	}{
		{"dev: two zones, one NAT", devArgs(), 2, 1, false,
			[]string{"10.10.0.0/18", "10.10.64.0/18"}, []string{"10.10.128.0/19", "10.10.160.0/19"}, 14},
		{"prod: three zones, NAT per zone", prodArgs(), 3, 3, true,
			[]string{"10.30.0.0/18", "10.30.64.0/18", "10.30.128.0/18"}, []string{"10.30.192.0/20", "10.30.208.0/20", "10.30.224.0/20"}, 90},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, _ := run(t, tt.args)
			vpc := res.MustOne(t, "aws:ec2/vpc:Vpc", "prod-vpc")
			if vpc.Str("cidrBlock") != tt.args.Network.CIDR || !vpc.Bool("enableDnsSupport") || !vpc.Bool("enableDnsHostnames") || vpc.Protect != tt.protect {
				t.Errorf("VPC = cidr %s dns %v/%v protect %v", vpc.Str("cidrBlock"), vpc.Bool("enableDnsSupport"), vpc.Bool("enableDnsHostnames"), vpc.Protect)
			}
			var private, public []string
			for _, s := range res.Find("aws:ec2/subnet:Subnet") {
				zone := s.Str("availabilityZone")
				if !strings.HasPrefix(zone, tt.args.Region) {
					t.Errorf("subnet %s in zone %q", s.Name, zone)
				}
				switch {
				case strings.Contains(s.Name, "private"):
					private = append(private, s.Str("cidrBlock"))
					if _, ok := s.Input("tags"); !ok || s.Inputs["tags"].ObjectValue()["kubernetes.io/role/internal-elb"].StringValue() != "1" {
						t.Errorf("private subnet %s lacks the internal-elb role tag", s.Name)
					}
				default:
					public = append(public, s.Str("cidrBlock"))
					if s.Inputs["tags"].ObjectValue()["kubernetes.io/role/elb"].StringValue() != "1" || s.Bool("mapPublicIpOnLaunch") {
						t.Errorf("public subnet %s: elb tag or public IPs wrong", s.Name)
					}
				}
			}
			slices.Sort(private)
			slices.Sort(public)
			slices.Sort(tt.privateCIDRs)
			slices.Sort(tt.publicCIDRs)
			if !slices.Equal(private, tt.privateCIDRs) || !slices.Equal(public, tt.publicCIDRs) {
				t.Errorf("subnets private %v public %v", private, public)
			}
			if n := len(res.Find("aws:ec2/natGateway:NatGateway")); n != tt.nats || len(res.Find("aws:ec2/eip:Eip")) != tt.nats {
				t.Errorf("%d NAT gateways, want %d", n, tt.nats)
			}
			// Each private route table sends 0.0.0.0/0 to its zone's NAT (or the only one).
			for i := range tt.zones {
				rt := res.MustOne(t, "aws:ec2/routeTable:RouteTable", "prod-private-rt-"+string(rune('0'+i)))
				want := "nat-" + string(rune('0'+i))
				if tt.nats == 1 {
					want = "nat-0"
				}
				nat := res.MustOne(t, "aws:ec2/natGateway:NatGateway", "prod-"+want)
				if rt.Str("routes[0].natGatewayId") != nat.ID || rt.Str("routes[0].cidrBlock") != "0.0.0.0/0" {
					t.Errorf("%s routes to %q, want %s", rt.Name, rt.Str("routes[0].natGatewayId"), nat.ID)
				}
			}
			flow := res.MustOne(t, "aws:ec2/flowLog:FlowLog", "prod-flow-logs")
			group := res.MustOne(t, "aws:cloudwatch/logGroup:LogGroup", "prod-flow-logs")
			if flow.Str("trafficType") != "ALL" || flow.Str("logDestination") != group.Outputs["arn"].StringValue() || group.Num("retentionInDays") != tt.retentionInDays {
				t.Errorf("flow log %s -> %s, retention %v", flow.Str("trafficType"), flow.Str("logDestination"), group.Num("retentionInDays"))
			}
			sg := res.MustOne(t, "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup", "prod-default-sg")
			if sg.Has("ingress") || sg.Has("egress") {
				t.Error("the default security group keeps rules")
			}
		})
	}
}

func TestNetworkRejectsPlansThatDoNotFit(t *testing.T) {
	a := devArgs()
	a.Network.CIDR, a.Network.PrivatePrefix, a.Network.PublicPrefix = "10.0.0.0/24", 25, 26
	a.ZoneCount = 3
	_, err := componenttest.Run(componenttest.Options{Project: "wechat-deploy", Stack: "test"}, func(ctx *pulumi.Context) error {
		_, err := NewPlatform(ctx, "x", &a)
		return err
	})
	if err == nil || !strings.Contains(err.Error(), "do not fit") {
		t.Fatalf("error = %v", err)
	}
}

func TestCluster(t *testing.T) {
	res, p := run(t, prodArgs())
	cluster := res.MustOne(t, "aws:eks/cluster:Cluster", "prod")
	key := res.MustOne(t, "aws:kms/key:Key", "prod-secrets-key")
	checks := []struct {
		what      string
		got, want any
	}{
		{"name", cluster.Str("name"), "wechat-deploy-dev"},
		{"version", cluster.Str("version"), "1.33"},
		{"secrets encrypted", cluster.Strings("encryptionConfig.resources"), []string{"secrets"}},
		{"with the platform key", cluster.Str("encryptionConfig.provider.keyArn"), key.Outputs["arn"].StringValue()},
		{"key rotation", key.Bool("enableKeyRotation"), true},
		{"logs", cluster.Strings("enabledClusterLogTypes"), ControlPlaneLogTypes},
		{"public endpoint", cluster.Bool("vpcConfig.endpointPublicAccess"), true},
		{"private endpoint", cluster.Bool("vpcConfig.endpointPrivateAccess"), true},
		{"allowed CIDRs", cluster.Strings("vpcConfig.publicAccessCidrs"), []string{"203.0.113.0/24"}},
		{"access entries only", cluster.Str("accessConfig.authenticationMode"), "API"},
		{"service CIDR", cluster.Str("kubernetesNetworkConfig.serviceIpv4Cidr"), "172.20.0.0/16"},
		{"self-managed addons off", cluster.Bool("bootstrapSelfManagedAddons"), false},
		{"private subnets", len(cluster.Strings("vpcConfig.subnetIds")), 3},
		{"cluster protected", cluster.Protect, true},
		{"key protected", key.Protect, true},
	}
	for _, c := range checks {
		if !reflect.DeepEqual(c.got, c.want) {
			t.Errorf("%s = %v, want %v", c.what, c.got, c.want)
		}
	}
	for _, s := range cluster.Strings("vpcConfig.subnetIds") {
		if !strings.HasPrefix(s, "subnet-") {
			t.Errorf("cluster subnet %q", s)
		}
	}
	logs := res.MustOne(t, "aws:cloudwatch/logGroup:LogGroup", "prod-control-plane-logs")
	if logs.Str("name") != "/aws/eks/wechat-deploy-dev/cluster" || logs.Num("retentionInDays") != 30 {
		t.Errorf("control-plane log group %s retention %v", logs.Str("name"), logs.Num("retentionInDays"))
	}
	lt := res.MustOne(t, "aws:ec2/launchTemplate:LaunchTemplate", "prod-nodes")
	if lt.Str("metadataOptions.httpTokens") != "required" || lt.Num("metadataOptions.httpPutResponseHopLimit") != 1 ||
		lt.Str("blockDeviceMappings[0].ebs.encrypted") != "true" || lt.Num("blockDeviceMappings[0].ebs.volumeSize") != 50 {
		t.Errorf("launch template metadata %v encrypted %q", lt.Inputs["metadataOptions"], lt.Str("blockDeviceMappings[0].ebs.encrypted"))
	}
	ng := res.MustOne(t, "aws:eks/nodeGroup:NodeGroup", "prod-nodes")
	if ng.Num("scalingConfig.minSize") != 3 || ng.Num("scalingConfig.maxSize") != 9 || ng.Num("scalingConfig.desiredSize") != 3 ||
		!slices.Equal(ng.IgnoreChanges, []string{"scalingConfig.desiredSize"}) || ng.Str("launchTemplate.id") != lt.ID {
		t.Errorf("node group scaling %v ignore %v lt %q", ng.Inputs["scalingConfig"], ng.IgnoreChanges, ng.Str("launchTemplate.id"))
	}
	if !slices.Equal(ng.Strings("subnetIds"), cluster.Strings("vpcConfig.subnetIds")) {
		t.Error("nodes are not on the private subnets")
	}
	for _, addon := range res.Find("aws:eks/addon:Addon") {
		if addon.Str("addonVersion") == "" || addon.Str("resolveConflictsOnUpdate") != "OVERWRITE" {
			t.Errorf("addon %s unpinned or not overwriting", addon.Name)
		}
	}
	// coredns waits for the nodes; vpc-cni does not.
	coredns := res.MustOne(t, "aws:eks/addon:Addon", "prod-coredns")
	if !slices.ContainsFunc(coredns.Dependencies, func(u string) bool { return strings.HasSuffix(u, "::prod-nodes") }) {
		t.Errorf("coredns does not wait for the node group: %v", coredns.Dependencies)
	}
	entries := res.Find("aws:eks/accessEntry:AccessEntry")
	assoc := res.Find("aws:eks/accessPolicyAssociation:AccessPolicyAssociation")
	if len(entries) != 1 || entries[0].Str("principalArn") != "arn:aws:iam::123456789012:role/platform-admins" ||
		len(assoc) != 1 || !strings.HasSuffix(assoc[0].Str("policyArn"), "AmazonEKSClusterAdminPolicy") {
		t.Errorf("access entries %v / %v", entries, assoc)
	}
	oidc := res.MustOne(t, "aws:iam/openIdConnectProvider:OpenIdConnectProvider", "prod-oidc")
	if !strings.HasPrefix(oidc.Str("url"), "https://oidc.eks.ap-southeast-1.amazonaws.com/id/") || !slices.Equal(oidc.Strings("clientIdLists"), []string{"sts.amazonaws.com"}) {
		t.Errorf("OIDC provider %s %v", oidc.Str("url"), oidc.Strings("clientIdLists"))
	}
	app := res.MustOne(t, "aws:iam/role:Role", "prod-app")
	var trust struct {
		Statement []struct {
			Condition map[string]map[string]string
		}
	}
	if err := json.Unmarshal([]byte(app.Str("assumeRolePolicy")), &trust); err != nil {
		t.Fatal(err)
	}
	found := false
	for k, v := range trust.Statement[0].Condition["StringEquals"] {
		if strings.HasSuffix(k, ":sub") && v == "system:serviceaccount:wechat-api:wechat-api" {
			found = true
		}
	}
	if !found {
		t.Errorf("app role trust = %s", app.Str("assumeRolePolicy"))
	}
	kc, err := componenttest.Await(p.Outputs.Kubeconfig)
	if err != nil || !kc.Secret {
		t.Fatalf("kubeconfig secret=%v err=%v", kc.Secret, err)
	}
	for _, want := range []string{`"command":"aws"`, `"client.authentication.k8s.io/v1beta1"`, `"--cluster-name","wechat-deploy-dev"`,
		`"--region","ap-southeast-1"`, `"--role-arn","arn:aws:iam::123456789012:role/deployer"`, `"AWS_PROFILE"`} {
		if !strings.Contains(kc.Value.(string), want) {
			t.Errorf("kubeconfig lacks %s:\n%s", want, kc.Value)
		}
	}
	if arn, _ := componenttest.Await(p.Outputs.OIDCProviderARN); arn.Value != oidc.Outputs["arn"].StringValue() {
		t.Errorf("platform OIDC provider output %v", arn.Value)
	}
	sa, _ := componenttest.Await(p.Outputs.ServiceAccountAnnotations)
	if sa.Value.(map[string]string)["eks.amazonaws.com/role-arn"] != app.Outputs["arn"].StringValue() {
		t.Errorf("service account annotations %v", sa.Value)
	}
}

func TestRegistry(t *testing.T) {
	res, p := run(t, prodArgs())
	repo := res.MustOne(t, "aws:ecr/repository:Repository", "prod")
	if repo.Str("imageTagMutability") != "IMMUTABLE" || !repo.Bool("imageScanningConfiguration.scanOnPush") ||
		repo.Str("encryptionConfigurations[0].encryptionType") != "KMS" || repo.Str("encryptionConfigurations[0].kmsKey") == "" || !repo.Protect {
		t.Errorf("repository inputs %v protect %v", repo.Inputs, repo.Protect)
	}
	policy := res.MustOne(t, "aws:ecr/lifecyclePolicy:LifecyclePolicy", "prod-lifecycle")
	var doc struct {
		Rules []struct {
			Selection struct {
				TagStatus   string `json:"tagStatus"`
				CountType   string `json:"countType"`
				CountNumber int    `json:"countNumber"`
			} `json:"selection"`
		} `json:"rules"`
	}
	if err := json.Unmarshal([]byte(policy.Str("policy")), &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.Rules) != 2 || doc.Rules[1].Selection.CountType != "imageCountMoreThan" || doc.Rules[1].Selection.CountNumber != 50 {
		t.Errorf("lifecycle policy %s", policy.Str("policy"))
	}
	pass, _ := componenttest.Await(p.Outputs.Registry.Password)
	user, _ := componenttest.Await(p.Outputs.Registry.Username)
	server, _ := componenttest.Await(p.Outputs.Registry.Server)
	if !pass.Secret || pass.Value != componenttest.FakeRegistryPassword || user.Value != "AWS" || server.Value != "123456789012.dkr.ecr.ap-southeast-1.amazonaws.com" {
		t.Errorf("credentials user %v server %v password secret %v", user.Value, server.Value, pass.Secret)
	}
}

func TestEveryResourceIsParentedAndNamed(t *testing.T) {
	res, _ := run(t, devArgs())
	if o := res.Orphans(); len(o) > 0 {
		t.Errorf("orphans: %v", o)
	}
	if bad := res.NotNamedAfter("prod"); len(bad) > 0 {
		t.Errorf("not named after their component: %v", bad)
	}
	// Two platforms in one program must not collide.
	a, b := devArgs(), devArgs()
	_, err := componenttest.Run(componenttest.Options{Project: "wechat-deploy", Stack: "test"}, func(ctx *pulumi.Context) error {
		if _, err := NewPlatform(ctx, "blue", &a); err != nil {
			return err
		}
		_, err := NewPlatform(ctx, "green", &b)
		return err
	})
	if err != nil {
		t.Fatalf("two platforms: %v", err)
	}
}

// replacementInputs are the EKS inputs whose change makes the provider replace the resource (ForceNew in the
// underlying schema).
var replacementInputs = map[string][]string{
	"aws:eks/cluster:Cluster": {"name", "roleArn", "kubernetesNetworkConfig", "encryptionConfig",
		"accessConfig.bootstrapClusterCreatorAdminPermissions", "bootstrapSelfManagedAddons", "outpostConfig"},
	"aws:eks/nodeGroup:NodeGroup": {"clusterName", "nodeRoleArn", "subnetIds", "amiType", "capacityType",
		"instanceTypes", "diskSize", "nodeGroupName", "remoteAccess"},
}

// TestScalingAndVersionDoNotReplace: a node count and Kubernetes version change leave every
// replacement-triggering input of the cluster and node group unchanged (they update in place).
func TestScalingAndVersionDoNotReplace(t *testing.T) {
	// A next version as the table would carry it (same addons: this test is about the cluster and nodes).
	saved := EKSReleases
	t.Cleanup(func() { EKSReleases = saved })
	next := saved[len(saved)-1]
	next.Version = "1.34"
	EKSReleases = append(slices.Clone(saved), next)
	before, _ := run(t, prodArgs())
	changed := prodArgs()
	changed.Cluster.Version = "1.34"
	changed.Cluster.MaxNodes, changed.Cluster.DesiredNodes = 12, 5
	after, _ := run(t, changed)
	for typ, paths := range replacementInputs {
		name := "prod"
		if typ == "aws:eks/nodeGroup:NodeGroup" {
			name = "prod-nodes"
		}
		if changed := componenttest.ChangedInputs(t, before, after, typ, name, paths); len(changed) > 0 {
			t.Errorf("%s changed %v (would replace)", typ, changed)
		}
	}
	if c := after.MustOne(t, "aws:eks/cluster:Cluster", "prod"); c.Str("version") != "1.34" {
		t.Fatal("the version change did not reach the cluster")
	}
	if ng := after.MustOne(t, "aws:eks/nodeGroup:NodeGroup", "prod-nodes"); ng.Num("scalingConfig.maxSize") != 12 {
		t.Fatal("the scaling change did not reach the node group")
	}
}

func TestClusterValidation(t *testing.T) {
	tests := map[string]func(a *PlatformArgs){
		"open public endpoint":                   func(a *PlatformArgs) { a.Cluster.PublicAccessCIDRs = nil },
		"no endpoint":                            func(a *PlatformArgs) { a.Cluster.EndpointPublic, a.Cluster.EndpointPrivate = false, false },
		"unpinned addon":                         func(a *PlatformArgs) { a.Cluster.Addons = []platform.Addon{{Name: "vpc-cni"}} },
		"min above max":                          func(a *PlatformArgs) { a.Cluster.MinNodes = 10 },
		"one zone":                               func(a *PlatformArgs) { a.ZoneCount = 1 },
		"logs without the addon that ships them": func(a *PlatformArgs) { a.Managed = ManagedArgs{Logs: true, LogRetentionDays: 30} },
		"scraper without the app's port": func(a *PlatformArgs) {
			a.Managed = ManagedArgs{Metrics: true, App: "wechat-api"}
		},
		"scraper without a private endpoint": func(a *PlatformArgs) {
			a.Cluster.EndpointPrivate = false
			a.Managed = ManagedArgs{Metrics: true, App: "wechat-api", MetricsPortName: "metrics"}
		},
	}
	for name, edit := range tests {
		t.Run(name, func(t *testing.T) {
			a := devArgs()
			edit(&a)
			res, err := componenttest.Run(componenttest.Options{Project: "wechat-deploy", Stack: "test"}, func(ctx *pulumi.Context) error {
				_, err := NewPlatform(ctx, "x", &a)
				return err
			})
			if err == nil || !strings.Contains(err.Error(), "invalid arguments") {
				t.Fatalf("error = %v", err)
			}
			if n := len(res.Find("aws:eks/cluster:Cluster")); n != 0 {
				t.Errorf("a cluster was registered despite the bad args")
			}
		})
	}
}

func TestEKSKubeconfig(t *testing.T) {
	kc, err := EKSKubeconfig("c", "https://x", "Q0E=", "us-east-1", "", "")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(kc, "AWS_PROFILE") || strings.Contains(kc, "--role-arn") || !strings.Contains(kc, `"interactiveMode":"Never"`) {
		t.Errorf("kubeconfig without profile/role = %s", kc)
	}
}

// TestKubernetesProviderNeedsNoAWSCLI: the program's own Kubernetes provider authenticates with the token the AWS
// provider issues for the cluster (aws:eks/getClusterAuth), kept secret, with no exec plugin for the machine
// running the program to provide; with a kubeconfig profile or role the token is issued for that identity, like
// `aws eks get-token` would be. The exported kubeconfig keeps the exec plugin for people.
func TestKubernetesProviderNeedsNoAWSCLI(t *testing.T) {
	for name, args := range map[string]PlatformArgs{"dev": devArgs(), "prod": prodArgs()} {
		t.Run(name, func(t *testing.T) {
			res, _ := run(t, args)
			k8s := res.MustOne(t, "pulumi:providers:kubernetes", "prod-k8s")
			kc := k8s.Str("kubeconfig")
			if !k8s.IsSecret("kubeconfig") {
				t.Error("the provider's kubeconfig is not secret")
			}
			if strings.Contains(kc, `"exec"`) || !strings.Contains(kc, `"token":"k8s-aws-v1.`) {
				t.Errorf("provider kubeconfig authenticates otherwise than with the cluster token:\n%s", kc)
			}
			var auth *componenttest.Invoke
			for i := range res.Invokes {
				if res.Invokes[i].Token == "aws:eks/getClusterAuth:getClusterAuth" {
					auth = &res.Invokes[i]
				}
			}
			if auth == nil || auth.Args["name"].StringValue() != "wechat-deploy-dev" {
				t.Fatalf("cluster auth invoke %+v", auth)
			}
			if name == "dev" {
				if _, err := res.One("pulumi:providers:aws", "prod-kubeconfig-identity"); err == nil {
					t.Error("an AWS provider of the kubeconfig identity without a profile or role")
				}
				return
			}
			p := res.MustOne(t, "pulumi:providers:aws", "prod-kubeconfig-identity")
			if p.Str("assumeRole.roleArn") != "arn:aws:iam::123456789012:role/deployer" || p.Str("profile") != "prod" || p.Str("region") != "ap-southeast-1" {
				t.Errorf("kubeconfig identity provider %v", p.Inputs)
			}
		})
	}
}
