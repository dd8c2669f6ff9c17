package aws

import (
	"encoding/json"
	"fmt"
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/acm"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/amp"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/cloudwatch"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ec2"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ecr"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/eks"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/iam"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/kms"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/rds"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/route53"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/wechat-deploy/wechat-deploy/components/componenttest"
	"github.com/wechat-deploy/wechat-deploy/components/platform"
)

// upstreamStatement is one statement of the controller's published IAM policy, normalised
// (testdata/upstream/lbcontroller-iam-policy.json).
type upstreamStatement struct {
	Effect    string                         `json:"effect"`
	Actions   []string                       `json:"actions"`
	Resources []string                       `json:"resources"`
	Condition map[string]map[string][]string `json:"condition,omitempty"`
}

// normalise turns a rendered policy document into upstream's shape: sorted lists everywhere.
func normalise(t *testing.T, doc string) []upstreamStatement {
	t.Helper()
	var p struct {
		Statement []struct {
			Effect    string
			Action    any
			Resource  any
			Condition map[string]map[string]any
		}
	}
	if err := json.Unmarshal([]byte(doc), &p); err != nil {
		t.Fatal(err)
	}
	strs := func(v any) []string {
		var out []string
		switch v := v.(type) {
		case string:
			out = []string{v}
		case []any:
			for _, e := range v {
				out = append(out, e.(string))
			}
		}
		slices.Sort(out)
		return out
	}
	var out []upstreamStatement
	for _, s := range p.Statement {
		n := upstreamStatement{Effect: s.Effect, Actions: strs(s.Action), Resources: strs(s.Resource)}
		for op, kv := range s.Condition {
			if n.Condition == nil {
				n.Condition = map[string]map[string][]string{}
			}
			n.Condition[op] = map[string][]string{}
			for k, v := range kv {
				n.Condition[op][k] = strs(v)
			}
		}
		out = append(out, n)
	}
	return out
}

// TestLBControllerPolicyIsUpstream: the controller gets exactly the statements its project publishes for the
// version the pinned chart installs. A subset fails at the first ALB (AddTags on create, SetRulePriorities, ...).
func TestLBControllerPolicyIsUpstream(t *testing.T) {
	raw, err := os.ReadFile("testdata/upstream/lbcontroller-iam-policy.json")
	if err != nil {
		t.Fatal(err)
	}
	var upstream struct {
		Source     string              `json:"source"`
		Statements []upstreamStatement `json:"statements"`
	}
	if err := json.Unmarshal(raw, &upstream); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(upstream.Source, "(chart "+LBControllerChartVersion+")") {
		t.Fatalf("testdata is from %q, the program pins chart %s: refresh the testdata from that chart's controller version", upstream.Source, LBControllerChartVersion)
	}
	got := normalise(t, lbControllerPolicy("aws"))
	if len(got) != len(upstream.Statements) {
		t.Errorf("%d statements, upstream has %d", len(got), len(upstream.Statements))
	}
	for i := range min(len(got), len(upstream.Statements)) {
		if !reflect.DeepEqual(got[i], upstream.Statements[i]) {
			t.Errorf("statement %d:\n got %+v\nwant %+v", i, got[i], upstream.Statements[i])
		}
	}
	// In the China partition the same statements name arn:aws-cn resources.
	if cn := lbControllerPolicy("aws-cn"); strings.Contains(cn, "arn:aws:") || !strings.Contains(cn, "arn:aws-cn:elasticloadbalancing") {
		t.Error("the aws-cn policy keeps arn:aws: resources")
	}
	// And the role the platform makes carries it.
	res, _ := run(t, prodArgs())
	if p := res.MustOne(t, "aws:iam/rolePolicy:RolePolicy", "prod-lb-policy"); p.Str("policy") != lbControllerPolicy("aws") {
		t.Error("the controller's role policy is not the upstream policy")
	}
}

