package handler_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/wechat-deploy/wechat-deploy/app/internal/handler"
	"github.com/wechat-deploy/wechat-deploy/app/internal/ratelimit"
	"github.com/wechat-deploy/wechat-deploy/app/internal/service"
	"github.com/wechat-deploy/wechat-deploy/app/internal/wechat"
)

// serveFrom sends a login attempt through the app's handler from remote (host:port), with X-Forwarded-For xff
// when not empty, and returns the answer.
func serveFrom(e *env, remote, xff, body string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodPost, "/api/v1/auth/login", strings.NewReader(body))
	req.RemoteAddr = remote
	if xff != "" {
		req.Header.Set("X-Forwarded-For", xff)
	}
	w := httptest.NewRecorder()
	e.app.Handler().ServeHTTP(w, req)
	return w
}

// TestRateLimitGroupsIPv6By64: an IPv6 client rotating addresses inside its /64 (every subscriber gets one, so
// rotating costs nothing) shares one allowance; another /64 has its own, and the prefix length is configurable.
func TestRateLimitGroupsIPv6By64(t *testing.T) {
	for _, tt := range []struct {
		name, remote, xff string
	}{
		{"direct", "[%s]:40000", ""},
		{"behind a trusted proxy", "10.0.0.5:40000", "%s"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, func(d *handler.Deps) { d.Limiter = ratelimit.New(0.001, 1, 100) })
			send := func(addr string) int {
				remote, xff := tt.remote, tt.xff
				if xff == "" {
					remote = fmt.Sprintf(remote, addr)
				} else {
					xff = fmt.Sprintf(xff, addr)
				}
				return serveFrom(e, remote, xff, `{"code":"nope"}`).Code
			}
			if got := send("2001:db8:1:2::1"); got != http.StatusUnauthorized {
				t.Fatalf("first request = %d", got)
			}
			for _, rotated := range []string{"2001:db8:1:2::2", "2001:db8:1:2:ffff:ffff:ffff:ffff", "2001:db8:1:2:abcd::9"} {
				if got := send(rotated); got != http.StatusTooManyRequests {
					t.Errorf("%s, same /64: %d, want 429", rotated, got)
				}
			}
			if got := send("2001:db8:1:3::1"); got != http.StatusUnauthorized {
				t.Errorf("another /64: %d, want its own allowance", got)
			}
		})
	}
	t.Run("configured /56", func(t *testing.T) {
		e := newEnv(t, func(d *handler.Deps) { d.Limiter = ratelimit.New(0.001, 1, 100); d.IPv6PrefixBits = 56 })
		if got := serveFrom(e, "[2001:db8:1:200::1]:1", "", `{"code":"nope"}`).Code; got != http.StatusUnauthorized {
			t.Fatalf("first request = %d", got)
		}
		if got := serveFrom(e, "[2001:db8:1:2ff::1]:1", "", `{"code":"nope"}`).Code; got != http.StatusTooManyRequests {
			t.Errorf("same /56: %d, want 429", got)
		}
	})
	t.Run("IPv4 and IPv4-mapped are one client", func(t *testing.T) {
		e := newEnv(t, func(d *handler.Deps) { d.Limiter = ratelimit.New(0.001, 1, 100) })
		serveFrom(e, "10.0.0.5:1", "203.0.113.9", `{"code":"nope"}`)
		if got := serveFrom(e, "10.0.0.5:1", "::ffff:203.0.113.9", `{"code":"nope"}`).Code; got != http.StatusTooManyRequests {
			t.Errorf("::ffff:203.0.113.9 after 203.0.113.9: %d, want 429", got)
		}
		if got := serveFrom(e, "10.0.0.5:1", "203.0.113.10", `{"code":"nope"}`).Code; got != http.StatusUnauthorized {
			t.Errorf("the next IPv4 address: %d, want its own allowance", got)
		}
	})
}

// countingSessions counts the calls that reach WeChat.
type countingSessions struct {
	next  service.Sessions
	calls *atomic.Int64
}

func (c countingSessions) Code2Session(ctx context.Context, code string) (wechat.Session, error) {
	c.calls.Add(1)
	return c.next.Code2Session(ctx, code)
}

// TestRandomCodesCannotSpendTheWeChatQuota: well-formed random codes from as many addresses as there are codes
// (each within the per-client limits) reach WeChat only as far as the app's budget of WeChat calls allows; the
// rest are answered 503 with Retry-After, and malformed codes cost nothing.
func TestRandomCodesCannotSpendTheWeChatQuota(t *testing.T) {
	var calls atomic.Int64
	const budget = 10
	e := newEnv(t, func(d *handler.Deps) {
		d.Auth.Sessions = countingSessions{d.Auth.Sessions, &calls}
		d.Auth.WeChatQuota = ratelimit.NewBucket(0.001, budget)
		d.Limiter = ratelimit.New(1, 5, 100_000)
		d.LoginLimiter = ratelimit.New(0.1, 2, 100_000)
	})
	for i := range 50 {
		if w := serveFrom(e, "10.0.0.5:1", fmt.Sprintf("198.51.100.%d", i), `{"code":"a b"}`); w.Code != http.StatusBadRequest {
			t.Fatalf("malformed code = %d %s", w.Code, w.Body)
		}
	}
	statuses := map[int]int{}
	addr := netip.MustParseAddr("203.0.113.0")
	for i := range 200 {
		addr = addr.Next()
		w := serveFrom(e, "10.0.0.5:1", addr.String(), fmt.Sprintf(`{"code":"random%08d"}`, i))
		statuses[w.Code]++
		if w.Code == http.StatusServiceUnavailable {
			if w.Header().Get("Retry-After") == "" || !strings.Contains(w.Body.String(), `"login_busy"`) {
				t.Fatalf("refused login = %v %s", w.Header(), w.Body)
			}
		}
	}
	if n := calls.Load(); n != budget {
		t.Errorf("%d calls reached WeChat, want the budget of %d", n, budget)
	}
	if statuses[http.StatusUnauthorized] != budget || statuses[http.StatusServiceUnavailable] != 200-budget {
		t.Errorf("statuses = %v, want %d x 401 (WeChat's answer to a random code), the rest 503", statuses, budget)
	}
}

// TestLoginLimitPerClient: one client's login attempts are limited on their own, below the general limit, so one
// client cannot spend the shared WeChat budget; other clients and other endpoints are not affected.
func TestLoginLimitPerClient(t *testing.T) {
	e := newEnv(t, func(d *handler.Deps) {
		d.Limiter = ratelimit.New(1, 100, 100)
		d.LoginLimiter = ratelimit.New(0.001, 3, 100)
	})
	statuses := map[int]int{}
	for range 6 {
		statuses[serveFrom(e, "203.0.113.1:1", "", `{"code":"nope"}`).Code]++
	}
	if statuses[http.StatusUnauthorized] != 3 || statuses[http.StatusTooManyRequests] != 3 {
		t.Errorf("statuses = %v, want 3 x 401 then 3 x 429", statuses)
	}
	if got := serveFrom(e, "203.0.113.2:1", "", `{"code":"nope"}`).Code; got != http.StatusUnauthorized {
		t.Errorf("another client = %d", got)
	}
	req := httptest.NewRequest(http.MethodGet, "/api/v1/users/1", nil)
	req.RemoteAddr = "203.0.113.1:1"
	w := httptest.NewRecorder()
	e.app.Handler().ServeHTTP(w, req)
	if w.Code != http.StatusUnauthorized {
		t.Errorf("GET a user from the limited client = %d, want 401 (not the login limit)", w.Code)
	}
}
