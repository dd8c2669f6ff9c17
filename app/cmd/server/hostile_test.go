package main

import (
	"context"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/wechat-deploy/wechat-deploy/app/contract"
	"github.com/wechat-deploy/wechat-deploy/app/internal/config"
	"github.com/wechat-deploy/wechat-deploy/app/internal/repository"
)

// TestNotReadyBeforeTheListenerCloses: on shutdown the app first answers /readyz 503 while still serving (so a
// load balancer probing it sees not-ready, not a closed port, and stops sending), for the drain delay, and closes
// its listener only after.
func TestNotReadyBeforeTheListenerCloses(t *testing.T) {
	draining := make(chan time.Duration)
	release := make(chan struct{})
	waitDrain = func(d time.Duration) { draining <- d; <-release }
	defer func() { waitDrain = time.Sleep }()
	cfg := testConfig(t, map[string]string{"SHUTDOWN_TIMEOUT": "10s", "DRAIN_DELAY": "3s"})
	base, metricsBase, cancel, done := start(t, cfg)
	waitFor(t, base+"/readyz", 200)

	cancel() // SIGTERM
	select {
	case d := <-draining:
		if d != 3*time.Second {
			t.Errorf("drained for %s, want DRAIN_DELAY", d)
		}
	case err := <-done:
		t.Fatalf("serve() returned (%v) without a drain: the listener closed with no not-ready period", err)
	}
	get := func(url string) (int, string) {
		t.Helper()
		resp, err := http.Get(url)
		if err != nil {
			t.Fatalf("GET %s during the drain: %v", url, err)
		}
		b, _ := io.ReadAll(resp.Body)
		_ = resp.Body.Close() // read in full above
		return resp.StatusCode, string(b)
	}
	if status, body := get(base + "/readyz"); status != 503 || !strings.Contains(body, `"not_ready"`) {
		t.Errorf("/readyz during the drain = %d %s, want 503 not_ready", status, body)
	}
	if status, _ := get(base + "/healthz"); status != 200 {
		t.Errorf("/healthz during the drain = %d: the app must keep serving", status)
	}
	if status, body := get(metricsBase + contract.PathMetrics); status != 200 || !strings.Contains(body, contract.MetricRequests) {
		t.Errorf("/metrics on the metrics port during the drain = %d", status)
	}
	close(release)
	if err := <-done; err != nil {
		t.Fatalf("serve() = %v", err)
	}
	for _, url := range []string{base + "/healthz", metricsBase + contract.PathMetrics} {
		if resp, err := http.Get(url); err == nil {
			_ = resp.Body.Close() // the test fails either way
			t.Fatalf("%s still accepting after the drain and shutdown", url)
		}
	}
}

// TestMetricsOnTheirOwnPort: the API port answers /metrics with the API's JSON 404; the metrics port serves it,
// with the requests the API port counted, and nothing else.
func TestMetricsOnTheirOwnPort(t *testing.T) {
	cfg := testConfig(t, map[string]string{"SHUTDOWN_TIMEOUT": "5s", "DRAIN_DELAY": "0s"})
	base, metricsBase, cancel, done := start(t, cfg)
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve() = %v", err)
		}
	}()
	waitFor(t, base+"/readyz", 200)
	get := func(url string) (int, string) {
		t.Helper()
		resp, err := http.Get(url)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		_ = resp.Body.Close() // read in full above
		return resp.StatusCode, string(b)
	}
	if status, body := get(base + contract.PathMetrics); status != 404 || !strings.Contains(body, `"not_found"`) {
		t.Errorf("/metrics on the API port = %d %s", status, body)
	}
	status, body := get(metricsBase + contract.PathMetrics)
	if status != 200 {
		t.Fatalf("/metrics on the metrics port = %d", status)
	}
	for _, want := range []string{
		contract.MetricRequests + `{method="GET",route="GET /readyz",status="200"}`,
		contract.MetricRequests + `{method="GET",route="unmatched",status="404"} 1`,
		"# TYPE " + contract.MetricRequestDuration + " histogram", "# TYPE " + contract.MetricRequestsInFlight + " gauge",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
	if status, body := get(metricsBase + "/healthz"); status != 404 || !strings.Contains(body, `"not_found"`) {
		t.Errorf("/healthz on the metrics port = %d %s", status, body)
	}
}

