// Package wechat is a client for the WeChat Mini Program login API (sns/jscode2session).
package wechat

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"
)

// Errors a login can end with; callers map them to HTTP statuses.
var (
	// ErrInvalidCode: the code is wrong, expired or already used (the client must call wx.login again).
	ErrInvalidCode = errors.New("wechat: invalid or used login code")
	// ErrRateLimited: WeChat throttles this app.
	ErrRateLimited = errors.New("wechat: rate limited")
	// ErrBlocked: WeChat refuses this user (high-risk account).
	ErrBlocked = errors.New("wechat: user blocked by WeChat")
	// ErrUnavailable: WeChat is down, busy or answered something unreadable.
	ErrUnavailable = errors.New("wechat: service unavailable")
	// ErrMisconfigured: WeChat rejects the app's credentials (AppID/AppSecret).
	ErrMisconfigured = errors.New("wechat: app credentials rejected")
)

// Session is what a login yields. SessionKey is a secret WeChat shares with this server only; it never leaves
// the server and is never logged (its String method hides it).
type Session struct {
	OpenID     string
	UnionID    string
	SessionKey SecretString
}

// SecretString is a string that prints as [redacted] in logs and fmt output.
type SecretString string

// String hides the value.
func (SecretString) String() string { return "[redacted]" }

// GoString hides the value from %#v.
func (SecretString) GoString() string { return "[redacted]" }

// MarshalJSON hides the value from JSON encoders (and so from structured logs).
func (SecretString) MarshalJSON() ([]byte, error) { return []byte(`"[redacted]"`), nil }

// Client calls the WeChat API.
type Client struct {
	// BaseURL is https://api.weixin.qq.com in production; tests point it at a fake.
	BaseURL   string
	AppID     string
	AppSecret string
	HTTP      *http.Client
	// Tracer, when set, records each call as a client span (SpanName), a child of the caller's span. The call
	// carries no trace headers: WeChat is a third party, and the app's trace IDs are not its business.
	Tracer trace.Tracer
}

// SpanName is the name of the span a traced Code2Session records.
const SpanName = "wechat jscode2session"

// NewClient returns a client with a bounded timeout.
func NewClient(baseURL, appID, appSecret string) *Client {
	return &Client{
		BaseURL: strings.TrimRight(baseURL, "/"), AppID: appID, AppSecret: appSecret,
		HTTP: &http.Client{Timeout: 5 * time.Second},
	}
}

type codeResponse struct {
	OpenID     string `json:"openid"`
	UnionID    string `json:"unionid"`
	SessionKey string `json:"session_key"`
	ErrCode    int    `json:"errcode"`
	ErrMsg     string `json:"errmsg"`
}

// Code2Session exchanges a wx.login code for the user's openid (and unionid, session key).
func (c *Client) Code2Session(ctx context.Context, code string) (Session, error) {
	if c.Tracer == nil {
		s, _, err := c.code2Session(ctx, code)
		return s, err
	}
	ctx, span := c.Tracer.Start(ctx, SpanName, trace.WithSpanKind(trace.SpanKindClient), trace.WithAttributes(c.spanAttributes()...))
	defer span.End()
	s, a, err := c.code2Session(ctx, code)
	if a.status != 0 {
		span.SetAttributes(attribute.Int("http.response.status_code", a.status))
	}
	if a.errcode != 0 {
		span.SetAttributes(attribute.Int("wechat.errcode", a.errcode))
	}
	if err != nil {
		// Only the sentinel's text: the error's own may name network addresses. (It never carries the URL,
		// which holds the secret and the code: code2Session strips it.)
		kind := errorKind(err)
		span.SetAttributes(attribute.String("error.type", kind.Error()))
		span.SetStatus(codes.Error, kind.Error())
	}
	return s, err
}

