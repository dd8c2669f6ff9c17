//go:build e2e

package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/wechat-deploy/wechat-deploy/infra/release"
	"github.com/wechat-deploy/wechat-deploy/infra/sandbox"
	"github.com/wechat-deploy/wechat-deploy/infra/tools"
)

const (
	stack     = "local"
	namespace = "wechat-api"
	newDigest = "sha256:9e3c1b5a7d9f2e4c6a8b0d1f3e5a7c9b2d4f6a8c0e1b3d5f7a9c2e4b6d8f0a1c"
)

// secrets the test sets, so that it can look for them in the state afterwards.
var secrets = map[string]string{
	"wechatAppId":     "wx5e2ec0d7a1b3c4f6",
	"wechatAppSecret": "e2e-app-secret-3f1c9a7d5b2e8f4a6c0d",
	"jwtSigningKey":   "e2e-jwt-signing-key-8c2f6e1a9d4b7c3e5f0a2d6b8e1c4f7a",
	"databaseUrl":     "postgres://app:e2e-db-password-71c3@db.internal:5432/app",
}

type env struct {
	t         *testing.T
	root      string
	stateDir  string
	stackFile string
	kubectl   string
	out       *bytes.Buffer
}

func (e *env) run(op string, edit func(o *release.Options)) (*release.Result, time.Duration, error) {
	e.t.Helper()
	e.out.Reset()
	o := release.Options{
		Root: e.root, Stack: stack, StackFile: e.stackFile, Op: op, StateDir: e.stateDir, Out: e.out,
		Secrets: secrets,
	}
	if edit != nil {
		edit(&o)
	}
	start := time.Now()
	res, err := release.Run(context.Background(), o)
	return res, time.Since(start), err
}

func (e *env) must(op string, edit func(o *release.Options)) (*release.Result, time.Duration) {
	e.t.Helper()
	res, d, err := e.run(op, edit)
	if err != nil {
		e.t.Fatalf("%s failed: %v\n--- engine output ---\n%s", op, err, e.out.String())
	}
	return res, d
}

func (e *env) kube(args ...string) (string, error) {
	out, err := exec.Command(e.kubectl, args...).CombinedOutput()
	return string(out), err
}

// editStack rewrites the test's copy of the stack file.
func (e *env) editStack(f func(app map[string]any)) {
	e.t.Helper()
	var doc map[string]any
	b, err := os.ReadFile(e.stackFile)
	if err != nil {
		e.t.Fatal(err)
	}
	if err := yaml.Unmarshal(b, &doc); err != nil {
		e.t.Fatal(err)
	}
	cfg := doc["config"].(map[string]any)
	f(cfg["wechat-deploy:app"].(map[string]any))
	b, _ = yaml.Marshal(doc)
	if err := os.WriteFile(e.stackFile, b, 0o600); err != nil {
		e.t.Fatal(err)
	}
}

func repoRoot(t *testing.T) string {
	wd, _ := os.Getwd()
	root, ok := sandbox.ProjectRoot(wd)
	if !ok {
		t.Fatal("no Pulumi.yaml above the test")
	}
	return root
}

