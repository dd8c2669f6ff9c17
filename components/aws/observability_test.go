package aws

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/wechat-deploy/wechat-deploy/components/netplan"
)

func managedArgs() PlatformArgs {
	a := prodArgs()
	a.Managed = ManagedArgs{Metrics: true, ContainerInsights: true, Logs: true, LogRetentionDays: 90, App: "wechat-api", MetricsPortName: "metrics"}
	return a
}

// TestManagedPrometheus: the workspace and the managed scraper that writes to it, scraping from the cluster's
// private subnets with the cluster security group; the app's NetworkPolicy is told to admit exactly those
// subnets. Nothing is created when the stack asks for nothing.
func TestManagedPrometheus(t *testing.T) {
	res, p := run(t, managedArgs())
	ws := res.MustOne(t, "aws:amp/workspace:Workspace", "prod-prometheus")
	sc := res.MustOne(t, "aws:amp/scraper:Scraper", "prod-scraper")
	if ws.Str("alias") != "wechat-deploy-dev" || sc.Str("alias") != "wechat-deploy-dev" {
		t.Errorf("aliases %q %q", ws.Str("alias"), sc.Str("alias"))
	}
	if got, want := sc.Str("destination.amp.workspaceArn"), ws.Outputs["arn"].StringValue(); got != want || want == "" {
		t.Errorf("scraper writes to %q, want the workspace %q", got, want)
	}
	cluster := res.MustOne(t, "aws:eks/cluster:Cluster", "prod")
	if got := sc.Str("source.eks.clusterArn"); got != cluster.Outputs["arn"].StringValue() || got == "" {
		t.Errorf("scraper source %q, want the cluster's ARN", got)
	}
	var private []string
	for _, s := range res.Find("aws:ec2/subnet:Subnet") {
		if strings.Contains(s.Name, "private") {
			private = append(private, s.ID)
		}
	}
	if got := sc.Strings("source.eks.subnetIds"); len(private) != 3 || !slices.Equal(slices.Sorted(slices.Values(got)), slices.Sorted(slices.Values(private))) {
		t.Errorf("scraper subnets %v, want the private subnets %v", got, private)
	}
	if sg := sc.Strings("source.eks.securityGroupIds"); len(sg) != 1 || sg[0] != cluster.Outputs["vpcConfig"].ObjectValue()["clusterSecurityGroupId"].StringValue() {
		t.Errorf("scraper security groups %v, want the cluster security group", sg)
	}
	// The NetworkPolicy admits the subnets the scraper's interfaces live in, and nothing else.
	want := netplan.CIDRsOf(p.Network.Plan, "private")
	if got := p.Outputs.Scraper; !slices.Equal(got.CIDRs, want) || len(got.Namespaces) != 0 || len(want) != 3 {
		t.Errorf("scraper admitted from %+v, want the private subnets %v", got, want)
	}
	off := prodArgs()
	res, p = run(t, off)
	for _, typ := range []string{"aws:amp/workspace:Workspace", "aws:amp/scraper:Scraper"} {
		if len(res.Find(typ)) != 0 {
			t.Errorf("%s registered without managed metrics", typ)
		}
	}
	if len(p.Outputs.Scraper.CIDRs) != 0 {
		t.Error("a scraper is admitted without managed metrics")
	}
}

// TestScrapeConfigurationFitsAMP holds the scraper's configuration to what an AMP managed collector accepts
// (testdata/upstream/eks-observability-facts.md): Kubernetes service discovery only, an interval of at least
// 30 seconds; and checks that it selects the app's pods on their metrics port only.
func TestScrapeConfigurationFitsAMP(t *testing.T) {
	doc, err := ScrapeConfiguration("wechat-api", "wechat-api", "metrics")
	if err != nil {
		t.Fatal(err)
	}
	var cfg struct {
		Global struct {
			ScrapeInterval string `yaml:"scrape_interval"`
		} `yaml:"global"`
		ScrapeConfigs []map[string]any `yaml:"scrape_configs"`
	}
	if err := yaml.Unmarshal([]byte(doc), &cfg); err != nil {
		t.Fatal(err)
	}
	if d, err := time.ParseDuration(cfg.Global.ScrapeInterval); err != nil || d < 30*time.Second {
		t.Errorf("scrape interval %q: AMP accepts 30s or more", cfg.Global.ScrapeInterval)
	}
	if len(cfg.ScrapeConfigs) != 1 {
		t.Fatalf("scrape configs %v", cfg.ScrapeConfigs)
	}
	job := cfg.ScrapeConfigs[0]
	for k := range job {
		if strings.HasSuffix(k, "_sd_configs") && k != "kubernetes_sd_configs" {
			t.Errorf("%s: AMP allows kubernetes_sd_configs only", k)
		}
	}
	b, _ := json.Marshal(job)
	for _, want := range []string{`"role":"pod"`, `"names":["wechat-api"]`,
		`"source_labels":["__meta_kubernetes_pod_label_app_kubernetes_io_name"]`, `"regex":"wechat-api"`,
		`"source_labels":["__meta_kubernetes_pod_container_port_name"]`, `"regex":"metrics"`} {
		if !strings.Contains(string(b), want) {
			t.Errorf("scrape job lacks %s: %s", want, b)
		}
	}
}

