package handler

import (
	"bytes"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/wechat-deploy/wechat-deploy/app/internal/metrics"
)

// TestForeignHandlersAnswerInTheAPIShape: the errors of handlers the app does not own reach the client through
// writeError. A failing promhttp answers a plain-text 500 with the collectors' errors; the client gets the
// internal error and the text goes to the log. Successful answers pass through untouched, and the mux's fallback
// answers become 404 or 405.
func TestForeignHandlersAnswerInTheAPIShape(t *testing.T) {
	var logs bytes.Buffer
	s := New(Deps{Metrics: metrics.NewHTTP(), Log: slog.New(slog.NewJSONHandler(&logs, nil))})
	const detail = `collected metric "db_up" was collected before with the same name and label values`
	failing := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Encoding", "gzip")
		http.Error(w, "An error has occurred while serving metrics:\n\n"+detail, http.StatusInternalServerError)
	})
	serving := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; version=0.0.4")
		_, _ = io.WriteString(w, "up 1\n")
	})
	redirect := http.RedirectHandler("/nope", http.StatusMovedPermanently)
	notAllowed := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
	})
	silent := http.HandlerFunc(func(http.ResponseWriter, *http.Request) {})
	tests := []struct {
		name      string
		h         http.Handler
		translate translator
		status    int
		body      string
		header    http.Header
	}{
		{"failed gather", failing, failure, 500, `{"error":{"code":"internal","message":"internal error"}}` + "\n",
			http.Header{"Content-Type": jsonContentType, "Cache-Control": noStore}},
		{"gathered", serving, failure, 200, "up 1\n", http.Header{"Content-Type": {"text/plain; version=0.0.4"}}},
		{"silent", silent, failure, 200, "", http.Header{}},
		{"redirect to nothing", redirect, unmatched, 404, `{"error":{"code":"not_found","message":"no such endpoint"}}` + "\n",
			http.Header{"Content-Type": jsonContentType, "Cache-Control": noStore}},
		{"method not allowed", notAllowed, unmatched, 405, `{"error":{"code":"method_not_allowed","message":"method not allowed"}}` + "\n",
			http.Header{"Content-Type": jsonContentType, "Cache-Control": noStore, "Allow": {"GET, HEAD"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			logs.Reset()
			w := httptest.NewRecorder()
			s.foreign(w, httptest.NewRequest(http.MethodGet, "/metrics", nil), tt.h, tt.translate)
			if w.Code != tt.status || w.Body.String() != tt.body {
				t.Fatalf("= %d %q, want %d %q", w.Code, w.Body.String(), tt.status, tt.body)
			}
			if got := w.Header(); len(got) != len(tt.header) {
				t.Errorf("headers = %v, want %v", got, tt.header)
			}
			for k, v := range tt.header {
				if got := w.Header().Values(k); strings.Join(got, "|") != strings.Join(v, "|") {
					t.Errorf("%s = %q, want %q", k, got, v)
				}
			}
			if tt.status >= 500 && !strings.Contains(logs.String(), "db_up") {
				t.Errorf("the handler's own error text is not logged: %s", logs.String())
			}
			if tt.status < 500 && logs.Len() > 0 {
				t.Errorf("logged %s", logs.String())
			}
		})
	}
}
