package alicloud

import (
	"encoding/json"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"gopkg.in/yaml.v3"

	"github.com/wechat-deploy/wechat-deploy/components/componenttest"
)

// TestPrivateEndpoint: without the internet load balancer the kubeconfig points at the VPC endpoint (ACK's
// credential names the internet one), keeping the credential's CA and user.
func TestPrivateEndpoint(t *testing.T) {
	args := prodCN()
	args.Cluster.PublicEndpoint = false
	res, p := run(t, args)
	if c := res.MustOne(t, "alicloud:cs/managedKubernetes:ManagedKubernetes", "cn"); c.Bool("slbInternetEnabled") {
		t.Error("the API server is still published on an internet SLB")
	}
	kc, err := componenttest.Await(p.Cluster.Kubeconfig)
	if err != nil || !kc.Secret {
		t.Fatalf("kubeconfig: %v (secret %v)", err, kc.Secret)
	}
	var parsed struct {
		Clusters []struct {
			Cluster map[string]any `yaml:"cluster"`
		} `yaml:"clusters"`
		Users []any `yaml:"users"`
	}
	if err := yaml.Unmarshal([]byte(kc.Value.(string)), &parsed); err != nil {
		t.Fatal(err)
	}
	if len(parsed.Clusters) != 1 || parsed.Clusters[0].Cluster["server"] != "https://10.0.0.10:6443" ||
		parsed.Clusters[0].Cluster["certificate-authority-data"] != componenttest.FakeCA || len(parsed.Users) != 1 {
		t.Errorf("private kubeconfig %+v", parsed)
	}
	if ep, _ := componenttest.Await(p.Cluster.Endpoint); ep.Value != "https://10.0.0.10:6443" {
		t.Errorf("endpoint %v", ep.Value)
	}
	// And a public cluster keeps ACK's kubeconfig as issued.
	_, pub := run(t, devCN())
	if kc, _ := componenttest.Await(pub.Cluster.Kubeconfig); !strings.Contains(kc.Value.(string), "https://47.0.0.1:6443") {
		t.Error("the public kubeconfig was rewritten")
	}
}

// TestProviderCredentialsFromOIDC: the provider exchanges the deployment's OIDC token for the role only when
// told to; it reads the ALIBABA_CLOUD_OIDC_* variables nowhere else.
func TestProviderCredentialsFromOIDC(t *testing.T) {
	args := devCN()
	args.OIDC = &OIDCCredentials{
		ProviderARN: "acs:ram::1234567890123456:oidc-provider/pulumi-cloud", RoleARN: "acs:ram::1234567890123456:role/wechat-deploy-dev-cn-deploy",
		TokenFile: "/tmp/aliyun-oidc-token", SessionName: "wechat-deploy-dev-cn",
	}
	res, _ := run(t, args)
	prov := res.MustOne(t, "pulumi:providers:alicloud", "cn-alicloud")
	if prov.Str("assumeRoleWithOidc.oidcProviderArn") != args.OIDC.ProviderARN || prov.Str("assumeRoleWithOidc.roleArn") != args.OIDC.RoleARN ||
		prov.Str("assumeRoleWithOidc.oidcTokenFile") != args.OIDC.TokenFile || prov.Str("region") != "cn-hangzhou" {
		t.Errorf("provider inputs %v", prov.Inputs)
	}
	res, _ = run(t, devCN())
	if prov := res.MustOne(t, "pulumi:providers:alicloud", "cn-alicloud"); prov.Has("assumeRoleWithOidc") {
		t.Error("an OIDC block without OIDC credentials")
	}
}

// TestCredentialHelperPatchesTheAppsServiceAccount: the managed helper watches the app's namespace and patches
// the app's service account (by default it patches only "default" in "default", and the app runs as its own).
func TestCredentialHelperPatchesTheAppsServiceAccount(t *testing.T) {
	res, _ := run(t, prodCN())
	c := res.MustOne(t, "alicloud:cs/managedKubernetes:ManagedKubernetes", "cn")
	var cfg ACRHelperSettings
	found := false
	for i := range 12 {
		if c.Str(addonPath(i, "name")) == ACRCredentialHelper {
			found = true
			if err := json.Unmarshal([]byte(c.Str(addonPath(i, "config"))), &cfg); err != nil {
				t.Fatal(err)
			}
		}
	}
	instance := res.MustOne(t, "alicloud:cr/registryEnterpriseInstance:RegistryEnterpriseInstance", "cn-instance")
	if !found || cfg.WatchNamespace != "wechat-api" || cfg.ServiceAccount != "wechat-api" || len(cfg.AcrInstanceInfo) != 1 ||
		cfg.AcrInstanceInfo[0].InstanceID != instance.ID || cfg.AcrInstanceInfo[0].RegionID != "cn-shanghai" || cfg.EnableRRSA {
		t.Errorf("credential helper %v: %+v", found, cfg)
	}
}

func addonPath(i int, field string) string { return "addons[" + strconv.Itoa(i) + "]." + field }

