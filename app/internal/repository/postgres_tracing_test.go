package repository_test

import (
	"strings"
	"testing"

	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/wechat-deploy/wechat-deploy/app/internal/model"
	"github.com/wechat-deploy/wechat-deploy/app/internal/repository"
)

// TestPostgresQueriesAreSpans: with a tracer, every query is a client span, a child of the caller's span, named
// by its operation and table, carrying the parameterised text and never the arguments; a failed query is an
// Error span with its SQLSTATE and not its message. The migrations at open are one trace.
func TestPostgresQueriesAreSpans(t *testing.T) {
	base, admin := adminDB(t)
	exp := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp))
	pc := repository.DefaultPoolConfig
	pc.Tracer = tp.Tracer("test")
	r, err := repository.OpenPostgres(t.Context(), schemaURL(t, admin, base), pc)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()

	spans := exp.GetSpans()
	var migration tracetest.SpanStub
	for _, s := range spans {
		if s.Name == "postgres migrate" {
			migration = s
		}
	}
	if !migration.SpanContext.IsValid() {
		t.Fatalf("no migration span among %d", len(spans))
	}
	for _, s := range spans {
		if s.Name != migration.Name && s.Parent.SpanID() != migration.SpanContext.SpanID() {
			t.Errorf("migration query %q is not under the migration span", s.Name)
		}
	}

	exp.Reset()
	const openID, unionID, nick = "o-traced-secret", "u-traced-secret", "bad\x00nick"
	ctx, parent := tp.Tracer("test").Start(t.Context(), "POST /api/v1/auth/login")
	u, _, err := r.UpsertByOpenID(ctx, openID, unionID)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.Get(ctx, u.ID); err != nil {
		t.Fatal(err)
	}
	bad := nick
	if _, err := r.Update(ctx, u.ID, model.UserUpdate{Nickname: &bad}); err == nil {
		t.Fatal("a NUL byte in a nickname was stored")
	}
	parent.End()

	spans = exp.GetSpans()
	var names []string
	for _, s := range spans[:len(spans)-1] {
		names = append(names, s.Name)
		if s.Parent.SpanID() != parent.SpanContext().SpanID() || s.SpanKind != trace.SpanKindClient {
			t.Errorf("%s: parent %v, kind %v", s.Name, s.Parent.SpanID(), s.SpanKind)
		}
		text := ""
		for _, a := range s.Attributes {
			if v := a.Value.String(); strings.Contains(v, openID) || strings.Contains(v, unionID) || strings.Contains(v, "bad") {
				t.Errorf("%s records an argument: %s = %s", s.Name, a.Key, v)
			}
			if a.Key == "db.query.text" {
				text = a.Value.AsString()
			}
		}
		if !strings.Contains(text, "$1") {
			t.Errorf("%s: query text %q", s.Name, text)
		}
		if strings.Contains(s.Status.Description, "bad") {
			t.Errorf("%s: status %v", s.Name, s.Status)
		}
	}
	if strings.Join(names, ",") != "INSERT users,SELECT users,UPDATE users" {
		t.Errorf("spans %v", names)
	}
	if failed := spans[2]; failed.Status.Code != codes.Error || failed.Status.Description != "SQLSTATE 22021" {
		t.Errorf("failed update: status %v", failed.Status)
	}
	for _, s := range spans[:2] {
		if s.Status.Code != codes.Unset {
			t.Errorf("%s: status %v", s.Name, s.Status)
		}
	}
}
