package metrics

import (
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/wechat-deploy/wechat-deploy/app/contract"
	"github.com/wechat-deploy/wechat-deploy/components/observability/signals"
)

// scrapeLabels are the labels Prometheus adds to every scraped series (a ServiceMonitor's target labels).
var scrapeLabels = []string{"namespace", "service", "pod", "job", "instance", "container", "endpoint"}

// exposition serves the app's metrics after a success and a server error, and returns each series name with
// the label names it carries (histograms also their le).
func exposition(t *testing.T) map[string][]string {
	t.Helper()
	m := NewHTTP()
	for _, status := range []int{http.StatusOK, http.StatusInternalServerError} {
		m.Started()
		m.Finished("GET /v1/users/{id}", http.MethodGet, status, 3*time.Millisecond)
	}
	w := httptest.NewRecorder()
	m.Handler().ServeHTTP(w, httptest.NewRequest(http.MethodGet, contract.PathMetrics, nil))
	// The exposition is read with Prometheus' own parser: series names as a scrape sees them (histograms as
	// _bucket, _sum and _count), label names as they arrive.
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(w.Body)
	if err != nil {
		t.Fatal(err)
	}
	series := map[string][]string{}
	add := func(name string, labels []*dto.LabelPair, extra ...string) {
		for _, l := range labels {
			if !slices.Contains(series[name], l.GetName()) {
				series[name] = append(series[name], l.GetName())
			}
		}
		series[name] = append(series[name], extra...)
	}
	for name, f := range families {
		for _, m := range f.GetMetric() {
			if f.GetType() == dto.MetricType_HISTOGRAM {
				add(name+"_bucket", m.GetLabel(), "le")
				add(name+"_sum", m.GetLabel())
				add(name+"_count", m.GetLabel())
				continue
			}
			add(name, m.GetLabel())
		}
	}
	return series
}

// TestAlertsAndDashboardReadWhatTheAppExports: every series of the app that an alert or a dashboard query
// reads is in the app's real /metrics output, and every label they match or group by is one the app exports
// (or one the scrape adds). kube-state-metrics series are not the app's and are left to their own names.
func TestAlertsAndDashboardReadWhatTheAppExports(t *testing.T) {
	exported := exposition(t)
	target := signals.Target{Namespace: "wechat-api", Service: "wechat-api", Deployment: "wechat-api", HPA: "wechat-api"}
	var exprs []string
	for _, a := range signals.Alerts(target, signals.DefaultThresholds) {
		exprs = append(exprs, a.Expr)
	}
	for _, p := range signals.NewDashboard(target).Panels {
		for _, q := range p.Targets {
			exprs = append(exprs, q.Expr)
		}
	}
	use := regexp.MustCompile(`\b(http_[a-z_]+)(\{[^}]*\})?`)
	grouping := regexp.MustCompile(`\bby \(([^)]*)\)`)
	matcher := regexp.MustCompile(`([a-zA-Z_][a-zA-Z0-9_]*)=~?"`)
	checked := 0
	for _, expr := range exprs {
		for _, u := range use.FindAllStringSubmatch(expr, -1) {
			name := u[1]
			labels, ok := exported[name]
			if !ok {
				t.Errorf("%s reads %s, which the app does not export", expr, name)
				continue
			}
			checked++
			for _, l := range matcher.FindAllStringSubmatch(u[2], -1) {
				if !slices.Contains(labels, l[1]) && !slices.Contains(scrapeLabels, l[1]) {
					t.Errorf("%s matches label %q of %s, which carries %v", expr, l[1], name, labels)
				}
			}
		}
		if !strings.Contains(expr, "http_") {
			continue
		}
		for _, g := range grouping.FindAllStringSubmatch(expr, -1) {
			for _, l := range strings.Split(g[1], ",") {
				l = strings.TrimSpace(l)
				found := slices.Contains(scrapeLabels, l)
				for name, labels := range exported {
					found = found || (strings.HasPrefix(name, "http_") && slices.Contains(labels, l))
				}
				if !found {
					t.Errorf("%s groups by %q, which no app series carries", expr, l)
				}
			}
		}
	}
	if checked < 8 {
		t.Errorf("only %d uses of the app's series were checked", checked)
	}
}