// TestFlowLogRoleHasWhatTheServiceNeeds: the actions the AWS docs list for a flow-log role ("IAM role for
// publishing flow logs to CloudWatch Logs"), except logs:CreateLogGroup (the group is created here).
func TestFlowLogRoleHasWhatTheServiceNeeds(t *testing.T) {
	docs := []string{"logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogGroups", "logs:DescribeLogStreams"}
	res, _ := run(t, devArgs())
	rp := res.MustOne(t, "aws:iam/rolePolicy:RolePolicy", "prod-flow-logs")
	policy := normalise(t, rp.Str("policy"))
	group := res.MustOne(t, "aws:cloudwatch/logGroup:LogGroup", "prod-flow-logs").Outputs["arn"].StringValue()
	for _, action := range docs {
		granted := slices.ContainsFunc(policy, func(s upstreamStatement) bool {
			return slices.Contains(s.Actions, action) && (slices.Contains(s.Resources, "*") || slices.Contains(s.Resources, group+":*"))
		})
		if !granted {
			t.Errorf("flow-log role lacks %s on %s", action, group)
		}
	}
}

// TestProviderRulesRefuseConflictingInput: the rules evaluator flags each deliberately broken fixture with the
// expected kind of rule and passes an equivalent valid one, so a stack test that reports nothing means
// something.
func TestProviderRulesRefuseConflictingInput(t *testing.T) {
	componenttest.CheckProviderRuleFixtures(t, "testdata/provider-rules.tsv", "testdata/provider-rules-violations.json")
	// Unknown values count as set for conflicts (the engine will send them) but are not judged by value.
	rules, err := componenttest.LoadProviderRules("testdata/provider-rules.tsv")
	if err != nil {
		t.Fatal(err)
	}
	unknown := resource.MakeComputed(resource.NewStringProperty(""))
	lt := componenttest.Resource{Type: "aws:ec2/launchTemplate:LaunchTemplate", Name: "lt", Inputs: resource.PropertyMap{
		"defaultVersion": unknown, "updateDefaultVersion": resource.NewBoolProperty(true),
		"metadataOptions": resource.NewObjectProperty(resource.PropertyMap{"httpPutResponseHopLimit": unknown}),
	}}
	found := componenttest.CheckProviderRules(rules, []componenttest.Resource{lt})
	if len(found) != 1 || found[0].Rule.Kind != "conflicts" {
		t.Errorf("unknowns: %v", found)
	}
}

// pulumiArgs maps each type with provider rules to its SDK input type, whose pulumi tags are the property names.
var pulumiArgs = map[string]interface{ ElementType() reflect.Type }{
	"aws:acm/certificate:Certificate":                         acm.CertificateArgs{},
	"aws:amp/scraper:Scraper":                                 amp.ScraperArgs{},
	"aws:amp/workspace:Workspace":                             amp.WorkspaceArgs{},
	"aws:acm/certificateValidation:CertificateValidation":     acm.CertificateValidationArgs{},
	"aws:cloudwatch/logGroup:LogGroup":                        cloudwatch.LogGroupArgs{},
	"aws:ec2/defaultSecurityGroup:DefaultSecurityGroup":       ec2.DefaultSecurityGroupArgs{},
	"aws:ec2/eip:Eip":                                         ec2.EipArgs{},
	"aws:ec2/flowLog:FlowLog":                                 ec2.FlowLogArgs{},
	"aws:ec2/internetGateway:InternetGateway":                 ec2.InternetGatewayArgs{},
	"aws:ec2/launchTemplate:LaunchTemplate":                   ec2.LaunchTemplateArgs{},
	"aws:ec2/natGateway:NatGateway":                           ec2.NatGatewayArgs{},
	"aws:ec2/routeTable:RouteTable":                           ec2.RouteTableArgs{},
	"aws:ec2/routeTableAssociation:RouteTableAssociation":     ec2.RouteTableAssociationArgs{},
	"aws:ec2/securityGroup:SecurityGroup":                     ec2.SecurityGroupArgs{},
	"aws:ec2/subnet:Subnet":                                   ec2.SubnetArgs{},
	"aws:ec2/vpc:Vpc":                                         ec2.VpcArgs{},
	"aws:ecr/lifecyclePolicy:LifecyclePolicy":                 ecr.LifecyclePolicyArgs{},
	"aws:ecr/repository:Repository":                           ecr.RepositoryArgs{},
	"aws:eks/accessEntry:AccessEntry":                         eks.AccessEntryArgs{},
	"aws:eks/accessPolicyAssociation:AccessPolicyAssociation": eks.AccessPolicyAssociationArgs{},
	"aws:eks/addon:Addon":                                     eks.AddonArgs{},
	"aws:eks/cluster:Cluster":                                 eks.ClusterArgs{},
	"aws:eks/nodeGroup:NodeGroup":                             eks.NodeGroupArgs{},
	"aws:iam/openIdConnectProvider:OpenIdConnectProvider":     iam.OpenIdConnectProviderArgs{},
	"aws:iam/role:Role":                                       iam.RoleArgs{},
	"aws:iam/rolePolicy:RolePolicy":                           iam.RolePolicyArgs{},
	"aws:iam/rolePolicyAttachment:RolePolicyAttachment":       iam.RolePolicyAttachmentArgs{},
	"aws:kms/alias:Alias":                                     kms.AliasArgs{},
	"aws:kms/key:Key":                                         kms.KeyArgs{},
	"aws:rds/instance:Instance":                               rds.InstanceArgs{},
	"aws:rds/parameterGroup:ParameterGroup":                   rds.ParameterGroupArgs{},
	"aws:rds/subnetGroup:SubnetGroup":                         rds.SubnetGroupArgs{},
	"aws:route53/record:Record":                               route53.RecordArgs{},
}

