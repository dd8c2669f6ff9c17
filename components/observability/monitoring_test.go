package observability

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/wechat-deploy/wechat-deploy/components/componenttest"
	"github.com/wechat-deploy/wechat-deploy/components/observability/signals"
	"github.com/wechat-deploy/wechat-deploy/components/workload"
)

func monitoringArgs() *MonitoringArgs {
	return &MonitoringArgs{
		Target:   signals.Target{Namespace: "wechat-api", Service: "wechat-api", Deployment: "wechat-api", HPA: "wechat-api"},
		Selector: workload.SelectorLabels("wechat-api", "prod"), Labels: map[string]string{"release": "kube-prometheus-stack"},
		PrometheusOperator: true, Dashboard: true, Thresholds: signals.DefaultThresholds,
	}
}

func run(t *testing.T, args *MonitoringArgs) *componenttest.Result {
	t.Helper()
	res, _ := componenttest.Component(t, componenttest.Options{Project: "wechat-deploy", Stack: "prod"}, func(ctx *pulumi.Context) (*Monitoring, error) {
		return NewMonitoring(ctx, "wechat-api-monitoring", args)
	})
	return res
}

// TestMonitoring: the ServiceMonitor selects the app's Service by its labels and scrapes the metrics port by
// name; the PrometheusRule carries every golden-signal alert; the dashboard is labelled for Grafana's sidecar;
// all carry the labels the stack's Prometheus selects by.
func TestMonitoring(t *testing.T) {
	res := run(t, monitoringArgs())
	sm := res.MustOne(t, "kubernetes:monitoring.coreos.com/v1:ServiceMonitor", "wechat-api-monitoring-servicemonitor")
	if sm.Str("metadata.labels.release") != "kube-prometheus-stack" {
		t.Errorf("service monitor labels %v", sm.Inputs["metadata"])
	}
	if sm.Str("spec.endpoints[0].port") != workload.MetricsPortName || sm.Str("spec.endpoints[0].path") != "/metrics" ||
		sm.Str("spec.namespaceSelector.matchNames[0]") != "wechat-api" || sm.Str("metadata.namespace") != "wechat-api" {
		t.Errorf("service monitor %v", sm.Inputs)
	}
	want := workload.SelectorLabels("wechat-api", "prod")
	got := sm.StringMap("spec.selector.matchLabels")
	if len(got) != len(want) || got["app.kubernetes.io/name"] != want["app.kubernetes.io/name"] || got["app.kubernetes.io/instance"] != want["app.kubernetes.io/instance"] {
		t.Errorf("selector %v, the Service is labelled %v", got, want)
	}
	rule := res.MustOne(t, "kubernetes:monitoring.coreos.com/v1:PrometheusRule", "wechat-api-monitoring-rules")
	var names []string
	for i := range 8 {
		if n := rule.Str("spec.groups[0].rules[" + string(rune('0'+i)) + "].alert"); n != "" {
			names = append(names, n)
		}
	}
	if len(names) != 5 || rule.Str("metadata.labels.release") != "kube-prometheus-stack" {
		t.Errorf("alerts %v, labels %v", names, rule.Inputs["metadata"])
	}
	cm := res.MustOne(t, "kubernetes:core/v1:ConfigMap", "wechat-api-monitoring-dashboard")
	js, ok := cm.StringMap("data")["wechat-api.json"]
	if cm.Str("metadata.labels.grafana_dashboard") != "1" || !ok || !json.Valid([]byte(js)) ||
		!strings.Contains(js, `"uid": "wechat-wechat-api-wechat-api"`) {
		t.Errorf("dashboard %v", cm.Inputs)
	}
}

// TestMonitoringSwitches: without the operator only the dashboard; without both, nothing; bad args refused.
func TestMonitoringSwitches(t *testing.T) {
	args := monitoringArgs()
	args.PrometheusOperator = false
	res := run(t, args)
	if len(res.Find("kubernetes:monitoring.coreos.com/v1:ServiceMonitor"))+len(res.Find("kubernetes:monitoring.coreos.com/v1:PrometheusRule")) != 0 {
		t.Error("operator objects without the operator")
	}
	if len(res.Find("kubernetes:core/v1:ConfigMap")) != 1 {
		t.Error("no dashboard")
	}
	bad := monitoringArgs()
	bad.Selector = nil
	if _, err := componenttest.Run(componenttest.Options{Project: "p", Stack: "s"}, func(ctx *pulumi.Context) error {
		_, err := NewMonitoring(ctx, "m", bad)
		return err
	}); err == nil {
		t.Error("a ServiceMonitor without a selector was accepted")
	}
}
