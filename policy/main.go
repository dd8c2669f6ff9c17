// Command policy is the wechat-deploy policy pack. Built into an executable it runs with
// `pulumi preview --policy-pack <binary>` (the CLI launches it and talks to it over gRPC); PulumiPolicy.yaml lets
// the CLI run it from source where the Go language host is installed.
//
// Rules that differ between production and other stacks read the `production` property of their policy config
// (`--policy-pack-config`), falling back to the stack's own wechat-deploy:production setting.
package main

import (
	"context"
	"fmt"
	"os"
	"strconv"

	"github.com/blang/semver"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/policyx"

	"github.com/wechat-deploy/wechat-deploy/policy/rules"
)

// PackName and PackVersion identify the pack to the engine.
const (
	PackName    = "wechat-deploy"
	PackVersion = "1.0.0"
)

func main() {
	if err := policyx.Main(newPack); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

// newPack builds the pack for one stack; the stack's own production setting is the default of every rule.
func newPack(ctx *pulumi.Context) (policyx.PolicyPack, error) {
	stackProduction := false
	if v, ok := ctx.GetConfig("wechat-deploy:production"); ok {
		stackProduction, _ = strconv.ParseBool(v)
	}
	var policies []policyx.Policy
	for _, rule := range rules.All() {
		policies = append(policies, toPolicy(rule, stackProduction))
	}
	return policyx.NewPolicyPack(PackName, semver.MustParse(PackVersion), policyx.EnforcementLevelMandatory, policies)
}

func toPolicy(rule rules.Rule, stackProduction bool) policyx.Policy {
	level := policyx.EnforcementLevelMandatory
	if rule.Level == rules.Advisory {
		level = policyx.EnforcementLevelAdvisory
	}
	return policyx.NewResourceValidationPolicy(rule.Name, policyx.ResourceValidationPolicyArgs{
		Description:      rule.Description + " " + rule.Why,
		EnforcementLevel: level,
		ConfigSchema: &policyx.ConfigSchema{Properties: map[string]map[string]any{
			"production": {"type": "boolean", "description": "Apply production rules (defaults to the stack's wechat-deploy:production)."},
		}},
		ValidateResource: func(_ context.Context, args policyx.ResourceValidationArgs) error {
			if !rule.AppliesTo(args.Resource.Type) {
				return nil
			}
			cfg := rules.Config{Production: stackProduction}
			if v, ok := args.Config["production"].(bool); ok {
				cfg.Production = v
			}
			res := rules.Resource{
				Type: args.Resource.Type, Name: args.Resource.Name,
				Props: resource.ToResourcePropertyMap(args.Resource.Properties),
			}
			for _, v := range rules.Evaluate([]rules.Rule{rule}, []rules.Resource{res}, cfg) {
				args.Manager.ReportViolation(v.Message, args.Resource.URN)
			}
			return nil
		},
	})
}
