//go:build e2e

package e2e

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/net/dns/dnsmessage"

	"github.com/wechat-deploy/wechat-deploy/app/contract"
	"github.com/wechat-deploy/wechat-deploy/components/image"
	"github.com/wechat-deploy/wechat-deploy/infra/release"
	"github.com/wechat-deploy/wechat-deploy/infra/sandbox"
)

// wechatHost is the host the app sends logins to (the policy allows WeChat's hosts over HTTPS only). The test
// stands in for it: the node's pods resolve names through the test's DNS server, which answers with the host end
// of the node's veth, where the test serves jscode2session over TLS with a certificate of its own CA, which the
// test's build of the image trusts.
const wechatHost = "api.weixin.qq.com"

// fakeWeChat is jscode2session for one AppID, accepting the AppSecrets in accept, and recording the secrets it
// was sent.
type fakeWeChat struct {
	appID  string
	mu     sync.Mutex
	accept []string
	seen   []string
	caPEM  []byte
}

func (f *fakeWeChat) lastSecret() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.seen) == 0 {
		return ""
	}
	return f.seen[len(f.seen)-1]
}

func (f *fakeWeChat) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	w.Header().Set("Content-Type", "application/json")
	f.mu.Lock()
	f.seen = append(f.seen, q.Get("secret"))
	ok := slices.Contains(f.accept, q.Get("secret"))
	f.mu.Unlock()
	switch {
	case r.URL.Path != "/sns/jscode2session" || q.Get("grant_type") != "authorization_code":
		w.WriteHeader(http.StatusNotFound)
	case q.Get("appid") != f.appID:
		_, _ = io.WriteString(w, `{"errcode":40013,"errmsg":"invalid appid"}`)
	case !ok:
		_, _ = io.WriteString(w, `{"errcode":40125,"errmsg":"invalid appsecret"}`)
	case q.Get("js_code") == "":
		_, _ = io.WriteString(w, `{"errcode":40029,"errmsg":"invalid code"}`)
	default:
		_ = json.NewEncoder(w).Encode(map[string]string{"openid": "openid-" + q.Get("js_code"), "session_key": "c2Vzc2lvbi1rZXktZTJl"})
	}
}

// startFakeWeChat serves the fake on <HostIP>:443 with a certificate for wechatHost, and answers DNS on
// <HostIP>:53 (A for wechatHost; nothing else exists).
func startFakeWeChat(t testing.TB, node *sandbox.NodeState, appID string, accept ...string) *fakeWeChat {
	t.Helper()
	caKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	caTmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "e2e WeChat stand-in CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour), IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	ca, _ := x509.ParseCertificate(caDER)
	leafKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	leafDER, err := x509.CreateCertificate(rand.Reader, &x509.Certificate{SerialNumber: big.NewInt(2),
		Subject: pkix.Name{CommonName: wechatHost}, DNSNames: []string{wechatHost},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}, KeyUsage: x509.KeyUsageDigitalSignature}, ca, &leafKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	f := &fakeWeChat{appID: appID, accept: accept, caPEM: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER})}
	ln, err := net.Listen("tcp", net.JoinHostPort(node.HostIP, "443"))
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: f, ReadHeaderTimeout: 5 * time.Second, TLSConfig: &tls.Config{
		Certificates: []tls.Certificate{{Certificate: [][]byte{leafDER}, PrivateKey: leafKey}}, MinVersion: tls.VersionTLS12}}
	go func() { _ = srv.ServeTLS(ln, "", "") }()
	t.Cleanup(func() { _ = srv.Close() })

	pc, err := net.ListenPacket("udp", net.JoinHostPort(node.HostIP, "53"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = pc.Close() })
	answer := [4]byte(net.ParseIP(node.HostIP).To4())
	go serveDNS(pc, wechatHost+".", answer)
	return f
}

