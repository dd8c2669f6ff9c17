package signals

import (
	"encoding/json"
	"regexp"
	"slices"
	"strings"
	"testing"
)

var target = Target{Namespace: "wechat-api", Service: "wechat-api", Deployment: "wechat-api", HPA: "wechat-api"}

// promqlWords are PromQL functions, aggregations and keywords: every other identifier outside label matchers
// and ranges is a series name.
var promqlWords = []string{"sum", "max", "min", "avg", "rate", "increase", "histogram_quantile", "by", "without", "on", "ignoring", "bool"}

// seriesNames extracts the series an expression reads: identifiers that are not PromQL words, outside {...}
// label matchers, [..] ranges, string literals and by/without/on/ignoring label lists.
func seriesNames(expr string) []string {
	stripped := regexp.MustCompile(`\{[^}]*\}|\[[^\]]*\]|"[^"]*"|\b(by|without|on|ignoring)\s*\([^)]*\)`).ReplaceAllString(expr, " ")
	var out []string
	for _, w := range regexp.MustCompile(`[a-zA-Z_:][a-zA-Z0-9_:]*`).FindAllString(stripped, -1) {
		if !slices.Contains(promqlWords, w) && !slices.Contains(out, w) {
			out = append(out, w)
		}
	}
	return out
}

// TestAlertsReadWhatTheyDeclare: each alert reads exactly the series it declares (histograms through _bucket),
// so a test against the app's real metrics covers every expression.
func TestAlertsReadWhatTheyDeclare(t *testing.T) {
	alerts := Alerts(target, DefaultThresholds)
	if len(alerts) != 5 {
		t.Fatalf("%d alerts, want the 5 golden signals with an autoscaler", len(alerts))
	}
	for _, a := range alerts {
		got := seriesNames(a.Expr)
		var want []string
		for _, m := range a.Metrics {
			if strings.Contains(a.Expr, m+"_bucket") {
				m += "_bucket"
			}
			want = append(want, m)
		}
		slices.Sort(got)
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Errorf("%s reads %v, declares %v: %s", a.Name, got, want, a.Expr)
		}
		if strings.Count(a.Expr, "(") != strings.Count(a.Expr, ")") || strings.Count(a.Expr, "{") != strings.Count(a.Expr, "}") {
			t.Errorf("%s: unbalanced expression %s", a.Name, a.Expr)
		}
		if a.Severity != "critical" && a.Severity != "warning" {
			t.Errorf("%s: severity %q", a.Name, a.Severity)
		}
	}
	// Without an autoscaler there is no autoscaler alert.
	noHPA := target
	noHPA.HPA = ""
	if n := len(Alerts(noHPA, DefaultThresholds)); n != 4 {
		t.Errorf("%d alerts without an autoscaler", n)
	}
}

// TestThresholdsReachTheExpressions: the configured numbers are the ones the alerts compare against.
func TestThresholdsReachTheExpressions(t *testing.T) {
	th := Thresholds{ErrorRatePercent: 2, LatencyP99Millis: 250, RestartsPerHour: 7, HPAAtMaxMinutes: 30, RolloutStuckMinutes: 12}
	byName := map[string]Alert{}
	for _, a := range Alerts(target, th) {
		byName[a.Name] = a
	}
	checks := map[string]string{
		"WeChatAPIHighErrorRate": "> 0.02", "WeChatAPIHighLatency": "> 0.25", "WeChatAPIPodRestarts": "> 7",
	}
	for name, want := range checks {
		if !strings.HasSuffix(byName[name].Expr, want) {
			t.Errorf("%s: %s does not end in %s", name, byName[name].Expr, want)
		}
	}
	if byName["WeChatAPIAutoscalerAtMax"].For != "30m" || byName["WeChatAPIRolloutStuck"].For != "12m" {
		t.Errorf("durations: %s, %s", byName["WeChatAPIAutoscalerAtMax"].For, byName["WeChatAPIRolloutStuck"].For)
	}
	if !strings.Contains(byName["WeChatAPIHighErrorRate"].Expr, `status=~"5.."`) {
		t.Error("the error rate does not select 5xx statuses")
	}
}

// TestDashboard: valid JSON in Grafana's model, a stable uid, six panels on the grid whose queries read only
// the series the alerts are tested against.
func TestDashboard(t *testing.T) {
	js, err := NewDashboard(target).JSON()
	if err != nil {
		t.Fatal(err)
	}
	var d struct {
		UID    string
		Panels []struct {
			Title   string
			GridPos struct{ W, X int }
			Targets []struct{ Expr, RefID string }
		}
	}
	if err := json.Unmarshal([]byte(js), &d); err != nil {
		t.Fatal(err)
	}
	if d.UID != "wechat-wechat-api-wechat-api" || len(d.UID) > 40 || len(d.Panels) != 6 {
		t.Errorf("uid %q (Grafana allows 40 characters), %d panels", d.UID, len(d.Panels))
	}
	known := []string{"http_requests_total", "http_request_duration_seconds_bucket", "http_requests_in_flight",
		KSMRestarts, KSMDeploymentSpec, KSMDeploymentUpdated}
	for _, p := range d.Panels {
		if p.GridPos.X+p.GridPos.W > 24 || len(p.Targets) == 0 {
			t.Errorf("panel %q: grid %+v, %d queries", p.Title, p.GridPos, len(p.Targets))
		}
		for _, q := range p.Targets {
			for _, s := range seriesNames(q.Expr) {
				if !slices.Contains(known, s) {
					t.Errorf("panel %q reads %s", p.Title, s)
				}
			}
		}
	}
}
