package program

import (
	"strconv"
	"testing"

	"github.com/wechat-deploy/wechat-deploy/components/componenttest"
	"github.com/wechat-deploy/wechat-deploy/policy/rules"
)

// TestStacksPassPolicy runs the policy pack's own rule functions over everything each stack registers: no
// stack may violate a mandatory rule. Advisory findings are logged.
func TestStacksPassPolicy(t *testing.T) {
	for _, stack := range stacks(t) {
		t.Run(stack, func(t *testing.T) {
			t.Parallel()
			run := runStack(t, stack, fakeSecrets(t), nil)
			opts, err := componenttest.StackOptions(root, stack, nil)
			if err != nil {
				t.Fatal(err)
			}
			production, _ := strconv.ParseBool(opts.Config["wechat-deploy:production"])
			var resources []rules.Resource
			for _, r := range run.Resources {
				resources = append(resources, rules.Resource{Type: r.Type, Name: r.Name, Props: r.Inputs})
			}
			checked := 0
			for _, rule := range rules.All() {
				for _, r := range resources {
					if rule.AppliesTo(r.Type) {
						checked++
					}
				}
			}
			if checked == 0 {
				t.Fatal("no rule applied to any resource")
			}
			for _, v := range rules.Evaluate(rules.All(), resources, rules.Config{Production: production}) {
				if v.Level == rules.Mandatory {
					t.Errorf("%s", v)
				} else {
					t.Logf("advisory: %s", v)
				}
			}
		})
	}
}
