package program

import (
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/wechat-deploy/wechat-deploy/components/componenttest"
)

const otherDigest = "sha256:9e3c1b5a7d9f2e4c6a8b0d1f3e5a7c9b2d4f6a8c0e1b3d5f7a9c2e4b6d8f0a1c"

// setApp rewrites one field of the app object in the run's config.
func setApp(opts *componenttest.Options, field, value string) {
	app := opts.Config["wechat-deploy:app"]
	i := strings.Index(app, `"`+field+`":"`)
	if i < 0 {
		panic("no " + field + " in " + app)
	}
	start := i + len(field) + 4
	end := start + strings.Index(app[start:], `"`)
	opts.Config["wechat-deploy:app"] = app[:start] + value + app[end:]
}

func changedTypes(changes []componenttest.Change) map[string][]string {
	out := map[string][]string{}
	for _, c := range changes {
		typ := c.URN[strings.LastIndex(c.URN[:strings.LastIndex(c.URN, "::")], "::")+2 : strings.LastIndex(c.URN, "::")]
		if i := strings.LastIndex(typ, "$"); i >= 0 {
			typ = typ[i+1:]
		}
		out[typ] = append(out[typ], c.Paths...)
	}
	return out
}

// TestImageChangeUpdatesOnlyTheDeployment: a new image digest changes the Deployment only: its image and the
// version label it and its pods carry.
func TestImageChangeUpdatesOnlyTheDeployment(t *testing.T) {
	secrets := fakeSecrets(t)
	before := runStack(t, "local", secrets, nil)
	after := runStack(t, "local", secrets, func(o *componenttest.Options) {
		setApp(o, "image", "registry.local/wechat-api@"+otherDigest)
	})
	changed, added, removed := componenttest.Diff(before.Result, after.Result)
	if len(added)+len(removed) > 0 {
		t.Fatalf("image change adds %v and removes %v", added, removed)
	}
	got := changedTypes(changed)
	want := []string{"metadata.labels.app.kubernetes.io/version", "spec.template.metadata.labels.app.kubernetes.io/version",
		"spec.template.spec.containers[0].image"}
	paths := got["kubernetes:apps/v1:Deployment"]
	slices.Sort(paths)
	if len(got) != 1 || !slices.Equal(paths, want) {
		t.Fatalf("image change touches %v, want only the Deployment's image and version label", got)
	}
}

// TestSecretChangeUpdatesSecretAndChecksum: a new secret value changes the Secret's data and the Deployment's
// checksum annotation (so the pods roll), and nothing else.
func TestSecretChangeUpdatesSecretAndChecksum(t *testing.T) {
	secrets := fakeSecrets(t)
	before := runStack(t, "local", secrets, nil)
	rotated := fakeSecrets(t)
	rotated["jwtSigningKey"] = "fake-rotated-jwt-signing-key-4f1a8c2e9d7b3a6c5e0f"
	after := runStack(t, "local", rotated, nil)
	changed, added, removed := componenttest.Diff(before.Result, after.Result)
	if len(added)+len(removed) > 0 {
		t.Fatalf("secret change adds %v and removes %v", added, removed)
	}
	got := changedTypes(changed)
	want := map[string][]string{
		"kubernetes:core/v1:Secret":     {"stringData.jwt-signing-key"},
		"kubernetes:apps/v1:Deployment": {"spec.template.metadata.annotations.wechat-deploy/config-checksum"},
	}
	if len(got) != len(want) {
		t.Fatalf("secret change touches %v, want %v", got, want)
	}
	for typ, paths := range want {
		if !slices.Equal(got[typ], paths) {
			t.Errorf("%s changed %v, want %v", typ, got[typ], paths)
		}
	}
	for _, r := range after.Find("kubernetes:core/v1:Secret") {
		if !r.IsSecret("stringData.jwt-signing-key") {
			t.Error("the rotated value is not secret")
		}
	}
}

// TestKubeconfigRotationKeepsProviderAndWorkloads: a new token for the same cluster, or the same kubeconfig
// written differently, leaves the provider's cluster identifier (its replacement key) and every workload input
// as they were; only a real change of credentials reaches the provider, as an in-place update.
func TestKubeconfigRotationKeepsProviderAndWorkloads(t *testing.T) {
	secrets := fakeSecrets(t)
	before := runStack(t, "local", secrets, nil)

	rotated := fakeSecrets(t)
	rotated["kubeconfig"] = strings.Replace(rotated["kubeconfig"], "fake-kube-token-7f3a9c2e5b1d", "fake-kube-token-rotated-91b2", 1)
	afterRotation := runStack(t, "local", rotated, nil)

	reformatted := fakeSecrets(t)
	b, err := os.ReadFile("testdata/kubeconfig-reformatted.json")
	if err != nil {
		t.Fatal(err)
	}
	reformatted["kubeconfig"] = string(b)
	afterFormat := runStack(t, "local", reformatted, nil)

	for name, after := range map[string]stackRun{"rotation": afterRotation, "reformatting": afterFormat} {
		changed, added, removed := componenttest.Diff(before.Result, after.Result)
		if len(added)+len(removed) > 0 {
			t.Fatalf("%s adds %v removes %v", name, added, removed)
		}
		for _, c := range changed {
			if !strings.Contains(c.URN, "pulumi:providers:kubernetes") || !slices.Equal(c.Paths, []string{"kubeconfig"}) {
				t.Errorf("%s changes %s %v; only the provider's kubeconfig may change", name, c.URN, c.Paths)
			}
		}
		if name == "reformatting" && len(changed) != 0 {
			t.Errorf("the same kubeconfig written differently changes %v", changed)
		}
		if name == "rotation" && len(changed) != 1 {
			t.Errorf("rotation changed %v, want the provider's kubeconfig", changed)
		}
		p := after.Find("pulumi:providers:kubernetes")[0]
		if p.Str("clusterIdentifier") != before.Find("pulumi:providers:kubernetes")[0].Str("clusterIdentifier") || p.Str("clusterIdentifier") == "" {
			t.Errorf("%s: cluster identifier %q", name, p.Str("clusterIdentifier"))
		}
	}
}
