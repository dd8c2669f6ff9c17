package handler

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/wechat-deploy/wechat-deploy/app/internal/model"
)

// apiError is one error answer: its HTTP status, the code and message of the documented body
// {"error":{"code":"…","message":"…","requestId":"…"}}, and the one header that belongs to some answers (Allow on
// a 405, Retry-After on a 429 or 503, WWW-Authenticate on a 401). Messages are the fixed texts below (or the fixed
// validation messages of package service): nothing of an error's own text, which may name addresses or Go types,
// reaches a client; handlers log it under the request ID instead. writeError is the only way an error reaches a
// client: handlers and middleware pass it one of these, and the plain-text errors of handlers the app does not own
// (the mux's 404 and 405, promhttp's 500) are translated into one by Server.foreign.
type apiError struct {
	status        int
	code, message string
	header, value string // optional: a header name and its value, set with the answer
}

// with returns e answered together with the header name: value.
func (e apiError) with(name, value string) apiError {
	e.header, e.value = name, value
	return e
}

// The fixed error answers, all in one place. Those built from the request (invalid_<field> through badRequest,
// the computed Retry-After of a 429 or login_busy 503, the Allow of a 405) start from these or from badRequest.
var (
	noEndpoint       = apiError{status: http.StatusNotFound, code: "not_found", message: "no such endpoint"}
	methodNotAllowed = apiError{status: http.StatusMethodNotAllowed, code: "method_not_allowed", message: "method not allowed"}
	noSuchUser       = apiError{status: http.StatusNotFound, code: "not_found", message: "no such user"}
	internalError    = apiError{status: http.StatusInternalServerError, code: "internal", message: "internal error"}
	rateLimited      = apiError{status: http.StatusTooManyRequests, code: "rate_limited", message: "too many requests; retry later"}
	notReady         = apiError{status: http.StatusServiceUnavailable, code: "not_ready", message: "not ready"}
	databaseDown     = apiError{status: http.StatusServiceUnavailable, code: "dependency_unavailable", message: "database unreachable"}

	tokenRequired = apiError{
		status: http.StatusUnauthorized, code: "unauthenticated", message: "a bearer token is required",
		header: "WWW-Authenticate", value: `Bearer realm="wechat-deploy"`,
	}
	tokenInvalid = apiError{
		status: http.StatusUnauthorized, code: "invalid_token", message: "the token is invalid or expired",
		header: "WWW-Authenticate", value: `Bearer realm="wechat-deploy", error="invalid_token"`,
	}

	invalidCode = apiError{
		status: http.StatusUnauthorized, code: "invalid_code",
		message: "the login code is invalid, expired or already used; call wx.login again",
	}
	userBlocked = apiError{status: http.StatusForbidden, code: "user_blocked", message: "WeChat refused this account"}
	wechatBusy  = apiError{
		status: http.StatusServiceUnavailable, code: "wechat_busy", message: "WeChat is throttling logins; retry shortly",
		header: "Retry-After", value: "2",
	}
	wechatDown = apiError{
		status: http.StatusBadGateway, code: "wechat_unavailable", message: "WeChat could not be reached; retry later",
	}
	misconfigured = apiError{status: http.StatusInternalServerError, code: "server_misconfigured", message: "login is not available"}
	// loginBusy: the app's budget of WeChat calls is spent for now (Retry-After says until when).
	loginBusy = apiError{status: http.StatusServiceUnavailable, code: "login_busy", message: "too many logins right now; retry shortly"}
	// databaseBusy: a database call missed its deadline or the database could not be reached.
	databaseBusy = apiError{
		status: http.StatusServiceUnavailable, code: "dependency_unavailable", message: "the database is unavailable; retry shortly",
		header: "Retry-After", value: "2",
	}

	// Request bodies that cannot be used, by reason.
	bodyNotJSON      = apiError{status: http.StatusBadRequest, code: "invalid_body", message: "the body must be one JSON object"}
	bodyWrongType    = apiError{status: http.StatusBadRequest, code: "invalid_body", message: "a field of the body has the wrong JSON type"}
	bodyUnknownField = apiError{status: http.StatusBadRequest, code: "invalid_body", message: "the body has a field this endpoint does not accept"}
	bodyTooLarge     = apiError{status: http.StatusBadRequest, code: "invalid_body", message: "the body is too large"}
	bodyUnreadable   = apiError{status: http.StatusBadRequest, code: "invalid_body", message: "the body could not be read"}
	bodyTimeout      = apiError{status: http.StatusRequestTimeout, code: "request_timeout", message: "the body was not received in time"}
)

