package handler_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wechat-deploy/wechat-deploy/app/internal/handler"
	"github.com/wechat-deploy/wechat-deploy/app/internal/metrics"
	"github.com/wechat-deploy/wechat-deploy/app/internal/model"
	"github.com/wechat-deploy/wechat-deploy/app/internal/ratelimit"
	"github.com/wechat-deploy/wechat-deploy/app/internal/repository"
	"github.com/wechat-deploy/wechat-deploy/app/internal/service"
	"github.com/wechat-deploy/wechat-deploy/app/internal/token"
	"github.com/wechat-deploy/wechat-deploy/app/internal/wechat"
)

const (
	appID      = "wx0123456789abcdef"
	appSecret  = "test-app-secret-0123456789abcdef"
	sessionKey = "SESSION-KEY-must-never-leave-the-server"
	signingKey = "test-signing-key-0123456789abcdef0123456789"
)

// fakeWeChat answers jscode2session: code "good-<openid>" logs in, other codes map to WeChat's errors.
func fakeWeChat(t *testing.T) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		if r.URL.Path != "/sns/jscode2session" || q.Get("appid") != appID || q.Get("secret") != appSecret ||
			q.Get("grant_type") != "authorization_code" {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		var body string
		switch code := q.Get("js_code"); {
		case strings.HasPrefix(code, "good-"):
			body = fmt.Sprintf(`{"openid":%q,"session_key":%q,"unionid":"u-1"}`, strings.TrimPrefix(code, "good-"), sessionKey)
		case code == "used":
			body = `{"errcode":40163,"errmsg":"code been used"}`
		case code == "throttled":
			body = `{"errcode":45011,"errmsg":"api minute-quota reach limit"}`
		case code == "risky":
			body = `{"errcode":40226,"errmsg":"high risk user"}`
		case code == "busy":
			body = `{"errcode":-1,"errmsg":"system error"}`
		case code == "down":
			w.WriteHeader(http.StatusBadGateway)
			return
		case code == "garbage":
			body = `<html>`
		default:
			body = `{"errcode":40029,"errmsg":"invalid code"}`
		}
		// A failed write reaches the app under test as a WeChat failure, which the test then reports.
		_, _ = io.WriteString(w, body)
	}))
	t.Cleanup(srv.Close)
	return srv
}

// lockedBuffer collects log output from concurrent requests.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

type env struct {
	t      *testing.T
	srv    *httptest.Server
	app    *handler.Server
	tokens *token.Manager
	repo   repository.Users
	logs   *lockedBuffer
}

type option func(*handler.Deps)

