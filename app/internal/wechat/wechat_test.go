package wechat

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestCode2Session(t *testing.T) {
	tests := []struct {
		name   string
		status int
		body   string
		want   error
	}{
		{"ok", 200, `{"openid":"o1","session_key":"k","unionid":"u1"}`, nil},
		{"invalid code", 200, `{"errcode":40029,"errmsg":"invalid code"}`, ErrInvalidCode},
		{"used code", 200, `{"errcode":40163,"errmsg":"code been used"}`, ErrInvalidCode},
		{"rate limited", 200, `{"errcode":45011,"errmsg":"minute-quota"}`, ErrRateLimited},
		{"http 429", 429, ``, ErrRateLimited},
		{"high risk", 200, `{"errcode":40226,"errmsg":"risky"}`, ErrBlocked},
		{"bad secret", 200, `{"errcode":40125,"errmsg":"invalid appsecret"}`, ErrMisconfigured},
		{"bad appid", 200, `{"errcode":40013,"errmsg":"invalid appid"}`, ErrMisconfigured},
		{"system busy", 200, `{"errcode":-1,"errmsg":"busy"}`, ErrUnavailable},
		{"unknown error", 200, `{"errcode":99999}`, ErrUnavailable},
		{"server error", 503, `oops`, ErrUnavailable},
		{"not json", 200, `<html>`, ErrUnavailable},
		{"no openid", 200, `{"session_key":"k"}`, ErrUnavailable},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(tt.status)
				// A failed write reaches the client under test as a failure, which the test then reports.
				_, _ = io.WriteString(w, tt.body)
			}))
			defer srv.Close()
			s, err := NewClient(srv.URL, "wx0123456789abcdef", "the-secret").Code2Session(context.Background(), "c")
			if !errors.Is(err, tt.want) {
				t.Fatalf("error = %v, want %v", err, tt.want)
			}
			if err == nil && (s.OpenID != "o1" || s.UnionID != "u1" || string(s.SessionKey) != "k") {
				t.Fatalf("session = %+v", s)
			}
		})
	}
}

func TestUnreachableErrorHidesSecret(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close()
	_, err := NewClient(url, "wx0123456789abcdef", "the-secret").Code2Session(context.Background(), "c")
	if !errors.Is(err, ErrUnavailable) || strings.Contains(err.Error(), "the-secret") {
		t.Fatalf("error = %v", err)
	}
}

func TestSessionKeyIsRedacted(t *testing.T) {
	s := Session{OpenID: "o", SessionKey: "very-secret"}
	for _, out := range []string{fmt.Sprint(s), fmt.Sprintf("%+v", s), fmt.Sprintf("%#v", s)} {
		if strings.Contains(out, "very-secret") {
			t.Errorf("formatted session reveals the key: %s", out)
		}
	}
}