// TestFlowLogsAndCloudRanges: prod-cn's flow-log retention reaches a logstore the VPC's flow log writes to, and
// the nodes admit the cloud's service range (load balancer health checks, the managed control plane).
func TestFlowLogsAndCloudRanges(t *testing.T) {
	args := prodCN()
	args.Network.FlowLogProject, args.Network.FlowLogRetentionDays = "wechat-deploy-prod-cn-flow-logs", 90
	res, p := run(t, args)
	project := res.MustOne(t, "alicloud:log/project:Project", "cn-flow-logs")
	store := res.MustOne(t, "alicloud:log/store:Store", "cn-flow-logs")
	flow := res.MustOne(t, "alicloud:vpc/flowLog:FlowLog", "cn-flow-logs")
	vpcID, _ := componenttest.Await(p.Network.VpcID)
	if project.Str("projectName") != args.Network.FlowLogProject || store.Num("retentionPeriod") != 90 ||
		flow.Str("resourceType") != "VPC" || flow.Str("resourceId") != vpcID.Value || flow.Str("trafficType") != "All" ||
		flow.Str("logStoreName") != store.Str("logstoreName") || flow.Str("projectName") != args.Network.FlowLogProject {
		t.Errorf("flow logs: project %v store %v flow %v", project.Inputs, store.Inputs, flow.Inputs)
	}
	admitted := false
	for _, r := range res.Find("alicloud:ecs/securityGroupRule:SecurityGroupRule") {
		if r.Str("cidrIp") == CloudServiceCIDR && r.Str("type") == "ingress" && r.Str("ipProtocol") == "tcp" {
			admitted = true
		}
	}
	if !admitted {
		t.Errorf("the nodes do not admit %s", CloudServiceCIDR)
	}
	// Without a project named, no flow logs (the stack did not ask).
	res, _ = run(t, devCN())
	if len(res.Find("alicloud:vpc/flowLog:FlowLog")) != 0 {
		t.Error("flow logs without a project")
	}
}

// TestClusterWaitsForEgress: ACK's nodes reach the internet while the cluster is created (images, cloud APIs):
// the cluster waits for every SNAT entry and default route.
func TestClusterWaitsForEgress(t *testing.T) {
	res, _ := run(t, prodCN())
	c := res.MustOne(t, "alicloud:cs/managedKubernetes:ManagedKubernetes", "cn")
	for _, typ := range []string{"alicloud:vpc/snatEntry:SnatEntry", "alicloud:vpc/routeEntry:RouteEntry", "alicloud:vpc/routeTableAttachment:RouteTableAttachment"} {
		if len(res.Find(typ)) < 3 {
			t.Fatalf("prod-cn has %d %s", len(res.Find(typ)), typ)
		}
		for _, r := range res.Find(typ) {
			if !slices.Contains(c.Dependencies, r.URN) {
				t.Errorf("the cluster does not wait for %s %s", typ, r.Name)
			}
		}
	}
}

// TestServiceRolesAreChecked: an account that has not authorised one of ACK's service roles is refused before
// any cloud resource is registered, with the role and what needs it named.
func TestServiceRolesAreChecked(t *testing.T) {
	saved := componenttest.AuthorisedRAMRoles
	t.Cleanup(func() { componenttest.AuthorisedRAMRoles = saved })
	componenttest.AuthorisedRAMRoles = slices.DeleteFunc(slices.Clone(saved), func(n string) bool { return n == "AliyunCSManagedSecurityRole" })
	args := devCN()
	res, err := componenttest.Run(componenttest.Options{Project: "wechat-deploy", Stack: "t", Config: map[string]string{"wechat-deploy:region": args.Region}},
		func(ctx *pulumi.Context) error {
			_, err := NewPlatform(ctx, "cn", &args)
			return err
		})
	if err == nil || !strings.Contains(err.Error(), "AliyunCSManagedSecurityRole (KMS encryption of Secrets") {
		t.Fatalf("missing service role: %v", err)
	}
	for _, r := range res.Resources {
		if r.Custom && !r.IsProvider() {
			t.Errorf("%s %s registered before the check", r.Type, r.Name)
		}
	}
}

// TestProviderRulesRefuseConflictingInput: each deliberately broken fixture is flagged with the expected kind of
// rule, so the stack test's silence means something.
func TestProviderRulesRefuseConflictingInput(t *testing.T) {
	componenttest.CheckProviderRuleFixtures(t, "testdata/provider-rules.tsv", "testdata/provider-rules-violations.json")
}

// TestProviderRulePathsAreSchemaProperties: every property a rule names is a property of its type in the
// official v3.105.0 schema (sdk/testdata), so no rule silently judges nothing.
func TestProviderRulePathsAreSchemaProperties(t *testing.T) {
	rules, err := componenttest.LoadProviderRules("testdata/provider-rules.tsv")
	if err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile("sdk/testdata/schema-3.105.0.txt")
	if err != nil {
		t.Fatal(err)
	}
	props := map[string][]string{}
	for _, line := range strings.Split(string(raw), "\n") {
		if f := strings.Fields(line); len(f) > 0 && !strings.HasPrefix(f[0], "#") {
			props[f[0]] = f[1:]
		}
	}
	for _, r := range rules {
		known, ok := props[r.Type]
		if !ok {
			t.Errorf("line %d: %s is not in the schema list", r.Line, r.Type)
			continue
		}
		for _, p := range r.Properties() {
			top, _, _ := strings.Cut(strings.ReplaceAll(p, "[*]", ""), ".")
			if !slices.Contains(known, top) {
				t.Errorf("line %d: %s has no property %q", r.Line, r.Type, top)
			}
		}
	}
}
