package deploy

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/apitype"
	"gopkg.in/yaml.v3"
)

const root = "../.."

func settingsFiles(t *testing.T) map[string]string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(root, "stacks", "Pulumi.*.deploy.yaml"))
	if err != nil || len(files) < 5 {
		t.Fatalf("deploy settings files: %v %v", files, err)
	}
	out := map[string]string{}
	for _, f := range files {
		out[strings.TrimSuffix(strings.TrimPrefix(filepath.Base(f), "Pulumi."), ".deploy.yaml")] = f
	}
	return out
}

func makeTargets(t *testing.T) []string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(root, "Makefile"))
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, m := range regexp.MustCompile(`(?m)^([a-z][a-z0-9-]*):`).FindAllStringSubmatch(string(b), -1) {
		out = append(out, m[1])
	}
	return out
}

var makeCall = regexp.MustCompile(`\bmake ([a-z][a-z0-9-]*)`)

func stackFile(t *testing.T, stack string) map[string]any {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(root, "stacks", "Pulumi."+stack+".yaml"))
	if err != nil {
		t.Fatalf("deploy settings for stack %s, which has no stacks/Pulumi.%s.yaml", stack, stack)
	}
	var f struct {
		Config map[string]any `yaml:"config"`
	}
	if err := yaml.Unmarshal(b, &f); err != nil {
		t.Fatal(err)
	}
	return f.Config
}

func TestDeploySettingsFiles(t *testing.T) {
	for stack, path := range settingsFiles(t) {
		t.Run(stack, func(t *testing.T) {
			s, err := Load(path)
			if err != nil {
				t.Fatal(err)
			}
			cfg := stackFile(t, stack)
			production := cfg["wechat-deploy:production"] == true
			gh := s.GitHub
			git := s.SourceContext.Git
			switch {
			case gh == nil || git == nil || s.Operation == nil || s.Executor == nil || s.Executor.ExecutorImage == nil:
				t.Fatal("incomplete settings")
			case git.Branch != "refs/heads/main" || git.RepoDir != ".":
				t.Errorf("source %+v", git)
			case !gh.PreviewPullRequests:
				t.Error("pull requests are not previewed")
			case gh.DeployCommits == production:
				t.Errorf("deployCommits = %v for a stack with production = %v (production deploys are gated)", gh.DeployCommits, production)
			case strings.HasSuffix(s.Executor.ExecutorImage.Reference, ":latest") || !strings.Contains(s.Executor.ExecutorImage.Reference, ":"):
				t.Errorf("executor image %q is not pinned", s.Executor.ExecutorImage.Reference)
			}
			if !slices.Contains(gh.Paths, "stacks/Pulumi."+stack+".yaml") || slices.Contains(gh.Paths, "**") {
				t.Errorf("path filters %v must include the stack's file and nothing catch-all", gh.Paths)
			}
			for _, p := range gh.Paths {
				if strings.HasPrefix(p, "stacks/") && p != "stacks/Pulumi."+stack+".yaml" {
					t.Errorf("path filter %s triggers %s on another stack's change", p, stack)
				}
				if p == "README.md" || strings.HasPrefix(p, "docs/") {
					t.Errorf("docs changes redeploy %s", stack)
				}
			}
			if err := CheckExecutor(s, nil); err != nil {
				t.Error(err)
			}
			if !slices.Contains(s.Operation.PreRunCommands, "go build -o bin/policy-pack ./policy") {
				t.Errorf("the pre-run commands %q do not build the policy pack", s.Operation.PreRunCommands)
			}
			f, err := LoadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			switch {
			case f.Drift == nil:
				t.Error("no drift detection schedule")
			case production && f.Drift.AutoRemediate:
				t.Error("production remediates drift on its own; a person must review it")
			}
			switch cfg["wechat-deploy:cloud"] {
			case "aws":
				if s.Operation.OIDC == nil || s.Operation.OIDC.AWS == nil || !strings.HasSuffix(s.Operation.OIDC.AWS.RoleARN, "wechat-deploy-"+stack+"-deploy") {
					t.Errorf("AWS OIDC %+v", s.Operation.OIDC)
				}
			case "alicloud":
				env := s.Operation.EnvironmentVariables
				if !strings.HasSuffix(env["ALIBABA_CLOUD_ROLE_ARN"].Value, "wechat-deploy-"+stack+"-deploy") || env["ALIBABA_CLOUD_OIDC_TOKEN_FILE"].Value == "" {
					t.Errorf("Alibaba Cloud OIDC env %+v", env)
				}
			default:
				t.Errorf("stack %s of cloud %v has deploy settings", stack, cfg["wechat-deploy:cloud"])
			}
			for k, v := range s.Operation.EnvironmentVariables {
				if strings.Contains(strings.ToUpper(k), "SECRET") || strings.Contains(strings.ToUpper(k), "ACCESS_KEY") || v.Secret {
					t.Errorf("long-lived credential %s in deploy settings", k)
				}
			}
		})
	}
}

