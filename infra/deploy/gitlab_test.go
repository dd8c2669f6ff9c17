package deploy

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/apitype"
	"gopkg.in/yaml.v3"
)

// gitlabJob is a job of .gitlab-ci.yml after its extends are merged, as GitLab merges them (hashes deeply,
// later templates and the job itself winning).
type gitlabJob map[string]any

func loadGitLabCI(t *testing.T, path string) (map[string]any, map[string]gitlabJob) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := yaml.Unmarshal(b, &doc); err != nil {
		t.Fatalf("%s is not valid YAML: %v", path, err)
	}
	reserved := []string{"workflow", "stages", "variables", "default", "include", "image", "services", "cache", "before_script", "after_script"}
	var resolve func(name string, depth int) gitlabJob
	resolve = func(name string, depth int) gitlabJob {
		raw, ok := doc[name].(map[string]any)
		if !ok || depth > 10 {
			t.Fatalf("%s: job or template %q is missing (or extends loop)", path, name)
		}
		merged := map[string]any{}
		var parents []string
		switch e := raw["extends"].(type) {
		case string:
			parents = []string{e}
		case []any:
			for _, p := range e {
				parents = append(parents, p.(string))
			}
		}
		for _, p := range parents {
			deepMerge(merged, resolve(p, depth+1))
		}
		deepMerge(merged, raw)
		delete(merged, "extends")
		return merged
	}
	jobs := map[string]gitlabJob{}
	for name := range doc {
		if strings.HasPrefix(name, ".") || slices.Contains(reserved, name) {
			continue
		}
		jobs[name] = resolve(name, 0)
	}
	return doc, jobs
}

func deepMerge(dst, src map[string]any) {
	for k, v := range src {
		if sm, ok := v.(map[string]any); ok {
			if dm, ok := dst[k].(map[string]any); ok {
				deepMerge(dm, sm)
				continue
			}
			cp := map[string]any{}
			deepMerge(cp, sm)
			dst[k] = cp
			continue
		}
		dst[k] = v
	}
}

func (j gitlabJob) script() string {
	var lines []string
	for _, l := range asList(j["script"]) {
		lines = append(lines, fmt.Sprint(l))
	}
	return strings.Join(lines, "\n")
}

func (j gitlabJob) str(path ...string) string {
	var cur any = map[string]any(j)
	for _, p := range path {
		m, ok := cur.(map[string]any)
		if !ok {
			return ""
		}
		cur = m[p]
	}
	if cur == nil {
		return ""
	}
	return fmt.Sprint(cur)
}

func asList(v any) []any {
	l, _ := v.([]any)
	return l
}

func (j gitlabJob) rules() []map[string]any {
	var out []map[string]any
	for _, r := range asList(j["rules"]) {
		out = append(out, r.(map[string]any))
	}
	return out
}

// stackClouds are the cloud stacks (those with deploy settings) and their cloud, from the stack files.
func stackClouds(t *testing.T) map[string]string {
	out := map[string]string{}
	for stack := range settingsFiles(t) {
		out[stack] = fmt.Sprint(stackFile(t, stack)["wechat-deploy:cloud"])
	}
	return out
}

const (
	mergeRequestRule = `$CI_PIPELINE_SOURCE == "merge_request_event"`
	mainPushRule     = `$CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH && $CI_PIPELINE_SOURCE == "push"`
)

