// Package rules holds wechat-deploy's policies as plain Go functions over a resource's type token and
// properties. The policy pack serves them to the Pulumi engine during preview and update; unit tests run the very
// same functions over what every stack registers under mocks.
package rules

import (
	"fmt"
	"sort"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
)

// Level is how a violation is enforced.
type Level string

// Enforcement levels.
const (
	Mandatory Level = "mandatory"
	Advisory  Level = "advisory"
)

// Resource is what a rule looks at.
type Resource struct {
	Type  string
	Name  string
	Props resource.PropertyMap
}

// Config tells stacks apart where rules differ.
type Config struct {
	// Production applies the stricter production checks.
	Production bool
}

// Rule is one policy.
type Rule struct {
	// Name is the policy name (unique, kebab-case).
	Name string
	// Group is the cloud or platform the rule belongs to: aws, alicloud or kubernetes.
	Group string
	// Description says what is checked; Why says why it matters (for the README and violation messages).
	Description, Why string
	Level            Level
	// Types are the type tokens the rule applies to.
	Types []string
	// ProductionOnly rules check nothing outside production; other rules may still consult Config.Production.
	ProductionOnly bool
	// Check returns one message per violation; a resource it cannot judge (unknown values in preview) passes.
	Check func(r Resource, cfg Config) []string
}

// Violation is a failed rule on a resource.
type Violation struct {
	Rule     string
	Level    Level
	Type     string
	Resource string
	Message  string
}

func (v Violation) String() string {
	return fmt.Sprintf("[%s] %s on %s %s: %s", v.Level, v.Rule, v.Type, v.Resource, v.Message)
}

// All lists every rule, grouped by cloud.
func All() []Rule {
	var all []Rule
	all = append(all, awsRules()...)
	all = append(all, alicloudRules()...)
	all = append(all, kubernetesRules()...)
	return all
}

// Evaluate runs every applicable rule against the resources.
func Evaluate(rules []Rule, resources []Resource, cfg Config) []Violation {
	var out []Violation
	for _, r := range resources {
		for _, rule := range rules {
			if !rule.AppliesTo(r.Type) || (rule.ProductionOnly && !cfg.Production) {
				continue
			}
			for _, msg := range rule.Check(r, cfg) {
				out = append(out, Violation{Rule: rule.Name, Level: rule.Level, Type: r.Type, Resource: r.Name, Message: msg})
			}
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].String() < out[j].String() })
	return out
}

// AppliesTo reports whether the rule checks resources of the type.
func (r Rule) AppliesTo(typ string) bool {
	for _, t := range r.Types {
		if t == typ {
			return true
		}
	}
	return false
}