// sdkPath reports whether path names an input of t: each step a field's pulumi tag, [*] an element of a list.
func sdkPath(t reflect.Type, path string) error {
	for _, part := range strings.Split(strings.ReplaceAll(path, "[*]", ".*"), ".") {
		for t.Kind() == reflect.Pointer {
			t = t.Elem()
		}
		if part == "*" {
			if t.Kind() != reflect.Slice {
				return fmt.Errorf("[*] on %s, not a list", t)
			}
			t = t.Elem()
			continue
		}
		if t.Kind() != reflect.Struct {
			return fmt.Errorf("%s: %s has no fields", part, t)
		}
		i := slices.IndexFunc(reflect.VisibleFields(t), func(f reflect.StructField) bool {
			name, _, _ := strings.Cut(f.Tag.Get("pulumi"), ",")
			return name == part
		})
		if i < 0 {
			return fmt.Errorf("%s is not an input of %s", part, t)
		}
		t = reflect.VisibleFields(t)[i].Type
	}
	return nil
}

// TestProviderRulePathsAreSDKInputs: every path of the rules file is an input of the pinned SDK (property names
// and nesting as pulumi-aws v6.83.4 spells them), so a rule cannot silently judge nothing.
func TestProviderRulePathsAreSDKInputs(t *testing.T) {
	rules, err := componenttest.LoadProviderRules("testdata/provider-rules.tsv")
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rules {
		args, ok := pulumiArgs[r.Type]
		if !ok {
			t.Errorf("line %d: %s has no SDK type here", r.Line, r.Type)
			continue
		}
		for _, p := range r.Properties() {
			if err := sdkPath(args.ElementType(), p); err != nil {
				t.Errorf("line %d (%s %s): %v", r.Line, r.Type, r.Kind, err)
			}
		}
	}
}

// TestEKSReleaseTable: every row parses, its dates are ordered, and its addons cover what a cluster created
// without self-managed addons needs, vpc-cni with network policy on.
func TestEKSReleaseTable(t *testing.T) {
	for _, r := range EKSReleases {
		std, ext := r.UpgradedByAWSAfter(UpgradeStandard), r.UpgradedByAWSAfter(UpgradeExtended)
		// EKS: 14 months of standard support, then 12 of extended.
		if !ext.Equal(std.AddDate(1, 0, 0)) {
			t.Errorf("%s: extended support ends %s, want a year after standard (%s)", r.Version, ext.Format(time.DateOnly), std.Format(time.DateOnly))
		}
		for _, want := range []string{"vpc-cni", "kube-proxy", "coredns"} {
			if !slices.ContainsFunc(r.Addons, func(a platform.Addon) bool { return a.Name == want && a.Version != "" }) {
				t.Errorf("%s: %s is not pinned", r.Version, want)
			}
		}
		i := slices.IndexFunc(r.Addons, func(a platform.Addon) bool { return a.Name == "vpc-cni" })
		var cfg map[string]any
		if i < 0 || json.Unmarshal([]byte(r.Addons[i].Config), &cfg) != nil || cfg["enableNetworkPolicy"] != "true" {
			t.Errorf("%s: vpc-cni does not enable network policy (the string \"true\")", r.Version)
		}
		if r.MetricsServerChart == "" {
			t.Errorf("%s: no metrics-server chart", r.Version)
		}
	}
}

