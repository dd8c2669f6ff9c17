// Command policy is the wechat-deploy policy pack. Built into an executable it runs with
// `pulumi preview --policy-pack <binary>` (the CLI launches it and talks to it over gRPC); PulumiPolicy.yaml lets
// the CLI run it from source where the Go language host is installed.
//
// Rules that differ between production and other stacks judge the stack as production when its own
// wechat-deploy:production says so, or when its stack or environment name looks like production
// (rules.StackConfig): configuration alone cannot switch production off. A resource rule's `production`
// property in the policy config (`--policy-pack-config`) can turn production on, never off. Rules that judge
// the stack as a whole are served as stack validation policies.
package main

import (
	"context"
	"fmt"
	"os"

	"github.com/blang/semver"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/policyx"

	"github.com/wechat-deploy/wechat-deploy/policy/rules"
)

// PackName and PackVersion identify the pack to the engine.
const (
	PackName    = "wechat-deploy"
	PackVersion = "1.1.0"
)

func main() {
	if err := policyx.Main(newPack); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

// newPack builds the pack for one stack: its name and configuration decide where production rules apply.
func newPack(ctx *pulumi.Context) (policyx.PolicyPack, error) {
	cfg := rules.StackConfig(ctx.Stack(), ctx.GetConfig)
	var policies []policyx.Policy
	for _, rule := range rules.All() {
		if rule.IsStack() {
			policies = append(policies, toStackPolicy(rule, cfg))
		} else {
			policies = append(policies, toPolicy(rule, cfg))
		}
	}
	return policyx.NewPolicyPack(PackName, semver.MustParse(PackVersion), policyx.EnforcementLevelMandatory, policies)
}

func level(rule rules.Rule) policyx.EnforcementLevel {
	if rule.Level == rules.Advisory {
		return policyx.EnforcementLevelAdvisory
	}
	return policyx.EnforcementLevelMandatory
}

func toPolicy(rule rules.Rule, stack rules.Config) policyx.Policy {
	return policyx.NewResourceValidationPolicy(rule.Name, policyx.ResourceValidationPolicyArgs{
		Description:      rule.Description + " " + rule.Why,
		EnforcementLevel: level(rule),
		ConfigSchema: &policyx.ConfigSchema{Properties: map[string]map[string]any{
			"production": {"type": "boolean", "description": "true applies production rules to any stack; false changes nothing (a stack that says or is named production stays production)."},
		}},
		ValidateResource: func(_ context.Context, args policyx.ResourceValidationArgs) error {
			if !rule.AppliesTo(args.Resource.Type) {
				return nil
			}
			cfg := stack
			if v, ok := args.Config["production"].(bool); ok && v {
				cfg.Production = true
			}
			res := rules.Resource{
				Type: args.Resource.Type, Name: args.Resource.Name, URN: args.Resource.URN,
				Props: resource.ToResourcePropertyMap(args.Resource.Properties),
			}
			for _, v := range rules.Evaluate([]rules.Rule{rule}, []rules.Resource{res}, cfg) {
				args.Manager.ReportViolation(v.Message, args.Resource.URN)
			}
			return nil
		},
	})
}

// toStackPolicy serves a stack rule: the engine hands it every resource of the stack after registration
// (during preview too, with the values known by then).
func toStackPolicy(rule rules.Rule, cfg rules.Config) policyx.Policy {
	return policyx.NewStackValidationPolicy(rule.Name, policyx.StackValidationPolicyArgs{
		Description:      rule.Description + " " + rule.Why,
		EnforcementLevel: level(rule),
		ValidateStack: func(_ context.Context, args policyx.StackValidationArgs) error {
			resources := make([]rules.Resource, 0, len(args.Resources))
			for _, r := range args.Resources {
				resources = append(resources, rules.Resource{
					Type: r.Type, Name: r.Name, URN: r.URN, Props: resource.ToResourcePropertyMap(r.Properties),
				})
			}
			for _, v := range rules.Evaluate([]rules.Rule{rule}, resources, cfg) {
				args.Manager.ReportViolation(v.Message, v.URN)
			}
			return nil
		},
	})
}
