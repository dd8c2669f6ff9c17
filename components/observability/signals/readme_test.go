package signals

import (
	"fmt"
	"strings"
	"testing"

	"github.com/wechat-deploy/wechat-deploy/components/componenttest"
)

// alertTable renders the README's alert list from the code, for the default thresholds.
func alertTable() string {
	var b strings.Builder
	b.WriteString("| Alert | Severity | For | Fires when (default thresholds) | Reads |\n|---|---|---|---|---|\n")
	for _, a := range Alerts(Target{Namespace: "$NAMESPACE", Service: "$APP", Deployment: "$APP", HPA: "$APP"}, DefaultThresholds) {
		forDur := a.For
		if forDur == "" {
			forDur = "-"
		}
		fmt.Fprintf(&b, "| `%s` | %s | %s | %s | `%s` |\n", a.Name, a.Severity, forDur, a.Summary, strings.Join(a.Metrics, "`, `"))
	}
	return b.String()
}

func TestREADMEAlertList(t *testing.T) {
	componenttest.GoldenSection(t, "../../../README.md", "<!-- alerts:start (generated: go test ./components/observability/signals -update) -->",
		"<!-- alerts:end -->", alertTable())
}
