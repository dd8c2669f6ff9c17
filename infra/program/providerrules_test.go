package program

import (
	"encoding/json"
	"fmt"
	"maps"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/wechat-deploy/wechat-deploy/components/componenttest"
)

// providerRuleFiles are the provider validation rules (facts extracted from the Terraform providers the Pulumi
// providers bridge) and the stacks they judge.
var providerRuleFiles = []struct {
	pkg, file string
	stacks    []string
}{
	{"aws", "components/aws/testdata/provider-rules.tsv", []string{"dev", "staging", "prod"}},
	{"alicloud", "components/alicloud/testdata/provider-rules.tsv", []string{"dev-cn", "prod-cn"}},
}

// TestStacksPassTheProviderRules runs each cloud stack as a preview (unknown outputs) and as an update
// (known outputs) and judges every resource of the cloud's provider against the provider's own rules: what
// a real `pulumi up` would be refused for although the schema accepts it. Every registered type must have
// rules in the file (kind none when the provider has none), so a new resource type cannot slip past.
func TestStacksPassTheProviderRules(t *testing.T) {
	for _, f := range providerRuleFiles {
		rules, err := componenttest.LoadProviderRules(filepath.Join(root, f.file))
		if err != nil {
			t.Fatal(err)
		}
		covered := map[string]bool{}
		for _, r := range rules {
			covered[r.Type] = true
		}
		for _, stack := range f.stacks {
			for _, preview := range []bool{true, false} {
				shape := map[bool]string{true: "preview", false: "update"}[preview]
				t.Run(stack+"/"+shape, func(t *testing.T) {
					run := runStack(t, stack, fakeSecrets(t), func(o *componenttest.Options) { o.Preview = preview })
					var judged []componenttest.Resource
					for _, r := range run.Resources {
						if !r.Custom || r.IsProvider() || !strings.HasPrefix(r.Type, f.pkg+":") {
							continue
						}
						if !covered[r.Type] {
							t.Errorf("%s %s: %s has no rules: extract them from the provider source into %s (kind none if it has none)", stack, r.Name, r.Type, f.file)
						}
						judged = append(judged, r)
					}
					if len(judged) == 0 {
						t.Fatalf("stack %s registered no %s resources", stack, f.pkg)
					}
					for _, v := range componenttest.CheckProviderRules(rules, judged) {
						t.Error(v)
					}
				})
			}
		}
	}
}

// TestProviderRuleFilesCoverWhatTheStacksRegister reports rule counts per type (FIGURES) and fails on a rule
// for a type no stack registers, which would be a typo in the file.
func TestProviderRuleFilesCoverWhatTheStacksRegister(t *testing.T) {
	for _, f := range providerRuleFiles {
		rules, err := componenttest.LoadProviderRules(filepath.Join(root, f.file))
		if err != nil {
			t.Fatal(err)
		}
		registered := map[string]bool{}
		for _, stack := range f.stacks {
			for _, r := range runStack(t, stack, fakeSecrets(t), nil).Resources {
				registered[r.Type] = true
			}
		}
		counts := map[string]int{}
		for _, r := range rules {
			counts[r.Type] += map[bool]int{true: 0, false: 1}[r.Kind == "none"]
			if !registered[r.Type] {
				t.Errorf("%s:%d: no %v stack registers %s", f.file, r.Line, f.stacks, r.Type)
			}
		}
		var lines []string
		for _, typ := range slices.Sorted(maps.Keys(counts)) {
			lines = append(lines, fmt.Sprintf("%s %d", typ, counts[typ]))
		}
		t.Logf("FIGURES %s: %d rules over %d types: %s", f.file, len(rules), len(counts), strings.Join(lines, ", "))
	}
}

// TestAWSStacksKeepTheirPromises: what the README promises of an AWS stack is in what the stack registers:
// NetworkPolicies enforced (vpc-cni's policy agent), autoscaling fed by metrics-server, HTTPS from an ACM
// certificate the ALB serves, cost tags on what the nodes launch.
func TestAWSStacksKeepTheirPromises(t *testing.T) {
	for _, stack := range []string{"dev", "staging", "prod"} {
		t.Run(stack, func(t *testing.T) {
			run := runStack(t, stack, fakeSecrets(t), nil)
			cni := run.MustOne(t, "aws:eks/addon:Addon", stack+"-vpc-cni")
			var cfg map[string]any
			if err := json.Unmarshal([]byte(cni.Str("configurationValues")), &cfg); err != nil || cfg["enableNetworkPolicy"] != "true" {
				t.Errorf("vpc-cni configuration %q: NetworkPolicies would not be enforced", cni.Str("configurationValues"))
			}
			if len(run.Find("kubernetes:autoscaling/v2:HorizontalPodAutoscaler")) > 0 {
				ms := run.MustOne(t, "kubernetes:helm.sh/v3:Release", stack+"-metrics")
				if ms.Str("chart") != "metrics-server" {
					t.Errorf("HPA without metrics-server (%s)", ms.Str("chart"))
				}
			}
			ing := run.MustOne(t, "kubernetes:networking.k8s.io/v1:Ingress", "wechat-api-ingress")
			if !ing.Has("metadata.annotations.alb\\.ingress\\.kubernetes\\.io/certificate-arn") && !strings.Contains(fmt.Sprint(ing.Inputs["metadata"]), "certificate-arn") {
				t.Error("the ALB Ingress names no ACM certificate")
			}
			if ing.Has("spec.tls[0].secretName") {
				t.Error("the ALB Ingress names a TLS Secret, which the ALB ignores")
			}
			lt := run.MustOne(t, "aws:ec2/launchTemplate:LaunchTemplate", stack+"-nodes")
			if lt.Str("tagSpecifications[0].tags.stack") != stack {
				t.Errorf("node instances are not tagged with the stack (%v)", lt.Inputs["tagSpecifications"])
			}
		})
	}
}
