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

	"github.com/wechat-deploy/wechat-deploy/app/contract"
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

// observe wraps the router: request ID, panic recovery, rate limiting, metrics and one structured log line per
// request. It never logs bodies, query strings or headers, so tokens and codes stay out of the logs. The route
// is looked up once and handed to next with its pattern ("" when nothing matched).
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
		r = r.WithContext(ctx)

		h, pattern := s.mux.Handler(r)
		route := pattern
		if route == "" {
			route = "unmatched"
		}
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
			s.metrics.Finished(route, r.Method, status, elapsed)
			s.access.log(ctx, accessEntry{
				id: id, method: r.Method, route: route, path: r.URL.Path, status: status, bytes: rec.bytes,
				elapsed: elapsed, client: client,
			})
		}()
		if s.limiter != nil && !strings.HasPrefix(route, "GET /healthz") && !strings.HasPrefix(route, "GET /readyz") &&
			!strings.HasPrefix(route, "GET /metrics") {
			if ok, wait := s.limiter.Allow(s.limitKey(client)); !ok {
				writeError(rec, rateLimited.with("Retry-After", retryAfter(wait)))
				return
			}
		}
		next(rec, r, h, pattern)
	})
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