// TestTracingReachesEveryLayer: with a tracer, newServer's handler makes the request's server span and its WeChat
// client the call's child span.
func TestTracingReachesEveryLayer(t *testing.T) {
	wx := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		_, _ = io.WriteString(w, `{"openid":"o1","session_key":"k"}`) // a failed write fails the login, and the test
	}))
	defer wx.Close()
	exp := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp))
	srv, err := newServer(testConfig(t, map[string]string{"WECHAT_API_BASE": wx.URL}), repository.NewMemory(),
		slog.New(slog.DiscardHandler), nil, tp.Tracer("test"))
	if err != nil {
		t.Fatal(err)
	}
	w := httptest.NewRecorder()
	srv.Handler().ServeHTTP(w, httptest.NewRequest("POST", "/api/v1/auth/login", strings.NewReader(`{"code":"c"}`)))
	if w.Code != 200 {
		t.Fatalf("login = %d %s", w.Code, w.Body)
	}
	var names []string
	for _, s := range exp.GetSpans() {
		names = append(names, s.Name)
	}
	if strings.Join(names, ",") != "wechat jscode2session,POST /api/v1/auth/login" {
		t.Errorf("spans %v", names)
	}
}

// TestConfigurationReachesTheHandler: TRUSTED_PROXIES replaces the default trust (the test client's loopback is
// no longer a proxy, so its X-Forwarded-For is ignored), and the WeChat budget from WECHAT_RATE_LIMIT_* bounds the
// calls that reach WeChat.
func TestConfigurationReachesTheHandler(t *testing.T) {
	var calls atomic.Int64
	wx := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		calls.Add(1)
		_, _ = io.WriteString(w, `{"errcode":40029,"errmsg":"invalid code"}`) // a failed write fails the login, and the test
	}))
	defer wx.Close()
	login := func(base, xff, code string) int {
		t.Helper()
		req, _ := http.NewRequest("POST", base+"/api/v1/auth/login", strings.NewReader(fmt.Sprintf(`{"code":%q}`, code)))
		req.Header.Set("X-Forwarded-For", xff)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		_ = resp.Body.Close() // the status is all this reads
		return resp.StatusCode
	}
	start := func(env map[string]string) string {
		env["WECHAT_API_BASE"] = wx.URL
		srv, err := newServer(testConfig(t, env), repository.NewMemory(), slog.New(slog.DiscardHandler), nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		srv.SetReady(true)
		ts := httptest.NewServer(srv.Handler())
		t.Cleanup(ts.Close)
		return ts.URL
	}

	limited := map[string]string{"RATE_LIMIT_RPS": "0.1", "RATE_LIMIT_BURST": "1"}
	byDefault := start(limited)
	if login(byDefault, "203.0.113.1", "a b") != 400 || login(byDefault, "203.0.113.2", "a b") != 400 {
		t.Error("by default loopback is a trusted proxy: two forwarded clients have a bucket each")
	}
	limited["TRUSTED_PROXIES"] = "10.9.0.0/16"
	configured := start(limited)
	if login(configured, "203.0.113.1", "a b") != 400 {
		t.Fatal("first request refused")
	}
	if got := login(configured, "203.0.113.2", "a b"); got != 429 {
		t.Errorf("with TRUSTED_PROXIES=10.9.0.0/16 a spoofed X-Forwarded-For from loopback bought a fresh bucket: %d", got)
	}

	budget := start(map[string]string{"WECHAT_RATE_LIMIT_RPS": "0.01", "WECHAT_RATE_LIMIT_BURST": "2"})
	statuses := map[int]int{}
	for i := range 5 {
		statuses[login(budget, fmt.Sprintf("198.51.100.%d", i), fmt.Sprintf("code%d", i))]++
	}
	if calls.Load() != 2 || statuses[401] != 2 || statuses[503] != 3 {
		t.Errorf("%d WeChat calls, statuses %v; want 2 calls (WECHAT_RATE_LIMIT_BURST), then 503", calls.Load(), statuses)
	}
}

// testConfig loads the configuration from env plus the required secrets.
func testConfig(t *testing.T, env map[string]string) config.Config {
	t.Helper()
	all := map[string]string{
		"WECHAT_APP_ID": "wx0123456789abcdef", "WECHAT_APP_SECRET": "secret", "JWT_SIGNING_KEY": strings.Repeat("k", 32),
		"SECRETS_DIR": t.TempDir(),
	}
	for k, v := range env {
		all[k] = v
	}
	cfg, err := config.Load(config.Source{
		Env:      func(k string) (string, bool) { v, ok := all[k]; return v, ok },
		ReadFile: func(string) ([]byte, error) { return nil, fs.ErrNotExist },
	})
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// start serves cfg on two loopback listeners (API, metrics) and returns their base URLs, the cancel that
// stands for SIGTERM and the channel serve's result arrives on.
func start(t *testing.T, cfg config.Config) (base, metricsBase string, cancel context.CancelFunc, done chan error) {
	t.Helper()
	srv, err := newServer(cfg, repository.NewMemory(), slog.New(slog.DiscardHandler), nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	metricsLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done = make(chan error, 1)
	go func() { done <- serve(ctx, slog.New(slog.DiscardHandler), cfg, srv, ln, metricsLn) }()
	return "http://" + ln.Addr().String(), "http://" + metricsLn.Addr().String(), cancel, done
}
