package rules

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wechat-deploy/wechat-deploy/components/componenttest"
	"github.com/wechat-deploy/wechat-deploy/policy/corpus"
)

// markdown renders the README's policy section: the rules, then the insecure corpus and what blocks each.
func markdown(t *testing.T) string {
	var b strings.Builder
	b.WriteString("| Rule | Level | Checks | Why |\n|---|---|---|---|\n")
	for _, r := range All() {
		level := string(r.Level)
		if r.ProductionOnly {
			level += " (production)"
		}
		if r.IsStack() {
			level += ", whole stack"
		}
		fmt.Fprintf(&b, "| `%s` | %s | %s | %s |\n", r.Name, level, r.Description, r.Why)
	}
	b.WriteString("\nWhere rules differ in production, a stack is production when its `wechat-deploy:production` says so or " +
		"when its stack or environment name looks like production (starts with `prod`, or has a word `prod`, `production` " +
		"or `prd`: `prod-cn`, `eu-prod`); configuration cannot switch that off, and `stack-production-declared` fails the " +
		"mismatch. A resource rule's `production: true` in the policy config (`--policy-pack-config`) applies production " +
		"rules to any stack; `false` changes nothing. Whole-stack rules run as stack validation policies, after every " +
		"resource is registered (in preview too). Rules that read secrets see through secret markers and never quote a " +
		"value in a message.\n")
	variants := loadCorpus(t)
	fmt.Fprintf(&b, "\nThe insecure corpus (`%s`, %d stack files, each a committed stack with one insecure change) is run by "+
		"`infra/program` through the whole program under mocks: each must be refused by the configuration before any "+
		"resource, or stopped by a mandatory rule, the one named here among them.\n\n", corpus.Dir, len(variants))
	b.WriteString("| Variant | Stack | Insecure change | Blocked by |\n|---|---|---|---|\n")
	for _, v := range variants {
		fmt.Fprintf(&b, "| `%s` | %s | %s | `%s` |\n", v.Name, v.Stack, strings.ReplaceAll(v.Insecure, "|", `\|`), v.BlockedBy)
	}
	return b.String()
}

func loadCorpus(t *testing.T) []corpus.Variant {
	t.Helper()
	variants, err := corpus.Load(filepath.Join("..", "testdata", "insecure"))
	if err != nil {
		t.Fatal(err)
	}
	return variants
}

func TestREADMERulesTable(t *testing.T) {
	componenttest.GoldenSection(t, "../../README.md", "<!-- policy-rules:start (generated: go test ./policy/rules -update) -->",
		"<!-- policy-rules:end -->", markdown(t))
}

// TestCorpusNamesMandatoryRules: every insecure variant names an existing mandatory rule as what blocks it.
func TestCorpusNamesMandatoryRules(t *testing.T) {
	levels := map[string]Level{}
	for _, r := range All() {
		levels[r.Name] = r.Level
	}
	variants := loadCorpus(t)
	if len(variants) < 25 {
		t.Errorf("the corpus has %d variants, want at least 25", len(variants))
	}
	for _, v := range variants {
		if levels[v.BlockedBy] != Mandatory {
			t.Errorf("%s: blocked-by %q is not a mandatory rule", v.Path, v.BlockedBy)
		}
	}
}