func TestLoadIsStrict(t *testing.T) {
	if _, err := Load("testdata/typo.deploy.yaml"); err == nil || !strings.Contains(err.Error(), "deployComits") {
		t.Fatalf("a misspelt field was accepted: %v", err)
	}
}

type workflow struct {
	On          map[string]any         `yaml:"on"`
	Permissions map[string]string      `yaml:"permissions"`
	Env         map[string]string      `yaml:"env"`
	Jobs        map[string]workflowJob `yaml:"jobs"`
}

type workflowJob struct {
	Steps []struct {
		Uses string         `yaml:"uses"`
		Run  string         `yaml:"run"`
		With map[string]any `yaml:"with"`
	} `yaml:"steps"`
}

func loadWorkflow(t *testing.T, name string) workflow {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(root, ".github", "workflows", name))
	if err != nil {
		t.Fatal(err)
	}
	var w workflow
	if err := yaml.Unmarshal(b, &w); err != nil {
		t.Fatalf("%s is not valid YAML: %v", name, err)
	}
	return w
}

func TestWorkflows(t *testing.T) {
	targets := makeTargets(t)
	ci := loadWorkflow(t, "ci.yml")
	if _, ok := ci.On["push"]; !ok {
		t.Error("ci.yml does not run on push")
	}
	if _, ok := ci.On["pull_request"]; !ok {
		t.Error("ci.yml does not run on pull requests")
	}
	preview := loadWorkflow(t, "preview.yml")
	if _, ok := preview.On["pull_request"]; !ok || len(preview.On) != 1 {
		t.Errorf("preview.yml triggers %v, want pull_request only", preview.On)
	}
	if preview.Permissions["id-token"] != "write" || preview.Permissions["pull-requests"] != "write" {
		t.Errorf("preview permissions %v: OIDC and PR comments need id-token and pull-requests write", preview.Permissions)
	}
	for _, pair := range strings.Fields(preview.Env["STACKS"]) {
		stack, cloud, _ := strings.Cut(pair, ":")
		if got := stackFile(t, stack)["wechat-deploy:cloud"]; got != cloud {
			t.Errorf("preview.yml says %s is on %s, the stack file says %v", stack, cloud, got)
		}
	}
	var ranTest, pulumiPreview bool
	for name, w := range map[string]workflow{"ci.yml": ci, "preview.yml": preview} {
		for _, job := range w.Jobs {
			for _, step := range job.Steps {
				for _, m := range makeCall.FindAllStringSubmatch(step.Run, -1) {
					if !slices.Contains(targets, m[1]) {
						t.Errorf("%s runs make %s, which the Makefile lacks", name, m[1])
					}
					ranTest = ranTest || (name == "ci.yml" && m[1] == "test")
				}
				if strings.HasPrefix(step.Uses, "pulumi/actions@") && name == "preview.yml" {
					pulumiPreview = pulumiPreview || (step.With["command"] == "preview" && step.With["comment-on-pr"] == true &&
						step.With["edit-pr-comment"] == true && step.With["policyPacks"] == "bin/policy-pack")
				}
				if strings.Contains(step.Run, "AWS_SECRET_ACCESS_KEY") || step.With["aws-secret-access-key"] != nil {
					t.Errorf("%s uses long-lived AWS keys", name)
				}
			}
		}
	}
	if !ranTest || !pulumiPreview {
		t.Errorf("ci.yml runs make test: %v; preview.yml previews with the pack and comments in place: %v", ranTest, pulumiPreview)
	}
	checkE2EJob(t, ci.Jobs["e2e"])
}