// TestLocalStackEndToEnd: up -> no-op preview -> image update -> secret update -> policy gate -> state holds no
// plain secrets -> destroy, against a real API server; then the same objects with kubectl for comparison.
func TestLocalStackEndToEnd(t *testing.T) {
	root := repoRoot(t)
	tmp := t.TempDir()
	ctx := context.Background()

	bins, err := sandbox.PinnedBinaries(root)
	if err != nil {
		t.Fatal(err)
	}
	sbDir := filepath.Join(tmp, "sandbox")
	sbStart := time.Now()
	sb, err := sandbox.Start(ctx, sandbox.Options{Dir: sbDir, Binaries: bins, Timeout: 3 * time.Minute, Log: os.Stderr})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := sandbox.Stop(sbDir); err != nil {
			t.Errorf("stopping the sandbox: %v", err)
		}
	})
	t.Logf("sandbox: API ready %s, node Ready %s (start call %s)", sb.APIReady.Round(time.Millisecond), sb.NodeReady.Round(time.Millisecond), time.Since(sbStart).Round(time.Millisecond))
	t.Setenv("KUBECONFIG", sb.Kubeconfig)
	t.Setenv("PULUMI_CONFIG_PASSPHRASE", "e2e-passphrase")
	kubectl, err := tools.Bin(root, "kubernetes", "kubectl")
	if err != nil {
		t.Fatal(err)
	}
	stackFile := filepath.Join(tmp, "Pulumi.local.yaml")
	src, err := os.ReadFile(filepath.Join(root, "stacks", "Pulumi.local.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(stackFile, src, 0o600); err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, root: root, stateDir: filepath.Join(tmp, "pulumi"), stackFile: stackFile, kubectl: kubectl, out: &bytes.Buffer{}}
	t.Cleanup(func() {
		if t.Failed() {
			_, _, _ = e.run(release.OpDestroy, func(o *release.Options) { o.NoPolicy = true })
		}
	})

	// 1. up with the policy pack enforced.
	up, upTime := e.must(release.OpUp, nil)
	if up.Summary["create"] < 12 {
		t.Fatalf("up created %v", up.Summary)
	}
	for _, obj := range []string{"namespace/" + namespace, "serviceaccount/wechat-api", "configmap/wechat-api-config",
		"secret/wechat-api-secrets", "deployment/wechat-api", "service/wechat-api", "ingress/wechat-api",
		"horizontalpodautoscaler/wechat-api", "poddisruptionbudget/wechat-api", "networkpolicy/default-deny",
		"networkpolicy/wechat-api"} {
		if out, err := e.kube("-n", namespace, "get", obj); err != nil {
			t.Errorf("%s missing after up: %s", obj, out)
		}
	}
	if out, err := e.kube("-n", namespace, "get", "deployment/wechat-api", "-o", "jsonpath={.status.availableReplicas}/{.spec.replicas}"); err != nil || out != "2/2" {
		t.Fatalf("deployment available/desired = %q, %v", out, err)
	}
	if out, _ := e.kube("-n", namespace, "get", "configmap/wechat-api-config", "-o", "json"); strings.Contains(out, secrets["jwtSigningKey"]) {
		t.Fatal("a secret value is in the ConfigMap")
	}

	// 2. a second preview changes nothing.
	noop, noopTime := e.must(release.OpPreview, nil)
	if changed := noop.Changed(); len(changed) > 0 {
		t.Fatalf("no-op preview plans changes: %+v", changed)
	}

	// 3a. only the image digest changes: exactly the Deployment is updated, nothing replaced.
	e.editStack(func(app map[string]any) {
		img := app["image"].(string)
		app["image"] = img[:strings.Index(img, "@")+1] + newDigest
	})
	imgUp, imgTime := e.must(release.OpUp, nil)
	assertOnlyUpdated(t, "image change", imgUp, "kubernetes:apps/v1:Deployment")
	if out, _ := e.kube("-n", namespace, "get", "deployment/wechat-api", "-o", "jsonpath={.spec.template.spec.containers[0].image}"); !strings.HasSuffix(out, newDigest) {
		t.Fatalf("deployment image = %q", out)
	}

	// 3b. only a secret changes: the Secret and the Deployment's checksum annotation change; pods roll.
	before, _ := e.kube("-n", namespace, "get", "deployment/wechat-api", "-o", `jsonpath={.spec.template.metadata.annotations.wechat-deploy/config-checksum}`)
	rsBefore, _ := e.kube("-n", namespace, "get", "rs", "-o", "name")
	secrets["jwtSigningKey"] = "e2e-rotated-jwt-signing-key-5d8a2f7c1e9b4a6d3c0f"
	secUp, _ := e.must(release.OpUp, nil)
	assertOnlyUpdated(t, "secret change", secUp, "kubernetes:apps/v1:Deployment", "kubernetes:core/v1:Secret")
	after, _ := e.kube("-n", namespace, "get", "deployment/wechat-api", "-o", `jsonpath={.spec.template.metadata.annotations.wechat-deploy/config-checksum}`)
	if before == "" || before == after {
		t.Fatalf("checksum annotation %q -> %q: pods would not roll", before, after)
	}
	rsAfter, _ := e.kube("-n", namespace, "get", "rs", "-o", "name")
	if rsAfter == rsBefore {
		t.Fatal("no new ReplicaSet after the secret change: pods did not roll")
	}

	// 4. a non-compliant change is stopped by a mandatory policy, with the rule named.
	good, _ := os.ReadFile(stackFile)
	e.editStack(func(app map[string]any) { app["tls"] = map[string]any{"enabled": false} })
	_, _, err = e.run(release.OpPreview, nil)
	if err == nil || !strings.Contains(err.Error(), "k8s-ingress-tls") || !strings.Contains(err.Error(), "mandatory") {
		t.Fatalf("non-compliant preview: error %v\n%s", err, e.out.String())
	}
	t.Logf("policy gate message:\n%v", err)
	if err := os.WriteFile(stackFile, good, 0o600); err != nil {
		t.Fatal(err)
	}

	// 6. the state holds no secret in plain text.
	state, err := release.Export(ctx, release.Options{Root: root, Stack: stack, StackFile: stackFile, StateDir: e.stateDir})
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range secrets {
		if bytes.Contains(state, []byte(v)) {
			t.Errorf("stack export holds %s in plain text", k)
		}
	}
	if !bytes.Contains(state, []byte(`"4dabf18193072939515e22adb298388d"`)) {
		t.Error("stack export has no secret markers: is it the right state?")
	}

	// Side by side: the same objects with kubectl apply + rollout status.
	manifests := e.exportManifests()

	// 5. destroy removes every object.
	if _, _, err := e.run(release.OpDestroy, nil); err != nil {
		t.Fatalf("destroy: %v\n%s", err, e.out.String())
	}
	deadline := time.Now().Add(60 * time.Second)
	for {
		out, err := e.kube("get", "namespace", namespace)
		if err != nil && strings.Contains(out, "NotFound") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("namespace still there after destroy: %s", out)
		}
		time.Sleep(250 * time.Millisecond)
	}
	applyTime := e.kubectlApply(manifests)

	t.Logf("FIGURES: pulumi up (create) %s engine / %s with the driver's setup; no-op preview %s / %s; image update %s / %s; "+
		"kubectl apply + rollout status %s; up/kubectl ratio %.1f (engine) %.1f (driver)",
		up.Duration.Round(time.Millisecond), upTime.Round(time.Millisecond),
		noop.Duration.Round(time.Millisecond), noopTime.Round(time.Millisecond),
		imgUp.Duration.Round(time.Millisecond), imgTime.Round(time.Millisecond),
		applyTime.Round(time.Millisecond), up.Duration.Seconds()/applyTime.Seconds(), upTime.Seconds()/applyTime.Seconds())
}