// checkGitLabCI returns every way the pipeline breaks the delivery contract; empty means none.
func checkGitLabCI(t *testing.T, path string) []string {
	doc, jobs := loadGitLabCI(t, path)
	var bad []string
	fail := func(format string, args ...any) { bad = append(bad, fmt.Sprintf(format, args...)) }

	// Pipelines run for merge requests and pushes to the default branch, nothing else.
	var workflowRules []string
	for _, r := range asList(doc["workflow"].(map[string]any)["rules"]) {
		workflowRules = append(workflowRules, fmt.Sprint(r.(map[string]any)["if"]))
	}
	if !slices.Equal(workflowRules, []string{mergeRequestRule, mainPushRule}) {
		fail("workflow rules %v, want merge requests and pushes to the default branch only", workflowRules)
	}
	globals := doc["variables"].(map[string]any)
	org := fmt.Sprint(globals["PULUMI_ORG"])
	longLived := []string{"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "ALIBABA_CLOUD_ACCESS_KEY_ID", "ALIBABA_CLOUD_ACCESS_KEY_SECRET", "PULUMI_ACCESS_TOKEN"}
	for _, key := range longLived {
		if _, ok := globals[key]; ok {
			fail("the pipeline's variables hold a long-lived credential (%s)", key)
		}
	}

	targets := makeTargets(t)
	clouds := stackClouds(t)
	previewed, deployed := map[string]bool{}, map[string]bool{}
	var tested, e2e bool
	for _, name := range slices.Sorted(maps.Keys(jobs)) {
		job := jobs[name]
		script := job.script()
		for _, m := range makeCall.FindAllStringSubmatch(script, -1) {
			if !slices.Contains(targets, m[1]) {
				fail("%s runs make %s, which the Makefile lacks", name, m[1])
			}
		}
		for _, key := range longLived {
			// PULUMI_ACCESS_TOKEN is only ever the exchanged, short-lived token.
			if (key != "PULUMI_ACCESS_TOKEN" && strings.Contains(script, key)) || job.str("variables", key) != "" {
				fail("%s uses a long-lived credential (%s)", name, key)
			}
		}
		if strings.Contains(script, "gitlabci token") && job.str("id_tokens", "PULUMI_ID_TOKEN", "aud") != "urn:pulumi:org:"+org {
			fail("%s exchanges PULUMI_ID_TOKEN without requesting it with audience urn:pulumi:org:%s", name, org)
		}
		onlyMain := len(job.rules()) > 0
		for _, r := range job.rules() {
			onlyMain = onlyMain && r["if"] == mainPushRule
		}
		switch {
		case strings.Contains(script, "make test"):
			tested = job.str("variables", "WECHAT_TEST_POSTGRES_URL") != "" && strings.Contains(fmt.Sprint(job["services"]), "postgres")
		case strings.Contains(script, "make e2e"):
			e2e = strings.Contains(fmt.Sprint(job["cache"]), "infra/tools/versions.env")
		case strings.Contains(script, "pulumi preview"):
			stack := job.str("variables", "STACK")
			cloud, ok := clouds[stack]
			previewed[stack] = true
			if !ok {
				fail("%s previews %q, which has no deploy settings", name, stack)
				continue
			}
			if !strings.Contains(script, "--policy-pack bin/policy-pack") || !strings.Contains(script, "gitlabci note") {
				fail("%s previews without the policy pack or without posting the note", name)
			}
			if job.str("variables", "CLOUD") != cloud {
				fail("%s says %s is on %s, the stack file says %s", name, stack, job.str("variables", "CLOUD"), cloud)
			}
			want := map[string]string{"aws": "AWS_ID_TOKEN=sts.amazonaws.com", "alicloud": "ALIBABA_CLOUD_ID_TOKEN=sts.aliyuncs.com"}[cloud]
			tokenVar, aud, _ := strings.Cut(want, "=")
			if job.str("id_tokens", tokenVar, "aud") != aud {
				fail("%s requests no %s with audience %s", name, tokenVar, aud)
			}
			rules := job.rules()
			if len(rules) != 1 || rules[0]["if"] != mergeRequestRule {
				fail("%s runs outside merge requests: %v", name, rules)
				continue
			}
			changes := fmt.Sprint(rules[0]["changes"])
			for _, p := range []string{"infra/**/*", "components/**/*", "policy/**/*", "app/**/*", "go.sum", "stacks/Pulumi." + stack + ".yaml"} {
				if !strings.Contains(changes, p) {
					fail("%s is not run when %s changes", name, p)
				}
			}
		case strings.Contains(script, "gitlabci deploy"), strings.Contains(script, "pulumi up"):
			stack := job.str("variables", "STACK")
			deployed[stack] = true
			manual := len(job.rules()) == 1 && job.rules()[0]["when"] == "manual"
			if !onlyMain || !manual || job.str("environment", "name") != "production" {
				fail("%s deploys %s without a manual, main-only job in the production environment", name, stack)
			}
		}
	}
	if !tested || !e2e {
		fail("make test with PostgreSQL: %v; make e2e with the tool cache: %v", tested, e2e)
	}
	for stack := range clouds {
		s, err := Load(settingsFiles(t)[stack])
		if err != nil {
			t.Fatal(err)
		}
		pushDeploys := s.GitHub != nil && s.GitHub.DeployCommits
		if !previewed[stack] {
			fail("no merge request preview of %s", stack)
		}
		// Non-production stacks are deployed on push by Pulumi Deployments; production ones by the manual job.
		if pushDeploys == deployed[stack] {
			fail("%s: deployed on push by Pulumi Deployments %v, by a pipeline job %v: want exactly one", stack, pushDeploys, deployed[stack])
		}
	}
	return bad
}

func TestGitLabPipeline(t *testing.T) {
	if bad := checkGitLabCI(t, filepath.Join(root, ".gitlab-ci.yml")); len(bad) > 0 {
		t.Errorf(".gitlab-ci.yml:\n  %s", strings.Join(bad, "\n  "))
	}
}

// The checks fail on broken pipelines: each edit below is a mistake they must name.
func TestGitLabPipelineChecksCatchMistakes(t *testing.T) {
	orig, err := os.ReadFile(filepath.Join(root, ".gitlab-ci.yml"))
	if err != nil {
		t.Fatal(err)
	}
	tests := map[string]struct{ old, new, want string }{
		"deploys on every branch": {`    - if: $CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH && $CI_PIPELINE_SOURCE == "push"
      when: manual`, `    - when: manual`, "without a manual, main-only job"},
		"missing make target":    {"    - make e2e", "    - make end-to-end", "make end-to-end"},
		"preview without policy": {"--policy-pack bin/policy-pack", "", "without the policy pack"},
		"wrong STS audience":     {"aud: sts.amazonaws.com", "aud: sts.amazonaws.cn", "AWS_ID_TOKEN with audience"},
		"static keys":            {"  PULUMI_ORG: wechat-deploy\n", "  PULUMI_ORG: wechat-deploy\n  AWS_SECRET_ACCESS_KEY: abc\n", "long-lived"},
		"any pipeline":           {"    - if: $CI_PIPELINE_SOURCE == \"merge_request_event\"\n    - if: $CI_COMMIT_BRANCH", "    - when: always\n    - if: $CI_COMMIT_BRANCH", "workflow rules"},
		"stack never previewed":  {"preview:prod-cn:", ".preview:prod-cn:", "no merge request preview of prod-cn"},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			if !strings.Contains(string(orig), tt.old) {
				t.Fatalf("the pipeline no longer contains %q", tt.old)
			}
			path := filepath.Join(t.TempDir(), ".gitlab-ci.yml")
			if err := os.WriteFile(path, []byte(strings.Replace(string(orig), tt.old, tt.new, 1)), 0o644); err != nil {
				t.Fatal(err)
			}
			bad := strings.Join(checkGitLabCI(t, path), "\n")
			if !strings.Contains(bad, tt.want) {
				t.Errorf("found %q, want a finding with %q", bad, tt.want)
			}
		})
	}
}

