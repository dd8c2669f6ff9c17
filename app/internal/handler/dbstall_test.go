package handler_test

import (
	"context"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/wechat-deploy/wechat-deploy/app/internal/handler"
	"github.com/wechat-deploy/wechat-deploy/app/internal/repository/repotest"
	"github.com/wechat-deploy/wechat-deploy/app/internal/service"
)

// TestDatabaseStallAnswers503: with PostgreSQL frozen behind a proxy (connections open, nothing answered), user
// requests and logins are answered 503 with Retry-After once the database call's deadline expires, instead of
// holding the client until it gives up; /readyz says the database is unreachable.
func TestDatabaseStallAnswers503(t *testing.T) {
	base := os.Getenv("WECHAT_TEST_POSTGRES_URL")
	if base == "" {
		t.Skip("WECHAT_TEST_POSTGRES_URL is not set; `make test` sets it to the local PostgreSQL")
	}
	pg, proxy := repotest.StallablePostgres(t, base)
	e := newEnv(t, func(d *handler.Deps) {
		d.Repo, d.Auth.Users, d.Users = pg, pg, &service.Users{Repo: pg}
	})
	tok, _ := e.login("stall")

	proxy.Freeze()
	// The client's own timeout is a safety net, far beyond the store's deadline: without that deadline the
	// requests below wait for it and fail here instead of hanging the test.
	client := &http.Client{Timeout: 20 * time.Second}
	for _, tt := range []struct {
		method, path, tok, body string
		status                  int
		code                    string
	}{
		{"GET", "/api/v1/users/me", tok, "", 503, "dependency_unavailable"},
		{"PUT", "/api/v1/users/me", tok, `{"nickname":"x"}`, 503, "dependency_unavailable"},
		{"POST", "/api/v1/auth/login", "", `{"code":"good-stalled"}`, 503, "dependency_unavailable"},
		{"GET", "/readyz", "", "", 503, "dependency_unavailable"},
	} {
		t.Run(tt.method+" "+tt.path, func(t *testing.T) {
			req, _ := http.NewRequestWithContext(context.Background(), tt.method, e.srv.URL+tt.path, nil)
			if tt.body != "" {
				req, _ = http.NewRequestWithContext(context.Background(), tt.method, e.srv.URL+tt.path, strings.NewReader(tt.body))
			}
			if tt.tok != "" {
				req.Header.Set("Authorization", "Bearer "+tt.tok)
			}
			start := time.Now()
			resp, err := client.Do(req)
			if err != nil {
				t.Fatalf("no answer: %v", err)
			}
			closeBody(t, resp)
			t.Logf("%s %s with the database stalled: %d after %s", tt.method, tt.path, resp.StatusCode, time.Since(start).Round(time.Millisecond))
			if resp.StatusCode != tt.status {
				t.Errorf("status = %d, want %d", resp.StatusCode, tt.status)
			}
			if tt.path != "/readyz" && resp.Header.Get("Retry-After") == "" {
				t.Error("no Retry-After")
			}
		})
	}
}
