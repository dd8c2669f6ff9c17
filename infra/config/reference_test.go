package config

import (
	"encoding/json"
	"os"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/wechat-deploy/wechat-deploy/components/componenttest"
)

const (
	readme     = "../../README.md"
	startMark  = "<!-- config-reference:start (generated: go test ./infra/config -update) -->"
	endMark    = "<!-- config-reference:end -->"
	projectYML = "../../Pulumi.yaml"
)

// optionalSecrets cannot be declared in Pulumi.yaml: the CLI would require them (no default) or reject the
// default (not encrypted).
var optionalSecrets = map[string]bool{"databaseUrl": true, "databasePassword": true, "registryPassword": true, "kubeconfig": true}

// TestREADMEConfigReference fails when the README's table drifts from the program's keys and defaults.
func TestREADMEConfigReference(t *testing.T) {
	componenttest.GoldenSection(t, readme, startMark, endMark, ReferenceMarkdown())
}

type declaration struct {
	Type        string `yaml:"type"`
	Description string `yaml:"description"`
	Secret      bool   `yaml:"secret"`
	Default     any    `yaml:"default"`
}

func project(t *testing.T) map[string]declaration {
	t.Helper()
	b, err := os.ReadFile(projectYML)
	if err != nil {
		t.Fatal(err)
	}
	var p struct {
		Config map[string]declaration `yaml:"config"`
	}
	if err := yaml.Unmarshal(b, &p); err != nil {
		t.Fatal(err)
	}
	return p.Config
}

// TestPulumiYAMLDeclaresEveryKey keeps Pulumi.yaml's declarations equal to the program: same keys, types and
// descriptions.
func TestPulumiYAMLDeclaresEveryKey(t *testing.T) {
	decls := project(t)
	pulumiType := map[string]string{"string": "string", "boolean": "boolean", "integer": "integer", "list": "array", "map": "object", "object": "object"}
	seen := map[string]bool{}
	for _, e := range Reference() {
		if strings.Contains(e.Key, ".") {
			continue
		}
		seen[e.Key] = true
		d, ok := decls[e.Key]
		switch {
		case !ok && e.Secret && optionalSecrets[e.Key]:
		case !ok:
			t.Errorf("Pulumi.yaml does not declare %s", e.Key)
		case d.Type != pulumiType[e.Type]:
			t.Errorf("Pulumi.yaml declares %s as %s, the program reads a %s", e.Key, d.Type, e.Type)
		case d.Description != e.Doc:
			t.Errorf("Pulumi.yaml describes %s as %q, the program as %q", e.Key, d.Description, e.Doc)
		case d.Secret != e.Secret:
			t.Errorf("Pulumi.yaml secret flag of %s is %v", e.Key, d.Secret)
		}
	}
	for k := range decls {
		if !seen[k] {
			t.Errorf("Pulumi.yaml declares %s, which the program does not read", k)
		}
	}
}

// TestPulumiYAMLDefaultsMatchTheProgram: for every declared default, a stack that leaves the key out (and gets
// Pulumi.yaml's default from the CLI) ends up with the same configuration as the program's own defaults.
func TestPulumiYAMLDefaultsMatchTheProgram(t *testing.T) {
	decls := project(t)
	bases := map[string]map[string]any{"aws": baseAWSProd(), "alicloud": baseAlicloudDev(), "existing": baseLocal()}
	for cloud, base := range bases {
		for key, d := range decls {
			if d.Default == nil {
				continue
			}
			if _, set := base[key]; set {
				continue
			}
			t.Run(cloud+"/"+key, func(t *testing.T) {
				without, err := Parse(Namespace, "dev", source(t, base, validSecrets))
				if err != nil {
					t.Fatal(err)
				}
				with := map[string]any{}
				for k, v := range base {
					with[k] = v
				}
				with[key] = d.Default
				if s, ok := d.Default.(string); ok && s == "" {
					with[key] = ""
				}
				// The CLI fills the declared default in; the stack file does not set the key.
				src := source(t, with, validSecrets)
				src.FileKeys = source(t, base, validSecrets).Keys()
				got, err := Parse(Namespace, "dev", src)
				if err != nil {
					t.Fatal(err)
				}
				// Compared as the stack file would hold them: Secrets are not config values (json:"-").
				if wantJSON, gotJSON := mustJSON(t, without), mustJSON(t, got); wantJSON != gotJSON {
					t.Errorf("Pulumi.yaml's default for %s gives\n%+v\nthe program's defaults give\n%+v", key, got, without)
				}
			})
		}
	}
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
