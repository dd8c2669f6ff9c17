package main

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/wechat-deploy/wechat-deploy/app/internal/config"
	"github.com/wechat-deploy/wechat-deploy/app/internal/handler"
	"github.com/wechat-deploy/wechat-deploy/app/internal/metrics"
	"github.com/wechat-deploy/wechat-deploy/app/internal/repository"
	"github.com/wechat-deploy/wechat-deploy/app/internal/service"
	"github.com/wechat-deploy/wechat-deploy/app/internal/token"
	"github.com/wechat-deploy/wechat-deploy/app/internal/wechat"
)

// TestGracefulShutdown: on shutdown the app turns not-ready at once and finishes the request in flight.
func TestGracefulShutdown(t *testing.T) {
	slowWeChat := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(400 * time.Millisecond)
		// A failed write reaches the login under test as a WeChat failure, which the test then reports.
		_, _ = io.WriteString(w, `{"openid":"o1","session_key":"k"}`)
	}))
	defer slowWeChat.Close()
	tokens, _ := token.NewManager([]byte(strings.Repeat("k", 32)), time.Hour)
	repo := repository.NewMemory()
	srv := handler.New(handler.Deps{
		Auth:  &service.Auth{Sessions: wechat.NewClient(slowWeChat.URL, "wx0123456789abcdef", "s"), Users: repo, Tokens: tokens},
		Users: &service.Users{Repo: repo}, Tokens: tokens, Repo: repo, Metrics: metrics.NewHTTP(),
		Log: slog.New(slog.DiscardHandler),
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	metricsLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + ln.Addr().String()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- serve(ctx, slog.New(slog.DiscardHandler), config.Config{ShutdownTimeout: 5 * time.Second}, srv, ln, metricsLn)
	}()
	waitFor(t, base+"/readyz", 200)

	inflight := make(chan int, 1)
	go func() {
		resp, err := http.Post(base+"/api/v1/auth/login", "application/json", strings.NewReader(`{"code":"c"}`))
		if err != nil {
			inflight <- -1
			return
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		if err := resp.Body.Close(); err != nil {
			t.Errorf("closing the in-flight response: %v", err)
		}
		inflight <- resp.StatusCode
	}()
	time.Sleep(100 * time.Millisecond) // the login is now waiting on WeChat
	cancel()
	if status := <-inflight; status != 200 {
		t.Fatalf("in-flight request ended with %d, want 200", status)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("serve() = %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("server did not stop")
	}
	if resp, err := http.Get(base + "/healthz"); err == nil {
		_ = resp.Body.Close() // the test fails either way
		t.Fatal("server still accepting after shutdown")
	}
}

func waitFor(t *testing.T, url string, status int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		if resp, err := http.Get(url); err == nil {
			if err := resp.Body.Close(); err != nil {
				t.Fatalf("closing the response of %s: %v", url, err)
			}
			if resp.StatusCode == status {
				return
			}
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("%s never answered %d", url, status)
}
