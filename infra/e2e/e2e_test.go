//go:build e2e

package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/wechat-deploy/wechat-deploy/components/image"
	"github.com/wechat-deploy/wechat-deploy/infra/release"
	"github.com/wechat-deploy/wechat-deploy/infra/sandbox"
	"github.com/wechat-deploy/wechat-deploy/infra/tools"
)

const (
	stack     = "local"
	namespace = "wechat-api"
	// dbNamespace holds the in-cluster database.
	dbNamespace = "wechat-api-db"
)

// secrets the test sets, so that it can look for them in the state afterwards.
var secrets = map[string]string{
	"wechatAppId":     "wx5e2ec0d7a1b3c4f6",
	"wechatAppSecret": "e2e-app-secret-3f1c9a7d5b2e8f4a6c0d",
	"jwtSigningKey":   "e2e-jwt-signing-key-8c2f6e1a9d4b7c3e5f0a2d6b8e1c4f7a",
	// The in-cluster database's password (the stack provisions PostgreSQL in the cluster).
	"databasePassword": "e2e-db-password-6d2a9f4c1e7b3a8d",
}

type env struct {
	t         testing.TB
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

// editStack rewrites the app block of the test's copy of the stack file.
func (e *env) editStack(f func(app map[string]any)) {
	e.t.Helper()
	e.editConfig("wechat-deploy:app", f)
}

// editConfig rewrites one block (a namespaced key) of the test's copy of the stack file.
func (e *env) editConfig(key string, f func(block map[string]any)) {
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
	f(cfg[key].(map[string]any))
	b, _ = yaml.Marshal(doc)
	if err := os.WriteFile(e.stackFile, b, 0o600); err != nil {
		e.t.Fatal(err)
	}
}

func repoRoot(t testing.TB) string {
	wd, _ := os.Getwd()
	root, ok := sandbox.ProjectRoot(wd)
	if !ok {
		t.Fatal("no Pulumi.yaml above the test")
	}
	return root
}

// AppSecrets the fake WeChat accepts (s1, s2) and one it refuses.
const s1, s2, wrong = "e2e-app-secret-1-3f1c9a7d5b2e8f4a", "e2e-app-secret-2-8c0d6b1e4f7a2c9d", "e2e-wrong-secret-5a2d7c1e"

// world is what a test or benchmark of the local stack runs against: the sandbox with its real node (stopped at
// cleanup, checked to leave nothing on the host), the stand-ins for WeChat and the database, three images of
// the app imported into the node (ref1 and ref2 differ only in their digest; bad never becomes ready), and the
// test's copy of the stack file deploying ref1.
type world struct {
	*env
	sb              *sandbox.State
	wx              *fakeWeChat
	ref1, ref2, bad string
	sbTime          time.Duration
}

func newWorld(t testing.TB) *world {
	t.Helper()
	root := repoRoot(t)
	tmp := t.TempDir()
	ctx := context.Background()
	bins, err := sandbox.PinnedBinaries(root)
	if err != nil {
		t.Fatal(err)
	}
	node, err := sandbox.PinnedNode(ctx, root, filepath.Join(tmp, "images"))
	if err != nil {
		t.Fatal(err)
	}
	node.HostResolver = true
	footprint := sandbox.HostFootprint()
	sbDir := filepath.Join(tmp, "sandbox")
	sbStart := time.Now()
	sb, err := sandbox.Start(ctx, sandbox.Options{Dir: sbDir, Binaries: bins, Timeout: 4 * time.Minute, Log: os.Stderr, Node: node})
	if err != nil {
		t.Fatal(err)
	}
	sbTime := time.Since(sbStart)
	t.Cleanup(func() {
		if err := sandbox.Stop(sbDir); err != nil {
			t.Errorf("stopping the sandbox: %v", err)
		}
		if left := footprintDiff(footprint, sandbox.HostFootprint()); len(left) > 0 {
			t.Errorf("the sandbox left on the host:\n%s", strings.Join(left, "\n"))
		}
	})
	t.Logf("sandbox: API ready %s, nodes Ready %s, real node Ready %s after containerd started (start call %s)",
		sb.APIReady.Round(time.Millisecond), sb.NodeReady.Round(time.Millisecond), sb.Node.Ready.Round(time.Millisecond), sbTime.Round(time.Millisecond))
	t.Setenv("KUBECONFIG", sb.Kubeconfig)
	t.Setenv("PULUMI_CONFIG_PASSPHRASE", "e2e-passphrase")
	kubectl, err := tools.Bin(root, "kubernetes", "kubectl")
	if err != nil {
		t.Fatal(err)
	}

	// Stand-ins for the outside world, on the host end of the node's veth.
	wx := startFakeWeChat(t, sb.Node, secrets["wechatAppId"], s1, s2)
	secrets["wechatAppSecret"] = s1

	imgStart := time.Now()
	epoch := time.Unix(0, 0)
	ref1 := buildApp(t, root, sb.Node, "./app/cmd/server", wx.caPEM, epoch)
	ref2 := buildApp(t, root, sb.Node, "./app/cmd/server", wx.caPEM, epoch.Add(time.Second))
	// A release that starts and never becomes ready: a program that never listens, as /server.
	bad := buildApp(t, root, sb.Node, "./infra/sandbox/pause", nil, epoch)
	// The in-cluster database's image, from this machine's Debian PostgreSQL (what make up does for the sandbox).
	dbRef, err := sb.Node.BuildImage(ctx, image.PostgresBuild{Root: root, Created: epoch}, release.SandboxDatabaseRepository)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("images built without Docker and imported in %s: %s, %s, %s; database %s", time.Since(imgStart).Round(time.Millisecond), ref1, ref2, bad, dbRef)

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
	e.editStack(func(app map[string]any) {
		app["image"] = ref1
		// Every request of the load loop comes from one address: lift the per-client limits.
		app["env"] = map[string]any{"RATE_LIMIT_RPS": "10000", "RATE_LIMIT_BURST": "10000"}
		app["progressDeadlineSeconds"] = badReleaseDeadline
	})
	e.editConfig("wechat-deploy:database", func(db map[string]any) { db["image"] = dbRef })

	return &world{env: e, sb: sb, wx: wx, ref1: ref1, ref2: ref2, bad: bad, sbTime: sbTime}
}

// TestLocalStackEndToEnd runs the local stack on the sandbox's real node, through the release driver with the
// policy pack enforced: the app's image (built without Docker) serves logins, users and metrics through its
// Service; image updates and secret rotations roll with no failed request; a wrong secret breaks login; a release
// that never becomes ready fails up in bounded time while the old pods serve, and the earlier release comes back;
// the state holds no plain secret; destroy leaves nothing on the node, and stopping the sandbox nothing on the
// host. Then the same objects with kubectl, for comparison.
func TestLocalStackEndToEnd(t *testing.T) {
	w := newWorld(t)
	e, sb, wx, ref1, ref2, bad, sbTime := w.env, w.sb, w.wx, w.ref1, w.ref2, w.bad, w.sbTime
	ctx := context.Background()

	// 1. up creates everything; the pods run on the real node.
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
	if out, err := e.kube("-n", dbNamespace, "get", "statefulset/postgres", "-o", "jsonpath={.status.readyReplicas}"); err != nil || out != "1" {
		t.Fatalf("the in-cluster database is not ready after up: %q %v", out, err)
	}
	if out, err := e.kube("-n", dbNamespace, "get", "pvc", "-o", "jsonpath={.items[*].status.phase}"); err != nil || out != "Bound" {
		t.Fatalf("the database's volume claim: %q %v", out, err)
	}
	if out, err := e.kube("-n", namespace, "get", "deployment/wechat-api", "-o", "jsonpath={.status.availableReplicas}/{.spec.replicas}"); err != nil || out != "2/2" {
		t.Fatalf("deployment available/desired = %q, %v", out, err)
	}
	e.pods() // two, running ready on the real node
	podReady := e.podReadyTime()
	// The driver reads up's outputs from the update's events instead of three more CLI runs: they are what the
	// CLI reads from the state, a secret flagged and without its value.
	outs, _ := e.must(release.OpOutputs, nil)
	if len(up.Outputs) == 0 || len(up.Outputs) != len(outs.Outputs) {
		t.Fatalf("up's outputs %v, the state's %v", up.Outputs, outs.Outputs)
	}
	for k, v := range outs.Outputs {
		got := up.Outputs[k]
		if got.Secret != v.Secret || (!v.Secret && fmt.Sprint(got.Value) != fmt.Sprint(v.Value)) || (got.Secret && got.Value != "[secret]") {
			t.Errorf("output %s: up read %+v from the events, the state holds %+v", k, got, v)
		}
	}
	if out, _ := e.kube("-n", namespace, "get", "configmap/wechat-api-config", "-o", "json"); strings.Contains(out, secrets["jwtSigningKey"]) {
		t.Fatal("a secret value is in the ConfigMap")
	}
	mem, err := sb.Memory()
	if err != nil {
		t.Fatal(err)
	}

	// 2. behaviour through the Service, from the node.
	c := e.serviceClient(sb.Node)
	if status, body, err := c.do(http.MethodGet, "/readyz", "", ""); err != nil || status != http.StatusOK {
		t.Fatalf("GET /readyz through the Service: %d %s %v", status, body, err)
	}
	token, _, err := c.login("alice")
	if err != nil {
		t.Fatal(err)
	}
	if wx.lastSecret() != s1 {
		t.Fatalf("WeChat was sent secret %q, want the stack's", wx.lastSecret())
	}
	if status, body, err := c.do(http.MethodPut, "/api/v1/users/me", token, `{"nickname":"Alice"}`); err != nil || status != http.StatusOK {
		t.Fatalf("PUT /api/v1/users/me: %d %s %v", status, body, err)
	}
	if status, body, err := c.do(http.MethodGet, "/api/v1/users/me", token, ""); err != nil || status != http.StatusOK || !strings.Contains(string(body), `"nickname":"Alice"`) {
		t.Fatalf("GET /api/v1/users/me: %d %s %v", status, body, err)
	}
	// The user outlives the database's pod and the app's: the data is on the volume claim, not in a pod.
	restart := e.restartPods()
	if status, body, err := c.do(http.MethodGet, "/api/v1/users/me", token, ""); err != nil || status != http.StatusOK || !strings.Contains(string(body), `"nickname":"Alice"`) {
		t.Fatalf("GET /api/v1/users/me after the database's and the app's pods were replaced: %d %s %v", status, body, err)
	}
	if _, _, err := c.login("alice"); err != nil {
		t.Fatalf("login after the pods were replaced: %v", err)
	}
	pods := e.pods()
	// /metrics answers on the metrics port of a pod, and not on the API port the Service and Ingress expose.
	e.checkMetrics(sb.Node, c, pods[0])
	e.checkHardening(sb.Node, pods[0])

	// 3. a secret rotation and an image update roll with no failed request.
	l := startLoad(c, token, 2, 10*time.Millisecond)
	secrets["wechatAppSecret"] = s2
	rot, rotTime := e.must(release.OpUp, nil)
	assertOnlyUpdated(t, "secret rotation", rot, "kubernetes:apps/v1:Deployment", "kubernetes:core/v1:Secret")
	rotN, rotFailed, rotP99 := l.finish()
	if len(rotFailed) > 0 {
		t.Errorf("%d of %d requests failed during the secret rotation:\n%s", len(rotFailed), rotN, strings.Join(rotFailed, "\n"))
	}
	// The pods read the mounted file; the old ones still serve through their preStop pause until kube-proxy
	// drops them, so the rotated secret is in effect within that pause, not at the instant up returns.
	t.Logf("FIGURES rotated AppSecret in effect for every login %s after up returned", e.awaitLoginSecret(c, wx, s2, true).Round(time.Millisecond))

	l = startLoad(c, token, 2, 10*time.Millisecond)
	e.editStack(func(app map[string]any) { app["image"] = ref2 })
	imgUp, imgTime := e.must(release.OpUp, nil)
	assertOnlyUpdated(t, "image change", imgUp, "kubernetes:apps/v1:Deployment")
	imgN, imgFailed, imgP99 := l.finish()
	if len(imgFailed) > 0 {
		t.Errorf("%d of %d requests failed during the image update:\n%s", len(imgFailed), imgN, strings.Join(imgFailed, "\n"))
	}
	if out, _ := e.kube("-n", namespace, "get", "pods", "-l", "app.kubernetes.io/name=wechat-api", "-o", "jsonpath={.items[*].spec.containers[0].image}"); strings.Count(out, ref2) != 2 {
		t.Fatalf("pods run %q after the image update, want 2 of %s", out, ref2)
	}

	// 4. a wrong AppSecret: the pods still start (WeChat is not a readiness dependency) and login fails.
	secrets["wechatAppSecret"] = wrong
	e.must(release.OpUp, nil)
	e.awaitLoginSecret(c, wx, wrong, false)
	secrets["wechatAppSecret"] = s2
	good, _ := os.ReadFile(e.stackFile)
	e.must(release.OpUp, nil)

	// 5. a release that never becomes ready fails up within the progress deadline while the old pods serve.
	l = startLoad(c, token, 2, 10*time.Millisecond)
	e.editStack(func(app map[string]any) { app["image"] = bad })
	_, badTime, err := e.run(release.OpUp, nil)
	badN, badFailed, badP99 := l.finish()
	if err == nil {
		t.Fatal("up of a release that never becomes ready succeeded")
	}
	t.Logf("failed release after %s: %v", badTime.Round(time.Second), err)
	// The bound: the progress deadline (the driver stops the update when Kubernetes declares the rollout stuck,
	// rather than at the provider's timeout a minute later), and the driver's preview, set-up and the engine's
	// cancellation.
	if bound := time.Duration(badReleaseDeadline+30) * time.Second; badTime > bound {
		t.Errorf("up took %s to fail; the bound is %s", badTime.Round(time.Second), bound)
	}
	// The error itself (not only the progress output) names the Deployment, why its rollout stalled, and the way
	// back.
	if msg := err.Error(); !strings.Contains(msg, "wechat-api-deployment failed; what the cluster last reported:") ||
		!strings.Contains(msg, "ProgressDeadlineExceeded") || !strings.Contains(msg, "make rollback STACK=local") {
		t.Errorf("the failure does not name the Deployment, its stalled rollout and the way back: %v", err)
	}
	if len(badFailed) > 0 {
		t.Errorf("%d of %d requests failed during the bad release:\n%s", len(badFailed), badN, strings.Join(badFailed, "\n"))
	}
	// Back to the last good release with the rollback command. A target whose image is gone is refused first.
	if _, err := sb.Node.Ctr(ctx, "images", "rm", ref1); err != nil {
		t.Fatalf("removing %s from the node: %v", ref1, err)
	}
	onNode := func(o *release.Options) { o.ImageAvailable = sb.Node.HasImage }
	if _, _, err := e.run(release.OpRollback, func(o *release.Options) { onNode(o); o.RollbackTo = ref1[strings.Index(ref1, "@")+1:] }); err == nil || !strings.Contains(err.Error(), "refused") {
		t.Fatalf("rollback to an image no longer available: %v", err)
	}
	back, backTime := e.must(release.OpRollback, onNode)
	if !strings.Contains(e.out.String(), "Rolling back stack local to update") {
		t.Errorf("rollback did not say what it rolls back to:\n%s", e.out.String())
	}
	// The stack file goes back too (in a repository: revert the bad commit), so the next preview is a no-op.
	if err := os.WriteFile(e.stackFile, good, 0o600); err != nil {
		t.Fatal(err)
	}
	if out, _ := e.kube("-n", namespace, "get", "deployment/wechat-api", "-o", "jsonpath={.spec.template.spec.containers[0].image} {.status.readyReplicas}"); out != ref2+" 2" {
		t.Fatalf("after going back, deployment runs %q", out)
	}
	if _, _, err := c.login("alice"); err != nil {
		t.Fatalf("login after going back: %v", err)
	}

	// 6. a second preview changes nothing.
	noop, noopTime := e.must(release.OpPreview, nil)
	if changed := noop.Changed(); len(changed) > 0 {
		t.Fatalf("no-op preview plans changes: %+v", changed)
	}

	// 7. a non-compliant change is stopped by a mandatory policy, with the rule named.
	e.editStack(func(app map[string]any) { app["tls"] = map[string]any{"enabled": false} })
	_, _, err = e.run(release.OpPreview, nil)
	if err == nil || !strings.Contains(err.Error(), "k8s-ingress-tls") || !strings.Contains(err.Error(), "mandatory") {
		t.Fatalf("non-compliant preview: error %v\n%s", err, e.out.String())
	}
	if err := os.WriteFile(e.stackFile, good, 0o600); err != nil {
		t.Fatal(err)
	}

	// 8. the state holds no secret in plain text.
	state, err := release.Export(ctx, release.Options{Root: e.root, Stack: stack, StackFile: e.stackFile, StateDir: e.stateDir})
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range secrets {
		if bytes.Contains(state, []byte(v)) {
			t.Errorf("stack export holds %s in plain text", k)
		}
	}
	for _, v := range []string{s1, wrong} {
		if bytes.Contains(state, []byte(v)) {
			t.Error("stack export holds an earlier AppSecret in plain text")
		}
	}
	if !bytes.Contains(state, []byte(`"4dabf18193072939515e22adb298388d"`)) {
		t.Error("stack export has no secret markers: is it the right state?")
	}

	// Side by side: the same objects with kubectl apply + rollout status.
	manifests := e.exportManifests()

	// 9. destroy removes every object, and the node runs nothing of them afterwards.
	if _, _, err := e.run(release.OpDestroy, nil); err != nil {
		t.Fatalf("destroy: %v\n%s", err, e.out.String())
	}
	e.waitNamespaceGone()
	e.waitNodeEmpty(sb)
	applyTime := e.kubectlApply(manifests)
	e.kubectlDelete()
	e.waitNodeEmpty(sb)

	t.Logf("FIGURES: database and app pods replaced and serving the same user again in %s", restart.Round(time.Millisecond))
	t.Logf("FIGURES: sandbox start %s (real node Ready %s after containerd); pods Ready %s after up began; "+
		"pulumi up (create) %s engine / %s with the driver's setup; kubectl apply + rollout status %s; up/kubectl ratio %.1f (engine) %.1f (driver); "+
		"no-op preview %s / %s; secret rotation %s (%d requests, %d failed, p99 %s); image update %s / %s (%d requests, %d failed, p99 %s); "+
		"bad release failed after %s (%d requests, %d failed, p99 %s); rollback %s (engine %s); sandbox memory after up %d MiB",
		sbTime.Round(time.Millisecond), sb.Node.Ready.Round(time.Millisecond), podReady.Round(time.Millisecond),
		up.Duration.Round(time.Millisecond), upTime.Round(time.Millisecond), applyTime.Round(time.Millisecond),
		up.Duration.Seconds()/applyTime.Seconds(), upTime.Seconds()/applyTime.Seconds(),
		noop.Duration.Round(time.Millisecond), noopTime.Round(time.Millisecond),
		rotTime.Round(time.Millisecond), rotN, len(rotFailed), rotP99.Round(time.Millisecond),
		imgUp.Duration.Round(time.Millisecond), imgTime.Round(time.Millisecond), imgN, len(imgFailed), imgP99.Round(time.Millisecond),
		badTime.Round(time.Millisecond), badN, len(badFailed), badP99.Round(time.Millisecond), backTime.Round(time.Millisecond),
		back.Duration.Round(time.Millisecond), mem>>20)
}

// badReleaseDeadline is the progress deadline the test gives the stack (the smallest the config allows): the
// bound within which up of a release that never becomes ready must fail.
const badReleaseDeadline = 70

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
	var items []any
	for _, ns := range []struct {
		name    string
		objects []string
	}{
		// The database first: the app's pods become ready only once it serves.
		{dbNamespace, []string{"secret/postgres-password", "service/postgres", "networkpolicy/postgres", "statefulset/postgres"}},
		{namespace, []string{"serviceaccount/wechat-api", "configmap/wechat-api-config",
			"secret/wechat-api-secrets", "deployment/wechat-api", "service/wechat-api", "ingress/wechat-api",
			"horizontalpodautoscaler/wechat-api", "poddisruptionbudget/wechat-api", "networkpolicy/default-deny",
			"networkpolicy/wechat-api"}},
	} {
		out, err := exec.Command(e.kubectl, append([]string{"-n", ns.name, "get"}, append(ns.objects, "-o", "json")...)...).Output()
		if err != nil {
			e.t.Fatalf("exporting manifests of %s: %v", ns.name, err)
		}
		var list struct {
			Items []map[string]any `json:"items"`
		}
		if err := json.Unmarshal(out, &list); err != nil {
			e.t.Fatal(err)
		}
		items = append(items, map[string]any{"apiVersion": "v1", "kind": "Namespace", "metadata": map[string]any{"name": ns.name}})
		for _, it := range list.Items {
			delete(it, "status")
			meta := it["metadata"].(map[string]any)
			for _, k := range []string{"uid", "resourceVersion", "creationTimestamp", "generation", "managedFields"} {
				delete(meta, k)
			}
			// The app's Service takes a new address; the database's keeps its own, which the app's secret names.
			if it["kind"] == "Service" && ns.name == namespace {
				spec := it["spec"].(map[string]any)
				for _, k := range []string{"clusterIP", "clusterIPs"} {
					delete(spec, k)
				}
			}
			items = append(items, it)
		}
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
	return time.Since(start)
}

// kubectlDelete removes what kubectlApply created.
func (e *env) kubectlDelete() {
	e.t.Helper()
	if out, err := e.kube("delete", "namespace", namespace, dbNamespace, "--wait=true", "--timeout=90s"); err != nil {
		e.t.Logf("cleaning up the kubectl objects: %v %s", err, out)
	}
}

// awaitLoginSecret waits, after an up that changed the AppSecret, until logins send want to WeChat (and succeed,
// or fail with a server error when ok is false) on several consecutive requests, and returns how long that took.
// Until then a login may still reach an old pod: an up returns once the new pods are available, while the old ones
// serve through their preStop pause until kube-proxy has dropped their endpoints. The bound is that pause with a
// margin: a login that still reaches an old pod after it is a failure.
func (e *env) awaitLoginSecret(c *client, wx *fakeWeChat, want string, ok bool) time.Duration {
	e.t.Helper()
	const consecutive = 4
	start := time.Now()
	bound := 15 * time.Second
	var last string
	for streak := 0; streak < consecutive; {
		_, status, err := c.login("alice")
		sent := wx.lastSecret()
		good := sent == want && (ok && err == nil || !ok && err != nil && status >= 500)
		switch {
		case good:
			streak++
			continue
		case time.Since(start) > bound:
			e.t.Fatalf("%s after up, a login still gets HTTP %d (%v) and sends WeChat %q; want %q (succeeding: %t); last: %s",
				bound, status, err, sent, want, ok, last)
		}
		streak = 0
		last = fmt.Sprintf("HTTP %d, %q sent", status, sent)
		time.Sleep(200 * time.Millisecond)
	}
	return time.Since(start)
}

// restartPods deletes the database's pod and the app's pods, waits until their controllers have replaced them and
// they are ready again, and returns how long that took.
func (e *env) restartPods() time.Duration {
	e.t.Helper()
	start := time.Now()
	for _, step := range [][]string{
		{"-n", dbNamespace, "delete", "pod", "-l", "app.kubernetes.io/name=postgres", "--wait=true", "--timeout=120s"},
		{"-n", dbNamespace, "rollout", "status", "statefulset/postgres", "--timeout=180s"},
		{"-n", namespace, "delete", "pod", "-l", appSelector, "--wait=true", "--timeout=120s"},
		{"-n", namespace, "rollout", "status", "deployment/wechat-api", "--timeout=180s"},
	} {
		if out, err := e.kube(step...); err != nil {
			e.t.Fatalf("kubectl %s: %v\n%s", strings.Join(step, " "), err, out)
		}
	}
	// rollout status returns once the pods are ready; the Service's endpoints follow within kube-proxy's sync.
	deadline := time.Now().Add(30 * time.Second)
	for {
		out, _ := e.kube("-n", namespace, "get", "endpointslices", "-l", "kubernetes.io/service-name=wechat-api", "-o",
			`jsonpath={range .items[*].endpoints[?(@.conditions.ready==true)]}{.addresses[0]}{"\n"}{end}`)
		if strings.Count(strings.TrimSpace(out), "\n") == 1 || time.Now().After(deadline) {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	return time.Since(start)
}