func TestForGitLab(t *testing.T) {
	for stack, path := range settingsFiles(t) {
		s, err := Load(path)
		if err != nil {
			t.Fatal(err)
		}
		g, err := ForGitLab(s, "acme/wechat", "https://gitlab.acme.cn/")
		if err != nil {
			t.Fatal(err)
		}
		if g.GitHub != nil || g.VCS == nil || g.VCS.Provider != apitype.VCSProviderGitLab || g.VCS.Repository != "acme/wechat" ||
			g.SourceContext.Git.RepoURL != "https://gitlab.acme.cn/acme/wechat.git" ||
			g.VCS.DeployCommits != s.GitHub.DeployCommits || !slices.Equal(g.VCS.Paths, s.GitHub.Paths) {
			t.Errorf("%s for GitLab: %+v", stack, g)
		}
		if s.SourceContext.Git.RepoURL == g.SourceContext.Git.RepoURL || s.GitHub == nil {
			t.Errorf("%s: ForGitLab changed its input", stack)
		}
		// The service's own JSON shape: the vcs block names its provider.
		b, _ := json.Marshal(g)
		if !strings.Contains(string(b), `"vcs":{"provider":"gitlab"`) {
			t.Errorf("%s JSON %s", stack, b)
		}
	}
	if _, err := ForGitLab(apitype.DeploymentSettings{}, "no-group", ""); err == nil {
		t.Error("a project without a group was accepted")
	}
}