// assertOnlyUpdated checks that every change of the update is an in-place update of one of the given types.
func assertOnlyUpdated(t *testing.T, what string, res *release.Result, types ...string) {
	t.Helper()
	seen := map[string]bool{}
	for _, s := range res.Changed() {
		if s.Op != "update" || !slices.Contains(types, s.Type) {
			t.Errorf("%s: unexpected %s of %s (%s)", what, s.Op, s.Type, s.URN)
		}
		seen[s.Type] = true
	}
	for _, typ := range types {
		if !seen[typ] {
			t.Errorf("%s: %s was not updated; steps: %+v", what, typ, res.Changed())
		}
	}
}

// exportManifests captures the deployed objects as plain manifests (server-managed fields removed).
func (e *env) exportManifests() []byte {
	e.t.Helper()
	out, err := exec.Command(e.kubectl, "-n", namespace, "get", "serviceaccount/wechat-api", "configmap/wechat-api-config",
		"secret/wechat-api-secrets", "deployment/wechat-api", "service/wechat-api", "ingress/wechat-api",
		"horizontalpodautoscaler/wechat-api", "poddisruptionbudget/wechat-api", "networkpolicy/default-deny",
		"networkpolicy/wechat-api", "-o", "json").Output()
	if err != nil {
		e.t.Fatalf("exporting manifests: %v", err)
	}
	var list struct {
		Items []map[string]any `json:"items"`
	}
	if err := json.Unmarshal(out, &list); err != nil {
		e.t.Fatal(err)
	}
	nsDoc := map[string]any{"apiVersion": "v1", "kind": "Namespace", "metadata": map[string]any{"name": namespace}}
	items := []any{nsDoc}
	for _, it := range list.Items {
		delete(it, "status")
		meta := it["metadata"].(map[string]any)
		for _, k := range []string{"uid", "resourceVersion", "creationTimestamp", "generation", "managedFields"} {
			delete(meta, k)
		}
		if it["kind"] == "Service" {
			spec := it["spec"].(map[string]any)
			for _, k := range []string{"clusterIP", "clusterIPs"} {
				delete(spec, k)
			}
		}
		items = append(items, it)
	}
	b, _ := json.Marshal(map[string]any{"apiVersion": "v1", "kind": "List", "items": items})
	return b
}

// kubectlApply applies the manifests and waits for the rollout, returning how long that took.
func (e *env) kubectlApply(manifests []byte) time.Duration {
	e.t.Helper()
	path := filepath.Join(e.t.TempDir(), "manifests.json")
	if err := os.WriteFile(path, manifests, 0o600); err != nil {
		e.t.Fatal(err)
	}
	start := time.Now()
	if out, err := e.kube("apply", "-f", path); err != nil {
		e.t.Fatalf("kubectl apply: %v\n%s", err, out)
	}
	if out, err := e.kube("-n", namespace, "rollout", "status", "deployment/wechat-api", "--timeout=120s"); err != nil {
		e.t.Fatalf("kubectl rollout status: %v\n%s", err, out)
	}
	d := time.Since(start)
	if out, err := e.kube("delete", "namespace", namespace, "--wait=true", "--timeout=60s"); err != nil {
		e.t.Logf("cleaning up the kubectl objects: %v %s", err, out)
	}
	return d
}