// TestWhatRunsOnTheClusterWaitsForNodes: the controller and metrics-server (atomic Helm releases with a
// timeout) start once the node group and the addons are in place, not when the control plane is ACTIVE.
func TestWhatRunsOnTheClusterWaitsForNodes(t *testing.T) {
	res, _ := run(t, prodArgs())
	for _, name := range []string{"prod-lb", "prod-metrics"} {
		rel := res.MustOne(t, "kubernetes:helm.sh/v3:Release", name)
		for _, want := range []string{"::prod-nodes", "::prod-vpc-cni", "::prod-coredns"} {
			if !slices.ContainsFunc(rel.Dependencies, func(u string) bool { return strings.HasSuffix(u, want) }) {
				t.Errorf("%s does not wait for %s: %v", name, want, rel.Dependencies)
			}
		}
	}
	ms := res.MustOne(t, "kubernetes:helm.sh/v3:Release", "prod-metrics")
	if ms.Str("chart") != "metrics-server" || ms.Str("version") != EKSReleases[0].MetricsServerChart {
		t.Errorf("metrics-server chart %s %s", ms.Str("chart"), ms.Str("version"))
	}
}

// TestClusterAccess: no hidden creator admin; the deploy role administers, the preview role views without
// Secrets; the kubeconfig waits for the grants.
func TestClusterAccess(t *testing.T) {
	args := prodArgs()
	args.Delivery = &DeliveryAccess{Project: "wechat-deploy", Environment: "prod"}
	res, p := run(t, args)
	cluster := res.MustOne(t, "aws:eks/cluster:Cluster", "prod")
	if v, ok := cluster.Input("accessConfig.bootstrapClusterCreatorAdminPermissions"); !ok || !v.IsBool() || v.BoolValue() {
		t.Error("the creator still gets an admin entry")
	}
	if !slices.Contains(cluster.IgnoreChanges, "accessConfig.bootstrapClusterCreatorAdminPermissions") {
		t.Error("turning the creator entry off would replace existing clusters")
	}
	want := map[string]string{
		"arn:aws:iam::123456789012:role/platform-admins":            AdminAccessPolicy,
		"arn:aws:iam::123456789012:role/wechat-deploy-prod-deploy":  AdminAccessPolicy,
		"arn:aws:iam::123456789012:role/wechat-deploy-prod-preview": ViewerAccessPolicy,
	}
	got := map[string]string{}
	for _, a := range res.Find("aws:eks/accessPolicyAssociation:AccessPolicyAssociation") {
		got[a.Str("principalArn")] = strings.TrimPrefix(a.Str("policyArn"), "arn:aws:eks::aws:cluster-access-policy/")
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("access policies %v, want %v", got, want)
	}
	if len(res.Find("aws:eks/accessEntry:AccessEntry")) != len(want) {
		t.Errorf("access entries: %d", len(res.Find("aws:eks/accessEntry:AccessEntry")))
	}
	if ViewerAccessPolicy != "AmazonEKSViewPolicy" {
		t.Error("the preview role must not read Secrets (AmazonEKSAdminViewPolicy does)")
	}
	if _, err := componenttest.Await(p.Cluster.Kubeconfig); err != nil {
		t.Fatal(err)
	}
	if cluster.Str("upgradePolicy.supportType") != UpgradeExtended {
		t.Errorf("upgrade policy %q", cluster.Str("upgradePolicy.supportType"))
	}
}

// TestNodesAreTagged: what the node group launches carries the stack's tags (the provider's default tags do
// not reach instances, volumes and network interfaces launched by EKS).
func TestNodesAreTagged(t *testing.T) {
	res, _ := run(t, devArgs())
	lt := res.MustOne(t, "aws:ec2/launchTemplate:LaunchTemplate", "prod-nodes")
	var got []string
	for i := range 3 {
		got = append(got, lt.Str(fmt.Sprintf("tagSpecifications[%d].resourceType", i)))
		if lt.Str(fmt.Sprintf("tagSpecifications[%d].tags.stack", i)) != "dev" {
			t.Errorf("tag specification %d lacks the stack tag", i)
		}
	}
	if !slices.Equal(got, LaunchTaggedResources) {
		t.Errorf("tagged %v, want %v", got, LaunchTaggedResources)
	}
}