// retryAfter is the Retry-After value (whole seconds, rounded up) for a wait.
func retryAfter(wait time.Duration) string {
	return strconv.Itoa(int((wait + time.Second - 1) / time.Second))
}

// badRequest is the 400 answer to an invalid input: code "invalid_<field>" ("invalid_body" for the body itself).
func badRequest(field, message string) apiError {
	return apiError{status: http.StatusBadRequest, code: "invalid_" + field, message: message}
}

// errorBody is the JSON shape of every error: {"error": {"code": "...", "message": "...", "requestId": "..."}};
// the request ID (also in the X-Request-Id header) is what to quote when reporting the error, and what the
// logged details are found by.
type errorBody struct {
	Error struct {
		Code      string `json:"code"`
		Message   string `json:"message"`
		RequestID string `json:"requestId,omitempty"`
	} `json:"error"`
}

// writeError answers e: its header (if any), the JSON headers of writeJSON, the status and the error body, which
// carries the request ID the middleware put in the X-Request-Id header.
func writeError(w http.ResponseWriter, e apiError) {
	h := w.Header()
	if e.header != "" {
		h.Set(e.header, e.value)
	}
	var b errorBody
	b.Error.Code, b.Error.Message = e.code, e.message
	if id := h["X-Request-Id"]; len(id) > 0 {
		b.Error.RequestID = id[0]
	}
	writeJSON(w, e.status, b)
}

// Canonical header values, shared: net/http only reads them.
var (
	jsonContentType = []string{"application/json; charset=utf-8"}
	noStore         = []string{"no-store"}
)

// writeJSON answers v as JSON with status; every answer, success or error, carries the same Content-Type and
// Cache-Control: no-store (answers are per user and per moment).
func writeJSON(w http.ResponseWriter, status int, v any) {
	h := w.Header()
	h["Content-Type"] = jsonContentType
	h["Cache-Control"] = noStore
	w.WriteHeader(status)
	// Write errors are the client going away: there is no one left to answer.
	_ = json.NewEncoder(w).Encode(v)
}

// writeUserJSON answers 200 with a user, the API's most frequent answer, with writeJSON's headers: appended by
// model.User's own encoder into a pooled buffer, without reflection, and without boxing the user in an interface
// (an allocation per answer).
func writeUserJSON(w http.ResponseWriter, u model.User) {
	h := w.Header()
	h["Content-Type"] = jsonContentType
	h["Cache-Control"] = noStore
	w.WriteHeader(http.StatusOK)
	bp := buffers.Get().(*[]byte)
	b := append(u.AppendJSON((*bp)[:0]), '\n')
	_, _ = w.Write(b) // a failed write is the client going away: there is no one left to answer
	*bp = b
	buffers.Put(bp)
}

// translator decides whether a foreign handler's status, given the headers it set, is an error, and which.
type translator func(status int, h http.Header) (apiError, bool)

// foreignWriter sits between a handler the app does not own and the client. It holds the handler's headers back
// until the status is known; translate then decides whether the status is an error, which writeError answers
// instead (the handler's own plain-text body is kept, up to detailLimit bytes, for the log), or not, in which
// case headers, status and body pass through. It has no Unwrap on purpose: a Flush through
// http.ResponseController would reach the client ahead of the held-back headers.
type foreignWriter struct {
	w         http.ResponseWriter
	header    http.Header
	translate translator
	status    int  // 0 until decided
	replaced  bool // the status was an error and writeError answered
	detail    []byte
}

const detailLimit = 512

func (f *foreignWriter) Header() http.Header { return f.header }

func (f *foreignWriter) WriteHeader(status int) {
	if f.status != 0 {
		return // as net/http: a second WriteHeader has no effect
	}
	if status < http.StatusOK {
		f.w.WriteHeader(status) // informational (1xx): the final status is still to come
		return
	}
	f.status = status
	if e, isErr := f.translate(status, f.header); isErr {
		f.replaced = true
		writeError(f.w, e)
		return
	}
	dst := f.w.Header()
	for k, v := range f.header {
		dst[k] = v
	}
	f.w.WriteHeader(status)
}

