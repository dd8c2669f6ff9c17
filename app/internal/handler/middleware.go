package handler

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net"
	"net/http"
	"net/netip"
	"regexp"
	"strings"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"

	"github.com/wechat-deploy/wechat-deploy/app/contract"
	"github.com/wechat-deploy/wechat-deploy/app/internal/metrics"
)

type ctxKey struct{}

// requestInfo is what the middleware learns about a request; one context value carries it (authentication fills
// in the user), so a request allocates one context, not one per fact.
type requestInfo struct {
	id     string
	userID int64
}

// requestState is everything the middleware keeps per request, in one allocation.
type requestState struct {
	info     requestInfo
	rec      recorder
	idHeader [1]string // the X-Request-Id header's value slice
}

var requestIDPattern = regexp.MustCompile(`^[A-Za-z0-9._-]{1,64}$`)

func info(ctx context.Context) *requestInfo {
	ri, _ := ctx.Value(ctxKey{}).(*requestInfo)
	return ri
}

// RequestID returns the request's ID (empty outside a request).
func RequestID(ctx context.Context) string {
	if ri := info(ctx); ri != nil {
		return ri.id
	}
	return ""
}

func newRequestID() string {
	var b [12]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// recorder captures the status and size of a response.
type recorder struct {
	http.ResponseWriter
	status int
	bytes  int
}

func (r *recorder) WriteHeader(code int) {
	if r.status == 0 {
		r.status = code
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *recorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	n, err := r.ResponseWriter.Write(b)
	r.bytes += n
	return n, err
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (r *recorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

// clientIP is the address the request came from. Behind trusted proxies (the ingress controller or load
// balancer, by default anything in the private ranges) it is the rightmost X-Forwarded-For entry that is not a
// trusted proxy: entries further left are whatever the client chose to send.
func clientIP(r *http.Request, trusted []netip.Prefix) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	addr, err := netip.ParseAddr(host)
	if err != nil || !inAny(addr, trusted) {
		return host
	}
	hops := strings.Split(strings.Join(r.Header.Values("X-Forwarded-For"), ","), ",")
	for i := len(hops) - 1; i >= 0; i-- {
		hop, err := netip.ParseAddr(strings.TrimSpace(hops[i]))
		if err != nil {
			break
		}
		if !inAny(hop, trusted) {
			return hop.String()
		}
	}
	return host
}

func inAny(a netip.Addr, prefixes []netip.Prefix) bool {
	a = a.Unmap()
	for _, p := range prefixes {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// DefaultTrustedProxies are contract.DefaultTrustedProxies, the proxies trusted when the deployment names none:
// the private ranges load balancers and ingress controllers forward from, and loopback.
var DefaultTrustedProxies = func() []netip.Prefix {
	var out []netip.Prefix
	for _, p := range contract.DefaultTrustedProxies {
		out = append(out, netip.MustParsePrefix(p))
	}
	return out
}()

// limitKey is the key a client is rate limited by: its IPv4 address, or its IPv6 address's prefix of the
// configured length (a /64 by default: one subscriber's allocation, in which rotating addresses costs nothing).
func (s *Server) limitKey(client string) string {
	if strings.IndexByte(client, ':') < 0 {
		return client // IPv4, the common case, as it is
	}
	a, err := netip.ParseAddr(client)
	if err != nil {
		return client
	}
	a = a.WithZone("").Unmap()
	if a.Is4() {
		return a.String()
	}
	p, err := a.Prefix(s.v6bits)
	if err != nil {
		return client
	}
	return p.String()
}

// observe wraps the router: request ID, the request's span (tracing on), panic recovery, rate limiting, metrics
// and one structured log line per request (with the trace and span IDs when there are any). It never logs bodies,
// query strings or headers, so tokens and codes stay out of the logs. The route is looked up once and handed to
// next with its pattern ("" when nothing matched).
func (s *Server) observe(next func(w http.ResponseWriter, r *http.Request, h http.Handler, pattern string)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var id string
		if v := r.Header["X-Request-Id"]; len(v) > 0 && requestIDPattern.MatchString(v[0]) { // the key net/http canonicalised
			id = v[0]
		} else {
			id = newRequestID()
		}
		st := &requestState{info: requestInfo{id: id}, rec: recorder{ResponseWriter: w}, idHeader: [1]string{id}}
		w.Header()["X-Request-Id"] = st.idHeader[:]
		ri := &st.info
		ctx := context.WithValue(r.Context(), ctxKey{}, ri)

		h, pattern := s.mux.Handler(r) // the route depends on the method, host and path only, not on ctx
		route := pattern
		if route == "" {
			route = "unmatched"
		}
		// Tracing on: a server span, a child of the caller's. Off: nothing but the caller's trace context, when it
		// sent one, for the access log.
		var span trace.Span
		var sc trace.SpanContext
		if s.tracer != nil {
			ctx, span = s.startSpan(ctx, r, pattern)
			sc = span.SpanContext()
		} else if len(r.Header["Traceparent"]) > 0 {
			sc = incomingSpanContext(r.Header)
		}
		r = r.WithContext(ctx)
		rec := &st.rec
		start := time.Now()
		s.metrics.Started()
		client := clientIP(r, s.trusted)
		defer func() {
			if p := recover(); p != nil {
				s.log.ErrorContext(ctx, "panic serving request", "request_id", id, "route", route, "panic", p)
				if rec.status == 0 {
					writeError(rec, internalError)
				}
			}
			status := rec.status
			if status == 0 {
				status = http.StatusOK
			}
			elapsed := time.Since(start)
			if span != nil {
				endSpan(span, status)
			}
			s.metrics.Finished(route, r.Method, status, elapsed)
			s.access.log(ctx, accessEntry{
				id: id, method: r.Method, route: route, path: r.URL.Path, status: status, bytes: rec.bytes,
				elapsed: elapsed, client: client, trace: sc,
			})
		}()
		if s.limiter != nil && !strings.HasPrefix(route, "GET /healthz") && !strings.HasPrefix(route, "GET /readyz") {
			if ok, wait := s.limiter.Allow(s.limitKey(client)); !ok {
				writeError(rec, rateLimited.with("Retry-After", retryAfter(wait)))
				return
			}
		}
		next(rec, r, h, pattern)
	})
}

// startSpan starts the request's server span, a child of the span the caller's trace context names (if any),
// named by the route pattern ("GET /api/v1/users/{id}"), or by the method alone when no route matched (as
// OpenTelemetry's HTTP conventions say, which keeps span names few).
func (s *Server) startSpan(ctx context.Context, r *http.Request, pattern string) (context.Context, trace.Span) {
	ctx = s.prop.Extract(ctx, propagation.HeaderCarrier(r.Header))
	method := metrics.MethodLabel(r.Method)
	if method == metrics.OtherMethod {
		method = "_OTHER" // the conventions' value for a method outside the known set
	}
	name := pattern
	attrs := make([]attribute.KeyValue, 1, 2)
	attrs[0] = attribute.String("http.request.method", method)
	if pattern != "" {
		// http.route is the path template, without the method the pattern starts with.
		path := pattern
		if _, p, ok := strings.Cut(pattern, " "); ok {
			path = p
		}
		attrs = append(attrs, attribute.String("http.route", path))
	} else {
		name = method
		if method == "_OTHER" {
			name = "HTTP"
		}
	}
	return s.tracer.Start(ctx, name, trace.WithSpanKind(trace.SpanKindServer), trace.WithAttributes(attrs...))
}

// endSpan ends a request's server span with its status code; a 5xx is an error (a 4xx is the client's, not
// the server's, as the conventions say for server spans).
func endSpan(span trace.Span, status int) {
	span.SetAttributes(attribute.Int("http.response.status_code", status))
	if status >= http.StatusInternalServerError {
		span.SetStatus(codes.Error, http.StatusText(status))
	}
	span.End()
}

// incomingSpanContext is the caller's span context from the W3C traceparent header (invalid when the header is
// malformed), read with tracing off, for the access log only.
func incomingSpanContext(h http.Header) trace.SpanContext {
	return trace.SpanContextFromContext(propagation.TraceContext{}.Extract(context.Background(), propagation.HeaderCarrier(h)))
}

// authenticated requires a valid bearer token and puts its user ID into the context.
func (s *Server) authenticated(next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		raw, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if !ok || raw == "" {
			writeError(w, tokenRequired)
			return
		}
		id, err := s.tokens.Verify(strings.TrimSpace(raw))
		if err != nil {
			writeError(w, tokenInvalid)
			return
		}
		if ri := info(r.Context()); ri != nil {
			ri.userID = id
			next(w, r)
			return
		}
		// Outside the middleware (handlers used alone): carry the user in a context of its own.
		next(w, r.WithContext(context.WithValue(r.Context(), ctxKey{}, &requestInfo{userID: id})))
	}
}

func userID(ctx context.Context) int64 {
	if ri := info(ctx); ri != nil {
		return ri.userID
	}
	return 0
}
