package handler_test

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"
)

// failingBody yields prefix, then fails with err, as a request body does when the connection under it times out
// or breaks.
type failingBody struct {
	prefix string
	err    error
}

func (b *failingBody) Read(p []byte) (int, error) {
	if b.prefix != "" {
		n := copy(p, b.prefix)
		b.prefix = b.prefix[n:]
		return n, nil
	}
	return 0, b.err
}

// Words an answer must not carry: addresses, Go type and package names, the decoder's and the network's wording.
var internals = []string{"127.0.0.1", "10.20.30.40", "18080", "tcp", "i/o timeout", "handler.", "loginRequest",
	"updateRequest", "Go struct", "Go value", "json:", "connection reset", "unmarshal"}

// TestAnswersNameNoInternals: a body that times out or breaks, or holds the wrong types, is answered with a fixed
// message and the request ID; the details (the server's address, Go type names) go to the log under that ID.
func TestAnswersNameNoInternals(t *testing.T) {
	e := newEnv(t)
	tok, _, err := e.tokens.Issue(1)
	if err != nil {
		t.Fatal(err)
	}
	// What net/http's body returns when the server's ReadTimeout expires under a slowly sent body.
	timeout := &net.OpError{Op: "read", Net: "tcp", Source: &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 18080},
		Addr: &net.TCPAddr{IP: net.IPv4(10, 20, 30, 40), Port: 51234}, Err: os.ErrDeadlineExceeded}
	reset := &net.OpError{Op: "read", Net: "tcp", Source: timeout.Source, Addr: timeout.Addr, Err: os.NewSyscallError("read", syscall.ECONNRESET)}
	tests := []struct {
		name, method, path string
		body               io.Reader
		status             int
		code, message      string
		logged             string // the detail the log keeps
	}{
		{"slow body", "POST", "/api/v1/auth/login", &failingBody{`{"code":"ab`, timeout}, 408, "request_timeout",
			"the body was not received in time", "i/o timeout"},
		{"slow body after the object", "PUT", "/api/v1/users/me", &failingBody{`{"nickname":"a"} `, timeout}, 408, "request_timeout",
			"the body was not received in time", "i/o timeout"},
		{"broken connection", "PUT", "/api/v1/users/me", &failingBody{`{"nick`, reset}, 400, "invalid_body",
			"the body could not be read", "connection reset"},
		{"wrong type in the update", "PUT", "/api/v1/users/me", strings.NewReader(`{"nickname":5}`), 400, "invalid_body",
			"a field of the body has the wrong JSON type", "updateRequest.nickname"},
		{"wrong type in the login", "POST", "/api/v1/auth/login", strings.NewReader(`{"code":["a"]}`), 400, "invalid_body",
			"a field of the body has the wrong JSON type", "loginRequest.code"},
		{"not an object", "POST", "/api/v1/auth/login", strings.NewReader(`"code"`), 400, "invalid_body",
			"the body must be one JSON object", "handler.loginRequest"},
		{"unknown field", "POST", "/api/v1/auth/login", strings.NewReader(`{"code":"a","json: x":1}`), 400, "invalid_body",
			"the body has a field this endpoint does not accept", `unknown field \"json: x\"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := httptest.NewRequest(tt.method, tt.path, tt.body)
			req.Header.Set("Authorization", "Bearer "+tok)
			w := httptest.NewRecorder()
			e.app.Handler().ServeHTTP(w, req)
			checkFixedAnswer(t, e, w.Code, w.Header(), w.Body.String(), tt.status, tt.code, tt.message, tt.logged)
		})
	}
}

// TestSlowBodyOverTheNetwork is the reported case end to end: a body sent too slowly for the server's read
// timeout. The answer is the fixed 408, not "invalid body: read tcp 127.0.0.1:…->…: i/o timeout".
func TestSlowBodyOverTheNetwork(t *testing.T) {
	e := newEnv(t)
	slow := httptest.NewUnstartedServer(e.app.Handler())
	// The deadline is the server's own, as in production; nothing here measures how long anything takes.
	slow.Config.ReadTimeout = 200 * time.Millisecond
	slow.Start()
	defer slow.Close()
	conn, err := net.Dial("tcp", slow.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = conn.Close() }()
	// Half the announced body, then nothing: the server's read deadline expires in the middle of the body.
	if _, err := fmt.Fprintf(conn, "POST /api/v1/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"+
		"Content-Length: 40\r\n\r\n{\"code\":\"ab"); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	closeBody(t, resp)
	checkFixedAnswer(t, e, resp.StatusCode, resp.Header, string(b), 408, "request_timeout", "the body was not received in time", "i/o timeout")
}

// checkFixedAnswer checks an answer is the documented one, with the request ID of its header and none of the
// internals, and that the log holds the detail under that request ID.
func checkFixedAnswer(t *testing.T, e *env, status int, h http.Header, body string, wantStatus int, code, message, logged string) {
	t.Helper()
	id := h.Get("X-Request-Id")
	if status != wantStatus || body != wantDocument(t, code, message, id) || id == "" {
		t.Errorf("answer = %d %s, want %d %s", status, body, wantStatus, wantDocument(t, code, message, id))
	}
	for _, word := range internals {
		if strings.Contains(body, word) {
			t.Errorf("the answer names %q: %s", word, body)
		}
	}
	found := false
	for _, line := range strings.Split(e.logs.String(), "\n") {
		var rec map[string]any
		if json.Unmarshal([]byte(line), &rec) == nil && rec["request_id"] == id && strings.Contains(line, logged) {
			found = true
		}
	}
	if !found {
		t.Errorf("no log line with request_id %s and %q:\n%s", id, logged, e.logs.String())
	}
}
