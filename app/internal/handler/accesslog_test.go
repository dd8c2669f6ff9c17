package handler

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"testing"
	"time"

	"go.opentelemetry.io/otel/trace"
)

func TestAccessLogLines(t *testing.T) {
	var buf bytes.Buffer
	a := &accessLog{w: &buf, levels: slog.New(slog.NewJSONHandler(&buf, &slog.HandlerOptions{Level: slog.LevelInfo}))}
	a.log(context.Background(), accessEntry{id: "r1", method: "GET", route: "GET /x/{id}", path: "/x/\"7\"\n\xff",
		status: 200, bytes: 12, elapsed: 1500 * time.Microsecond, client: "203.0.113.9"})
	a.log(context.Background(), accessEntry{id: "r2", method: "POST", route: "unmatched", path: "/", status: 502})
	lines := bytes.Split(bytes.TrimSpace(buf.Bytes()), []byte("\n"))
	if len(lines) != 2 {
		t.Fatalf("%d lines: %s", len(lines), buf.String())
	}
	var first, second map[string]any
	if err := json.Unmarshal(lines[0], &first); err != nil {
		t.Fatalf("not JSON: %s: %v", lines[0], err)
	}
	if err := json.Unmarshal(lines[1], &second); err != nil {
		t.Fatal(err)
	}
	if first["level"] != "INFO" || first["msg"] != "request" || first["path"] != "/x/\"7\"\n\ufffd" || first["status"] != 200.0 ||
		first["duration_ms"] != 1.5 || first["route"] != "GET /x/{id}" {
		t.Errorf("first line %v", first)
	}
	if _, err := time.Parse(time.RFC3339Nano, first["time"].(string)); err != nil {
		t.Errorf("time %v: %v", first["time"], err)
	}
	if second["level"] != "ERROR" {
		t.Errorf("a 502 is logged at %v", second["level"])
	}
	quiet := &accessLog{w: &buf, levels: slog.New(slog.NewJSONHandler(&buf, &slog.HandlerOptions{Level: slog.LevelWarn}))}
	buf.Reset()
	quiet.log(context.Background(), accessEntry{status: 200})
	if buf.Len() != 0 {
		t.Errorf("INFO line written at level WARN: %s", buf.String())
	}
}

func TestAppendJSONString(t *testing.T) {
	for _, s := range []string{"", "plain", `"q"`, `\`, "\x00\x1f", "é中🚀", "bad\xffbyte", "\t\r\n"} {
		var got string
		if err := json.Unmarshal(appendJSONString(nil, s), &got); err != nil {
			t.Fatalf("%q encoded to invalid JSON %s: %v", s, appendJSONString(nil, s), err)
		}
		want := string([]rune(s)) // invalid UTF-8 becomes U+FFFD, as in encoding/json
		if got != want {
			t.Errorf("%q round-tripped to %q", s, got)
		}
	}
}

// TestAccessLogTraceIDs: a line carries trace_id and span_id (lowercase hex, as in traceparent) when the entry has
// a valid span context, sampled or not, and neither key otherwise.
func TestAccessLogTraceIDs(t *testing.T) {
	tid, _ := trace.TraceIDFromHex("4bf92f3577b34da6a3ce929d0e0e4736")
	sid, _ := trace.SpanIDFromHex("00f067aa0ba902b7")
	tests := []struct {
		name            string
		sc              trace.SpanContext
		traceID, spanID any
	}{
		{"none", trace.SpanContext{}, nil, nil},
		{"sampled", trace.NewSpanContext(trace.SpanContextConfig{TraceID: tid, SpanID: sid, TraceFlags: trace.FlagsSampled}),
			"4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7"},
		{"not sampled, remote", trace.NewSpanContext(trace.SpanContextConfig{TraceID: tid, SpanID: sid, Remote: true}),
			"4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7"},
		{"no span ID", trace.NewSpanContext(trace.SpanContextConfig{TraceID: tid}), nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			a := &accessLog{w: &buf, levels: slog.New(slog.NewJSONHandler(&buf, nil))}
			a.log(context.Background(), accessEntry{id: "r1", method: "GET", route: "GET /healthz", path: "/healthz", status: 200, trace: tt.sc})
			var line map[string]any
			if err := json.Unmarshal(buf.Bytes(), &line); err != nil {
				t.Fatalf("not JSON: %s: %v", buf.Bytes(), err)
			}
			if line["trace_id"] != tt.traceID || line["span_id"] != tt.spanID || line["request_id"] != "r1" || line["method"] != "GET" {
				t.Errorf("line %s", buf.Bytes())
			}
		})
	}
}
