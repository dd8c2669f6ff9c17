package existing

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/wechat-deploy/wechat-deploy/components/componenttest"
)

const kubeconfig = `apiVersion: v1
kind: Config
current-context: c
clusters: [{name: c, cluster: {server: "https://10.1.2.3:6443"}}]
contexts: [{name: c, context: {cluster: c, user: u}}]
users: [{name: u, user: {token: tok-1234567890}}]
`

func TestResolveKubeconfigPath(t *testing.T) {
	home, _ := os.UserHomeDir()
	t.Setenv("KUBECONFIG", "")
	if got := ResolveKubeconfigPath(""); got != filepath.Join(home, ".kube", "config") {
		t.Errorf("default = %s", got)
	}
	t.Setenv("KUBECONFIG", "/a/kc"+string(filepath.ListSeparator)+"/b/kc")
	if got := ResolveKubeconfigPath(""); got != "/a/kc" {
		t.Errorf("from KUBECONFIG = %s", got)
	}
	if got := ResolveKubeconfigPath("~/x"); got != filepath.Join(home, "x") {
		t.Errorf("explicit = %s", got)
	}
}

func TestPlatform(t *testing.T) {
	path := filepath.Join(t.TempDir(), "kc")
	if err := os.WriteFile(path, []byte(kubeconfig), 0o600); err != nil {
		t.Fatal(err)
	}
	res, p := componenttest.Component(t, componenttest.Options{Project: "p", Stack: "s"}, func(ctx *pulumi.Context) (*Platform, error) {
		return NewPlatform(ctx, "local", &PlatformArgs{
			KubeconfigPath: path, RegistryServer: "registry.example.com", RegistryUsername: "ci",
			RegistryPassword: pulumi.String("registry-token-123456").ToStringOutput(), Repository: "wechat-api",
			PullWithCredentials: true,
		})
	})
	prov := res.Find("pulumi:providers:kubernetes")[0]
	if prov.Str("clusterIdentifier") != "c@https://10.1.2.3:6443" || !prov.IsSecret("kubeconfig") {
		t.Errorf("provider %v", prov.Inputs)
	}
	url, _ := componenttest.Await(p.Outputs.RepositoryURL)
	pass, _ := componenttest.Await(p.Outputs.Registry.Password)
	if url.Value != "registry.example.com/wechat-api" || !pass.Secret || !p.Outputs.PullWithCredentials {
		t.Errorf("outputs url %v password secret %v", url.Value, pass.Secret)
	}
	if leaks := res.FindLeaks(map[string]string{"token": "tok-1234567890", "registry": "registry-token-123456"}, nil); len(leaks) > 0 {
		t.Errorf("leaks %v", leaks)
	}
}

func TestMissingKubeconfigFailsBeforeRegistering(t *testing.T) {
	res, err := componenttest.Run(componenttest.Options{Project: "p", Stack: "s"}, func(ctx *pulumi.Context) error {
		_, err := NewPlatform(ctx, "local", &PlatformArgs{KubeconfigPath: "/nonexistent/kubeconfig"})
		return err
	})
	if !errors.Is(err, ErrKubeconfig) && (err == nil || !strings.Contains(err.Error(), "make sandbox-up")) {
		t.Fatalf("error = %v", err)
	}
	if !strings.Contains(err.Error(), "/nonexistent/kubeconfig") || len(res.Resources) != 0 {
		t.Errorf("error %v, %d resources", err, len(res.Resources))
	}
}
