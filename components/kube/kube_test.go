package kube

import (
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/wechat-deploy/wechat-deploy/components/componenttest"
)

func read(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestMinify(t *testing.T) {
	raw := read(t, "two-contexts.yaml")
	cur, err := Minify(raw, "", "testdata")
	if err != nil {
		t.Fatal(err)
	}
	if cur.Context != "kind-dev" || cur.Server != "https://127.0.0.1:6443" || cur.Identifier != "kind-dev@https://127.0.0.1:6443" ||
		strings.Contains(cur.JSON, "prod") || !strings.Contains(cur.JSON, "token-one") {
		t.Errorf("current context minified to %+v", cur)
	}
	prod, err := Minify(raw, "prod", "testdata")
	if err != nil {
		t.Fatal(err)
	}
	// File references are inlined so the kubeconfig works wherever the provider runs.
	for _, want := range []string{`"certificate-authority-data":"Q0EtRklMRQ=="`, `"client-certificate-data":"Q0xJRU5ULUNFUlQ="`, `"client-key-data":"Q0xJRU5ULUtFWQ=="`} {
		if !strings.Contains(prod.JSON, want) {
			t.Errorf("prod kubeconfig lacks %s: %s", want, prod.JSON)
		}
	}
	if strings.Contains(prod.JSON, "client.pem") || strings.Contains(prod.JSON, "kind-dev") {
		t.Errorf("prod kubeconfig keeps file paths or other contexts: %s", prod.JSON)
	}
}

// TestMinifyIsCanonical: the same configuration, formatted differently (JSON, reordered, extra contexts), gives the
// same bytes; a new token changes the kubeconfig but not the cluster identifier.
func TestMinifyIsCanonical(t *testing.T) {
	a, err := Minify(read(t, "two-contexts.yaml"), "kind-dev", "testdata")
	if err != nil {
		t.Fatal(err)
	}
	asJSON := `{"kind":"Config","apiVersion":"v1","users":[{"user":{"token":"token-one-aaaaaaaaaaaa"},"name":"kind-dev"}],
		"contexts":[{"name":"kind-dev","context":{"user":"kind-dev","namespace":"default","cluster":"kind-dev"}}],
		"clusters":[{"name":"kind-dev","cluster":{"server":"https://127.0.0.1:6443","certificate-authority-data":"Q0EtREFUQQ=="}}],
		"current-context":"kind-dev"}`
	b, err := Minify([]byte(asJSON), "", "")
	if err != nil {
		t.Fatal(err)
	}
	if a.JSON != b.JSON {
		t.Errorf("same config, different bytes:\n%s\n%s", a.JSON, b.JSON)
	}
	rotated := strings.Replace(asJSON, "token-one-aaaaaaaaaaaa", "token-two-bbbbbbbbbbbb", 1)
	c, _ := Minify([]byte(rotated), "", "")
	if c.JSON == a.JSON || c.Identifier != a.Identifier {
		t.Errorf("rotation: kubeconfig changed %v, identifier %q -> %q", c.JSON != a.JSON, a.Identifier, c.Identifier)
	}
	moved := strings.Replace(asJSON, "127.0.0.1:6443", "10.0.0.9:6443", 1)
	d, _ := Minify([]byte(moved), "", "")
	if d.Identifier == a.Identifier {
		t.Error("another server, same identifier: workloads would not move with the cluster")
	}
}

func TestMinifyErrors(t *testing.T) {
	for name, raw := range map[string]string{
		"not yaml":        "{{{",
		"no context":      "apiVersion: v1\nkind: Config\n",
		"unknown context": "apiVersion: v1\ncurrent-context: nope\ncontexts: []\n",
		"no server":       "current-context: a\ncontexts:\n- name: a\n  context: {cluster: c, user: u}\nclusters:\n- name: c\n  cluster: {}\n",
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := Minify([]byte(raw), "", ""); err == nil {
				t.Fatal("accepted")
			} else if name != "not yaml" && !errors.Is(err, ErrNoContext) {
				t.Fatalf("error %v is not ErrNoContext", err)
			}
		})
	}
}

// TestProviderInputs: the provider gets the kubeconfig as a secret and a plain, stable cluster identifier;
// machine-dependent PULUMI_K8S_* settings do not leak into its inputs.
func TestProviderInputs(t *testing.T) {
	t.Setenv("PULUMI_K8S_DELETE_UNREACHABLE", "true")
	t.Setenv("PULUMI_K8S_ENABLE_PATCH_FORCE", "true")
	res, err := componenttest.Run(componenttest.Options{Project: "p", Stack: "s"}, func(ctx *pulumi.Context) error {
		_, err := NewProvider(ctx, "k8s", &ProviderArgs{Kubeconfig: pulumi.String(`{"kind":"Config"}`), ClusterIdentifier: "eks:x"})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	p := res.Resources[0]
	if !p.IsSecret("kubeconfig") || p.IsSecret("clusterIdentifier") || p.Str("clusterIdentifier") != "eks:x" ||
		p.Str("deleteUnreachable") != "false" && p.Bool("deleteUnreachable") || p.Bool("enablePatchForce") {
		t.Errorf("provider inputs %v", p.Inputs)
	}
	if _, err := componenttest.Run(componenttest.Options{Project: "p", Stack: "s"}, func(ctx *pulumi.Context) error {
		_, err := NewProvider(ctx, "k8s", &ProviderArgs{Kubeconfig: pulumi.String("x")})
		return err
	}); err == nil {
		t.Fatal("a provider without a cluster identifier was accepted")
	}
}

func TestExecKubeconfig(t *testing.T) {
	kc, err := ExecKubeconfig("c", "https://e", "Q0E=", "aws", []string{"eks", "get-token"}, map[string]string{"B": "2", "A": "1"})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(kc, `"env":[{"name":"A","value":"1"},{"name":"B","value":"2"}]`) || strings.Contains(kc, "token\":") {
		t.Errorf("exec kubeconfig %s", kc)
	}
}
