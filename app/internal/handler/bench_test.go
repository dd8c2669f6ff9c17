package handler_test

import (
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/wechat-deploy/wechat-deploy/app/internal/handler"
	"github.com/wechat-deploy/wechat-deploy/app/internal/metrics"
	"github.com/wechat-deploy/wechat-deploy/app/internal/repository"
	"github.com/wechat-deploy/wechat-deploy/app/internal/service"
	"github.com/wechat-deploy/wechat-deploy/app/internal/token"
)

// BenchmarkGetUser measures the in-process cost of GET /api/v1/users/{id} through every middleware (no network).
func BenchmarkGetUser(b *testing.B) {
	repo := repository.NewMemory()
	u, _, _ := repo.UpsertByOpenID(b.Context(), "o", "")
	tokens, _ := token.NewManager([]byte(strings.Repeat("k", 48)), time.Hour)
	tok, _, _ := tokens.Issue(u.ID)
	// A real handler writing to io.Discard, not slog.DiscardHandler: Log's level enables the access log, whose
	// line every request pays for.
	log := slog.New(slog.NewJSONHandler(io.Discard, nil)) //nolint:sloglint // DiscardHandler would turn the measured access log off
	app := handler.New(handler.Deps{
		Auth: &service.Auth{Users: repo, Tokens: tokens}, Users: &service.Users{Repo: repo}, Tokens: tokens,
		Repo: repo, Metrics: metrics.NewHTTP(), Log: log, AccessLog: io.Discard,
	})
	h := app.Handler()
	req := httptest.NewRequest(http.MethodGet, fmt.Sprintf("/api/v1/users/%d", u.ID), nil)
	req.Header.Set("Authorization", "Bearer "+tok)
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
