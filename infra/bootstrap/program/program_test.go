package program

import (
	"encoding/json"
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
