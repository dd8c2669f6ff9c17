// Package rules holds wechat-deploy's policies as plain Go functions over a resource's type token and
// properties. The policy pack serves them to the Pulumi engine during preview and update; unit tests run the very
// same functions over what every stack registers under mocks.
package rules

import (
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"

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
	// URN identifies the resource to the engine (optional: stack rules report findings by it).
	URN string
}

// Config tells stacks apart where rules differ. StackConfig derives it from a stack's name and configuration.
type Config struct {
	// Production applies the stricter production checks. StackConfig sets it for a stack that says so, and for
	// one whose stack or environment name looks like production, whatever its production setting says.
	Production bool
	// Stack and Environment name the stack (the environment defaults to the stack name).
	Stack, Environment string
	// DeclaredProduction is the stack's own wechat-deploy:production setting.
	DeclaredProduction bool
	// AutoscalingOff says the stack runs a fixed replica count on purpose (wechat-deploy:app.autoscaling: false).
	AutoscalingOff bool
}

// Local reports whether the stack is the local sandbox stack (never a production one).
func (c Config) Local() bool { return !c.Production && c.Stack == "local" }

// LooksProduction reports whether a stack or environment name says production: it starts with "prod" (what
// infra/config checks), or one of its words (split at '-', '_', '.' or '/') is prod, production or prd
// ("eu-prod", "app_production"), which infra/config does not (yet) catch.
func LooksProduction(name string) bool {
	n := strings.ToLower(strings.TrimSpace(name))
	if strings.HasPrefix(n, "prod") {
		return true
	}
	for _, w := range strings.FieldsFunc(n, func(r rune) bool { return r == '-' || r == '_' || r == '.' || r == '/' }) {
		if w == "prod" || w == "production" || w == "prd" {
			return true
		}
	}
	return false
}

// Namespace is the configuration namespace of the program's keys.
const Namespace = "wechat-deploy"

// StackConfig derives the rules' Config from a stack's name and configuration; get returns the raw value of a
// fully qualified key (wechat-deploy:production), as the engine hands it to the program and the policy pack.
// A stack is production when it says so (a value that is not a boolean counts as yes), or when its stack or
// environment name looks like production: production cannot be switched off by configuration alone.
func StackConfig(stack string, get func(key string) (string, bool)) Config {
	c := Config{Stack: stack, Environment: stack}
	if v, ok := get(Namespace + ":environment"); ok && strings.TrimSpace(v) != "" {
		c.Environment = strings.TrimSpace(v)
	}
	if v, ok := get(Namespace + ":production"); ok && strings.TrimSpace(v) != "" {
		b, err := strconv.ParseBool(strings.TrimSpace(v))
		c.DeclaredProduction = err != nil || b
	}
	c.Production = c.DeclaredProduction || LooksProduction(c.Stack) || LooksProduction(c.Environment)
	if v, ok := get(Namespace + ":app"); ok {
		var app struct {
			Autoscaling *bool `json:"autoscaling"`
		}
		if json.Unmarshal([]byte(v), &app) == nil && app.Autoscaling != nil {
			c.AutoscalingOff = !*app.Autoscaling
		}
	}
	return c
}

// Rule is one policy.
type Rule struct {
	// Name is the policy name (unique, kebab-case).
	Name string
	// Group is the cloud or platform the rule belongs to: aws, alicloud or kubernetes; stack for rules about the
	// stack itself.
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
	// CheckStack, instead of Check, judges the stack as a whole (what no single resource shows: a Deployment
	// without an autoscaler, allow-list entries spread over several resources). It receives every resource of
	// Types, or every resource when Types is empty. The pack serves it as a stack validation policy.
	CheckStack func(rs []Resource, cfg Config) []Finding
}

// Finding is one violation of a stack rule.
type Finding struct {
	// Resource is what the finding is about; the zero Resource means the stack as a whole.
	Resource Resource
	Message  string
}

// IsStack reports whether the rule judges the whole stack.
func (r Rule) IsStack() bool { return r.CheckStack != nil }

// Violation is a failed rule on a resource.
type Violation struct {
	Rule  string
	Level Level
	// Type, Resource and URN name the resource; all empty for a finding about the stack as a whole.
	Type, Resource, URN string
	Message             string
}

func (v Violation) String() string {
	if v.Type == "" {
		return fmt.Sprintf("[%s] %s on the stack: %s", v.Level, v.Rule, v.Message)
	}
	return fmt.Sprintf("[%s] %s on %s %s: %s", v.Level, v.Rule, v.Type, v.Resource, v.Message)
}

// All lists every rule, grouped by cloud.
func All() []Rule {
	var all []Rule
	all = append(all, awsRules()...)
	all = append(all, alicloudRules()...)
	all = append(all, kubernetesRules()...)
	all = append(all, stackRules()...)
	return all
}

// Evaluate runs every applicable rule against the resources: resource rules on each resource of their types,
// stack rules once over the whole list.
func Evaluate(rules []Rule, resources []Resource, cfg Config) []Violation {
	var out []Violation
	for _, rule := range rules {
		if rule.IsStack() {
			if rule.ProductionOnly && !cfg.Production {
				continue
			}
			for _, f := range rule.CheckStack(rule.Select(resources), cfg) {
				out = append(out, Violation{
					Rule: rule.Name, Level: rule.Level, Type: f.Resource.Type, Resource: f.Resource.Name,
					URN: f.Resource.URN, Message: f.Message,
				})
			}
			continue
		}
		for _, r := range resources {
			if !rule.AppliesTo(r.Type) {
				continue
			}
			for _, msg := range rule.Run(r, cfg) {
				out = append(out, Violation{Rule: rule.Name, Level: rule.Level, Type: r.Type, Resource: r.Name, URN: r.URN, Message: msg})
			}
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].String() < out[j].String() })
	return out
}

// Run checks one resource with a resource rule, which must apply to its type: a production-only rule checks
// nothing outside production.
func (r Rule) Run(res Resource, cfg Config) []string {
	if r.ProductionOnly && !cfg.Production {
		return nil
	}
	return r.Check(res, cfg)
}

// AppliesTo reports whether the rule checks resources of the type.
func (r Rule) AppliesTo(typ string) bool {
	return slices.Contains(r.Types, typ)
}

// Select returns the resources a stack rule receives: those of its types, or all when it names none.
func (r Rule) Select(resources []Resource) []Resource {
	if len(r.Types) == 0 {
		return resources
	}
	var out []Resource
	for _, res := range resources {
		if r.AppliesTo(res.Type) {
			out = append(out, res)
		}
	}
	return out
}
