package handler_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/wechat-deploy/wechat-deploy/app/contract"
	"github.com/wechat-deploy/wechat-deploy/app/internal/handler"
	"github.com/wechat-deploy/wechat-deploy/app/internal/wechat"
)

// TestMetricsPort: the API handler does not serve /metrics (it is an unknown path there, answered with the
// API's JSON 404); the metrics handler serves GET /metrics, with every metric the contract names once a request
// has been served, and answers anything else with the API's JSON errors.
func TestMetricsPort(t *testing.T) {
	e := newEnv(t)
	if r := e.do("GET", "/healthz", "", ""); r.status != http.StatusOK {
		t.Fatalf("/healthz = %d", r.status)
	}
	for _, method := range []string{"GET", "HEAD", "POST"} {
		r := e.do(method, contract.PathMetrics, "", "")
		if method == "HEAD" {
			if r.status != http.StatusNotFound {
				t.Errorf("HEAD /metrics on the API = %d", r.status)
			}
			continue
		}
		if r.status != http.StatusNotFound || errorCode(t, r.body) != "not_found" {
			t.Errorf("%s /metrics on the API = %d %s", method, r.status, r.body)
		}
	}

	m := httptest.NewServer(e.app.MetricsHandler())
	defer m.Close()
	resp, err := http.Get(m.URL + contract.PathMetrics)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	closeBody(t, resp)
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/plain") {
		t.Fatalf("GET /metrics on the metrics port = %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	for _, name := range []string{contract.MetricRequests, contract.MetricRequestDuration, contract.MetricRequestsInFlight} {
		if !strings.Contains(string(body), "\n# TYPE "+name+" ") {
			t.Errorf("the metrics port does not export %s", name)
		}
	}
	if !strings.Contains(string(body), contract.MetricRequests+`{method="GET",route="GET /healthz",status="200"} 1`) {
		t.Errorf("the /healthz request is not counted:\n%s", body)
	}

	tests := []struct {
		method, path string
		status       int
		code, allow  string
	}{
		{"GET", "/", 404, "not_found", ""},
		{"GET", "/healthz", 404, "not_found", ""},
		{"GET", "/api/v1/users/me", 404, "not_found", ""},
		{"GET", "/metrics/", 404, "not_found", ""},
		{"POST", "/metrics", 405, "method_not_allowed", "GET, HEAD"},
	}
	for _, tt := range tests {
		req, _ := http.NewRequest(tt.method, m.URL+tt.path, nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		closeBody(t, resp)
		if resp.StatusCode != tt.status || errorCode(t, string(b)) != tt.code || resp.Header.Get("Allow") != tt.allow ||
			resp.Header.Get("Content-Type") != "application/json; charset=utf-8" {
			t.Errorf("%s %s on the metrics port = %d %v %s", tt.method, tt.path, resp.StatusCode, resp.Header, b)
		}
	}
}

// tracing returns an env option that turns tracing on, spans going to the in-memory exporter it returns, for the
// HTTP layer and the WeChat client alike.
func tracing(t *testing.T) (option, *tracetest.InMemoryExporter) {
	t.Helper()
	exp := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp))
	t.Cleanup(func() { _ = tp.Shutdown(t.Context()) })
	return func(d *handler.Deps) {
		d.Tracer = tp.Tracer("test")
		if c, ok := d.Auth.Sessions.(*wechat.Client); ok {
			c.Tracer = tp.Tracer("test")
		}
	}, exp
}

const (
	callerTraceID = "4bf92f3577b34da6a3ce929d0e0e4736"
	callerSpanID  = "00f067aa0ba902b7"
	traceparent   = "00-" + callerTraceID + "-" + callerSpanID + "-01"
)

// send does method path with the headers (name, value, name, value...) and returns the status.
func (e *env) send(method, path string, headers ...string) int {
	e.t.Helper()
	req, err := http.NewRequest(method, e.srv.URL+path, nil)
	if err != nil {
		e.t.Fatal(err)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	closeBody(e.t, resp)
	return resp.StatusCode
}

// accessLines are the access log's lines ("msg":"request") by request ID.
func (e *env) accessLines() map[string]map[string]any {
	e.t.Helper()
	out := map[string]map[string]any{}
	for _, line := range strings.Split(strings.TrimSpace(e.logs.String()), "\n") {
		var rec map[string]any
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			e.t.Fatalf("log line is not JSON: %s", line)
		}
		if rec["msg"] == "request" {
			out[rec["request_id"].(string)] = rec
		}
	}
	return out
}

func attrs(s tracetest.SpanStub) map[attribute.Key]string {
	out := map[attribute.Key]string{}
	for _, a := range s.Attributes {
		out[a.Key] = a.Value.String()
	}
	return out
}

