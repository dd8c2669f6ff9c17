// Package handler is the app's HTTP layer: routes, JSON in and out, and the middleware around them.
package handler

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/netip"
	"strconv"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"

	"github.com/wechat-deploy/wechat-deploy/app/contract"
	"github.com/wechat-deploy/wechat-deploy/app/internal/metrics"
	"github.com/wechat-deploy/wechat-deploy/app/internal/model"
	"github.com/wechat-deploy/wechat-deploy/app/internal/ratelimit"
	"github.com/wechat-deploy/wechat-deploy/app/internal/repository"
	"github.com/wechat-deploy/wechat-deploy/app/internal/service"
	"github.com/wechat-deploy/wechat-deploy/app/internal/token"
	"github.com/wechat-deploy/wechat-deploy/app/internal/wechat"
)

// Deps are what the HTTP layer needs.
type Deps struct {
	Auth    *service.Auth
	Users   *service.Users
	Tokens  *token.Manager
	Repo    repository.Users
	Metrics *metrics.HTTP
	// Limiter may be nil (no rate limiting).
	Limiter *ratelimit.Limiter
	// LoginLimiter limits login attempts per client, on top of Limiter; nil: none.
	LoginLimiter *ratelimit.Limiter
	// IPv6PrefixBits groups IPv6 clients by their first bits for the limiters (a client rotating addresses
	// within its /64 is one client); 0 means 64.
	IPv6PrefixBits int
	Log            *slog.Logger
	// MaxBodyBytes bounds request bodies.
	MaxBodyBytes int64
	// TrustedProxies forward client addresses in X-Forwarded-For; nil uses DefaultTrustedProxies, an empty
	// list trusts no proxy.
	TrustedProxies []netip.Prefix
	// AccessLog receives one JSON line per request (nil: none), at Log's level settings.
	AccessLog io.Writer
	// Tracer, when set, records a server span per request (a child of the caller's, from the traceparent header);
	// nil is tracing off, which costs a nil check per request.
	Tracer trace.Tracer
	// Propagator reads the caller's trace context when tracing is on; nil: W3C trace context and baggage (what
	// telemetry.Propagator is).
	Propagator propagation.TextMapPropagator
}

// Server serves the app's API.
type Server struct {
	auth    *service.Auth
	users   *service.Users
	tokens  *token.Manager
	repo    repository.Users
	metrics *metrics.HTTP
	limiter *ratelimit.Limiter
	logins  *ratelimit.Limiter // per-client login attempts
	v6bits  int
	log     *slog.Logger
	access  *accessLog
	maxBody int64
	trusted []netip.Prefix
	mux     *http.ServeMux
	ready   atomic.Bool
	tracer  trace.Tracer // nil: tracing off
	prop    propagation.TextMapPropagator
}

// New builds the server; it starts not ready (see SetReady).
func New(d Deps) *Server {
	s := &Server{
		auth: d.Auth, users: d.Users, tokens: d.Tokens, repo: d.Repo, metrics: d.Metrics, limiter: d.Limiter,
		logins: d.LoginLimiter, v6bits: d.IPv6PrefixBits, log: d.Log, maxBody: d.MaxBodyBytes, trusted: d.TrustedProxies,
		mux: http.NewServeMux(), access: &accessLog{w: d.AccessLog, levels: d.Log}, tracer: d.Tracer, prop: d.Propagator,
	}
	if s.prop == nil {
		s.prop = propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{})
	}
	if s.trusted == nil {
		s.trusted = DefaultTrustedProxies
	}
	if s.v6bits <= 0 || s.v6bits > 128 {
		s.v6bits = 64
	}
	if s.maxBody <= 0 {
		s.maxBody = 16 << 10
	}
	s.mux.HandleFunc("GET "+contract.PathLiveness, s.healthz)
	s.mux.HandleFunc("GET "+contract.PathReadiness, s.readyz)
	// No /metrics here: it is served on the metrics port (MetricsHandler), which the Ingress never routes to.
	s.mux.HandleFunc("POST /api/v1/auth/login", s.login)
	s.mux.HandleFunc("GET /api/v1/users/me", s.authenticated(s.getMe))
	s.mux.HandleFunc("PUT /api/v1/users/me", s.authenticated(s.putMe))
	s.mux.HandleFunc("GET /api/v1/users/{id}", s.authenticated(s.getUser))
	return s
}

// SetReady switches readiness; the app turns not ready first on shutdown so load balancers stop sending.
func (s *Server) SetReady(ready bool) { s.ready.Store(ready) }

// Handler is the server's root handler.
func (s *Server) Handler() http.Handler {
	return s.observe(func(w http.ResponseWriter, r *http.Request, h http.Handler, pattern string) {
		if pattern != "" {
			// Through the mux again: only ServeHTTP fills in path values such as {id}.
			s.mux.ServeHTTP(w, r)
			return
		}
		// The mux's own 404 and 405 are plain text; answer them in the API's JSON shape.
		s.foreign(w, r, h, unmatched)
	})
}

// MetricsHandler is the root handler of the metrics port: GET /metrics (the Prometheus exposition of the
// server's metrics) and nothing else. Its errors are the API's JSON errors: promhttp's plain-text 500 on a failed
// gather becomes the internal error (its text goes to the log), any other path is 404 and any other method 405.
// Scrapes are not counted in the request metrics nor written to the access log.
func (s *Server) MetricsHandler() http.Handler {
	mux := http.NewServeMux()
	metricsHandler := s.metrics.Handler()
	mux.HandleFunc("GET "+contract.PathMetrics, func(w http.ResponseWriter, r *http.Request) {
		s.foreign(w, r, metricsHandler, failure)
	})
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h, pattern := mux.Handler(r)
		if pattern == "" {
			// The mux's own 404 and 405 are plain text; answer them in the API's JSON shape.
			s.foreign(w, r, h, unmatched)
			return
		}
		h.ServeHTTP(w, r)
	})
}

