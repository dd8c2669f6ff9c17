package handler

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"testing"
	"time"
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
