package handler_test

import (
	"encoding/json"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/wechat-deploy/wechat-deploy/app/internal/handler"
	"github.com/wechat-deploy/wechat-deploy/app/internal/ratelimit"
	"github.com/wechat-deploy/wechat-deploy/app/internal/repository"
	"github.com/wechat-deploy/wechat-deploy/app/internal/service"
)

// errorDocument is the documented error shape; wantDocument encodes it the way the shared writer must.
type errorDocument struct {
	Error struct {
		Code      string `json:"code"`
		Message   string `json:"message"`
		RequestID string `json:"requestId,omitempty"`
	} `json:"error"`
}

func wantDocument(t *testing.T, code, message, requestID string) string {
	t.Helper()
	var d errorDocument
	d.Error.Code, d.Error.Message, d.Error.RequestID = code, message, requestID
	var b strings.Builder
	if err := json.NewEncoder(&b).Encode(d); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// validToken in a test case stands for a valid bearer token for user 1.
const validToken = "<valid>"

// Headers every error answer carries: the shared writer's two, the middleware's request ID, and what net/http
// adds itself.
var baseErrorHeaders = map[string]bool{
	"Content-Type": true, "Cache-Control": true, "X-Request-Id": true, "Date": true, "Content-Length": true,
}

// TestEveryErrorPathUsesTheSharedWriter walks the error paths through the real handler and checks each answer
// byte for byte: the documented body as the shared writer encodes it, exactly its Content-Type and Cache-Control,
// the header that belongs to the error, and no other header. An answer written any other way fails here:
// http.Error sends text/plain and X-Content-Type-Options, hand-built JSON lacks Cache-Control or differs in its
// bytes.
func TestEveryErrorPathUsesTheSharedWriter(t *testing.T) {
	limited := func(d *handler.Deps) { d.Limiter = ratelimit.New(0.001, 1, 100) }
	panics := func(d *handler.Deps) { d.Users = &service.Users{Repo: panickingRepo{repository.NewMemory()}} }
	dbDown := func(d *handler.Deps) { d.Repo = downRepo{repository.NewMemory()} }
	dbStalled := func(d *handler.Deps) {
		repo := stalledRepo{repository.NewMemory()}
		d.Users, d.Auth.Users = &service.Users{Repo: repo}, repo
	}
	quota := func(d *handler.Deps) { d.Auth.WeChatQuota = ratelimit.NewBucket(0.001, 1) }
	loginLimited := func(d *handler.Deps) { d.LoginLimiter = ratelimit.New(0.001, 1, 100) }
	login := func(e *env) { e.do("POST", "/api/v1/auth/login", "", `{"code":"good-first"}`) }
	tests := []struct {
		name               string
		opt                option
		before             func(e *env) // run first, its answer unchecked
		method, path, body string
		token              string // bearer token sent; validToken: one for user 1
		status             int
		code, message      string
		headers            map[string]string // expected extra headers: name -> regexp of the whole value
	}{
		{name: "unknown path", method: "GET", path: "/nope", status: 404, code: "not_found", message: "no such endpoint"},
		{name: "path cleaning to nothing", method: "GET", path: "/api//nope", status: 404, code: "not_found", message: "no such endpoint"},
		{name: "no such user", method: "GET", path: "/api/v1/users/abc", token: validToken, status: 404, code: "not_found", message: "no such user"},
		{name: "missing user", method: "GET", path: "/api/v1/users/424242", token: validToken, status: 404, code: "not_found", message: "no such user"},
		{
			name: "method not allowed", method: "DELETE", path: "/api/v1/users/me", status: 405,
			code: "method_not_allowed", message: "method not allowed", headers: map[string]string{"Allow": `GET, HEAD, PUT`},
		},
		{
			name: "method not allowed on login", method: "GET", path: "/api/v1/auth/login", status: 405,
			code: "method_not_allowed", message: "method not allowed", headers: map[string]string{"Allow": `POST`},
		},
		{
			name: "rate limited", opt: limited, before: func(e *env) { e.do("POST", "/api/v1/auth/login", "", `{"code":"nope"}`) },
			method: "POST", path: "/api/v1/auth/login", body: `{"code":"nope"}`, status: 429,
			code: "rate_limited", message: "too many requests; retry later", headers: map[string]string{"Retry-After": `[1-9][0-9]*`},
		},
		{
			name: "no token", method: "GET", path: "/api/v1/users/me", status: 401, code: "unauthenticated",
			message: "a bearer token is required", headers: map[string]string{"Www-Authenticate": regexp.QuoteMeta(`Bearer realm="wechat-deploy"`)},
		},
		{
			name: "bad token", method: "PUT", path: "/api/v1/users/me", token: "not-a-token", body: `{}`, status: 401, code: "invalid_token",
			message: "the token is invalid or expired",
			headers: map[string]string{"Www-Authenticate": regexp.QuoteMeta(`Bearer realm="wechat-deploy", error="invalid_token"`)},
		},
		{name: "malformed body", method: "POST", path: "/api/v1/auth/login", body: `{"code":`, status: 400, code: "invalid_body", message: "the body must be one JSON object"},
		{name: "empty body", method: "POST", path: "/api/v1/auth/login", status: 400, code: "invalid_body", message: "the body must be one JSON object"},
		{name: "array body", method: "POST", path: "/api/v1/auth/login", body: `[]`, status: 400, code: "invalid_body", message: "the body must be one JSON object"},
		{
			name: "oversized body", method: "POST", path: "/api/v1/auth/login", body: `{"code":"` + strings.Repeat("a", 20000) + `"}`,
			status: 400, code: "invalid_body", message: "the body is too large",
		},
		{name: "trailing data", method: "PUT", path: "/api/v1/users/me", token: validToken, body: `{"nickname":"a"}[]`, status: 400, code: "invalid_body", message: "the body must be one JSON object"},
		{name: "wrong type", method: "PUT", path: "/api/v1/users/me", token: validToken, body: `{"nickname":5}`, status: 400, code: "invalid_body", message: "a field of the body has the wrong JSON type"},
		{name: "unknown field", method: "POST", path: "/api/v1/auth/login", body: `{"code":"x","extra":1}`, status: 400, code: "invalid_body", message: "the body has a field this endpoint does not accept"},
		{
			name: "database stalled", opt: dbStalled, method: "GET", path: "/api/v1/users/me", token: validToken, status: 503,
			code: "dependency_unavailable", message: "the database is unavailable; retry shortly", headers: map[string]string{"Retry-After": `2`},
		},
		{
			name: "database stalled at login", opt: dbStalled, method: "POST", path: "/api/v1/auth/login", body: `{"code":"good-x"}`, status: 503,
			code: "dependency_unavailable", message: "the database is unavailable; retry shortly", headers: map[string]string{"Retry-After": `2`},
		},
		{
			name: "wechat budget spent", opt: quota, before: login, method: "POST", path: "/api/v1/auth/login", body: `{"code":"good-x"}`,
			status: 503, code: "login_busy", message: "too many logins right now; retry shortly", headers: map[string]string{"Retry-After": `[1-9][0-9]*`},
		},
		{
			name: "login rate limited", opt: loginLimited, before: login, method: "POST", path: "/api/v1/auth/login", body: `{"code":"good-x"}`,
			status: 429, code: "rate_limited", message: "too many requests; retry later", headers: map[string]string{"Retry-After": `[1-9][0-9]*`},
		},
		{name: "invalid field", method: "PUT", path: "/api/v1/users/me", token: validToken, body: `{"nickname":" "}`, status: 400, code: "invalid_nickname", message: "nickname: must not be empty"},
		{
			name: "invalid code", method: "POST", path: "/api/v1/auth/login", body: `{"code":"nope"}`, status: 401, code: "invalid_code",
			message: "the login code is invalid, expired or already used; call wx.login again",
		},
		{name: "blocked user", method: "POST", path: "/api/v1/auth/login", body: `{"code":"risky"}`, status: 403, code: "user_blocked", message: "WeChat refused this account"},
		{
			name: "wechat throttles", method: "POST", path: "/api/v1/auth/login", body: `{"code":"throttled"}`, status: 503,
			code: "wechat_busy", message: "WeChat is throttling logins; retry shortly", headers: map[string]string{"Retry-After": `2`},
		},
		{name: "wechat down", method: "POST", path: "/api/v1/auth/login", body: `{"code":"down"}`, status: 502, code: "wechat_unavailable", message: "WeChat could not be reached; retry later"},
		{name: "panic", opt: panics, method: "GET", path: "/api/v1/users/me", token: validToken, status: 500, code: "internal", message: "internal error"},
		{name: "not ready", before: func(e *env) { e.app.SetReady(false) }, method: "GET", path: "/readyz", status: 503, code: "not_ready", message: "not ready"},
		{name: "database down", opt: dbDown, method: "GET", path: "/readyz", status: 503, code: "dependency_unavailable", message: "database unreachable"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var opts []option
			if tt.opt != nil {
				opts = append(opts, tt.opt)
			}
			e := newEnv(t, opts...)
			if tt.before != nil {
				tt.before(e)
			}
			tok := tt.token
			if tok == validToken {
				var err error
				if tok, _, err = e.tokens.Issue(1); err != nil {
					t.Fatal(err)
				}
			}
			r := e.do(tt.method, tt.path, tok, tt.body)
			if r.status != tt.status {
				t.Fatalf("status = %d, want %d: %s", r.status, tt.status, r.body)
			}
			id := r.header.Get("X-Request-Id")
			if id == "" {
				t.Error("no X-Request-Id")
			}
			if want := wantDocument(t, tt.code, tt.message, id); r.body != want {
				t.Errorf("body = %q, want %q", r.body, want)
			}
			if got := r.header.Values("Content-Type"); len(got) != 1 || got[0] != "application/json; charset=utf-8" {
				t.Errorf("Content-Type = %q", got)
			}
			if got := r.header.Values("Cache-Control"); len(got) != 1 || got[0] != "no-store" {
				t.Errorf("Cache-Control = %q", got)
			}
			for name, pattern := range tt.headers {
				if got := r.header.Values(name); len(got) != 1 || !regexp.MustCompile(`^(?:`+pattern+`)$`).MatchString(got[0]) {
					t.Errorf("%s = %q, want /%s/", name, got, pattern)
				}
			}
			for name := range r.header {
				if _, extra := tt.headers[name]; !baseErrorHeaders[name] && !extra {
					t.Errorf("unexpected header %s: %q", name, r.header.Values(name))
				}
			}
		})
	}
}