func (s *Server) healthz(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	if !s.ready.Load() {
		writeError(w, notReady)
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), time.Second)
	defer cancel()
	if err := s.repo.Ping(ctx); err != nil {
		s.log.WarnContext(ctx, "readiness: database unreachable", "request_id", RequestID(ctx), "error", err)
		writeError(w, databaseDown)
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ready"})
}

type loginRequest struct {
	Code string `json:"code"`
}

type loginResponse struct {
	Token     string     `json:"token"`
	ExpiresAt time.Time  `json:"expiresAt"`
	NewUser   bool       `json:"newUser"`
	User      model.User `json:"user"`
}

func (s *Server) login(w http.ResponseWriter, r *http.Request) {
	if s.logins != nil {
		if ok, wait := s.logins.Allow(s.limitKey(clientIP(r, s.trusted))); !ok {
			writeError(w, rateLimited.with("Retry-After", retryAfter(wait)))
			return
		}
	}
	var req loginRequest
	if answer, err := decodeBody(w, r, s.maxBody, &req); err != nil {
		s.badBody(w, r, answer, err)
		return
	}
	res, err := s.auth.Login(r.Context(), req.Code)
	if err != nil {
		s.loginError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, loginResponse{Token: res.Token, ExpiresAt: res.ExpiresAt.UTC(), NewUser: res.Created, User: res.User})
}

func (s *Server) loginError(w http.ResponseWriter, r *http.Request, err error) {
	ctx := r.Context()
	if v, ok := service.IsValidation(err); ok {
		writeError(w, badRequest(v.Field, v.Error()))
		return
	}
	if busy, ok := errors.AsType[*service.BusyError](err); ok {
		s.log.WarnContext(ctx, "login refused: the WeChat call budget is spent", "request_id", RequestID(ctx))
		writeError(w, loginBusy.with("Retry-After", retryAfter(busy.RetryAfter)))
		return
	}
	switch {
	case errors.Is(err, model.ErrUnavailable):
		s.log.WarnContext(ctx, "login: database unavailable", "request_id", RequestID(ctx), "error", err)
		writeError(w, databaseBusy)
	case errors.Is(err, wechat.ErrInvalidCode):
		writeError(w, invalidCode)
	case errors.Is(err, wechat.ErrBlocked):
		writeError(w, userBlocked)
	case errors.Is(err, wechat.ErrRateLimited):
		writeError(w, wechatBusy)
	case errors.Is(err, wechat.ErrUnavailable):
		s.log.WarnContext(ctx, "wechat unavailable", "request_id", RequestID(ctx), "error", err)
		writeError(w, wechatDown)
	case errors.Is(err, wechat.ErrMisconfigured):
		s.log.ErrorContext(ctx, "wechat rejected the app credentials", "request_id", RequestID(ctx), "error", err)
		writeError(w, misconfigured)
	default:
		s.log.ErrorContext(ctx, "login failed", "request_id", RequestID(ctx), "error", err)
		writeError(w, internalError)
	}
}

func (s *Server) getMe(w http.ResponseWriter, r *http.Request) {
	s.writeUser(w, r, userID(r.Context()))
}

func (s *Server) getUser(w http.ResponseWriter, r *http.Request) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		writeError(w, noSuchUser)
		return
	}
	s.writeUser(w, r, id)
}

func (s *Server) writeUser(w http.ResponseWriter, r *http.Request, id int64) {
	u, err := s.users.Get(r.Context(), id)
	if err != nil {
		s.userError(w, r, err)
		return
	}
	writeUserJSON(w, u)
}

type updateRequest struct {
	Nickname  *string `json:"nickname"`
	AvatarURL *string `json:"avatarUrl"`
}

func (s *Server) putMe(w http.ResponseWriter, r *http.Request) {
	var req updateRequest
	if answer, err := decodeBody(w, r, s.maxBody, &req); err != nil {
		s.badBody(w, r, answer, err)
		return
	}
	u, err := s.users.Update(r.Context(), userID(r.Context()), model.UserUpdate{Nickname: req.Nickname, AvatarURL: req.AvatarURL})
	if err != nil {
		s.userError(w, r, err)
		return
	}
	writeUserJSON(w, u)
}

func (s *Server) userError(w http.ResponseWriter, r *http.Request, err error) {
	if v, ok := service.IsValidation(err); ok {
		writeError(w, badRequest(v.Field, v.Error()))
		return
	}
	ctx := r.Context()
	switch {
	case errors.Is(err, model.ErrNotFound):
		writeError(w, noSuchUser)
	case errors.Is(err, model.ErrUnavailable):
		s.log.WarnContext(ctx, "user request: database unavailable", "request_id", RequestID(ctx), "error", err)
		writeError(w, databaseBusy)
	default:
		s.log.ErrorContext(ctx, "user request failed", "request_id", RequestID(ctx), "error", err)
		writeError(w, internalError)
	}
}

// badBody answers a body that could not be decoded with its fixed answer; the decoder's own words go to the log.
func (s *Server) badBody(w http.ResponseWriter, r *http.Request, answer apiError, err error) {
	ctx := r.Context()
	s.log.InfoContext(ctx, "unusable request body", "request_id", RequestID(ctx), "code", answer.code, "error", err)
	writeError(w, answer)
}