// serveDNS answers A queries for name with addr, and everything else with no answer (NXDOMAIN for other names).
func serveDNS(pc net.PacketConn, name string, addr [4]byte) {
	buf := make([]byte, 1500)
	for {
		n, from, err := pc.ReadFrom(buf)
		if err != nil {
			return
		}
		var p dnsmessage.Parser
		h, err := p.Start(buf[:n])
		if err != nil {
			continue
		}
		q, err := p.Question()
		if err != nil {
			continue
		}
		rcode := dnsmessage.RCodeSuccess
		if !strings.EqualFold(q.Name.String(), name) {
			rcode = dnsmessage.RCodeNameError
		}
		b := dnsmessage.NewBuilder(nil, dnsmessage.Header{ID: h.ID, Response: true, Authoritative: true, RecursionDesired: h.RecursionDesired, RCode: rcode})
		b.EnableCompression()
		_ = b.StartQuestions()
		_ = b.Question(q)
		_ = b.StartAnswers()
		if rcode == dnsmessage.RCodeSuccess && q.Type == dnsmessage.TypeA {
			_ = b.AResource(dnsmessage.ResourceHeader{Name: q.Name, Class: dnsmessage.ClassINET, TTL: 5}, dnsmessage.AResource{A: addr})
		}
		if msg, err := b.Finish(); err == nil {
			_, _ = pc.WriteTo(msg, from)
		}
	}
}

// buildApp builds the app's image without Docker (trusting caPEM besides the machine's roots), imports it into the
// node and returns its name@sha256 reference. created varies the image (and so its digest) without changing code.
func buildApp(t testing.TB, root string, node *sandbox.NodeState, pkg string, caPEM []byte, created time.Time) string {
	t.Helper()
	bundle := filepath.Join(t.TempDir(), "ca.pem")
	system, err := os.ReadFile(image.CACertificates)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bundle, append(system, caPEM...), 0o600); err != nil {
		t.Fatal(err)
	}
	ref, err := node.BuildImage(context.Background(), image.GoBuild{Root: root, Package: pkg, Binary: "/server",
		Ports: []int{8080, 9090}, CABundle: bundle, Created: created}, release.SandboxRepository)
	if err != nil {
		t.Fatal(err)
	}
	return ref
}

// client talks to the cluster from inside the node's network namespace.
type client struct {
	http *http.Client
	base string // http://<service cluster IP>:<port>
}