// TestServerSpans: with tracing on, each request is a server span named by its route pattern (the method alone
// when nothing matched), with the method, route and status attributes, and status Error on a 5xx only; a
// request with a traceparent header continues the caller's trace, as a child of the caller's span. The access
// log line carries the trace and span IDs of the request's span.
func TestServerSpans(t *testing.T) {
	on, exp := tracing(t)
	e := newEnv(t, on)
	tok, u := e.login("tracy")
	exp.Reset()
	userPath := fmt.Sprintf("/api/v1/users/%d", u.ID)
	tests := []struct {
		name, method, path string
		headers            []string
		status             int
		span, route        string // route "": no http.route
		spanMethod         string
		failed             bool
	}{
		{"child of the caller", "GET", userPath, []string{"Authorization", "Bearer " + tok, "traceparent", traceparent},
			200, "GET /api/v1/users/{id}", "/api/v1/users/{id}", "GET", false},
		{"root", "GET", userPath, []string{"Authorization", "Bearer " + tok}, 200, "GET /api/v1/users/{id}", "/api/v1/users/{id}", "GET", false},
		{"malformed traceparent", "GET", "/healthz", []string{"traceparent", "00-zz-00-01"}, 200, "GET /healthz", "/healthz", "GET", false},
		{"client error", "GET", "/api/v1/users/me", nil, 401, "GET /api/v1/users/me", "/api/v1/users/me", "GET", false},
		{"unmatched", "GET", "/nope", nil, 404, "GET", "", "GET", false},
		{"invented method", "FOO123", "/nope", nil, 404, "HTTP", "", "_OTHER", false},
		{"server error", "GET", "/readyz", nil, 503, "GET /readyz", "/readyz", "GET", true},
	}
	e.app.SetReady(false) // /readyz answers 503
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			exp.Reset()
			id := strings.ReplaceAll(tt.name, " ", "-")
			if status := e.send(tt.method, tt.path, append(tt.headers, "X-Request-Id", id)...); status != tt.status {
				t.Fatalf("status %d, want %d", status, tt.status)
			}
			spans := exp.GetSpans()
			if len(spans) != 1 {
				t.Fatalf("%d spans", len(spans))
			}
			s := spans[0]
			a := attrs(s)
			if s.Name != tt.span || s.SpanKind != trace.SpanKindServer || a["http.request.method"] != tt.spanMethod ||
				a["http.route"] != tt.route || a["http.response.status_code"] != fmt.Sprint(tt.status) {
				t.Errorf("span %q kind %v attributes %v", s.Name, s.SpanKind, a)
			}
			if _, ok := a["http.route"]; ok != (tt.route != "") {
				t.Errorf("http.route present: %v", ok)
			}
			if failed := s.Status.Code == codes.Error; failed != tt.failed {
				t.Errorf("status %v", s.Status)
			}
			fromCaller := strings.Contains(strings.Join(tt.headers, " "), traceparent)
			if got := s.SpanContext.TraceID().String() == callerTraceID; got != fromCaller {
				t.Errorf("trace %s; from the caller's: %v", s.SpanContext.TraceID(), fromCaller)
			}
			if fromCaller && (s.Parent.SpanID().String() != callerSpanID || !s.Parent.IsRemote()) {
				t.Errorf("parent %v, want the caller's span %s", s.Parent, callerSpanID)
			}
			if !fromCaller && s.Parent.IsValid() {
				t.Errorf("a root request has parent %v", s.Parent)
			}
			line := e.accessLines()[id]
			if line["trace_id"] != s.SpanContext.TraceID().String() || line["span_id"] != s.SpanContext.SpanID().String() {
				t.Errorf("access log %v; span %s/%s", line, s.SpanContext.TraceID(), s.SpanContext.SpanID())
			}
		})
	}
}

// TestLoginSpans: a login is a server span with the WeChat call as its client child, and the call to WeChat, a
// third party, carries no trace headers even when the login came with some.
func TestLoginSpans(t *testing.T) {
	var (
		mu   sync.Mutex
		seen http.Header
	)
	wx := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen = r.Header.Clone()
		mu.Unlock()
		_, _ = fmt.Fprintf(w, `{"openid":"o-%s","session_key":"k"}`, r.URL.Query().Get("js_code"))
	}))
	defer wx.Close()
	// The globals as tracing on sets them: the WeChat client must still send nothing.
	otel.SetTextMapPropagator(propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{}))
	defer otel.SetTextMapPropagator(propagation.NewCompositeTextMapPropagator())
	on, exp := tracing(t)
	e := newEnv(t, func(d *handler.Deps) {
		d.Auth.Sessions = wechat.NewClient(wx.URL, appID, appSecret)
	}, on)
	req, _ := http.NewRequest("POST", e.srv.URL+"/api/v1/auth/login", strings.NewReader(`{"code":"c1"}`))
	req.Header.Set("traceparent", traceparent)
	req.Header.Set("baggage", "tenant=t1")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	closeBody(t, resp)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("login = %d", resp.StatusCode)
	}
	spans := exp.GetSpans()
	if len(spans) != 2 {
		t.Fatalf("%d spans", len(spans))
	}
	call, login := spans[0], spans[1] // a child ends first
	if login.Name != "POST /api/v1/auth/login" || login.SpanKind != trace.SpanKindServer || login.Parent.SpanID().String() != callerSpanID {
		t.Errorf("login span %q kind %v parent %v", login.Name, login.SpanKind, login.Parent)
	}
	if call.Name != wechat.SpanName || call.SpanKind != trace.SpanKindClient || call.Parent.SpanID() != login.SpanContext.SpanID() ||
		call.SpanContext.TraceID().String() != callerTraceID {
		t.Errorf("WeChat span %q kind %v parent %v trace %v", call.Name, call.SpanKind, call.Parent.SpanID(), call.SpanContext.TraceID())
	}
	mu.Lock()
	defer mu.Unlock()
	for k := range seen {
		if k := strings.ToLower(k); k == "traceparent" || k == "tracestate" || k == "baggage" {
			t.Errorf("WeChat was sent %s", k)
		}
	}
}

