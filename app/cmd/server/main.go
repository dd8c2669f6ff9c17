// Command server is the WeChat Mini Program backend: WeChat login, user profiles, health and metrics.
package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/wechat-deploy/wechat-deploy/app/internal/config"
	"github.com/wechat-deploy/wechat-deploy/app/internal/handler"
	"github.com/wechat-deploy/wechat-deploy/app/internal/metrics"
	"github.com/wechat-deploy/wechat-deploy/app/internal/ratelimit"
	"github.com/wechat-deploy/wechat-deploy/app/internal/repository"
	"github.com/wechat-deploy/wechat-deploy/app/internal/service"
	"github.com/wechat-deploy/wechat-deploy/app/internal/token"
	"github.com/wechat-deploy/wechat-deploy/app/internal/wechat"
)

func main() {
	log := slog.New(slog.NewJSONHandler(os.Stdout, &slog.HandlerOptions{Level: slog.LevelInfo}))
	if err := run(); err != nil {
		log.Error("server stopped", "error", err)
		os.Exit(1)
	}
}

func run() error {
	cfg, err := config.Load(config.OS)
	if err != nil {
		return err
	}
	log := slog.New(slog.NewJSONHandler(os.Stdout, &slog.HandlerOptions{Level: cfg.LogLevel})).
		With("service", "wechat-api", "environment", cfg.Environment)

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()

	var repo repository.Users
	if cfg.DatabaseURL != "" {
		pc := repository.DefaultPoolConfig
		pc.MaxConns = cfg.DBMaxConns
		openCtx, cancel := context.WithTimeout(ctx, 30*time.Second)
		pg, err := repository.OpenPostgres(openCtx, cfg.DatabaseURL, pc)
		cancel()
		if err != nil {
			return err
		}
		repo = pg
		log.Info("users stored in PostgreSQL")
	} else {
		repo = repository.NewMemory()
		log.Warn("no database configured: users are kept in memory and lost on restart")
	}
	defer repo.Close()

	tokens, err := token.NewManager(cfg.JWTSigningKey, cfg.TokenTTL)
	if err != nil {
		return fmt.Errorf("token manager: %w", err)
	}
	srv := handler.New(handler.Deps{
		Auth: &service.Auth{
			Sessions: wechat.NewClient(cfg.WeChatAPIBase, cfg.WeChatAppID, cfg.WeChatAppSecret),
			Users:    repo, Tokens: tokens,
		},
		Users:        &service.Users{Repo: repo},
		Tokens:       tokens,
		Repo:         repo,
		Metrics:      metrics.NewHTTP(),
		Limiter:      ratelimit.New(cfg.RateLimitRPS, cfg.RateLimitBurst, 100_000),
		Log:          log,
		AccessLog:    os.Stdout,
		MaxBodyBytes: cfg.MaxBodyBytes,
	})
	ln, err := net.Listen("tcp", cfg.HTTPAddr)
	if err != nil {
		return fmt.Errorf("listening on %s: %w", cfg.HTTPAddr, err)
	}
	return serve(ctx, log, cfg, srv, ln)
}

// serve runs the HTTP server until ctx ends, then turns not-ready and drains in-flight requests for up to the
// configured shutdown timeout.
func serve(ctx context.Context, log *slog.Logger, cfg config.Config, srv *handler.Server, ln net.Listener) error {
	httpSrv := &http.Server{
		Addr:              cfg.HTTPAddr,
		Handler:           srv.Handler(),
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       15 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    32 << 10,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	errc := make(chan error, 1)
	go func() { errc <- httpSrv.Serve(ln) }()
	srv.SetReady(true)
	log.Info("listening", "addr", ln.Addr().String())

	select {
	case err := <-errc:
		return fmt.Errorf("serving: %w", err)
	case <-ctx.Done():
	}
	srv.SetReady(false)
	log.Info("shutting down: draining in-flight requests", "timeout", cfg.ShutdownTimeout.String())
	shutdownCtx, cancel := context.WithTimeout(context.Background(), cfg.ShutdownTimeout)
	defer cancel()
	if err := httpSrv.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("draining: %w", err)
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	log.Info("stopped cleanly")
	return nil
}