// checkE2EJob: on GitHub's runners the e2e job takes the official pulumi CLI (pulumi/actions, install only) and
// the Kubernetes provider plugin at the pins of infra/tools/versions.env, which tools.sh then adopts instead of
// building; it runs make e2e as root (the real node) and never builds the tools on its own.
func checkE2EJob(t *testing.T, job workflowJob) {
	t.Helper()
	pins := map[string]string{}
	b, err := os.ReadFile(filepath.Join(root, "infra", "tools", "versions.env"))
	if err != nil {
		t.Fatal(err)
	}
	for line := range strings.Lines(string(b)) {
		if k, v, ok := strings.Cut(strings.TrimSpace(line), "="); ok && !strings.HasPrefix(k, "#") {
			pins[k] = v
		}
	}
	var pinsStep, cli, plugin, e2e bool
	for _, step := range job.Steps {
		switch {
		case strings.Contains(step.Run, "infra/tools/versions.env") && strings.Contains(step.Run, "GITHUB_OUTPUT"):
			pinsStep = true
		case strings.HasPrefix(step.Uses, "pulumi/actions@"):
			cli = step.With["command"] == nil && step.With["pulumi-version"] == "${{ steps.pins.outputs.PULUMI_VERSION }}" && pins["PULUMI_VERSION"] != ""
		case strings.Contains(step.Run, "pulumi plugin install resource kubernetes"):
			plugin = strings.Contains(step.Run, `"v${{ steps.pins.outputs.PULUMI_K8S_VERSION }}"`) && pins["PULUMI_K8S_VERSION"] != ""
		case strings.Contains(step.Run, "make tools"):
			t.Errorf("the e2e job builds the tools itself: %q", step.Run)
		case strings.Contains(step.Run, "make e2e"):
			e2e = strings.HasPrefix(step.Run, "sudo ")
		}
	}
	if !pinsStep || !cli || !plugin || !e2e {
		t.Errorf("e2e job: pins read %v, pulumi CLI from pulumi/actions at the pin %v, provider plugin at the pin %v, make e2e as root %v",
			pinsStep, cli, plugin, e2e)
	}
}

func TestPush(t *testing.T) {
	s, err := Load(filepath.Join(root, "stacks", "Pulumi.dev.deploy.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var got apitype.DeploymentSettings
	var raw map[string]any
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPut || r.URL.Path != "/api/stacks/acme/wechat-deploy/dev/deployments/settings" ||
			r.Header.Get("Authorization") != "token pul-123" || r.Header.Get("Accept") != "application/vnd.pulumi+8" {
			http.Error(w, `{"code":400,"message":"bad request `+r.Method+" "+r.URL.Path+`"}`, http.StatusBadRequest)
			return
		}
		b, _ := io.ReadAll(r.Body)
		if err := json.Unmarshal(b, &got); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
		}
		_ = json.Unmarshal(b, &raw)
		_, _ = w.Write(b)
	}))
	defer srv.Close()
	c := &Client{API: srv.URL, Token: "pul-123"}
	if err := c.Push(context.Background(), "acme", "wechat-deploy", "dev", s); err != nil {
		t.Fatal(err)
	}
	want, _ := json.Marshal(s)
	if sent, _ := json.Marshal(got); string(sent) != string(want) {
		t.Errorf("pushed\n%s\nwant\n%s", sent, want)
	}
	// The SDK sends an unset pullRequestTemplate as null: the settings' own value must go out.
	if gh, _ := raw["gitHub"].(map[string]any); gh["pullRequestTemplate"] != s.GitHub.PullRequestTemplate {
		t.Errorf("pullRequestTemplate sent as %#v", gh["pullRequestTemplate"])
	}
	if err := (&Client{API: srv.URL, Token: "wrong"}).Push(context.Background(), "acme", "wechat-deploy", "dev", s); err == nil {
		t.Error("a rejected push reported success")
	}
}