// TestTracingOff: without a tracer, no span is made, even with a recording tracer provider installed globally
// (the HTTP layer never consults the globals); the access log carries the caller's trace and span IDs when a
// traceparent came in, and nothing otherwise.
func TestTracingOff(t *testing.T) {
	exp := installGlobalProvider(t)
	e := newEnv(t)
	tok, u := e.login("offline")
	userPath := fmt.Sprintf("/api/v1/users/%d", u.ID)
	e.send("GET", userPath, "Authorization", "Bearer "+tok, "X-Request-Id", "plain")
	e.send("GET", userPath, "Authorization", "Bearer "+tok, "X-Request-Id", "continued", "traceparent", traceparent)
	e.send("GET", userPath, "Authorization", "Bearer "+tok, "X-Request-Id", "malformed", "traceparent", "00-"+callerTraceID+"-0000000000000000-01")
	if spans := exp.GetSpans(); len(spans) != 0 {
		t.Errorf("tracing off made %d spans", len(spans))
	}
	lines := e.accessLines()
	for _, id := range []string{"plain", "malformed"} {
		if _, ok := lines[id]["trace_id"]; ok || lines[id]["span_id"] != nil {
			t.Errorf("%s: %v", id, lines[id])
		}
	}
	if l := lines["continued"]; l["trace_id"] != callerTraceID || l["span_id"] != callerSpanID {
		t.Errorf("continued: %v", l)
	}
}

// installGlobalProvider installs a recording SDK tracer provider and the W3C propagators as OpenTelemetry's
// globals, as telemetry.Setup does, until the test ends; its spans go to the returned exporter.
func installGlobalProvider(t *testing.T) *tracetest.InMemoryExporter {
	t.Helper()
	exp := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp))
	prevTP, prevProp := otel.GetTracerProvider(), otel.GetTextMapPropagator()
	otel.SetTracerProvider(tp)
	otel.SetTextMapPropagator(propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{}))
	t.Cleanup(func() {
		otel.SetTracerProvider(prevTP)
		otel.SetTextMapPropagator(prevProp)
		_ = tp.Shutdown(t.Context())
	})
	return exp
}

// offAllocBudget is what GET /api/v1/users/{id} allocated through every middleware, recorder included, before
// tracing existed (BenchmarkGetUser's allocs/op): tracing off must not add to it.
const offAllocBudget = 14

// TestTracingOffAllocatesNothing: with tracing off, a request allocates no more than before tracing existed, and
// exactly as much with a recording tracer provider installed globally as without (no work on the globals); with
// tracing on, for comparison, it allocates its spans.
func TestTracingOffAllocatesNothing(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector's sync.Pool drops pooled buffers at random, which allocates")
	}
	off := allocsPerGetUser(t, nil)
	exp := installGlobalProvider(t)
	offWithGlobals := allocsPerGetUser(t, nil)
	if len(exp.GetSpans()) != 0 {
		t.Errorf("tracing off made %d spans", len(exp.GetSpans()))
	}
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(tracetest.NewInMemoryExporter()))
	on := allocsPerGetUser(t, tp.Tracer("test"))
	t.Logf("allocations per request: off %.0f, off with global provider %.0f, on %.0f", off, offWithGlobals, on)
	if off > offAllocBudget {
		t.Errorf("tracing off: %.0f allocations per request, more than the %d before tracing", off, offAllocBudget)
	}
	if offWithGlobals != off {
		t.Errorf("tracing off: %.0f allocations with a global provider installed, %.0f without", offWithGlobals, off)
	}
	if on <= off {
		t.Errorf("tracing on allocates %.0f, off %.0f: is the on path measured?", on, off)
	}
}

// allocsPerGetUser is the allocations of one GET /api/v1/users/{id} through the handler as BenchmarkGetUser
// serves it, with tracer (nil: tracing off).
func allocsPerGetUser(t *testing.T, tracer trace.Tracer) float64 {
	t.Helper()
	h, req := getUserRequest(t, tracer)
	serve := func() {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		if w.Code != http.StatusOK {
			t.Fatalf("status %d", w.Code)
		}
	}
	serve() // the first request creates the metric series
	return testing.AllocsPerRun(200, serve)
}
