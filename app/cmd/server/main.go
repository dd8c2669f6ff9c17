// Command server is the WeChat Mini Program backend: WeChat login, user profiles, health and metrics.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
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

	repo, err := openStore(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer repo.Close()
	srv, err := newServer(cfg, repo, log, os.Stdout)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", cfg.HTTPAddr)
	if err != nil {
		return fmt.Errorf("listening on %s: %w", cfg.HTTPAddr, err)
	}
	return serve(ctx, log, cfg, srv, ln)
}

// openStore opens PostgreSQL when a database is configured, with the configured deadlines on every call, and
// keeps users in memory otherwise.
func openStore(ctx context.Context, cfg config.Config, log *slog.Logger) (repository.Users, error) {
	if cfg.DatabaseURL == "" {
		log.Warn("no database configured: users are kept in memory and lost on restart")
		return repository.NewMemory(), nil
	}
	pc := repository.DefaultPoolConfig
	pc.MaxConns = cfg.DBMaxConns
	pc.CallTimeout, pc.AcquireTimeout = cfg.DBTimeout, cfg.DBAcquireTimeout
	openCtx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	pg, err := repository.OpenPostgres(openCtx, cfg.DatabaseURL, pc)
	if err != nil {
		return nil, err
	}
	log.Info("users stored in PostgreSQL")
	return pg, nil
}

// newServer assembles the HTTP layer as the configuration says: trusted proxies, the per-client limits (IPv6
// clients grouped by prefix), the per-client login limit and the app-wide budget of WeChat calls.
func newServer(cfg config.Config, repo repository.Users, log *slog.Logger, accessLog io.Writer) (*handler.Server, error) {
	tokens, err := token.NewManager(cfg.JWTSigningKey, cfg.TokenTTL)
	if err != nil {
		return nil, fmt.Errorf("token manager: %w", err)
	}
	return handler.New(handler.Deps{
		Auth: &service.Auth{
			Sessions:    wechat.NewClient(cfg.WeChatAPIBase, cfg.WeChatAppID, cfg.WeChatAppSecret),
			Users:       repo,
			Tokens:      tokens,
			WeChatQuota: ratelimit.NewBucket(cfg.WeChatRateLimitRPS, cfg.WeChatRateLimitBurst),
		},
		Users:          &service.Users{Repo: repo},
		Tokens:         tokens,
		Repo:           repo,
		Metrics:        metrics.NewHTTP(),
		Limiter:        ratelimit.New(cfg.RateLimitRPS, cfg.RateLimitBurst, 100_000),
		LoginLimiter:   ratelimit.New(cfg.LoginRateLimitRPS, cfg.LoginRateLimitBurst, 100_000),
		IPv6PrefixBits: cfg.RateLimitIPv6Prefix,
		TrustedProxies: cfg.TrustedProxies,
		Log:            log,
		AccessLog:      accessLog,
		MaxBodyBytes:   cfg.MaxBodyBytes,
	}), nil
}

// waitDrain waits out the drain delay; tests replace it to hold the drain open for as long as they need.
var waitDrain = time.Sleep

// serve runs the HTTP server until ctx ends, then turns not-ready and keeps serving for the drain delay, so that
// load balancers probing /readyz see it not ready (rather than a closed port) and stop sending, and only then
// closes the listener and finishes the requests in flight, within what is left of the shutdown timeout.
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
	if cfg.DrainDelay > 0 {
		log.Info("shutting down: not ready, still serving while load balancers notice", "drain_delay", cfg.DrainDelay.String())
		waitDrain(cfg.DrainDelay)
	}
	remaining := max(cfg.ShutdownTimeout-cfg.DrainDelay, time.Second)
	log.Info("shutting down: closing the listener, finishing in-flight requests", "timeout", remaining.String())
	shutdownCtx, cancel := context.WithTimeout(context.Background(), remaining)
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