// TestDomainIssuesAndPublishes: with a hosted zone, TLS gets a DNS-validated ACM certificate that the Ingress
// annotations name once issued, and the domain gets an alias to the ALB in the ALB's canonical zone.
func TestDomainIssuesAndPublishes(t *testing.T) {
	args := prodArgs()
	args.HostedZone, args.Domain, args.TLS = "example.com", "api.example.com", true
	var certificate pulumi.StringInput
	res, err := componenttest.Run(componenttest.Options{Project: "wechat-deploy", Stack: "test",
		Config: map[string]string{"wechat-deploy:region": args.Region}}, func(ctx *pulumi.Context) error {
		p, err := NewPlatform(ctx, "prod", &args)
		if err != nil {
			return err
		}
		certificate = p.Outputs.IngressAnnotations(platform.IngressTLS{Enabled: true})[albCertificateAnnotation]
		return p.Outputs.PublishHost(pulumi.String("k8s-alb-123.ap-southeast-1.elb.amazonaws.com").ToStringOutput())
	})
	if err != nil {
		t.Fatal(err)
	}
	if certificate == nil {
		t.Fatal("the Ingress annotations name no certificate")
	}
	cert := res.MustOne(t, "aws:acm/certificate:Certificate", "prod-cert")
	if cert.Str("domainName") != "api.example.com" || cert.Str("validationMethod") != "DNS" {
		t.Errorf("certificate %s by %s", cert.Str("domainName"), cert.Str("validationMethod"))
	}
	// The annotation is the validation's ARN: known only once ACM issued the certificate.
	issued := res.MustOne(t, "aws:acm/certificateValidation:CertificateValidation", "prod-cert")
	if got, err := componenttest.Await(certificate.ToStringOutput()); err != nil || got.Value != issued.Str("certificateArn") || got.Value != cert.Outputs["arn"].StringValue() {
		t.Errorf("certificate annotation %v (%v), issued %s", got.Value, err, issued.Str("certificateArn"))
	}
	validation := res.MustOne(t, "aws:route53/record:Record", "prod-cert-validation")
	if !strings.HasSuffix(validation.Str("name"), ".api.example.com.") || validation.Str("type") != "CNAME" || !strings.HasPrefix(validation.Str("zoneId"), "Z") {
		t.Errorf("validation record %s %s in %s", validation.Str("name"), validation.Str("type"), validation.Str("zoneId"))
	}
	alias := res.MustOne(t, "aws:route53/record:Record", "prod-alias")
	if alias.Str("name") != "api.example.com" || alias.Str("type") != "A" || alias.Str("aliases[0].zoneId") != "Z35SXDOTRQ7X7K" ||
		alias.Str("aliases[0].name") != "k8s-alb-123.ap-southeast-1.elb.amazonaws.com" || !alias.Bool("aliases[0].evaluateTargetHealth") {
		t.Errorf("alias %s %s -> %s in %s", alias.Str("name"), alias.Str("type"), alias.Str("aliases[0].name"), alias.Str("aliases[0].zoneId"))
	}
	if !slices.ContainsFunc(res.Invokes, func(i componenttest.Invoke) bool {
		return i.Token == "aws:route53/getZone:getZone" && i.Args["name"].StringValue() == "example.com" && !i.Args["privateZone"].BoolValue()
	}) {
		t.Error("the public zone was not looked up by name")
	}
	// TLS without a certificate or a zone to issue one in is refused before anything is created.
	bare := prodArgs()
	bare.TLS, bare.Domain = true, "api.example.com"
	if _, err := componenttest.Run(componenttest.Options{Project: "wechat-deploy", Stack: "test"}, func(ctx *pulumi.Context) error {
		_, err := NewPlatform(ctx, "prod", &bare)
		return err
	}); err == nil || !strings.Contains(err.Error(), "TLS needs a certificate") {
		t.Errorf("TLS without a certificate source: %v", err)
	}
}
