package program

import (
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"gopkg.in/yaml.v3"

	"github.com/wechat-deploy/wechat-deploy/components/componenttest"
	"github.com/wechat-deploy/wechat-deploy/policy/corpus"
	"github.com/wechat-deploy/wechat-deploy/policy/rules"
)

// insecureOutcome is how one stack file fared: refused by the configuration before any resource, or registered
// and judged by the rules.
type insecureOutcome struct {
	// configError is the configuration's refusal (empty when the program ran).
	configError string
	// violations are the rules' findings on what the program registered.
	violations []rules.Violation
	// secrets are the secret values the run used (the fakes, with the variant's own in their place).
	secrets map[string]string
	// config is the stack's configuration as the engine hands it to the program and the pack; resources are what
	// the program registered.
	config    map[string]string
	resources []rules.Resource
}

// mandatory lists the mandatory rules that fired, each once.
func (o insecureOutcome) mandatory() []string {
	var out []string
	for _, v := range o.violations {
		if v.Level == rules.Mandatory && !slices.Contains(out, v.Rule) {
			out = append(out, v.Rule)
		}
	}
	slices.Sort(out)
	return out
}

// runPolicyStack runs a stack's config (a stack file's config section) as stack through the whole program under
// mocks, with the fake secrets the other tests use, and judges what it registers with every policy rule, the
// stack's rules.Config derived as the pack derives it. Secrets the config sets in clear (a variant's weak JWT
// key) replace the fakes and are handed to the program as secrets, as `pulumi config set --secret` would.
func runPolicyStack(t *testing.T, stack string, config map[string]any) insecureOutcome {
	t.Helper()
	db, _ := config[rules.Namespace+":database"].(map[string]any)
	provision, _ := db["provision"].(bool)
	secrets := withDatabaseSecret(fakeSecrets(t), provision)
	config = maps.Clone(config)
	for k := range secrets {
		key := rules.Namespace + ":" + k
		if v, ok := config[key].(string); ok {
			secrets[k] = v
			delete(config, key)
		}
	}
	project := t.TempDir()
	stackFile, err := yaml.Marshal(map[string]any{"config": config})
	if err != nil {
		t.Fatal(err)
	}
	pulumiYAML, err := os.ReadFile(filepath.Join(root, "Pulumi.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(project, "stacks"), 0o755); err != nil {
		t.Fatal(err)
	}
	for path, b := range map[string][]byte{"Pulumi.yaml": pulumiYAML, "stacks/Pulumi." + stack + ".yaml": stackFile} {
		if err := os.WriteFile(filepath.Join(project, path), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	opts, err := componenttest.StackOptions(project, stack, secrets)
	if err != nil {
		t.Fatal(err)
	}
	repo, err := filepath.Abs(root)
	if err != nil {
		t.Fatal(err)
	}
	res, err := componenttest.Run(opts, func(ctx *pulumi.Context) error {
		_, err := testProgram(nil, WithRoot(repo)).Deploy(ctx)
		return err
	})
	out := insecureOutcome{secrets: secrets}
	if err != nil {
		// The configuration refuses a stack file before anything is registered, naming the file and a key.
		if len(res.Resources) != 0 || !strings.Contains(err.Error(), "stacks/Pulumi."+stack+".yaml: "+rules.Namespace+":") {
			t.Fatalf("the program failed, but not as a configuration refusal before any resource (%d registered): %v", len(res.Resources), err)
		}
		out.configError = err.Error()
		return out
	}
	resources := make([]rules.Resource, 0, len(res.Resources))
	for _, r := range res.Resources {
		resources = append(resources, rules.Resource{Type: r.Type, Name: r.Name, URN: r.URN, Props: r.Inputs})
	}
	cfg := rules.StackConfig(stack, func(k string) (string, bool) { v, ok := opts.Config[k]; return v, ok })
	out.violations = rules.Evaluate(rules.All(), resources, cfg)
	out.config, out.resources = opts.Config, resources
	return out
}

// TestInsecureVariantsAreBlocked runs every stack file of the insecure corpus (policy/testdata/insecure: a
// committed stack with one insecure change each) through the whole program and the policy rules: each must be
// blocked, either refused by the configuration before any resource (blocked by config) or stopped by at least
// one mandatory rule, the one its header names among them. No message may quote a secret.
func TestInsecureVariantsAreBlocked(t *testing.T) {
	variants, err := corpus.Load(filepath.Join(root, corpus.Dir))
	if err != nil {
		t.Fatal(err)
	}
	if len(variants) < 25 {
		t.Fatalf("the insecure corpus has %d variants, want at least 25", len(variants))
	}
	var (
		mu                 sync.Mutex
		byConfig, byRules  int
		table              []string
		committed, changed = map[string]bool{}, 0
	)
	for _, v := range variants {
		committed[v.DerivedFrom] = true
		t.Run(v.Name, func(t *testing.T) {
			t.Parallel()
			base, err := componenttest.LoadStackFile(root, v.DerivedFrom)
			if err != nil {
				t.Fatalf("derived from %s: %v", v.DerivedFrom, err)
			}
			if reflect.DeepEqual(base.Config, v.Config) && v.Stack == v.DerivedFrom {
				t.Fatalf("the variant is its committed stack unchanged")
			}
			out := runPolicyStack(t, v.Stack, v.Config)
			if out.configError == "" {
				judgeWithThePacks(t, v.Stack, out.config, out.resources, out.violations)
			}
			for _, msg := range append(viaMessages(out.violations), out.configError) {
				for name, secret := range out.secrets {
					if len(secret) >= 6 && strings.Contains(msg, secret) {
						t.Errorf("a message quotes the %s secret: %s", name, msg)
					}
				}
			}
			mu.Lock()
			defer mu.Unlock()
			changed++
			switch got := out.mandatory(); {
			case out.configError != "":
				byConfig++
				problem := out.configError
				for _, line := range strings.Split(out.configError, "\n") {
					if _, key, ok := strings.Cut(line, ".yaml: "); ok {
						problem = key
						break
					}
				}
				// Refused for its own change, not for a part of its base that the committed stack has since changed.
				if changes := changedPaths("", base.Config, v.Config); !refusesAChange(problem, changes) {
					t.Errorf("refused by the configuration for %q, which is none of the variant's changes %v: regenerate it from stacks/Pulumi.%s.yaml with its one change", problem, changes, v.DerivedFrom)
				}
				table = append(table, fmt.Sprintf("%s: blocked by config (%s)", v.Name, strings.TrimSpace(problem)))
			case slices.Contains(got, v.BlockedBy):
				byRules++
				table = append(table, fmt.Sprintf("%s: blocked by %s", v.Name, strings.Join(got, ", ")))
			case len(got) > 0:
				t.Errorf("%s: blocked by %v, but not by %s as the header says", v.Insecure, got, v.BlockedBy)
			default:
				t.Errorf("NOT BLOCKED: %s (expected %s); advisory findings: %v", v.Insecure, v.BlockedBy, out.violations)
			}
		})
	}
	t.Cleanup(func() {
		slices.Sort(table)
		t.Logf("FIGURES insecure corpus: %d variants (from %d committed stacks), %d blocked by config, %d by mandatory rules\n  %s",
			changed, len(committed), byConfig, byRules, strings.Join(table, "\n  "))
	})
}

func viaMessages(vs []rules.Violation) []string {
	out := make([]string, len(vs))
	for i, v := range vs {
		out[i] = v.String()
	}
	return out
}

// TestCommittedStacksPassThePackAsDerived: the committed stacks, run through the same harness as the corpus and
// judged with the production, stack and environment the pack derives, violate no mandatory rule, so every
// variant is blocked by its change and not by its base.
func TestCommittedStacksPassThePackAsDerived(t *testing.T) {
	for _, stack := range stacks(t) {
		t.Run(stack, func(t *testing.T) {
			t.Parallel()
			sf, err := componenttest.LoadStackFile(root, stack)
			if err != nil {
				t.Fatal(err)
			}
			out := runPolicyStack(t, stack, sf.Config)
			if out.configError != "" {
				t.Fatalf("the configuration refuses the committed stack: %s", out.configError)
			}
			judgeWithThePacks(t, stack, out.config, out.resources, out.violations)
			for _, v := range out.violations {
				if v.Level == rules.Mandatory {
					t.Errorf("%s", v)
				}
			}
		})
	}
}

// changedPaths lists the dotted config paths (wechat-deploy:app.env.X) where the variant differs from its base:
// changed, added or removed leaves.
func changedPaths(prefix string, base, variant map[string]any) []string {
	var out []string
	keys := map[string]bool{}
	for k := range base {
		keys[k] = true
	}
	for k := range variant {
		keys[k] = true
	}
	for _, k := range slices.Sorted(maps.Keys(keys)) {
		path := k
		if prefix != "" {
			path = prefix + "." + k
		}
		b, inBase := base[k]
		v, inVariant := variant[k]
		bm, bIsMap := b.(map[string]any)
		vm, vIsMap := v.(map[string]any)
		switch {
		case bIsMap && vIsMap:
			out = append(out, changedPaths(path, bm, vm)...)
		case !inBase || !inVariant || !reflect.DeepEqual(b, v):
			out = append(out, path)
		}
	}
	return out
}

// refusesAChange reports whether a configuration refusal ("wechat-deploy:app.env.X looks like ...") is about one
// of the changed paths: the refused key is a changed path, lies under one, or holds one.
func refusesAChange(problem string, changes []string) bool {
	key, _, _ := strings.Cut(problem, " ")
	key, _, _ = strings.Cut(key, "[")
	for _, c := range changes {
		if key == c || strings.HasPrefix(key, c+".") || strings.HasPrefix(c, key+".") {
			return true
		}
	}
	return false
}
