package alicloud

import (
	"encoding/json"
	"regexp"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/wechat-deploy/wechat-deploy/components/componenttest"
)

func managedCN() PlatformArgs {
	a := prodCN()
	a.Managed = ManagedArgs{Metrics: true, Logs: true, LogProject: "wechat-deploy-prod-cn-app-logs", LogRetentionDays: 90}
	return a
}

// TestManagedObservability: ARMS Prometheus and Logtail are installed as named cluster components after the
// cluster is ready; Logtail is bound to the stack's log project, whose logstore keeps the configured days; the
// collection configuration sends the app namespace's output there; the app admits ARMS's namespace to its
// metrics port. Nothing of it exists when the stack asks for nothing.
func TestManagedObservability(t *testing.T) {
	res, p := run(t, managedCN())
	cluster := res.MustOne(t, "alicloud:cs/managedKubernetes:ManagedKubernetes", "cn")
	addons := map[string]componenttest.Resource{}
	for _, a := range res.Find("alicloud:cs/kubernetesAddon:KubernetesAddon") {
		addons[a.Str("name")] = a
		if a.Str("clusterId") != cluster.ID {
			t.Errorf("%s installed into %q, want the cluster %q", a.Str("name"), a.Str("clusterId"), cluster.ID)
		}
	}
	if len(addons) != 2 || addons[ARMSPrometheusAddon].Name == "" || addons[LogtailAddon].Name == "" {
		t.Fatalf("components %v", addons)
	}
	logtail := addons[LogtailAddon]
	var cfg map[string]string
	if err := json.Unmarshal([]byte(logtail.Str("config")), &cfg); err != nil || cfg["sls_project_name"] != "wechat-deploy-prod-cn-app-logs" {
		t.Errorf("logtail configuration %s (%v)", logtail.Str("config"), err)
	}
	project := res.MustOne(t, "alicloud:log/project:Project", "cn-logs")
	store := res.MustOne(t, "alicloud:log/store:Store", "cn-"+AppLogstore)
	if project.Str("projectName") != "wechat-deploy-prod-cn-app-logs" || store.Str("projectName") != project.Outputs["projectName"].StringValue() ||
		store.Num("retentionPeriod") != 90 {
		t.Errorf("project %s, store in %s kept %v days", project.Str("projectName"), store.Str("projectName"), store.Num("retentionPeriod"))
	}
	cr := res.MustOne(t, "kubernetes:telemetry.alibabacloud.com/v1alpha1:ClusterAliyunPipelineConfig", "cn-app-logs")
	if cr.Str("spec.project.name") != "wechat-deploy-prod-cn-app-logs" || cr.Str("spec.config.flushers[0].Logstore") != AppLogstore ||
		cr.Str("spec.config.inputs[0].ContainerFilters.K8sNamespaceRegex") != "^(wechat-api)$" {
		t.Errorf("collection config %v", cr.Inputs["spec"])
	}
	if got := p.Outputs.Scraper; len(got.Namespaces) != 1 || got.Namespaces[0] != ARMSNamespace || len(got.CIDRs) != 0 || !got.ServiceMonitors {
		t.Errorf("scraper %+v, want the %s namespace", got, ARMSNamespace)
	}

	res, p = run(t, prodCN())
	for _, typ := range []string{"alicloud:cs/kubernetesAddon:KubernetesAddon", "alicloud:log/store:Store", "kubernetes:telemetry.alibabacloud.com/v1alpha1:ClusterAliyunPipelineConfig"} {
		for _, r := range res.Find(typ) {
			if r.Name != "cn-flow-logs" {
				t.Errorf("%s %s registered without managed services", typ, r.Name)
			}
		}
	}
	if len(p.Outputs.Scraper.Namespaces) != 0 {
		t.Error("a scraper is admitted without managed metrics")
	}
}

// TestLogPipelineSelectsTheNamespaces: the namespace filter is an anchored RE2 alternation (SLS matches it
// against the whole namespace name), so a namespace whose name only starts like the app's is not collected.
func TestLogPipelineSelectsTheNamespaces(t *testing.T) {
	spec, err := LogPipeline("p", "s", []string{"wechat-api", "jobs"})
	if err != nil {
		t.Fatal(err)
	}
	in := spec["config"].(map[string]any)["inputs"].([]any)[0].(map[string]any)
	re := regexp.MustCompile(in["ContainerFilters"].(map[string]any)["K8sNamespaceRegex"].(string))
	for ns, want := range map[string]bool{"wechat-api": true, "jobs": true, "wechat-api-canary": false, "kube-system": false, "xjobs": false} {
		if re.MatchString(ns) != want {
			t.Errorf("namespace %s collected = %v", ns, !want)
		}
	}
	if _, err := LogPipeline("p", "s", []string{"a|b"}); err == nil {
		t.Error("a namespace that is not a name widened the filter")
	}
}

func TestManagedObservabilityValidation(t *testing.T) {
	for name, mutate := range map[string]func(a *ManagedArgs){
		"project name with capitals": func(a *ManagedArgs) { a.LogProject = "Wechat-Logs" },
		"retention over ten years":   func(a *ManagedArgs) { a.LogRetentionDays = 4000 },
	} {
		args := managedCN()
		mutate(&args.Managed)
		res, err := componenttest.Run(componenttest.Options{Project: "wechat-deploy", Stack: "t"}, func(ctx *pulumi.Context) error {
			_, err := NewPlatform(ctx, "cn", &args)
			return err
		})
		if err == nil || !strings.Contains(err.Error(), "invalid") {
			t.Errorf("%s: %v", name, err)
		}
		if len(res.Resources) != 0 {
			t.Errorf("%s: %d resources registered before the error", name, len(res.Resources))
		}
	}
}
