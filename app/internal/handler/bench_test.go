package handler_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"

	"github.com/wechat-deploy/wechat-deploy/app/internal/handler"
	"github.com/wechat-deploy/wechat-deploy/app/internal/metrics"
	"github.com/wechat-deploy/wechat-deploy/app/internal/repository"
	"github.com/wechat-deploy/wechat-deploy/app/internal/service"
	"github.com/wechat-deploy/wechat-deploy/app/internal/token"
)

// BenchmarkGetUser measures the in-process cost of GET /api/v1/users/{id} through every middleware (no network).
func BenchmarkGetUser(b *testing.B) {
	h, req := getUserRequest(b, nil)
	serveParallel(b, h, req)
}

// BenchmarkTracedGetUser is BenchmarkGetUser with tracing on, every request sampled and its span handed to a
// batch span processor (whose exporter drops it): what tracing costs a request when it is on.
func BenchmarkTracedGetUser(b *testing.B) {
	tp := sdktrace.NewTracerProvider(sdktrace.WithBatcher(discardExporter{}), sdktrace.WithSampler(sdktrace.AlwaysSample()))
	defer func() { _ = tp.Shutdown(context.Background()) }()
	h, req := getUserRequest(b, tp.Tracer("bench"))
	req.Header.Set("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
	serveParallel(b, h, req)
}

// getUserRequest is the handler and request the GET /api/v1/users/{id} measurements share: a user in memory, its
// token, every middleware, tracing through tracer (nil: off).
func getUserRequest(tb testing.TB, tracer trace.Tracer) (http.Handler, *http.Request) {
	tb.Helper()
	repo := repository.NewMemory()
	u, _, _ := repo.UpsertByOpenID(tb.Context(), "o", "")
	tokens, _ := token.NewManager([]byte(strings.Repeat("k", 48)), time.Hour)
	tok, _, _ := tokens.Issue(u.ID)
	// A real handler writing to io.Discard, not slog.DiscardHandler: Log's level enables the access log, whose
	// line every request pays for.
	log := slog.New(slog.NewJSONHandler(io.Discard, nil)) //nolint:sloglint // DiscardHandler would turn the measured access log off
	h := handler.New(handler.Deps{
		Auth: &service.Auth{Users: repo, Tokens: tokens}, Users: &service.Users{Repo: repo}, Tokens: tokens,
		Repo: repo, Metrics: metrics.NewHTTP(), Log: log, AccessLog: io.Discard, Tracer: tracer,
	}).Handler()
	req := httptest.NewRequest(http.MethodGet, fmt.Sprintf("/api/v1/users/%d", u.ID), nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	return h, req
}

// serveParallel serves req with h on every core for the benchmark, failing on a status other than 200.
func serveParallel(b *testing.B, h http.Handler, req *http.Request) {
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			w := httptest.NewRecorder()
			h.ServeHTTP(w, req)
			if w.Code != http.StatusOK {
				b.Fatalf("status %d", w.Code)
			}
		}
	})
}

// discardExporter drops the spans it is handed.
type discardExporter struct{}

func (discardExporter) ExportSpans(context.Context, []sdktrace.ReadOnlySpan) error { return nil }
func (discardExporter) Shutdown(context.Context) error                             { return nil }
