package program

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/wechat-deploy/wechat-deploy/app/contract"
	"github.com/wechat-deploy/wechat-deploy/components/componenttest"
	"github.com/wechat-deploy/wechat-deploy/components/workload"
)

// TestMetricsAreNotPublic: on every stack the Ingress routes to the API port only, /metrics has its own
// Service port, and the app's NetworkPolicy admits that port from the scraper's namespace and nowhere else.
func TestMetricsAreNotPublic(t *testing.T) {
	for _, stack := range stacks(t) {
		t.Run(stack, func(t *testing.T) {
			run := runStack(t, stack, fakeSecrets(t), nil)
			svc := run.MustOne(t, "kubernetes:core/v1:Service", "wechat-api-service")
			if svc.Str("spec.ports[1].name") != workload.MetricsPortName || svc.Num("spec.ports[1].port") != contract.DefaultMetricsPort {
				t.Errorf("service ports %v", svc.Inputs["spec"])
			}
			for _, ing := range run.Find("kubernetes:networking.k8s.io/v1:Ingress") {
				if p := ing.Str("spec.rules[0].http.paths[0].backend.service.port.name"); p != "http" {
					t.Errorf("the Ingress routes to port %q", p)
				}
			}
			np := run.MustOne(t, "kubernetes:networking.k8s.io/v1:NetworkPolicy", "wechat-api-app")
			if np.Num("spec.ingress[0].ports[0].port") == contract.DefaultMetricsPort || np.Has("spec.ingress[0].from") {
				t.Errorf("the open ingress rule reaches the metrics port: %v", np.Inputs["spec"])
			}
			if np.Num("spec.ingress[1].ports[0].port") != contract.DefaultMetricsPort || np.Has("spec.ingress[2]") {
				t.Errorf("metrics port rule: %v", np.Inputs["spec"])
			}
			// Admitted: the scraper namespace, and the cloud's managed scraper where the stack turns it on (prod:
			// AMP's interfaces in the private subnets; prod-cn: ARMS's agents).
			var namespaces, blocks, private []string
			for i := 0; np.Has(fmt.Sprintf("spec.ingress[1].from[%d]", i)); i++ {
				if ns := np.StringMap(fmt.Sprintf("spec.ingress[1].from[%d].namespaceSelector.matchLabels", i))["kubernetes.io/metadata.name"]; ns != "" {
					namespaces = append(namespaces, ns)
				}
				if c := np.Str(fmt.Sprintf("spec.ingress[1].from[%d].ipBlock.cidr", i)); c != "" {
					blocks = append(blocks, c)
				}
			}
			for _, s := range run.Find("aws:ec2/subnet:Subnet") {
				if strings.Contains(s.Name, "private") {
					private = append(private, s.Str("cidrBlock"))
				}
			}
			wantNS, wantBlocks := []string{"monitoring"}, []string(nil)
			switch stack {
			case "prod":
				wantBlocks = private
			case "prod-cn":
				wantNS = []string{"arms-prom", "monitoring"}
			}
			if !slices.Equal(namespaces, wantNS) || !slices.Equal(slices.Sorted(slices.Values(blocks)), slices.Sorted(slices.Values(wantBlocks))) {
				t.Errorf("metrics port admitted from namespaces %v and blocks %v, want %v and %v", namespaces, blocks, wantNS, wantBlocks)
			}
			cfg := run.MustOne(t, "kubernetes:core/v1:ConfigMap", "wechat-api-config")
			if cfg.Str("data."+contract.EnvMetricsAddr) != ":9090" || cfg.Has("data."+contract.EnvOTLPEndpoint) {
				t.Errorf("settings %v", cfg.Inputs["data"])
			}
		})
	}
}

// TestObservabilitySwitchedOn: with the Prometheus Operator and a collector, the stack gets the ServiceMonitor
// and alerts (with the stack's monitor labels), the app its OTel settings, and its NetworkPolicy the
// collector's port.
func TestObservabilitySwitchedOn(t *testing.T) {
	run := runStack(t, "local", fakeSecrets(t), func(o *componenttest.Options) {
		o.Config["wechat-deploy:observability"] = `{"prometheusOperator":true,"monitorLabels":{"release":"kps"},` +
			`"tracing":{"endpoint":"http://otel-collector.monitoring:4318","samplePercent":25}}`
	})
	sm := run.MustOne(t, "kubernetes:monitoring.coreos.com/v1:ServiceMonitor", "wechat-api-monitoring-servicemonitor")
	rule := run.MustOne(t, "kubernetes:monitoring.coreos.com/v1:PrometheusRule", "wechat-api-monitoring-rules")
	if sm.Str("metadata.labels.release") != "kps" || rule.Str("metadata.labels.release") != "kps" {
		t.Errorf("monitor labels: %v / %v", sm.Inputs["metadata"], rule.Inputs["metadata"])
	}
	cfg := run.MustOne(t, "kubernetes:core/v1:ConfigMap", "wechat-api-config")
	want := map[string]string{
		contract.EnvOTLPEndpoint: "http://otel-collector.monitoring:4318", contract.EnvOTelServiceName: "wechat-api",
		contract.EnvOTelSampler: "parentbased_traceidratio", contract.EnvOTelSamplerArg: "0.25",
	}
	for k, v := range want {
		if got := cfg.Str("data." + k); got != v {
			t.Errorf("%s = %q, want %q", k, got, v)
		}
	}
	np := run.MustOne(t, "kubernetes:networking.k8s.io/v1:NetworkPolicy", "wechat-api-app")
	var ports []float64
	for i := range 5 {
		for j := range 3 {
			if p := np.Num(fmt.Sprintf("spec.egress[%d].ports[%d].port", i, j)); p != 0 {
				ports = append(ports, p)
			}
		}
	}
	if !slices.Contains(ports, 4318) {
		t.Errorf("egress ports %v lack the collector's 4318", ports)
	}
}

// TestARMSScrapesThroughAServiceMonitor: with ARMS Prometheus on (prod-cn), the app gets the ServiceMonitor
// ARMS discovers targets by, without the Prometheus Operator's alert rules (ARMS takes its alerts elsewhere);
// stacks without a ServiceMonitor reader get none.
func TestARMSScrapesThroughAServiceMonitor(t *testing.T) {
	for stack, want := range map[string]bool{"prod-cn": true, "dev-cn": false, "prod": false} {
		run := runStack(t, stack, fakeSecrets(t), nil)
		sms := run.Find("kubernetes:monitoring.coreos.com/v1:ServiceMonitor")
		if (len(sms) == 1) != want || len(run.Find("kubernetes:monitoring.coreos.com/v1:PrometheusRule")) != 0 {
			t.Errorf("%s: %d ServiceMonitors (want one: %v), %d PrometheusRules", stack, len(sms), want, len(run.Find("kubernetes:monitoring.coreos.com/v1:PrometheusRule")))
		}
		if want && len(sms) == 1 && sms[0].Str("spec.endpoints[0].port") != workload.MetricsPortName {
			t.Errorf("%s: ServiceMonitor scrapes %v", stack, sms[0].Inputs["spec"])
		}
	}
}
