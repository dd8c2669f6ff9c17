package handler

import (
	"context"
	"encoding/hex"
	"io"
	"log/slog"
	"strconv"
	"sync"
	"time"
	"unicode/utf8"

	"go.opentelemetry.io/otel/trace"
)

// accessLog writes one JSON line per request, in the same shape as the slog JSON handler's lines
// ({"time":…,"level":…,"msg":"request",…}), but appended by hand into a pooled buffer: the request line is the
// one log line every request pays for, and slog's general machinery was a quarter of a request's CPU.
type accessLog struct {
	mu     sync.Mutex
	w      io.Writer
	levels *slog.Logger // decides whether INFO and ERROR lines are enabled
}

type accessEntry struct {
	id, method, route, path, client string
	status, bytes                   int
	elapsed                         time.Duration
	// trace is the request's span context: its own span's with tracing on, the caller's (from traceparent) with
	// tracing off; the line carries trace_id and span_id when it is valid.
	trace trace.SpanContext
}

// buffers are the byte buffers the access log and JSON responses are appended into.
var buffers = sync.Pool{New: func() any { b := make([]byte, 0, 512); return &b }}

func (a *accessLog) log(ctx context.Context, e accessEntry) {
	level := slog.LevelInfo
	if e.status >= 500 {
		level = slog.LevelError
	}
	if a == nil || a.w == nil || !a.levels.Enabled(ctx, level) {
		return
	}
	bp := buffers.Get().(*[]byte)
	b := (*bp)[:0]
	b = append(b, `{"time":"`...)
	b = time.Now().AppendFormat(b, time.RFC3339Nano)
	b = append(b, `","level":"`...)
	b = append(b, level.String()...)
	b = append(b, `","msg":"request","request_id":`...)
	b = appendJSONString(b, e.id)
	if e.trace.IsValid() {
		tid, sid := e.trace.TraceID(), e.trace.SpanID()
		b = append(b, `,"trace_id":"`...)
		b = hex.AppendEncode(b, tid[:])
		b = append(b, `","span_id":"`...)
		b = hex.AppendEncode(b, sid[:])
		b = append(b, '"')
	}
	b = append(b, `,"method":`...)
	b = appendJSONString(b, e.method)
	b = append(b, `,"route":`...)
	b = appendJSONString(b, e.route)
	b = append(b, `,"path":`...)
	b = appendJSONString(b, e.path)
	b = append(b, `,"status":`...)
	b = strconv.AppendInt(b, int64(e.status), 10)
	b = append(b, `,"bytes":`...)
	b = strconv.AppendInt(b, int64(e.bytes), 10)
	b = append(b, `,"duration_ms":`...)
	b = strconv.AppendFloat(b, float64(e.elapsed.Microseconds())/1000, 'f', -1, 64)
	b = append(b, `,"client":`...)
	b = appendJSONString(b, e.client)
	b = append(b, "}\n"...)
	a.mu.Lock()
	_, _ = a.w.Write(b)
	a.mu.Unlock()
	*bp = b
	buffers.Put(bp)
}

const hexDigits = "0123456789abcdef"

// appendJSONString appends s as a JSON string, escaping quotes, backslashes, control characters and invalid UTF-8.
func appendJSONString(b []byte, s string) []byte {
	b = append(b, '"')
	for i := 0; i < len(s); {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' && c < utf8.RuneSelf {
			b = append(b, c)
			i++
			continue
		}
		if c < utf8.RuneSelf {
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, `\ufffd`...)
		} else {
			b = append(b, s[i:i+size]...)
		}
		i += size
	}
	return append(b, '"')
}