// A fake Pulumi Cloud and GitLab: token exchange, deployments and notes as their APIs document them.
func TestPipelineCalls(t *testing.T) {
	var mu sync.Mutex
	notes := map[int64]string{7: "unrelated"}
	var deployBody map[string]any
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		var body map[string]any
		_ = json.NewDecoder(r.Body).Decode(&body)
		switch {
		case r.Method == http.MethodPost && r.URL.Path == "/api/oauth/token":
			if body["audience"] != "urn:pulumi:org:acme" || body["subject_token"] != "id-token-123" ||
				body["grant_type"] != "urn:ietf:params:oauth:grant-type:token-exchange" ||
				body["requested_token_type"] != "urn:pulumi:token-type:access_token:organization" {
				http.Error(w, fmt.Sprint(body), http.StatusBadRequest)
				return
			}
			_, _ = w.Write([]byte(`{"access_token":"pul-org-456","token_type":"Bearer"}`))
		case r.Method == http.MethodPost && r.URL.Path == "/api/stacks/acme/wechat-deploy/prod/deployments":
			if r.Header.Get("Authorization") != "token pul-org-456" {
				http.Error(w, "unauthorized", http.StatusUnauthorized)
				return
			}
			deployBody = body
			_, _ = w.Write([]byte(`{"id":"d-1","version":3}`))
		case r.URL.Path == "/api/v4/projects/acme%2Fwechat/merge_requests/5/notes" || strings.HasPrefix(r.URL.EscapedPath(), "/api/v4/projects/acme%2Fwechat/merge_requests/5/notes"):
			if r.Header.Get("PRIVATE-TOKEN") != "glpat-1" {
				http.Error(w, "unauthorized", http.StatusUnauthorized)
				return
			}
			switch r.Method {
			case http.MethodGet:
				var list []map[string]any
				for id, b := range notes {
					list = append(list, map[string]any{"id": id, "body": b})
				}
				_ = json.NewEncoder(w).Encode(list)
			case http.MethodPost:
				notes[int64(100+len(notes))] = fmt.Sprint(body["body"])
			case http.MethodPut:
				var id int64
				_, _ = fmt.Sscanf(r.URL.Path[strings.LastIndex(r.URL.Path, "/")+1:], "%d", &id)
				notes[id] = fmt.Sprint(body["body"])
			}
		default:
			http.Error(w, r.Method+" "+r.URL.EscapedPath(), http.StatusNotFound)
		}
	}))
	defer srv.Close()
	ctx := context.Background()

	token, err := (&Client{API: srv.URL}).ExchangeIDToken(ctx, "acme", "id-token-123", 3600)
	if err != nil || token != "pul-org-456" {
		t.Fatalf("token %q, %v", token, err)
	}
	if _, err := (&Client{API: srv.URL}).ExchangeIDToken(ctx, "other", "id-token-123", 3600); err == nil {
		t.Error("a rejected exchange reported success")
	}
	d, err := (&Client{API: srv.URL, Token: token}).Deploy(ctx, "acme", "wechat-deploy", "prod", "update")
	if err != nil || d.ID != "d-1" || deployBody["operation"] != "update" || deployBody["inheritSettings"] != true {
		t.Fatalf("deploy %+v %v, body %v", d, err, deployBody)
	}

	g := &GitLab{API: srv.URL + "/api/v4", Token: "glpat-1"}
	for _, run := range []string{"first", "second"} {
		if err := g.UpsertNote(ctx, "acme/wechat", 5, PreviewMarker("prod"), "preview "+run); err != nil {
			t.Fatal(err)
		}
	}
	var mine []string
	for _, b := range notes {
		if strings.HasPrefix(b, PreviewMarker("prod")) {
			mine = append(mine, b)
		}
	}
	if len(mine) != 1 || !strings.HasSuffix(mine[0], "preview second") || notes[7] != "unrelated" {
		t.Errorf("notes %v: want one prod note, edited in place", notes)
	}
}