func newEnv(t *testing.T, opts ...option) *env {
	t.Helper()
	wx := fakeWeChat(t)
	tokens, err := token.NewManager([]byte(signingKey), time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	repo := repository.NewMemory()
	logs := &lockedBuffer{}
	deps := handler.Deps{
		Auth:      &service.Auth{Sessions: wechat.NewClient(wx.URL, appID, appSecret), Users: repo, Tokens: tokens},
		Users:     &service.Users{Repo: repo},
		Tokens:    tokens,
		Repo:      repo,
		Metrics:   metrics.NewHTTP(),
		Log:       slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		AccessLog: logs,
	}
	for _, o := range opts {
		o(&deps)
	}
	app := handler.New(deps)
	app.SetReady(true)
	srv := httptest.NewServer(app.Handler())
	t.Cleanup(srv.Close)
	return &env{t: t, srv: srv, app: app, tokens: tokens, repo: deps.Repo, logs: logs}
}

type result struct {
	status int
	header http.Header
	body   string
}

func (e *env) do(method, path, tok, body string) result {
	e.t.Helper()
	req, err := http.NewRequest(method, e.srv.URL+path, strings.NewReader(body))
	if err != nil {
		e.t.Fatal(err)
	}
	if tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	closeBody(e.t, resp)
	return result{status: resp.StatusCode, header: resp.Header, body: string(b)}
}

// closeBody closes a response body, failing the test if that fails.
func closeBody(t *testing.T, resp *http.Response) {
	t.Helper()
	if err := resp.Body.Close(); err != nil {
		t.Errorf("closing the response body: %v", err)
	}
}

func (e *env) login(openid string) (string, model.User) {
	e.t.Helper()
	r := e.do("POST", "/api/v1/auth/login", "", `{"code":"good-`+openid+`"}`)
	if r.status != http.StatusOK {
		e.t.Fatalf("login: %d %s", r.status, r.body)
	}
	var out struct {
		Token string     `json:"token"`
		User  model.User `json:"user"`
	}
	if err := json.Unmarshal([]byte(r.body), &out); err != nil {
		e.t.Fatal(err)
	}
	return out.Token, out.User
}

func errorCode(t *testing.T, body string) string {
	t.Helper()
	var e struct {
		Error struct{ Code, Message string } `json:"error"`
	}
	if err := json.Unmarshal([]byte(body), &e); err != nil || e.Error.Code == "" || e.Error.Message == "" {
		t.Fatalf("not an error document: %s", body)
	}
	return e.Error.Code
}

func TestLogin(t *testing.T) {
	e := newEnv(t)
	tests := []struct {
		name, body string
		status     int
		code       string
	}{
		{"new user", `{"code":"good-alice"}`, 200, ""},
		{"invalid code", `{"code":"nope"}`, 401, "invalid_code"},
		{"used code", `{"code":"used"}`, 401, "invalid_code"},
		{"wechat throttles", `{"code":"throttled"}`, 503, "wechat_busy"},
		{"risky user", `{"code":"risky"}`, 403, "user_blocked"},
		{"wechat busy", `{"code":"busy"}`, 502, "wechat_unavailable"},
		{"wechat down", `{"code":"down"}`, 502, "wechat_unavailable"},
		{"wechat garbage", `{"code":"garbage"}`, 502, "wechat_unavailable"},
		{"empty code", `{"code":""}`, 400, "invalid_code"},
		{"code with spaces", `{"code":"a b"}`, 400, "invalid_code"},
		{"malformed json", `{"code":`, 400, "invalid_body"},
		{"unknown field", `{"code":"good-x","extra":1}`, 400, "invalid_body"},
		{"two values", `{"code":"good-x"}{}`, 400, "invalid_body"},
		{"oversized", `{"code":"` + strings.Repeat("a", 20000) + `"}`, 400, "invalid_body"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := e.do("POST", "/api/v1/auth/login", "", tt.body)
			if r.status != tt.status {
				t.Fatalf("status = %d, want %d: %s", r.status, tt.status, r.body)
			}
			if tt.code != "" && errorCode(t, r.body) != tt.code {
				t.Errorf("code = %s, want %s", errorCode(t, r.body), tt.code)
			}
			if strings.Contains(r.body, sessionKey) {
				t.Error("response carries the WeChat session key")
			}
		})
	}
	if strings.Contains(e.logs.String(), sessionKey) || strings.Contains(e.logs.String(), appSecret) {
		t.Error("logs carry the session key or the AppSecret")
	}
}

func TestLoginReturnsSameUser(t *testing.T) {
	e := newEnv(t)
	tok, u := e.login("bob")
	if id, err := e.tokens.Verify(tok); err != nil || id != u.ID {
		t.Fatalf("token subject %d, %v; user %d", id, err, u.ID)
	}
	_, again := e.login("bob")
	if again.ID != u.ID {
		t.Fatalf("second login id %d, first %d", again.ID, u.ID)
	}
	r := e.do("POST", "/api/v1/auth/login", "", `{"code":"good-bob"}`)
	if strings.Contains(r.body, `"newUser":true`) || strings.Contains(r.body, "bob") {
		t.Errorf("second login response = %s (openid must not be exposed, newUser false)", r.body)
	}
}

