package telemetry

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"go.opentelemetry.io/otel"
)

// TestOffByDefault: without an endpoint there is no tracing: a nil *Tracing, whose tracer is nil and whose
// Shutdown does nothing.
func TestOffByDefault(t *testing.T) {
	tr, err := Setup(t.Context(), Config{ServiceName: "wechat-api"}, slog.New(slog.DiscardHandler))
	if err != nil || tr != nil {
		t.Fatalf("Setup() = %v, %v; want nil, nil", tr, err)
	}
	if tr.Tracer() != nil {
		t.Error("tracing off has a tracer")
	}
	if err := tr.Shutdown(t.Context()); err != nil {
		t.Errorf("Shutdown() = %v", err)
	}
}

// collector is a fake OTLP/HTTP collector that keeps what it is sent.
type collector struct {
	mu     sync.Mutex
	posts  []string // method and path
	bodies [][]byte
	types  []string
}

func (c *collector) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	c.mu.Lock()
	c.posts = append(c.posts, r.Method+" "+r.URL.Path)
	c.bodies = append(c.bodies, b)
	c.types = append(c.types, r.Header.Get("Content-Type"))
	c.mu.Unlock()
	w.Header().Set("Content-Type", "application/x-protobuf")
}

// TestExportsOverOTLPHTTP: with the endpoint set, spans reach the collector at <endpoint>/v1/traces as OTLP
// protobuf, with the configured service name, no later than Shutdown; the W3C propagators are installed.
func TestExportsOverOTLPHTTP(t *testing.T) {
	c := &collector{}
	srv := httptest.NewServer(c)
	defer srv.Close()
	t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", srv.URL)
	t.Setenv("OTEL_TRACES_SAMPLER", "")
	tr, err := Setup(t.Context(), Config{Endpoint: srv.URL, ServiceName: "wechat-api-test", Environment: "ci"}, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	_, span := tr.Tracer().Start(context.Background(), "GET /healthz")
	if !span.SpanContext().IsSampled() {
		t.Error("the default sampler did not sample a root span")
	}
	span.End()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := tr.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.posts) == 0 {
		t.Fatal("nothing exported")
	}
	if c.posts[0] != "POST /v1/traces" || c.types[0] != "application/x-protobuf" {
		t.Errorf("exported with %s as %s", c.posts[0], c.types[0])
	}
	for _, want := range []string{"wechat-api-test", "GET /healthz", "deployment.environment.name", "ci"} {
		if !bytes.Contains(c.bodies[0], []byte(want)) {
			t.Errorf("export lacks %q", want)
		}
	}
	fields := otel.GetTextMapPropagator().Fields()
	for _, want := range []string{"traceparent", "tracestate", "baggage"} {
		found := false
		for _, f := range fields {
			found = found || f == want
		}
		if !found {
			t.Errorf("global propagator fields %v lack %s", fields, want)
		}
	}
}

// TestSamplerFromEnvironment: the SDK reads OTEL_TRACES_SAMPLER itself; always_off samples nothing.
func TestSamplerFromEnvironment(t *testing.T) {
	c := &collector{}
	srv := httptest.NewServer(c)
	defer srv.Close()
	t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", srv.URL)
	t.Setenv("OTEL_TRACES_SAMPLER", "always_off")
	tr, err := Setup(t.Context(), Config{Endpoint: srv.URL, ServiceName: "wechat-api"}, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	_, span := tr.Tracer().Start(context.Background(), "GET /healthz")
	if span.SpanContext().IsSampled() || !span.SpanContext().IsValid() {
		t.Errorf("always_off: span context %v", span.SpanContext())
	}
	span.End()
	if err := tr.Shutdown(t.Context()); err != nil {
		t.Fatal(err)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.posts) != 0 {
		t.Errorf("always_off exported %v", c.posts)
	}
}
