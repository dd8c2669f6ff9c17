package handler_test

import (
	"bufio"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/wechat-deploy/wechat-deploy/app/internal/handler"
	"github.com/wechat-deploy/wechat-deploy/app/internal/metrics"
	"github.com/wechat-deploy/wechat-deploy/app/internal/ratelimit"
	"github.com/wechat-deploy/wechat-deploy/app/internal/repository"
	"github.com/wechat-deploy/wechat-deploy/app/internal/service"
	"github.com/wechat-deploy/wechat-deploy/app/internal/token"
)

// burstServer is the real server as cmd/server assembles it (production rate limit, access log on), in memory.
func burstServer(tb testing.TB) *handler.Server {
	tb.Helper()
	repo := repository.NewMemory()
	tokens, err := token.NewManager([]byte(strings.Repeat("k", 48)), time.Hour)
	if err != nil {
		tb.Fatal(err)
	}
	app := handler.New(handler.Deps{
		Auth: &service.Auth{Users: repo, Tokens: tokens}, Users: &service.Users{Repo: repo}, Tokens: tokens,
		Repo: repo, Metrics: metrics.NewHTTP(), Limiter: ratelimit.New(20, 40, 100_000),
		Log: slog.New(slog.NewJSONHandler(io.Discard, nil)), AccessLog: io.Discard, //nolint:sloglint // the access log is part of what is measured
	})
	app.SetReady(true)
	return app
}

const tokenChars = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"

// sendBurst sends n requests with invented methods (methodLen token characters, "FOO123"-like) and random paths,
// from one client, so that most are answered 429 after the first few dozen.
func sendBurst(h http.Handler, rng *rand.Rand, n, methodLen int) {
	word := func(l int) string {
		b := make([]byte, l)
		for i := range b {
			b[i] = tokenChars[rng.IntN(len(tokenChars))]
		}
		return string(b)
	}
	paths := []func() string{
		func() string { return "/" + word(8) },
		func() string { return "/api/v1/users/" + word(6) },
		func() string { return "/api/v1/" + word(10) + "/" + word(4) },
		func() string { return "/api/v1/auth/login" },
	}
	for range n {
		req := httptest.NewRequest(http.MethodGet, paths[rng.IntN(len(paths))](), nil)
		req.Method = word(methodLen)
		req.RemoteAddr = "203.0.113.7:4321"
		h.ServeHTTP(httptest.NewRecorder(), req)
	}
}

// scrape returns the size of /metrics (from the metrics handler h) and the number of http_* sample lines in it.
func scrape(tb testing.TB, h http.Handler) (size, httpSeries int) {
	tb.Helper()
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	if w.Code != http.StatusOK {
		tb.Fatalf("/metrics = %d", w.Code)
	}
	sc := bufio.NewScanner(strings.NewReader(w.Body.String()))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		if strings.HasPrefix(sc.Text(), "http_") {
			httpSeries++
		}
	}
	return w.Body.Len(), httpSeries
}

// liveHeap is the heap in use after a full collection.
func liveHeap() uint64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// normalTraffic sends one request of each kind the API answers (success and error statuses alike) from a
// client of its own.
func normalTraffic(h http.Handler) {
	for _, r := range []struct{ method, path, body string }{
		{"GET", "/healthz", ""}, {"GET", "/readyz", ""}, {"GET", "/metrics", ""}, {"GET", "/nope", ""},
		{"POST", "/api/v1/auth/login", "{"}, {"GET", "/api/v1/users/me", ""}, {"PUT", "/api/v1/users/me", "{}"},
		{"GET", "/api/v1/users/7", ""}, {"DELETE", "/api/v1/users/me", ""}, {"HEAD", "/healthz", ""},
	} {
		req := httptest.NewRequest(r.method, r.path, strings.NewReader(r.body))
		req.RemoteAddr = "198.51.100.1:1234"
		h.ServeHTTP(httptest.NewRecorder(), req)
	}
}

// burstPoint is the live heap and /metrics at one moment.
type burstPoint struct {
	heap          uint64
	metrics, http int // /metrics bytes, http_* sample lines in it
}

func (p burstPoint) String() string {
	return fmt.Sprintf("heap %.2f MiB, /metrics %.1f KiB (%d http_* samples)", float64(p.heap)/(1<<20), float64(p.metrics)/1024, p.http)
}

func measure(tb testing.TB, h *handler.Server) burstPoint {
	tb.Helper()
	var p burstPoint
	p.metrics, p.http = scrape(tb, h.MetricsHandler())
	p.heap = liveHeap()
	return p
}

// measureBurst builds a server, serves normal traffic (before), then a burst of n requests with invented
// methods and random paths (after), then another such burst (again): a bounded server adds at most a few series
// for the first burst and nothing for the second.
func measureBurst(tb testing.TB, n, methodLen int) (before, after, again burstPoint) {
	tb.Helper()
	app := burstServer(tb)
	h := app.Handler()
	rng := rand.New(rand.NewPCG(1, 2))
	normalTraffic(h)
	before = measure(tb, app)
	sendBurst(h, rng, n, methodLen)
	after = measure(tb, app)
	sendBurst(h, rng, n, methodLen)
	again = measure(tb, app)
	runtime.KeepAlive(h)
	return before, after, again
}

// TestMemoryFlatUnderMethodBurst: invented HTTP methods and random paths (most of them answered 429) share one
// method label and one route label, so a burst adds a handful of series at most, a second burst none, and the
// heap stays where it was.
func TestMemoryFlatUnderMethodBurst(t *testing.T) {
	for _, tt := range []struct {
		name         string
		n, methodLen int
	}{{"short methods", 3000, 6}, {"long methods", 300, 4096}} {
		t.Run(tt.name, func(t *testing.T) {
			before, after, again := measureBurst(t, tt.n, tt.methodLen)
			t.Logf("before: %v; after: %v; again: %v", before, after, again)
			// One series (15 samples: count and 14 histogram lines) per route and status seen with method "other".
			if added := after.http - before.http; added > 6*15 {
				t.Errorf("the first burst added %d http_* samples", added)
			}
			if again.http != after.http {
				t.Errorf("the second burst added %d http_* samples", again.http-after.http)
			}
			// Generous: unbounded labels grew the heap by megabytes; a bounded server's heap moves by GC noise.
			if growth := int64(again.heap) - int64(before.heap); growth > 1<<20 {
				t.Errorf("the heap grew by %d KiB under two bursts", growth>>10)
			}
		})
	}
}

// BenchmarkMethodBurst reports what a fixed burst does to the process (3,000 invented 6-character methods; 300
// invented 4 KiB methods; random paths, mostly answered 429): live heap and /metrics before and after.
//
//	go test ./app/internal/handler -run '^$' -bench MethodBurst -benchtime 1x
func BenchmarkMethodBurst(b *testing.B) {
	for _, bc := range []struct {
		name         string
		n, methodLen int
	}{{"3000x6B", 3000, 6}, {"300x4KiB", 300, 4096}} {
		b.Run(bc.name, func(b *testing.B) {
			var before, after burstPoint
			for b.Loop() {
				before, after, _ = measureBurst(b, bc.n, bc.methodLen)
			}
			b.ReportMetric(float64(before.heap)/(1<<20), "heap-before-MiB")
			b.ReportMetric(float64(after.heap)/(1<<20), "heap-after-MiB")
			b.ReportMetric(float64(before.metrics)/1024, "metrics-before-KiB")
			b.ReportMetric(float64(after.metrics)/1024, "metrics-after-KiB")
		})
	}
}
