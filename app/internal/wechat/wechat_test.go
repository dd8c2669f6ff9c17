package wechat

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
)

func TestCode2Session(t *testing.T) {
	tests := []struct {
		name   string
		status int
		body   string
		want   error
	}{
		{"ok", 200, `{"openid":"o1","session_key":"k","unionid":"u1"}`, nil},
		{"invalid code", 200, `{"errcode":40029,"errmsg":"invalid code"}`, ErrInvalidCode},
		{"used code", 200, `{"errcode":40163,"errmsg":"code been used"}`, ErrInvalidCode},
		{"rate limited", 200, `{"errcode":45011,"errmsg":"minute-quota"}`, ErrRateLimited},
		{"http 429", 429, ``, ErrRateLimited},
		{"high risk", 200, `{"errcode":40226,"errmsg":"risky"}`, ErrBlocked},
		{"bad secret", 200, `{"errcode":40125,"errmsg":"invalid appsecret"}`, ErrMisconfigured},
		{"bad appid", 200, `{"errcode":40013,"errmsg":"invalid appid"}`, ErrMisconfigured},
		{"system busy", 200, `{"errcode":-1,"errmsg":"busy"}`, ErrUnavailable},
		{"unknown error", 200, `{"errcode":99999}`, ErrUnavailable},
		{"server error", 503, `oops`, ErrUnavailable},
		{"not json", 200, `<html>`, ErrUnavailable},
		{"no openid", 200, `{"session_key":"k"}`, ErrUnavailable},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(tt.status)
				// A failed write reaches the client under test as a failure, which the test then reports.
				_, _ = io.WriteString(w, tt.body)
			}))
			defer srv.Close()
			s, err := NewClient(srv.URL, "wx0123456789abcdef", "the-secret").Code2Session(context.Background(), "c")
			if !errors.Is(err, tt.want) {
				t.Fatalf("error = %v, want %v", err, tt.want)
			}
			if err == nil && (s.OpenID != "o1" || s.UnionID != "u1" || string(s.SessionKey) != "k") {
				t.Fatalf("session = %+v", s)
			}
		})
	}
}

func TestUnreachableErrorHidesSecret(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close()
	_, err := NewClient(url, "wx0123456789abcdef", "the-secret").Code2Session(context.Background(), "c")
	if !errors.Is(err, ErrUnavailable) || strings.Contains(err.Error(), "the-secret") {
		t.Fatalf("error = %v", err)
	}
}

func TestSessionKeyIsRedacted(t *testing.T) {
	s := Session{OpenID: "o", SessionKey: "very-secret"}
	for _, out := range []string{fmt.Sprint(s), fmt.Sprintf("%+v", s), fmt.Sprintf("%#v", s)} {
		if strings.Contains(out, "very-secret") {
			t.Errorf("formatted session reveals the key: %s", out)
		}
	}
}

// TestTracedCall: with a tracer, a call is a client span, a child of the caller's span, that records WeChat's
// status and errcode and never the URL (which carries the secret and the code); no trace header reaches WeChat.
func TestTracedCall(t *testing.T) {
	tests := []struct {
		name, body string
		errcode    int64
		errorType  string // "": the span's status is not Error
	}{
		{"ok", `{"openid":"o1","session_key":"k"}`, 0, ""},
		{"invalid code", `{"errcode":40029,"errmsg":"invalid code"}`, 40029, ErrInvalidCode.Error()},
		{"busy", `{"errcode":-1,"errmsg":"busy"}`, -1, ErrUnavailable.Error()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var headers http.Header
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				headers = r.Header.Clone()
				_, _ = io.WriteString(w, tt.body) // a failed write fails the call, which the test reports
			}))
			defer srv.Close()
			exp := tracetest.NewInMemoryExporter()
			tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp))
			// Globals set as tracing on sets them: the client must still send nothing.
			otel.SetTextMapPropagator(propagation.TraceContext{})
			defer otel.SetTextMapPropagator(propagation.NewCompositeTextMapPropagator())
			c := NewClient(srv.URL, "wx0123456789abcdef", "the-secret")
			c.Tracer = tp.Tracer("test")
			ctx, parent := tp.Tracer("test").Start(context.Background(), "POST /api/v1/auth/login")
			_, err := c.Code2Session(ctx, "the-code")
			parent.End()
			if (err != nil) != (tt.errorType != "") {
				t.Fatalf("error = %v", err)
			}
			for k := range headers {
				if k := strings.ToLower(k); k == "traceparent" || k == "tracestate" || k == "baggage" {
					t.Errorf("WeChat was sent %s", k)
				}
			}
			spans := exp.GetSpans()
			if len(spans) != 2 {
				t.Fatalf("%d spans", len(spans))
			}
			s := spans[0]
			if s.Name != SpanName || s.SpanKind != trace.SpanKindClient || s.Parent.SpanID() != parent.SpanContext().SpanID() {
				t.Errorf("span %q kind %v parent %v", s.Name, s.SpanKind, s.Parent.SpanID())
			}
			attrs := map[attribute.Key]attribute.Value{}
			for _, a := range s.Attributes {
				attrs[a.Key] = a.Value
				if strings.Contains(a.Value.String(), "the-secret") || strings.Contains(a.Value.String(), "the-code") {
					t.Errorf("attribute %s = %s", a.Key, a.Value.String())
				}
			}
			if attrs["http.response.status_code"].AsInt64() != 200 || attrs["server.address"].AsString() != "127.0.0.1" ||
				attrs["wechat.errcode"].AsInt64() != tt.errcode {
				t.Errorf("attributes %v", s.Attributes)
			}
			if tt.errorType == "" && s.Status.Code != codes.Unset || tt.errorType != "" &&
				(s.Status.Code != codes.Error || s.Status.Description != tt.errorType || attrs["error.type"].AsString() != tt.errorType) {
				t.Errorf("status %v, error.type %q", s.Status, attrs["error.type"].AsString())
			}
		})
	}
}
