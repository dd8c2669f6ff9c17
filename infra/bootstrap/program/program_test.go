package program

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/wechat-deploy/wechat-deploy/components/componenttest"
)

func TestBootstrap(t *testing.T) {
	res, err := componenttest.Run(componenttest.Options{
		Project: "wechat-deploy-bootstrap", Stack: "aws",
		Config: map[string]string{
			"wechat-deploy-bootstrap:pulumiOrg":        "acme",
			"wechat-deploy-bootstrap:githubRepository": "acme/wechat",
			"wechat-deploy-bootstrap:environments":     `["dev","prod"]`,
		},
	}, Run)
	if err != nil {
		t.Fatal(err)
	}
	oidc := res.Find("aws:iam/openIdConnectProvider:OpenIdConnectProvider")
	if len(oidc) != 2 {
		t.Fatalf("%d OIDC providers, want Pulumi's and GitHub's", len(oidc))
	}
	roles := map[string]componenttest.Resource{}
	for _, r := range res.Find("aws:iam/role:Role") {
		roles[r.Str("name")] = r
	}
	for _, name := range []string{"wechat-deploy-dev-preview", "wechat-deploy-dev-deploy", "wechat-deploy-prod-preview", "wechat-deploy-prod-deploy"} {
		if _, ok := roles[name]; !ok {
			t.Errorf("no role %s (have %v)", name, roles)
		}
	}
	prodDeploy, devPreview := roles["wechat-deploy-prod-deploy"], roles["wechat-deploy-dev-preview"]
	doc := prodDeploy.Str("assumeRolePolicy")
	var trust struct{ Statement []struct{ Sid string } }
	if err := json.Unmarshal([]byte(doc), &trust); err != nil || len(trust.Statement) != 2 {
		t.Fatalf("trust policy %s: %v", doc, err)
	}
	for _, want := range []string{
		`pulumi:deploy:org:acme:project:wechat-deploy:stack:prod:operation:*:scope:write`,
		`repo:acme/wechat:environment:prod`, `"api.pulumi.com/oidc:aud":"acme"`,
	} {
		if !strings.Contains(doc, want) {
			t.Errorf("prod deploy trust lacks %s:\n%s", want, doc)
		}
	}
	if strings.Contains(doc, "stack:dev") {
		t.Error("the prod deploy role trusts the dev stack")
	}
	if p := devPreview.Str("assumeRolePolicy"); !strings.Contains(p, "repo:acme/wechat:pull_request") || !strings.Contains(p, "operation:preview") {
		t.Errorf("dev preview trust %s", p)
	}
	for _, pol := range res.Find("aws:iam/rolePolicy:RolePolicy") {
		if strings.Contains(pol.Name, "prod") && strings.Contains(pol.Str("policy"), "role/dev-") {
			t.Error("the prod deploy role may manage dev's roles")
		}
	}
	if o := res.Orphans(); len(o) > 0 {
		t.Errorf("orphans %v", o)
	}
}

// With a GitLab project, the roles also trust that project's pipelines: previews from any branch, deploys from
// main only, with the STS audience .gitlab-ci.yml requests.
func TestBootstrapTrustsGitLab(t *testing.T) {
	res, err := componenttest.Run(componenttest.Options{
		Project: "wechat-deploy-bootstrap", Stack: "aws",
		Config: map[string]string{
			"wechat-deploy-bootstrap:pulumiOrg":        "acme",
			"wechat-deploy-bootstrap:githubRepository": "acme/wechat",
			"wechat-deploy-bootstrap:gitlabProject":    "acme/wechat",
			"wechat-deploy-bootstrap:gitlabUrl":        "https://gitlab.acme.cn/",
		},
	}, Run)
	if err != nil {
		t.Fatal(err)
	}
	var issuers []string
	for _, p := range res.Find("aws:iam/openIdConnectProvider:OpenIdConnectProvider") {
		issuers = append(issuers, p.Str("url"))
	}
	if !slices.Contains(issuers, "https://gitlab.acme.cn") {
		t.Fatalf("OIDC providers %v lack the GitLab issuer", issuers)
	}
	roles := map[string]string{}
	for _, r := range res.Find("aws:iam/role:Role") {
		roles[r.Str("name")] = r.Str("assumeRolePolicy")
	}
	for name, want := range map[string][]string{
		"wechat-deploy-prod-deploy": {`"gitlab.acme.cn:sub":["project_path:acme/wechat:ref_type:branch:ref:main"]`, `"gitlab.acme.cn:aud":"sts.amazonaws.com"`},
		"wechat-deploy-dev-preview": {`"gitlab.acme.cn:sub":["project_path:acme/wechat:ref_type:branch:ref:*"]`},
	} {
		for _, w := range want {
			if !strings.Contains(roles[name], w) {
				t.Errorf("%s trust lacks %s:\n%s", name, w, roles[name])
			}
		}
	}
}
