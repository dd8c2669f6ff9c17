package rules

import (
	"fmt"
	"strings"
	"testing"

	"github.com/wechat-deploy/wechat-deploy/components/componenttest"
)

// markdown renders the rules table of the README.
func markdown() string {
	var b strings.Builder
	b.WriteString("| Rule | Level | Checks | Why |\n|---|---|---|---|\n")
	for _, r := range All() {
		level := string(r.Level)
		if r.ProductionOnly {
			level += " (production)"
		}
		fmt.Fprintf(&b, "| `%s` | %s | %s | %s |\n", r.Name, level, r.Description, r.Why)
	}
	return b.String()
}

func TestREADMERulesTable(t *testing.T) {
	componenttest.GoldenSection(t, "../../README.md", "<!-- policy-rules:start (generated: go test ./policy/rules -update) -->",
		"<!-- policy-rules:end -->", markdown())
}
