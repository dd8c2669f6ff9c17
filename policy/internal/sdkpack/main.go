// Command sdkpack serves the rules of policy/rules through the Pulumi SDK's policyx server, as the pack did before
// it had its own analyzer (policy/analyzer). It is the reference the tests compare the pack with, request by
// request: an SDK upgrade that changes what the engine expects shows up as a difference. It is not shipped.
package main

import (
	"context"
	"fmt"
	"os"

	"github.com/blang/semver"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/policyx"

	"github.com/wechat-deploy/wechat-deploy/policy/analyzer"
	"github.com/wechat-deploy/wechat-deploy/policy/rules"
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
	return policyx.NewPolicyPack(analyzer.PackName, semver.MustParse(analyzer.PackVersion), policyx.EnforcementLevelMandatory, policies)
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
			analyzer.ProductionProperty: analyzer.ProductionSchema,
		}},
		ValidateResource: func(_ context.Context, args policyx.ResourceValidationArgs) error {
			if !rule.AppliesTo(args.Resource.Type) {
				return nil
			}
			cfg := stack
			if v, ok := args.Config[analyzer.ProductionProperty].(bool); ok && v {
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
