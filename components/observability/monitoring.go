// Package observability turns the app's golden signals (package signals) into Kubernetes objects: a
// ServiceMonitor and a PrometheusRule for the Prometheus Operator, and a Grafana dashboard ConfigMap for
// Grafana's dashboard sidecar.
package observability

import (
	"errors"
	"fmt"

	"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/apiextensions"
	corev1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/core/v1"
	metav1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/meta/v1"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/wechat-deploy/wechat-deploy/app/contract"
	"github.com/wechat-deploy/wechat-deploy/components/observability/signals"
	"github.com/wechat-deploy/wechat-deploy/components/workload"
)

// MonitoringType is the type token of the Monitoring component.
const MonitoringType = "wechat-deploy:kubernetes:Monitoring"

// DashboardLabel is the label Grafana's dashboard sidecar (kube-prometheus-stack, the Grafana chart) collects
// ConfigMaps by.
const DashboardLabel = "grafana_dashboard"

// ErrInvalidArgs is wrapped by every argument validation error.
var ErrInvalidArgs = errors.New("invalid monitoring arguments")

// MonitoringArgs configure what watches the app.
type MonitoringArgs struct {
	// Target names the app's namespace, Service, Deployment and HPA; Selector are the Service's labels.
	Target   signals.Target
	Selector map[string]string
	// Labels go on the ServiceMonitor and PrometheusRule so that a Prometheus selecting by label picks them
	// up (kube-prometheus-stack selects release: <its release name>).
	Labels map[string]string
	// PrometheusOperator creates the ServiceMonitor and PrometheusRule (the operator's CRDs must exist).
	PrometheusOperator bool
	// ServiceMonitor creates the ServiceMonitor alone, for a managed scraper that discovers targets through
	// ServiceMonitors but takes its alerts elsewhere (ACK's ARMS Prometheus, which installs the CRD).
	ServiceMonitor bool
	// Dashboard creates the Grafana dashboard ConfigMap.
	Dashboard bool
	// Thresholds of the alerts.
	Thresholds signals.Thresholds
	// ScrapeInterval of the ServiceMonitor (default 30s).
	ScrapeInterval string
}

// Monitoring is the app's scrape configuration, alerts and dashboard.
type Monitoring struct {
	pulumi.ResourceState
}

// NewMonitoring registers the objects through the Kubernetes provider given in opts.
func NewMonitoring(ctx *pulumi.Context, name string, args *MonitoringArgs, opts ...pulumi.ResourceOption) (*Monitoring, error) {
	if args == nil || args.Target.Namespace == "" || args.Target.Service == "" || args.Target.Deployment == "" || len(args.Selector) == 0 {
		return nil, fmt.Errorf("creating monitoring %s: %w: namespace, service, deployment and selector are required", name, ErrInvalidArgs)
	}
	m := &Monitoring{}
	if err := ctx.RegisterComponentResource(MonitoringType, name, m, opts...); err != nil {
		return nil, fmt.Errorf("registering monitoring %s: %w", name, err)
	}
	parent := pulumi.Parent(m)
	t := args.Target
	meta := func(n string, labels map[string]string) *metav1.ObjectMetaArgs {
		return &metav1.ObjectMetaArgs{Name: pulumi.String(n), Namespace: pulumi.String(t.Namespace), Labels: pulumi.ToStringMap(labels)}
	}
	if args.PrometheusOperator || args.ServiceMonitor {
		interval := args.ScrapeInterval
		if interval == "" {
			interval = "30s"
		}
		if _, err := apiextensions.NewCustomResource(ctx, name+"-servicemonitor", &apiextensions.CustomResourceArgs{
			ApiVersion: pulumi.String("monitoring.coreos.com/v1"), Kind: pulumi.String("ServiceMonitor"),
			Metadata: meta(t.Service, args.Labels),
			OtherFields: map[string]any{"spec": map[string]any{
				"selector":          map[string]any{"matchLabels": args.Selector},
				"namespaceSelector": map[string]any{"matchNames": []any{t.Namespace}},
				"endpoints": []any{map[string]any{
					"port": workload.MetricsPortName, "path": contract.PathMetrics, "interval": interval, "scheme": "http",
				}},
			}},
		}, parent); err != nil {
			return nil, fmt.Errorf("creating monitoring %s: service monitor: %w", name, err)
		}
	}
	if args.PrometheusOperator {
		var rules []any
		for _, a := range signals.Alerts(t, args.Thresholds) {
			rule := map[string]any{
				"alert": a.Name, "expr": a.Expr,
				"labels":      map[string]any{"severity": a.Severity},
				"annotations": map[string]any{"summary": a.Summary, "description": a.Description},
			}
			if a.For != "" {
				rule["for"] = a.For
			}
			rules = append(rules, rule)
		}
		if _, err := apiextensions.NewCustomResource(ctx, name+"-rules", &apiextensions.CustomResourceArgs{
			ApiVersion: pulumi.String("monitoring.coreos.com/v1"), Kind: pulumi.String("PrometheusRule"),
			Metadata:    meta(t.Service+"-golden-signals", args.Labels),
			OtherFields: map[string]any{"spec": map[string]any{"groups": []any{map[string]any{"name": t.Service + ".golden-signals", "rules": rules}}}},
		}, parent); err != nil {
			return nil, fmt.Errorf("creating monitoring %s: prometheus rule: %w", name, err)
		}
	}
	if args.Dashboard {
		js, err := signals.NewDashboard(t).JSON()
		if err != nil {
			return nil, fmt.Errorf("creating monitoring %s: %w", name, err)
		}
		if _, err := corev1.NewConfigMap(ctx, name+"-dashboard", &corev1.ConfigMapArgs{
			Metadata: meta(t.Service+"-dashboard", map[string]string{DashboardLabel: "1"}),
			Data:     pulumi.StringMap{t.Service + ".json": pulumi.String(js)},
		}, parent); err != nil {
			return nil, fmt.Errorf("creating monitoring %s: dashboard: %w", name, err)
		}
	}
	if err := ctx.RegisterResourceOutputs(m, pulumi.Map{}); err != nil {
		return nil, fmt.Errorf("registering outputs of monitoring %s: %w", name, err)
	}
	return m, nil
}