func (f *foreignWriter) Write(b []byte) (int, error) {
	if f.status == 0 {
		f.WriteHeader(http.StatusOK)
	}
	if f.replaced {
		if room := detailLimit - len(f.detail); room > 0 {
			f.detail = append(f.detail, b[:min(room, len(b))]...)
		}
		return len(b), nil
	}
	return f.w.Write(b)
}

// foreign serves r with h, a handler the app does not own, through a foreignWriter: translate picks which of
// its statuses are errors and how writeError answers them. A server error's own text (which may name internals)
// goes to the log instead of the client.
func (s *Server) foreign(w http.ResponseWriter, r *http.Request, h http.Handler, translate translator) {
	f := &foreignWriter{w: w, header: http.Header{}, translate: translate}
	h.ServeHTTP(f, r)
	if f.status == 0 {
		f.WriteHeader(http.StatusOK) // what net/http does for a handler that writes nothing
	}
	if f.replaced && f.status >= http.StatusInternalServerError {
		ctx := r.Context()
		s.log.ErrorContext(ctx, "handler failed", "request_id", RequestID(ctx), "status", f.status,
			"detail", string(f.detail))
	}
}

// unmatched translates the mux's answer to a request no route matches: a 405 keeps the mux's Allow header;
// anything else (its 404, or a redirect to a cleaned path that matches nothing either) is "no such endpoint".
func unmatched(status int, h http.Header) (apiError, bool) {
	if status == http.StatusMethodNotAllowed {
		return methodNotAllowed.with("Allow", h.Get("Allow")), true
	}
	return noEndpoint, true
}

// failure translates the error statuses of a handler the app mounts (promhttp answers a failed gather with a
// plain-text 500 carrying the collectors' errors) into the internal error, keeping the status; the handler's text
// goes to the log, not to the client.
func failure(status int, _ http.Header) (apiError, bool) {
	if status < http.StatusBadRequest {
		return apiError{}, false
	}
	e := internalError
	e.status = status
	return e, true
}

// errBadBody is wrapped by every body decoding failure; errNotOneValue and errUnknownField name two of them.
var (
	errBadBody      = errors.New("invalid body")
	errNotOneValue  = errors.New("more than one JSON value")
	errUnknownField = errors.New("unknown field")
)

// decodeBody reads exactly one JSON object of at most limit bytes, rejecting unknown fields. On failure it returns
// the fixed answer for the reason (see bodyAnswer) and the error with its details, for the log.
func decodeBody(w http.ResponseWriter, r *http.Request, limit int64, dst any) (apiError, error) {
	r.Body = http.MaxBytesReader(w, r.Body, limit)
	if err := decode(r.Body, dst); err != nil {
		return bodyAnswer(err), err
	}
	return apiError{}, nil
}

// decode is the body decoder without the size limit (which needs a ResponseWriter); fuzz targets call it. Its
// errors wrap errBadBody and the decoder's or reader's own error.
func decode(body io.Reader, dst any) error {
	dec := json.NewDecoder(body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		if strings.HasPrefix(err.Error(), "json: unknown field ") { // encoding/json has no type for this one
			return fmt.Errorf("%w: %w: %w", errBadBody, errUnknownField, err)
		}
		return fmt.Errorf("%w: %w", errBadBody, err)
	}
	if dec.More() {
		return fmt.Errorf("%w: %w", errBadBody, errNotOneValue)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		if err == nil {
			err = errNotOneValue
		}
		return fmt.Errorf("%w: %w", errBadBody, err)
	}
	return nil
}

// bodyAnswer is the fixed answer to a body decode failed with: the error's own text (a reader's names the
// server's address, a type error the Go type) stays out of it.
func bodyAnswer(err error) apiError {
	var typeErr *json.UnmarshalTypeError
	var netErr net.Error
	switch {
	case errors.As(err, new(*http.MaxBytesError)):
		return bodyTooLarge
	case errors.As(err, &typeErr):
		if typeErr.Field == "" {
			return bodyNotJSON // the body itself is not an object
		}
		return bodyWrongType
	case errors.Is(err, errUnknownField):
		return bodyUnknownField
	case errors.As(err, new(*json.SyntaxError)), errors.Is(err, errNotOneValue), errors.Is(err, io.EOF),
		errors.Is(err, io.ErrUnexpectedEOF):
		return bodyNotJSON
	case errors.As(err, &netErr) && netErr.Timeout():
		return bodyTimeout
	default:
		return bodyUnreadable
	}
}
