package program

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wechat-deploy/wechat-deploy/components/alicloud"
	"github.com/wechat-deploy/wechat-deploy/components/certmanager"
)

// TestOIDCFromEnv: the deployment's variables (stacks/*-cn.deploy.yaml) become the provider's OIDC exchange;
// none means the default credential chain; some but not all is a mistake said out loud.
func TestOIDCFromEnv(t *testing.T) {
	full := map[string]string{
		envOIDCProviderARN: "acs:ram::1:oidc-provider/pulumi-cloud", envRoleARN: "acs:ram::1:role/deploy", envOIDCTokenFile: "/tmp/t",
	}
	tests := []struct {
		name    string
		env     map[string]string
		want    bool
		wantErr string
	}{
		{"none", map[string]string{}, false, ""},
		{"all", full, true, ""},
		{"token file missing", map[string]string{envOIDCProviderARN: "a", envRoleARN: "b"}, false, envOIDCTokenFile + " not"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := oidcFromEnv(func(k string) string { return tt.env[k] }, "prod-cn")
			switch {
			case tt.wantErr != "":
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Errorf("err = %v, want %q", err, tt.wantErr)
				}
			case err != nil:
				t.Fatal(err)
			case (got != nil) != tt.want:
				t.Errorf("got %+v", got)
			case got != nil && (got.ProviderARN != full[envOIDCProviderARN] || got.RoleARN != full[envRoleARN] || got.TokenFile != "/tmp/t"):
				t.Errorf("got %+v", got)
			}
		})
	}
	// The variables the deployment settings export are the ones read here.
	for _, stack := range []string{"dev-cn", "prod-cn"} {
		settings := readFile(t, "stacks/Pulumi."+stack+".deploy.yaml")
		for _, v := range []string{envOIDCProviderARN, envRoleARN, envOIDCTokenFile} {
			if !strings.Contains(settings, v+":") {
				t.Errorf("%s.deploy.yaml does not export %s", stack, v)
			}
		}
	}
}

// TestACKStacksPullAndIssue: on the ACK stacks the credential helper patches exactly the service account the
// app's pods run as, in their namespace (the pull secret path), and TLS comes from the ClusterIssuer the
// platform installs, reachable by its solver through the app's default-deny policies.
func TestACKStacksPullAndIssue(t *testing.T) {
	for _, stack := range []string{"dev-cn", "prod-cn"} {
		t.Run(stack, func(t *testing.T) {
			run := runStack(t, stack, fakeSecrets(t), nil)
			cluster := run.MustOne(t, "alicloud:cs/managedKubernetes:ManagedKubernetes", stack)
			var helper alicloud.ACRHelperSettings
			for i := range 10 {
				p := fmt.Sprintf("addons[%d]", i)
				if cluster.Str(p+".name") == alicloud.ACRCredentialHelper {
					if err := json.Unmarshal([]byte(cluster.Str(p+".config")), &helper); err != nil {
						t.Fatal(err)
					}
				}
				if cluster.Str(p+".name") == "terway-eniip" && !strings.Contains(cluster.Str(p+".config"), `"NetworkPolicy":"true"`) {
					t.Errorf("terway without NetworkPolicy: %s", cluster.Str(p+".config"))
				}
			}
			dep := run.MustOne(t, "kubernetes:apps/v1:Deployment", "wechat-api-deployment")
			if helper.ServiceAccount == "" || dep.Str("spec.template.spec.serviceAccountName") != helper.ServiceAccount ||
				dep.Str("metadata.namespace") != helper.WatchNamespace {
				t.Errorf("pods run as %s/%s, the credential helper patches %s/%s", dep.Str("metadata.namespace"),
					dep.Str("spec.template.spec.serviceAccountName"), helper.WatchNamespace, helper.ServiceAccount)
			}
			if dep.Has("spec.template.spec.imagePullSecrets") {
				t.Error("an explicit imagePullSecret disables the credential helper")
			}
			issuer := run.MustOne(t, "kubernetes:cert-manager.io/v1:ClusterIssuer", stack+"-cert-manager-issuer")
			ing := run.MustOne(t, "kubernetes:networking.k8s.io/v1:Ingress", "wechat-api-ingress")
			if issuer.Str("metadata.name") != "letsencrypt" || issuer.Str("spec.acme.email") != "ops@example.cn" ||
				issuer.Str("spec.acme.solvers[0].http01.ingress.ingressClassName") != ing.Str("spec.ingressClassName") {
				t.Errorf("issuer %v", issuer.Inputs)
			}
			if ing.StringMap("metadata.annotations")["cert-manager.io/cluster-issuer"] != "letsencrypt" || ing.Str("spec.tls[0].secretName") == "" {
				t.Errorf("the Ingress does not ask the issuer for its Secret: %v", ing.Inputs["metadata"])
			}
			solver := run.MustOne(t, "kubernetes:networking.k8s.io/v1:NetworkPolicy", "wechat-api-acme-solver")
			if solver.StringMap("spec.podSelector.matchLabels")[certmanager.SolverLabel] != "true" ||
				solver.Num("spec.ingress[0].ports[0].port") != certmanager.SolverPort {
				t.Errorf("solver policy %v", solver.Inputs)
			}
		})
	}
}

// readFile reads a file of the repository.
func readFile(t *testing.T, rel string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(root, rel))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
