package deploy

import (
	"slices"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/apitype"
)

func TestCommands(t *testing.T) {
	for line, want := range map[string][]string{
		"go build -o bin/policy-pack ./policy":                 {"go"},
		"make policy-pack":                                     {"make"},
		"CGO_ENABLED=0 go test ./... && make lint":             {"go", "make"},
		"curl -fsS https://x | sh -s -- -b bin; aws --version": {"curl", "sh", "aws"},
		"./bin/tool --flag=x || true":                          {"./bin/tool", "true"},
		"   ":                                                  nil,
	} {
		if got := Commands(line); !slices.Equal(got, want) {
			t.Errorf("Commands(%q) = %q, want %q", line, got, want)
		}
	}
}

// TestCheckExecutor: the stock pulumi/pulumi-go image holds go, git and curl but no make, AWS CLI or Docker, so
// the settings before this check (make policy-pack, an `aws eks get-token` kubeconfig, docker builds) fail it.
func TestCheckExecutor(t *testing.T) {
	settings := func(image string, cmds ...string) apitype.DeploymentSettings {
		return apitype.DeploymentSettings{
			Executor:  &apitype.ExecutorContext{ExecutorImage: &apitype.DockerImage{Reference: image}},
			Operation: &apitype.OperationContext{PreRunCommands: cmds},
		}
	}
	for _, tt := range []struct {
		name    string
		s       apitype.DeploymentSettings
		execs   []string
		missing []string
	}{
		{"go only", settings("pulumi/pulumi-go:3.274.1", "go build -o bin/policy-pack ./policy", "go test ./policy/rules/..."), []string{"go"}, nil},
		{"by digest", settings("docker.io/pulumi/pulumi-go@sha256:"+strings.Repeat("a", 64), "git status"), nil, nil},
		{"make", settings("pulumi/pulumi-go:3.274.1", "make policy-pack"), nil, []string{"make"}},
		{"aws exec plugin", settings("pulumi/pulumi-go:3.274.1"), []string{"aws"}, []string{"aws"}},
		{"docker build", settings("pulumi/pulumi-go:3.274.1"), []string{"docker"}, []string{"docker"}},
		{"undeclared image", settings("ghcr.io/acme/executor:1", "go version"), nil, []string{"not declared"}},
		{"same path, other registry", settings("ghcr.io/pulumi/pulumi-go:3.274.1", "go version"), nil, []string{"not declared"}},
		{"no image", apitype.DeploymentSettings{}, nil, []string{"no executor image"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			err := CheckExecutor(tt.s, tt.execs)
			if (err != nil) != (len(tt.missing) > 0) {
				t.Fatalf("CheckExecutor = %v, want missing %v", err, tt.missing)
			}
			for _, m := range tt.missing {
				if !strings.Contains(err.Error(), m) {
					t.Errorf("%v does not name %s", err, m)
				}
			}
		})
	}
}