// spanAttributes describe the call without its URL, whose query carries the AppSecret and the login code.
func (c *Client) spanAttributes() []attribute.KeyValue {
	attrs := []attribute.KeyValue{
		attribute.String("http.request.method", http.MethodGet), attribute.String("url.template", "/sns/jscode2session"),
		attribute.String("peer.service", "wechat"),
	}
	if u, err := url.Parse(c.BaseURL); err == nil {
		attrs = append(attrs, attribute.String("server.address", u.Hostname()))
		if p, err := strconv.Atoi(u.Port()); err == nil {
			attrs = append(attrs, attribute.Int("server.port", p))
		}
	}
	return attrs
}

// errorKind is the sentinel err wraps (ErrUnavailable for anything else).
func errorKind(err error) error {
	for _, kind := range []error{ErrInvalidCode, ErrRateLimited, ErrBlocked, ErrMisconfigured} {
		if errors.Is(err, kind) {
			return kind
		}
	}
	return ErrUnavailable
}

// answer is what a span records of WeChat's answer: the HTTP status and WeChat's errcode (0 when none).
type answer struct{ status, errcode int }

// code2Session is Code2Session without the span.
func (c *Client) code2Session(ctx context.Context, code string) (Session, answer, error) {
	var a answer
	q := url.Values{
		"appid": {c.AppID}, "secret": {c.AppSecret}, "js_code": {code}, "grant_type": {"authorization_code"},
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.BaseURL+"/sns/jscode2session?"+q.Encode(), nil)
	if err != nil {
		return Session{}, a, fmt.Errorf("%w: building request: %w", ErrUnavailable, err)
	}
	resp, err := c.HTTP.Do(req)
	if err != nil {
		// The URL carries the secret; report the failure without it.
		var uerr *url.Error
		if errors.As(err, &uerr) {
			err = uerr.Err
		}
		return Session{}, a, fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	// A response body is read-only: closing it frees the connection, and its error cannot change the answer.
	defer func() { _ = resp.Body.Close() }()
	a.status = resp.StatusCode
	if resp.StatusCode >= 500 || resp.StatusCode == http.StatusTooManyRequests {
		if resp.StatusCode == http.StatusTooManyRequests {
			return Session{}, a, fmt.Errorf("%w: HTTP %d", ErrRateLimited, resp.StatusCode)
		}
		return Session{}, a, fmt.Errorf("%w: HTTP %d", ErrUnavailable, resp.StatusCode)
	}
	var r codeResponse
	if err := json.NewDecoder(io.LimitReader(resp.Body, 64<<10)).Decode(&r); err != nil {
		return Session{}, a, fmt.Errorf("%w: unreadable answer (HTTP %d)", ErrUnavailable, resp.StatusCode)
	}
	a.errcode = r.ErrCode
	switch r.ErrCode {
	case 0:
		if r.OpenID == "" {
			return Session{}, a, fmt.Errorf("%w: answer without openid", ErrUnavailable)
		}
		return Session{OpenID: r.OpenID, UnionID: r.UnionID, SessionKey: SecretString(r.SessionKey)}, a, nil
	case 40029, 40163, 40125:
		// 40029 invalid code, 40163 code already used, 40125 invalid appsecret (reported below).
		if r.ErrCode == 40125 {
			return Session{}, a, fmt.Errorf("%w: errcode %d", ErrMisconfigured, r.ErrCode)
		}
		return Session{}, a, fmt.Errorf("%w: errcode %d", ErrInvalidCode, r.ErrCode)
	case 45011:
		return Session{}, a, fmt.Errorf("%w: errcode %d", ErrRateLimited, r.ErrCode)
	case 40226:
		return Session{}, a, fmt.Errorf("%w: errcode %d", ErrBlocked, r.ErrCode)
	case 40013, 41002, 41004:
		// invalid appid, appid missing, secret missing
		return Session{}, a, fmt.Errorf("%w: errcode %d", ErrMisconfigured, r.ErrCode)
	default:
		// -1 is "system busy"; anything unknown is treated as an outage, not as the user's fault.
		return Session{}, a, fmt.Errorf("%w: errcode %d", ErrUnavailable, r.ErrCode)
	}
}
