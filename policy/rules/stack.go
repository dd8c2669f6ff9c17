package rules

import "fmt"

// stackRules judge the stack itself rather than what it registers.
func stackRules() []Rule {
	return []Rule{
		{
			Name: "stack-production-declared", Group: "stack", Level: Mandatory,
			Description: "A stack whose stack or environment name looks like production (prod…, …-prod, …-production) sets production: true; production rules apply to it either way.",
			Why:         "Production protections (replicas, deletion protection, restricted endpoints, log retention) must not be switched off by one line of configuration.",
			CheckStack: func(_ []Resource, cfg Config) []Finding {
				if cfg.DeclaredProduction {
					return nil
				}
				for _, n := range []struct{ what, name string }{{"stack", cfg.Stack}, {"environment", cfg.Environment}} {
					if LooksProduction(n.name) {
						return []Finding{{Message: fmt.Sprintf("the %s %q looks like production but %s:production is not true; set it to true (production rules are applied anyway)", n.what, n.name, Namespace)}}
					}
				}
				return nil
			},
		},
	}
}
