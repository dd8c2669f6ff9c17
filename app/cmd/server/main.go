// Command server is the WeChat Mini Program backend: WeChat login, user profiles and health on the API port,
// Prometheus metrics on a port of their own, and OpenTelemetry traces when an OTLP endpoint is configured.
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

	"go.opentelemetry.io/otel/trace"

	"github.com/wechat-deploy/wechat-deploy/app/contract"
	"github.com/wechat-deploy/wechat-deploy/app/internal/config"
	"github.com/wechat-deploy/wechat-deploy/app/internal/handler"
	"github.com/wechat-deploy/wechat-deploy/app/internal/metrics"
	"github.com/wechat-deploy/wechat-deploy/app/internal/ratelimit"
	"github.com/wechat-deploy/wechat-deploy/app/internal/repository"
	"github.com/wechat-deploy/wechat-deploy/app/internal/service"
	"github.com/wechat-deploy/wechat-deploy/app/internal/telemetry"
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

	tracing, err := telemetry.Setup(ctx, telemetry.Config{
		Endpoint: cfg.OTLPEndpoint, ServiceName: cfg.ServiceName, Environment: cfg.Environment,
	}, log)
	if err != nil {
		return err
	}
	if tracing != nil {
		log.Info("tracing on: spans exported over OTLP/HTTP", "endpoint", cfg.OTLPEndpoint, "service_name", cfg.ServiceName)
	}
	defer flushTraces(log, tracing)

	repo, err := openStore(ctx, cfg, log, tracing.Tracer())
	if err != nil {
		return err
	}
	defer repo.Close()
	srv, err := newServer(cfg, repo, log, os.Stdout, tracing.Tracer())
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", cfg.HTTPAddr)
	if err != nil {
		return fmt.Errorf("listening on %s: %w", cfg.HTTPAddr, err)
	}
	metricsLn, err := net.Listen("tcp", cfg.MetricsAddr)
	if err != nil {
		_ = ln.Close() // the start failed already; the listener's own close error adds nothing
		return fmt.Errorf("listening on %s (%s): %w", cfg.MetricsAddr, contract.EnvMetricsAddr, err)
	}
	return serve(ctx, log, cfg, srv, ln, metricsLn)
}

// traceFlushTimeout bounds the export of the spans still buffered at exit; it fits in the slack the workload's
// termination grace period leaves after SHUTDOWN_TIMEOUT.
const traceFlushTimeout = 3 * time.Second

// flushTraces exports the spans still buffered (tracing on), after the servers have stopped; a collector that
// cannot be reached in time costs those spans, not the exit.
func flushTraces(log *slog.Logger, tracing *telemetry.Tracing) {
	ctx, cancel := context.WithTimeout(context.Background(), traceFlushTimeout)
	defer cancel()
	if err := tracing.Shutdown(ctx); err != nil {
		log.Warn("spans lost at exit", "error", err)
	}
}

// openStore opens PostgreSQL when a database is configured, with the configured deadlines on every call (and a
// span per query when tracer is set), and keeps users in memory otherwise.
func openStore(ctx context.Context, cfg config.Config, log *slog.Logger, tracer trace.Tracer) (repository.Users, error) {
	if cfg.DatabaseURL == "" {
		log.Warn("no database configured: users are kept in memory and lost on restart")
		return repository.NewMemory(), nil
	}
	pc := repository.DefaultPoolConfig
	pc.MaxConns = cfg.DBMaxConns
	pc.CallTimeout, pc.AcquireTimeout = cfg.DBTimeout, cfg.DBAcquireTimeout
	pc.Tracer = tracer
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
// clients grouped by prefix), the per-client login limit, the app-wide budget of WeChat calls, and spans for
// requests and WeChat calls when tracer is set (nil: tracing off).
func newServer(cfg config.Config, repo repository.Users, log *slog.Logger, accessLog io.Writer, tracer trace.Tracer) (*handler.Server, error) {
	tokens, err := token.NewManager(cfg.JWTSigningKey, cfg.TokenTTL)
	if err != nil {
		return nil, fmt.Errorf("token manager: %w", err)
	}
	wx := wechat.NewClient(cfg.WeChatAPIBase, cfg.WeChatAppID, cfg.WeChatAppSecret)
	wx.Tracer = tracer
	return handler.New(handler.Deps{
		Auth: &service.Auth{
			Sessions:    wx,
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
		Tracer:         tracer,
		Propagator:     telemetry.Propagator,
	}), nil
}

// waitDrain waits out the drain delay; tests replace it to hold the drain open for as long as they need.
var waitDrain = time.Sleep

// serve runs the API server on ln and the metrics server on metricsLn until ctx ends, then turns not-ready and
// keeps serving for the drain delay, so that load balancers probing /readyz see it not ready (rather than a closed
// port) and stop sending, and only then closes the listeners and finishes the requests in flight, within what is
// left of the shutdown timeout. The metrics server stops last, so the drain can still be scraped.
func serve(ctx context.Context, log *slog.Logger, cfg config.Config, srv *handler.Server, ln, metricsLn net.Listener) error {
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
	metricsSrv := newMetricsServer(cfg.MetricsAddr, srv.MetricsHandler(), log)
	errc := make(chan error, 1)
	metricsErrc := make(chan error, 1)
	go func() { errc <- httpSrv.Serve(ln) }()
	go func() { metricsErrc <- metricsSrv.Serve(metricsLn) }()
	srv.SetReady(true)
	log.Info("listening", "addr", ln.Addr().String(), "metrics_addr", metricsLn.Addr().String())

	select {
	case err := <-errc:
		_ = metricsSrv.Close() // exiting on the API server's error, which is the one to report
		return fmt.Errorf("serving: %w", err)
	case err := <-metricsErrc:
		_ = httpSrv.Close() // exiting on the metrics server's error, which is the one to report
		return fmt.Errorf("serving metrics: %w", err)
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
		_ = metricsSrv.Close() // the drain failed already; that is the error to report
		return fmt.Errorf("draining: %w", err)
	}
	if err := metricsSrv.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("stopping the metrics server: %w", err)
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serving: %w", err)
	}
	if err := <-metricsErrc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serving metrics: %w", err)
	}
	log.Info("stopped cleanly")
	return nil
}

// newMetricsServer is the server of the metrics port: h (GET /metrics only), with timeouts that bound slow or
// idle scrapers; a scrape is one small request, so its limits are tighter than the API's.
func newMetricsServer(addr string, h http.Handler, log *slog.Logger) *http.Server {
	return &http.Server{
		Addr:              addr,
		Handler:           h,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       10 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    8 << 10,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
}
