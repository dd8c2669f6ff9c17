package signals

import (
	"encoding/json"
	"fmt"

	"github.com/wechat-deploy/wechat-deploy/app/contract"
)

// Dashboard is a Grafana dashboard (the subset of its JSON model this program writes).
type Dashboard struct {
	UID           string     `json:"uid"`
	Title         string     `json:"title"`
	Tags          []string   `json:"tags"`
	Timezone      string     `json:"timezone"`
	SchemaVersion int        `json:"schemaVersion"`
	Refresh       string     `json:"refresh"`
	Time          TimeRange  `json:"time"`
	Templating    Templating `json:"templating"`
	Panels        []Panel    `json:"panels"`
}

// TimeRange is the dashboard's default range.
type TimeRange struct {
	From string `json:"from"`
	To   string `json:"to"`
}

// Templating holds the dashboard variables.
type Templating struct {
	List []Variable `json:"list"`
}

// Variable is a dashboard variable (the Prometheus data source to read from).
type Variable struct {
	Name  string `json:"name"`
	Label string `json:"label"`
	Type  string `json:"type"`
	Query string `json:"query"`
}

// Panel is one time-series panel.
type Panel struct {
	ID          int         `json:"id"`
	Title       string      `json:"title"`
	Type        string      `json:"type"`
	Datasource  Datasource  `json:"datasource"`
	GridPos     GridPos     `json:"gridPos"`
	FieldConfig FieldConfig `json:"fieldConfig"`
	Targets     []Query     `json:"targets"`
}

// Datasource points a panel at the dashboard's data source variable.
type Datasource struct {
	Type string `json:"type"`
	UID  string `json:"uid"`
}

// GridPos places a panel on the 24-column grid.
type GridPos struct {
	H int `json:"h"`
	W int `json:"w"`
	X int `json:"x"`
	Y int `json:"y"`
}

// FieldConfig sets a panel's unit.
type FieldConfig struct {
	Defaults FieldDefaults `json:"defaults"`
}

// FieldDefaults carry the unit.
type FieldDefaults struct {
	Unit string `json:"unit"`
}

// Query is a panel query (a Grafana "target").
type Query struct {
	RefID        string `json:"refId"`
	Expr         string `json:"expr"`
	LegendFormat string `json:"legendFormat"`
}

// DashboardUID is stable per target, so the dashboard is replaced in Grafana rather than duplicated.
func DashboardUID(t Target) string { return "wechat-" + t.Namespace + "-" + t.Service }

// NewDashboard builds the app's dashboard: traffic, errors, latency, saturation and rollout health, the same
// signals the alerts watch.
func NewDashboard(t Target) Dashboard {
	quantile := func(q string) string {
		return fmt.Sprintf("histogram_quantile(%s, sum by (le) (rate(%s_bucket%s[5m])))", q, contract.MetricRequestDuration, t.app())
	}
	type query struct{ expr, legend string }
	panels := []struct {
		title, unit string
		queries     []query
	}{
		{"Requests per second by route", "reqps", []query{{fmt.Sprintf("sum by (route) (rate(%s%s[5m]))", contract.MetricRequests, t.app()), "{{route}}"}}},
		{"5xx ratio", "percentunit", []query{{fmt.Sprintf("sum(rate(%s%s[5m])) / sum(rate(%s%s[5m]))",
			contract.MetricRequests, t.app("status", "~5.."), contract.MetricRequests, t.app()), "5xx"}}},
		{"Latency", "s", []query{{quantile("0.5"), "p50"}, {quantile("0.95"), "p95"}, {quantile("0.99"), "p99"}}},
		{"Requests in flight", "short", []query{{fmt.Sprintf("sum by (pod) (%s%s)", contract.MetricRequestsInFlight, t.app()), "{{pod}}"}}},
		{"Container restarts (1h)", "short", []query{{fmt.Sprintf("sum by (pod) (increase(%s%s[1h]))",
			KSMRestarts, selector("namespace", t.Namespace, "pod", "~"+t.Deployment+"-.*")), "{{pod}}"}}},
		{"Replicas", "short", []query{
			{fmt.Sprintf("max(%s%s)", KSMDeploymentSpec, selector("namespace", t.Namespace, "deployment", t.Deployment)), "desired"},
			{fmt.Sprintf("max(%s%s)", KSMDeploymentUpdated, selector("namespace", t.Namespace, "deployment", t.Deployment)), "updated"},
		}},
	}
	d := Dashboard{
		UID: DashboardUID(t), Title: "WeChat API · " + t.Namespace, Tags: []string{"wechat-deploy"}, Timezone: "browser",
		SchemaVersion: 39, Refresh: "30s", Time: TimeRange{From: "now-6h", To: "now"},
		Templating: Templating{List: []Variable{{Name: "datasource", Label: "Data source", Type: "datasource", Query: "prometheus"}}},
	}
	for i, p := range panels {
		panel := Panel{
			ID: i + 1, Title: p.title, Type: "timeseries", Datasource: Datasource{Type: "prometheus", UID: "${datasource}"},
			GridPos:     GridPos{H: 8, W: 12, X: (i % 2) * 12, Y: (i / 2) * 8},
			FieldConfig: FieldConfig{Defaults: FieldDefaults{Unit: p.unit}},
		}
		for j, q := range p.queries {
			panel.Targets = append(panel.Targets, Query{RefID: string(rune('A' + j)), Expr: q.expr, LegendFormat: q.legend})
		}
		d.Panels = append(d.Panels, panel)
	}
	return d
}

// JSON renders the dashboard.
func (d Dashboard) JSON() (string, error) {
	b, err := json.MarshalIndent(d, "", "  ")
	if err != nil {
		return "", fmt.Errorf("rendering dashboard %s: %w", d.UID, err)
	}
	return string(b), nil
}