// TestContainerInsights: the CloudWatch observability addon, pinned by the release table, with a Pod Identity
// role only its service account gets, holding the managed agent policy; its log groups exist beforehand with
// the stack's retention; container logs follow the logs switch.
func TestContainerInsights(t *testing.T) {
	for _, logs := range []bool{true, false} {
		args := managedArgs()
		args.Managed.Logs = logs
		res, _ := run(t, args)
		addon := res.MustOne(t, "aws:eks/addon:Addon", "prod-"+CloudWatchObservabilityAddon)
		release, _ := EKSReleaseOf("1.33")
		if addon.Str("addonName") != CloudWatchObservabilityAddon || addon.Str("addonVersion") != release.CloudWatchObservability.Version {
			t.Errorf("addon %s %s", addon.Str("addonName"), addon.Str("addonVersion"))
		}
		var cfg struct {
			ContainerLogs struct {
				Enabled bool `json:"enabled"`
			} `json:"containerLogs"`
		}
		if err := json.Unmarshal([]byte(addon.Str("configurationValues")), &cfg); err != nil || cfg.ContainerLogs.Enabled != logs {
			t.Errorf("logs %v: addon configuration %s (%v)", logs, addon.Str("configurationValues"), err)
		}
		role := res.MustOne(t, "aws:iam/role:Role", "prod-cloudwatch-agent")
		if sa := addon.Str("podIdentityAssociations[0].serviceAccount"); sa != "cloudwatch-agent" ||
			addon.Str("podIdentityAssociations[0].roleArn") != role.Outputs["arn"].StringValue() {
			t.Errorf("pod identity association %s -> %s", sa, addon.Str("podIdentityAssociations[0].roleArn"))
		}
		var trust struct {
			Statement []struct {
				Principal map[string]string
				Action    []string
			}
		}
		if err := json.Unmarshal([]byte(role.Str("assumeRolePolicy")), &trust); err != nil || len(trust.Statement) != 1 ||
			trust.Statement[0].Principal["Service"] != "pods.eks.amazonaws.com" || !slices.Equal(trust.Statement[0].Action, []string{"sts:AssumeRole", "sts:TagSession"}) {
			t.Errorf("trust policy %s", role.Str("assumeRolePolicy"))
		}
		if p := res.MustOne(t, "aws:iam/rolePolicyAttachment:RolePolicyAttachment", "prod-cloudwatch-agent"); p.Str("policyArn") != "arn:aws:iam::aws:policy/CloudWatchAgentServerPolicy" {
			t.Errorf("agent policy %s", p.Str("policyArn"))
		}
		groups := map[string]float64{}
		for _, g := range res.Find("aws:cloudwatch/logGroup:LogGroup") {
			if strings.HasPrefix(g.Str("name"), "/aws/containerinsights/") {
				groups[g.Str("name")] = g.Num("retentionInDays")
			}
		}
		want := []string{"performance"}
		if logs {
			want = append(want, "application", "dataplane", "host")
		}
		if len(groups) != len(want) {
			t.Errorf("logs %v: log groups %v, want %v", logs, groups, want)
		}
		for _, g := range want {
			if days := groups["/aws/containerinsights/wechat-deploy-dev/"+g]; days != 90 {
				t.Errorf("logs %v: %s retention %v", logs, g, days)
			}
		}
	}
}
