package rules

import (
	"flag"
	"fmt"
	"os"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the README's policy rules table")

const (
	readme    = "../../README.md"
	startMark = "<!-- policy-rules:start (generated: go test ./policy/rules -update) -->"
	endMark   = "<!-- policy-rules:end -->"
)

// Markdown renders the rules table of the README.
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
	b, err := os.ReadFile(readme)
	if err != nil {
		t.Fatal(err)
	}
	doc := string(b)
	start, end := strings.Index(doc, startMark), strings.Index(doc, endMark)
	if start < 0 || end < start {
		t.Fatalf("README.md lacks the policy rules markers")
	}
	want := markdown()
	if doc[start+len(startMark)+1:end] == want {
		return
	}
	if *update {
		if err := os.WriteFile(readme, []byte(doc[:start+len(startMark)+1]+want+doc[end:]), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	t.Errorf("README.md's rules table is out of date; run go test ./policy/rules -update")
}
