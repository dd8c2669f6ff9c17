// Package signals defines the app's golden signals as code: the alert rules (PromQL over the metrics the app
// exports and those kube-state-metrics exports) and the Grafana dashboard, both generated from Go values. It
// has no Pulumi dependency, so the app's own tests can check the alerts against the metrics it really serves.
package signals

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/wechat-deploy/wechat-deploy/app/contract"
)

// Target names what the signals watch: the app's namespace, its Service (the scrape job), its Deployment and
// its HorizontalPodAutoscaler (empty without autoscaling).
type Target struct {
	Namespace, Service, Deployment, HPA string
}

// Thresholds are the alerting thresholds; the stack file sets them as observability.alerts (the tags).
type Thresholds struct {
	ErrorRatePercent    int `json:"errorRatePercent" doc:"Alert when more than this share of requests fail with 5xx over 5 minutes."`
	LatencyP99Millis    int `json:"latencyP99Millis" doc:"Alert when the 99th percentile latency exceeds this for 10 minutes."`
	RestartsPerHour     int `json:"restartsPerHour" doc:"Alert when a pod restarts more often than this in an hour."`
	HPAAtMaxMinutes     int `json:"hpaAtMaxMinutes" doc:"Alert when the autoscaler sits at its maximum this long."`
	RolloutStuckMinutes int `json:"rolloutStuckMinutes" doc:"Alert when a rollout has stopped progressing this long."`
}

// DefaultThresholds are the thresholds a stack gets unless it sets its own.
var DefaultThresholds = Thresholds{ErrorRatePercent: 5, LatencyP99Millis: 1000, RestartsPerHour: 3, HPAAtMaxMinutes: 15, RolloutStuckMinutes: 5}

// kube-state-metrics series the alerts read (names as kube-state-metrics exports them).
const (
	KSMRestarts          = "kube_pod_container_status_restarts_total"
	KSMHPACurrent        = "kube_horizontalpodautoscaler_status_current_replicas"
	KSMHPAMax            = "kube_horizontalpodautoscaler_spec_max_replicas"
	KSMDeploymentCond    = "kube_deployment_status_condition"
	KSMDeploymentSpec    = "kube_deployment_spec_replicas"
	KSMDeploymentUpdated = "kube_deployment_status_replicas_updated"
)

// Alert is one alerting rule of a PrometheusRule group.
type Alert struct {
	Name, Expr, For, Severity, Summary, Description string
	// Metrics are the series Expr reads: the app's own, or kube-state-metrics'.
	Metrics []string
}

// selector renders a PromQL label matcher list.
func selector(pairs ...string) string {
	var b strings.Builder
	b.WriteByte('{')
	for i := 0; i+1 < len(pairs); i += 2 {
		if i > 0 {
			b.WriteByte(',')
		}
		op := "="
		v := pairs[i+1]
		if strings.HasPrefix(v, "~") {
			op, v = "=~", v[1:]
		}
		fmt.Fprintf(&b, "%s%s%q", pairs[i], op, v)
	}
	b.WriteByte('}')
	return b.String()
}

// app selects the app's own series as a Prometheus Operator ServiceMonitor labels them (namespace, service).
func (t Target) app(extra ...string) string {
	return selector(append([]string{"namespace", t.Namespace, "service", t.Service}, extra...)...)
}

// Alerts are the golden-signal alerts: errors, latency, restarts, saturation (the autoscaler at its maximum)
// and a rollout that stopped progressing.
func Alerts(t Target, th Thresholds) []Alert {
	rate := func(extra ...string) string {
		return fmt.Sprintf("sum(rate(%s%s[5m]))", contract.MetricRequests, t.app(extra...))
	}
	alerts := []Alert{
		{
			Name:     "WeChatAPIHighErrorRate",
			Expr:     fmt.Sprintf("%s / %s > %s", rate("status", "~5.."), rate(), ratio(th.ErrorRatePercent)),
			For:      "5m",
			Severity: "critical",
			Summary:  fmt.Sprintf("More than %d%% of requests to %s/%s fail with 5xx", th.ErrorRatePercent, t.Namespace, t.Service),
			Metrics:  []string{contract.MetricRequests},
		},
		{
			Name: "WeChatAPIHighLatency",
			Expr: fmt.Sprintf("histogram_quantile(0.99, sum by (le) (rate(%s_bucket%s[5m]))) > %s",
				contract.MetricRequestDuration, t.app(), strconv.FormatFloat(float64(th.LatencyP99Millis)/1000, 'f', -1, 64)),
			For:      "10m",
			Severity: "warning",
			Summary:  fmt.Sprintf("p99 latency of %s/%s is above %d ms", t.Namespace, t.Service, th.LatencyP99Millis),
			Metrics:  []string{contract.MetricRequestDuration},
		},
		{
			Name: "WeChatAPIPodRestarts",
			Expr: fmt.Sprintf("sum by (pod) (increase(%s%s[1h])) > %d",
				KSMRestarts, selector("namespace", t.Namespace, "pod", "~"+t.Deployment+"-.*"), th.RestartsPerHour),
			Severity: "warning",
			Summary:  fmt.Sprintf("A pod of %s/%s restarted more than %d times in an hour", t.Namespace, t.Deployment, th.RestartsPerHour),
			Metrics:  []string{KSMRestarts},
		},
		{
			Name: "WeChatAPIRolloutStuck",
			Expr: fmt.Sprintf("max(%s%s) == 1", KSMDeploymentCond,
				selector("namespace", t.Namespace, "deployment", t.Deployment, "condition", "Progressing", "status", "false")),
			For:      fmt.Sprintf("%dm", th.RolloutStuckMinutes),
			Severity: "critical",
			Summary:  fmt.Sprintf("The rollout of %s/%s stopped progressing (progress deadline exceeded)", t.Namespace, t.Deployment),
			Metrics:  []string{KSMDeploymentCond},
		},
	}
	if t.HPA != "" {
		hpa := selector("namespace", t.Namespace, "horizontalpodautoscaler", t.HPA)
		alerts = append(alerts, Alert{
			Name:     "WeChatAPIAutoscalerAtMax",
			Expr:     fmt.Sprintf("max(%s%s) >= max(%s%s)", KSMHPACurrent, hpa, KSMHPAMax, hpa),
			For:      fmt.Sprintf("%dm", th.HPAAtMaxMinutes),
			Severity: "warning",
			Summary:  fmt.Sprintf("The autoscaler of %s/%s has been at its maximum for %d minutes: no headroom left", t.Namespace, t.Deployment, th.HPAAtMaxMinutes),
			Metrics:  []string{KSMHPACurrent, KSMHPAMax},
		})
	}
	for i := range alerts {
		alerts[i].Description = alerts[i].Summary + ". Runbook: README, Operating it."
	}
	return alerts
}

func ratio(percent int) string { return strconv.FormatFloat(float64(percent)/100, 'f', -1, 64) }