func TestUsers(t *testing.T) {
	e := newEnv(t)
	tok, me := e.login("carol")
	_, other := e.login("dave")

	if r := e.do("GET", "/api/v1/users/me", tok, ""); r.status != 200 || !strings.Contains(r.body, fmt.Sprintf(`"id":%d`, me.ID)) {
		t.Fatalf("GET me = %d %s", r.status, r.body)
	}
	if r := e.do("GET", fmt.Sprintf("/api/v1/users/%d", other.ID), tok, ""); r.status != 200 || !strings.Contains(r.body, fmt.Sprintf(`"id":%d`, other.ID)) {
		t.Fatalf("GET other = %d %s", r.status, r.body)
	}
	updates := []struct {
		name, body string
		status     int
		code       string
	}{
		{"nickname", `{"nickname":"  小红 🌸 "}`, 200, ""},
		{"avatar", `{"avatarUrl":"https://thirdwx.qlogo.cn/mmopen/x/132"}`, 200, ""},
		{"both", `{"nickname":"Zoë","avatarUrl":"https://example.com/a.png"}`, 200, ""},
		{"empty body", `{}`, 400, "invalid_body"},
		{"empty nickname", `{"nickname":"  "}`, 400, "invalid_nickname"},
		{"long nickname", `{"nickname":"` + strings.Repeat("长", 33) + `"}`, 400, "invalid_nickname"},
		{"control char", `{"nickname":"a\u0007b"}`, 400, "invalid_nickname"},
		{"http avatar", `{"avatarUrl":"http://example.com/a.png"}`, 400, "invalid_avatarUrl"},
		{"javascript avatar", `{"avatarUrl":"javascript:alert(1)"}`, 400, "invalid_avatarUrl"},
		{"long avatar", `{"avatarUrl":"https://e.com/` + strings.Repeat("a", 600) + `"}`, 400, "invalid_avatarUrl"},
		{"wrong type", `{"nickname":5}`, 400, "invalid_body"},
		{"unknown field", `{"openid":"x"}`, 400, "invalid_body"},
	}
	for _, tt := range updates {
		t.Run("PUT "+tt.name, func(t *testing.T) {
			r := e.do("PUT", "/api/v1/users/me", tok, tt.body)
			if r.status != tt.status {
				t.Fatalf("status = %d, want %d: %s", r.status, tt.status, r.body)
			}
			if tt.code != "" && errorCode(t, r.body) != tt.code {
				t.Errorf("code = %s, want %s", errorCode(t, r.body), tt.code)
			}
		})
	}
	got, _ := e.repo.Get(context.Background(), me.ID)
	if got.Nickname != "Zoë" || got.AvatarURL != "https://example.com/a.png" {
		t.Errorf("stored profile = %+v", got)
	}
	for _, path := range []string{"/api/v1/users/999999", "/api/v1/users/abc", "/api/v1/users/-1"} {
		if r := e.do("GET", path, tok, ""); r.status != 404 || errorCode(t, r.body) != "not_found" {
			t.Errorf("GET %s = %d %s", path, r.status, r.body)
		}
	}
}

func TestAuthentication(t *testing.T) {
	e := newEnv(t)
	tok, _ := e.login("erin")
	expiredMgr, _ := token.NewManager([]byte(signingKey), time.Minute)
	expired := issueAt(t, expiredMgr, time.Now().Add(-2*time.Hour))
	otherKey, _ := token.NewManager([]byte(strings.Repeat("x", 40)), time.Hour)
	foreign, _, _ := otherKey.Issue(1)
	parts := strings.Split(tok, ".")
	tampered := parts[0] + "." + parts[1] + "x." + parts[2]
	tests := []struct {
		name, auth string
		code       string
	}{
		{"missing", "", "unauthenticated"},
		{"garbage", "Bearer abc", "invalid_token"},
		{"expired", "Bearer " + expired, "invalid_token"},
		{"other key", "Bearer " + foreign, "invalid_token"},
		{"tampered", "Bearer " + tampered, "invalid_token"},
		{"alg none", "Bearer eyJhbGciOiJub25lIn0.eyJzdWIiOiIxIn0.", "invalid_token"},
		{"basic scheme", "Basic dXNlcjpwYXNz", "unauthenticated"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequest("GET", e.srv.URL+"/api/v1/users/me", nil)
			if tt.auth != "" {
				req.Header.Set("Authorization", tt.auth)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			closeBody(t, resp)
			if resp.StatusCode != 401 || errorCode(t, string(b)) != tt.code || resp.Header.Get("WWW-Authenticate") == "" {
				t.Fatalf("%d %s %q", resp.StatusCode, b, resp.Header.Get("WWW-Authenticate"))
			}
		})
	}
}