// TestNoErrorWriterBesidesTheSharedOne fails when app code answers an error without writeError: net/http's
// plain-text helpers, or a fixed status other than http.StatusOK handed to WriteHeader or writeJSON.
func TestNoErrorWriterBesidesTheSharedOne(t *testing.T) {
	root := filepath.Join("..", "..") // app/
	fset := token.NewFileSet()
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return err
		}
		f, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
		if err != nil {
			return err
		}
		ast.Inspect(f, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok {
				return true
			}
			var name string
			switch fun := call.Fun.(type) {
			case *ast.SelectorExpr:
				if pkg, ok := fun.X.(*ast.Ident); ok && pkg.Name == "http" {
					switch fun.Sel.Name {
					case "Error", "NotFound", "NotFoundHandler":
						t.Errorf("%s: http.%s writes a plain-text error; use writeError", fset.Position(call.Pos()), fun.Sel.Name)
					}
				}
				name = fun.Sel.Name
			case *ast.Ident:
				name = fun.Name
			}
			status := -1
			switch name {
			case "WriteHeader":
				status = 0
			case "writeJSON":
				status = 1
			}
			if status >= 0 && len(call.Args) > status && fixedErrorStatus(call.Args[status]) {
				t.Errorf("%s: %s with a fixed status; error answers go through writeError", fset.Position(call.Pos()), name)
			}
			return true
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// fixedErrorStatus reports whether e is a literal status or an http.Status constant other than StatusOK.
func fixedErrorStatus(e ast.Expr) bool {
	switch e := e.(type) {
	case *ast.BasicLit:
		return true
	case *ast.SelectorExpr:
		pkg, ok := e.X.(*ast.Ident)
		return ok && pkg.Name == "http" && strings.HasPrefix(e.Sel.Name, "Status") && e.Sel.Name != "StatusOK"
	}
	return false
}