func (c *client) do(method, path, token, body string) (int, []byte, error) {
	req, err := http.NewRequest(method, c.base+path, strings.NewReader(body))
	if err != nil {
		return 0, nil, err
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer func() { _ = resp.Body.Close() }()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, b, err
}

// login signs in with a WeChat login code and returns the JWT.
func (c *client) login(code string) (string, int, error) {
	status, body, err := c.do(http.MethodPost, "/api/v1/auth/login", "", fmt.Sprintf(`{"code":%q}`, code))
	if err != nil || status != http.StatusOK {
		return "", status, fmt.Errorf("login: HTTP %d %s: %w", status, body, err)
	}
	var r struct {
		Token string `json:"token"`
	}
	if err := json.Unmarshal(body, &r); err != nil || r.Token == "" {
		return "", status, fmt.Errorf("login answer %s: %w", body, err)
	}
	return r.Token, status, nil
}

// load sends requests from workers until stopped, counting failures (transport errors or a status other than
// 200) and recording latencies.
type load struct {
	stop     chan struct{}
	wg       sync.WaitGroup
	mu       sync.Mutex
	lat      []time.Duration
	failures []string
}

func startLoad(c *client, token string, workers int, pause time.Duration) *load {
	l := &load{stop: make(chan struct{})}
	for range workers {
		l.wg.Add(1)
		go func() {
			defer l.wg.Done()
			for {
				select {
				case <-l.stop:
					return
				case <-time.After(pause):
				}
				start := time.Now()
				status, body, err := c.do(http.MethodGet, "/api/v1/users/me", token, "")
				d := time.Since(start)
				l.mu.Lock()
				l.lat = append(l.lat, d)
				if err != nil || status != http.StatusOK {
					l.failures = append(l.failures, fmt.Sprintf("%s: HTTP %d %.100s %v", time.Now().Format("15:04:05.000"), status, body, err))
				}
				l.mu.Unlock()
			}
		}()
	}
	return l
}

// finish stops the load and returns the request count, failures and p99 latency.
func (l *load) finish() (int, []string, time.Duration) {
	close(l.stop)
	l.wg.Wait()
	sort.Slice(l.lat, func(i, j int) bool { return l.lat[i] < l.lat[j] })
	var p99 time.Duration
	if len(l.lat) > 0 {
		p99 = l.lat[min(len(l.lat)-1, len(l.lat)*99/100)]
	}
	return len(l.lat), l.failures, p99
}

// footprintDiff lists what after holds that before did not.
func footprintDiff(before, after map[string][]string) []string {
	var left []string
	for k, vs := range after {
		for _, v := range vs {
			if !slices.Contains(before[k], v) {
				left = append(left, k+": "+v)
			}
		}
	}
	sort.Strings(left)
	return left
}

// errNotReady marks a poll that ran out of time.
var errNotReady = errors.New("not ready in time")

// poll calls f until it returns nil or the timeout passes.
func poll(timeout time.Duration, f func() error) error {
	deadline := time.Now().Add(timeout)
	for {
		err := f()
		if err == nil {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%w: %w", errNotReady, err)
		}
		time.Sleep(250 * time.Millisecond)
	}
}

const appSelector = "app.kubernetes.io/name=wechat-api"

type pod struct{ name, ip, node string }

// pods lists the app's pods, checking that each runs, ready, on the real node.
func (e *env) pods() []pod {
	e.t.Helper()
	out, err := e.kube("-n", namespace, "get", "pods", "-l", appSelector, "-o",
		`jsonpath={range .items[*]}{.metadata.name} {.status.podIP} {.spec.nodeName} {.status.phase} {.status.containerStatuses[0].ready}{"\n"}{end}`)
	if err != nil {
		e.t.Fatalf("listing pods: %v %s", err, out)
	}
	var pods []pod
	for line := range strings.Lines(strings.TrimSpace(out)) {
		f := strings.Fields(line)
		if len(f) != 5 || f[2] != sandbox.RealNodeName || f[3] != "Running" || f[4] != "true" {
			e.t.Fatalf("pod not running ready on %s: %q", sandbox.RealNodeName, line)
		}
		pods = append(pods, pod{name: f[0], ip: f[1], node: f[2]})
	}
	if len(pods) != 2 {
		e.t.Fatalf("%d pods, want 2:\n%s", len(pods), out)
	}
	return pods
}

// podReadyTime is the longest time from a pod's creation to its Ready condition (whole seconds: the API's).
func (e *env) podReadyTime() time.Duration {
	e.t.Helper()
	out, err := e.kube("-n", namespace, "get", "pods", "-l", appSelector, "-o",
		`jsonpath={range .items[*]}{.metadata.creationTimestamp} {.status.conditions[?(@.type=="Ready")].lastTransitionTime}{"\n"}{end}`)
	if err != nil {
		e.t.Fatalf("reading pod conditions: %v %s", err, out)
	}
	var longest time.Duration
	for line := range strings.Lines(strings.TrimSpace(out)) {
		f := strings.Fields(line)
		if len(f) != 2 {
			continue
		}
		created, err1 := time.Parse(time.RFC3339, f[0])
		ready, err2 := time.Parse(time.RFC3339, f[1])
		if err1 == nil && err2 == nil {
			longest = max(longest, ready.Sub(created))
		}
	}
	return longest
}

// serviceClient reaches the app's Service from inside the node (new connection per request, so that each one
// goes through the Service's load balancing, as a fresh client would).
func (e *env) serviceClient(node *sandbox.NodeState) *client {
	e.t.Helper()
	out, err := e.kube("-n", namespace, "get", "service/wechat-api", "-o", `jsonpath={.spec.clusterIP} {.spec.ports[?(@.name=="http")].port}`)
	f := strings.Fields(out)
	if err != nil || len(f) != 2 {
		e.t.Fatalf("reading the Service: %v %q", err, out)
	}
	return &client{base: "http://" + net.JoinHostPort(f[0], f[1]), http: &http.Client{Timeout: 10 * time.Second,
		Transport: &http.Transport{DialContext: node.DialContext, DisableKeepAlives: true}}}
}

// checkMetrics: /metrics answers on the pod's metrics port with the app's metrics, and not through the Service's
// API port (the one the Ingress routes to).
func (e *env) checkMetrics(node *sandbox.NodeState, c *client, p pod) {
	e.t.Helper()
	pc := &client{http: c.http, base: "http://" + net.JoinHostPort(p.ip, "9090")}
	status, body, err := pc.do(http.MethodGet, "/metrics", "", "")
	if err != nil || status != http.StatusOK || !strings.Contains(string(body), contract.MetricRequests) {
		e.t.Fatalf("scraping %s:9090/metrics: HTTP %d %v (%d bytes)", p.ip, status, err, len(body))
	}
	if status, _, err := c.do(http.MethodGet, "/metrics", "", ""); err != nil || status != http.StatusNotFound {
		e.t.Fatalf("GET /metrics through the Service's API port: HTTP %d %v, want 404", status, err)
	}
}

// checkHardening looks at the app's processes from the host: user and group 65532, no capabilities, no new
// privileges, a seccomp filter, a read-only root file system; then at kubectl logs and exec.
func (e *env) checkHardening(node *sandbox.NodeState, p pod) {
	e.t.Helper()
	entries, _ := os.ReadDir("/proc")
	found := 0
	for _, ent := range entries {
		pid := ent.Name()
		cmd, err := os.ReadFile("/proc/" + pid + "/cmdline")
		if err != nil || string(cmd) != "/server\x00" {
			continue
		}
		cg, _ := os.ReadFile("/proc/" + pid + "/cgroup")
		if !strings.Contains(string(cg), node.CgroupRoot+"/") {
			continue
		}
		found++
		status, _ := os.ReadFile("/proc/" + pid + "/status")
		fields := map[string]string{}
		for line := range strings.Lines(string(status)) {
			if k, v, ok := strings.Cut(line, ":"); ok {
				fields[k] = strings.Join(strings.Fields(v), " ")
			}
		}
		for k, want := range map[string]string{"Uid": "65532 65532 65532 65532", "Gid": "65532 65532 65532 65532",
			"CapEff": "0000000000000000", "CapPrm": "0000000000000000", "NoNewPrivs": "1", "Seccomp": "2"} {
			if fields[k] != want {
				e.t.Errorf("app process %s: %s %q, want %q", pid, k, fields[k], want)
			}
		}
		mi, _ := os.ReadFile("/proc/" + pid + "/mountinfo")
		rootRO := false
		for line := range strings.Lines(string(mi)) {
			if f := strings.Fields(line); len(f) > 5 && f[4] == "/" {
				rootRO = slices.Contains(strings.Split(f[5], ","), "ro")
			}
		}
		if !rootRO {
			e.t.Errorf("app process %s: root file system is writable", pid)
		}
	}
	if found != 2 {
		e.t.Fatalf("found %d app processes on the node, want 2", found)
	}
	// The requests went to either pod: read both, through the kubelet.
	if out, err := e.kube("-n", namespace, "logs", "-l", appSelector, "-c", "app", "--tail=-1", "--prefix"); err != nil || !strings.Contains(out, `"route":"GET /api/v1/users/me"`) {
		e.t.Errorf("kubectl logs: %v; %.600s", err, out)
	}
	// exec runs in the pod: a second server finds the pod's port taken.
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	out, _ := exec.CommandContext(ctx, e.kubectl, "-n", namespace, "exec", p.name, "-c", "app", "--", "/server").CombinedOutput()
	if !strings.Contains(string(out), "address already in use") {
		e.t.Errorf("kubectl exec of a second server in the pod: %.500s", out)
	}
}

// waitNamespaceGone waits for the app's namespace to be deleted.
func (e *env) waitNamespaceGone() {
	e.t.Helper()
	if err := poll(90*time.Second, func() error {
		for _, ns := range []string{namespace, dbNamespace} {
			if out, err := e.kube("get", "namespace", ns); err == nil || !strings.Contains(out, "NotFound") {
				return fmt.Errorf("namespace %s still there: %s", ns, out)
			}
		}
		return nil
	}); err != nil {
		e.t.Fatal(err)
	}
}

// waitNodeEmpty waits until the node runs no task and holds no container, sandbox or pod mount (the kubelet
// removes dead containers and sandboxes in its garbage collection, once a minute).
func (e *env) waitNodeEmpty(sb *sandbox.State) {
	e.t.Helper()
	var containerd int
	for _, p := range sb.Processes {
		if p.Name == "containerd" {
			containerd = p.PID
		}
	}
	ctx := context.Background()
	if err := poll(150*time.Second, func() error {
		for _, what := range []string{"tasks", "containers"} { // containers include the pod sandboxes
			out, err := sb.Node.Ctr(ctx, what, "ls", "-q")
			if err != nil {
				return err
			}
			if out != "" {
				return fmt.Errorf("%s still on the node: %s", what, out)
			}
		}
		mi, err := os.ReadFile(fmt.Sprintf("/proc/%d/mountinfo", containerd))
		if err != nil {
			return err
		}
		for line := range strings.Lines(string(mi)) {
			if f := strings.Fields(line); len(f) > 4 && (strings.Contains(f[4], "/pods/") || strings.Contains(f[4], "io.containerd.runtime.v2.task") || strings.Contains(f[4], "/netns/cni-")) {
				return fmt.Errorf("mount still there: %s", f[4])
			}
		}
		return nil
	}); err != nil {
		e.t.Fatal(err)
	}
}