// issueAt signs a token as if issued at the given time.
func issueAt(t *testing.T, m *token.Manager, at time.Time) string {
	t.Helper()
	restore := token.SetClock(m, func() time.Time { return at })
	defer restore()
	s, _, err := m.Issue(1)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestRoutingErrorsAreJSON(t *testing.T) {
	e := newEnv(t)
	r := e.do("GET", "/nope", "", "")
	if r.status != 404 || errorCode(t, r.body) != "not_found" {
		t.Fatalf("GET /nope = %d %s", r.status, r.body)
	}
	r = e.do("DELETE", "/api/v1/users/me", "", "")
	if r.status != 405 || errorCode(t, r.body) != "method_not_allowed" || !strings.Contains(r.header.Get("Allow"), "GET") {
		t.Fatalf("DELETE me = %d %s allow=%q", r.status, r.body, r.header.Get("Allow"))
	}
	r = e.do("GET", "/api/v1/auth/login", "", "")
	if r.status != 405 || r.header.Get("Allow") != "POST" {
		t.Fatalf("GET login = %d allow=%q", r.status, r.header.Get("Allow"))
	}
}

func TestRateLimit(t *testing.T) {
	e := newEnv(t, func(d *handler.Deps) { d.Limiter = ratelimit.New(0.5, 3, 100) })
	statuses := map[int]int{}
	var last result
	for range 6 {
		last = e.do("POST", "/api/v1/auth/login", "", `{"code":"nope"}`)
		statuses[last.status]++
	}
	if statuses[429] != 3 || statuses[401] != 3 {
		t.Fatalf("statuses = %v, want 3 x 401 then 3 x 429", statuses)
	}
	if last.header.Get("Retry-After") == "" || errorCode(t, last.body) != "rate_limited" {
		t.Fatalf("429 answer = %v %s", last.header, last.body)
	}
	if r := e.do("GET", "/healthz", "", ""); r.status != 200 {
		t.Fatalf("health checks are rate limited: %d", r.status)
	}
}

func TestRateLimitKeyBehindProxy(t *testing.T) {
	e := newEnv(t, func(d *handler.Deps) { d.Limiter = ratelimit.New(0.5, 1, 100) })
	send := func(xff string) int {
		req, _ := http.NewRequest("POST", e.srv.URL+"/api/v1/auth/login", strings.NewReader(`{"code":"nope"}`))
		req.Header.Set("X-Forwarded-For", xff)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		closeBody(t, resp)
		return resp.StatusCode
	}
	// The test client connects from 127.0.0.1, a trusted proxy: clients are told apart by X-Forwarded-For,
	// and a spoofed leftmost entry does not buy a fresh bucket.
	if send("203.0.113.1") != 401 || send("203.0.113.2") != 401 {
		t.Fatal("distinct clients share a bucket")
	}
	if send("198.51.100.9, 203.0.113.1") != 429 {
		t.Fatal("spoofed X-Forwarded-For escaped the limit")
	}
}

type panickingRepo struct{ repository.Users }

func (panickingRepo) Get(context.Context, int64) (model.User, error) { panic("boom") }

func TestPanicBecomes500(t *testing.T) {
	e := newEnv(t)
	tok, _ := e.login("frank")
	e2 := newEnv(t, func(d *handler.Deps) {
		repo := panickingRepo{repository.NewMemory()}
		d.Users = &service.Users{Repo: repo}
		d.Tokens = e.tokens
	})
	r := e2.do("GET", "/api/v1/users/me", tok, "")
	if r.status != 500 || errorCode(t, r.body) != "internal" {
		t.Fatalf("= %d %s", r.status, r.body)
	}
	if !strings.Contains(e2.logs.String(), "panic serving request") {
		t.Error("panic not logged")
	}
	if r := e2.do("GET", "/healthz", "", ""); r.status != 200 {
		t.Fatal("server unhealthy after a panic")
	}
}

// stalledRepo fails every call the way the PostgreSQL store does when the database misses a call's deadline.
type stalledRepo struct{ repository.Users }

var errStalled = fmt.Errorf("%w: the database did not answer in time (read tcp 10.0.3.4:5432: i/o timeout)", model.ErrUnavailable)

func (stalledRepo) Get(context.Context, int64) (model.User, error) { return model.User{}, errStalled }
func (stalledRepo) Update(context.Context, int64, model.UserUpdate) (model.User, error) {
	return model.User{}, errStalled
}
func (stalledRepo) UpsertByOpenID(context.Context, string, string) (model.User, bool, error) {
	return model.User{}, false, errStalled
}

type downRepo struct{ repository.Users }

func (downRepo) Ping(context.Context) error { return fmt.Errorf("connection refused") }

func TestReadiness(t *testing.T) {
	e := newEnv(t)
	if r := e.do("GET", "/readyz", "", ""); r.status != 200 {
		t.Fatalf("ready = %d", r.status)
	}
	e.app.SetReady(false)
	if r := e.do("GET", "/readyz", "", ""); r.status != 503 || errorCode(t, r.body) != "not_ready" {
		t.Fatalf("draining = %d %s", r.status, r.body)
	}
	if r := e.do("GET", "/healthz", "", ""); r.status != 200 {
		t.Fatalf("liveness while draining = %d", r.status)
	}
	down := newEnv(t, func(d *handler.Deps) { d.Repo = downRepo{repository.NewMemory()} })
	if r := down.do("GET", "/readyz", "", ""); r.status != 503 || errorCode(t, r.body) != "dependency_unavailable" {
		t.Fatalf("database down = %d %s", r.status, r.body)
	}
}

func TestMetricsAndLogs(t *testing.T) {
	e := newEnv(t)
	tok, u := e.login("gina")
	e.do("GET", fmt.Sprintf("/api/v1/users/%d", u.ID), tok, "")
	e.do("GET", "/nope", "", "")
	if r := e.do("GET", "/metrics", "", ""); r.status != http.StatusNotFound || errorCode(t, r.body) != "not_found" {
		t.Errorf("/metrics on the API port = %d %s", r.status, r.body)
	}
	w := httptest.NewRecorder()
	e.app.MetricsHandler().ServeHTTP(w, httptest.NewRequest("GET", "/metrics", nil))
	r := result{status: w.Code, body: w.Body.String()}
	for _, want := range []string{
		`http_requests_total{method="GET",route="unmatched",status="404"} 2`,
		`http_requests_total{method="POST",route="POST /api/v1/auth/login",status="200"} 1`,
		`http_requests_total{method="GET",route="GET /api/v1/users/{id}",status="200"} 1`,
		`http_request_duration_seconds_bucket{method="GET",route="GET /api/v1/users/{id}",status="200",le="0.005"}`,
	} {
		if !strings.Contains(r.body, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
	req, _ := http.NewRequest("GET", e.srv.URL+"/healthz", nil)
	req.Header.Set("X-Request-ID", "req-123")
	resp, _ := http.DefaultClient.Do(req)
	closeBody(t, resp)
	if resp.Header.Get("X-Request-ID") != "req-123" {
		t.Errorf("request id not echoed: %q", resp.Header.Get("X-Request-ID"))
	}
	var found bool
	for _, line := range strings.Split(strings.TrimSpace(e.logs.String()), "\n") {
		var rec map[string]any
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatalf("log line is not JSON: %s", line)
		}
		if rec["request_id"] == "req-123" && rec["route"] == "GET /healthz" && rec["status"] == float64(200) {
			found = true
		}
	}
	if !found {
		t.Error("no structured log line for the request")
	}
	if strings.Contains(e.logs.String(), tok) {
		t.Error("logs carry a token")
	}
}
