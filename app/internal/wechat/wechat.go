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
	"strings"
	"time"
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
}

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
	q := url.Values{
		"appid": {c.AppID}, "secret": {c.AppSecret}, "js_code": {code}, "grant_type": {"authorization_code"},
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.BaseURL+"/sns/jscode2session?"+q.Encode(), nil)
	if err != nil {
		return Session{}, fmt.Errorf("%w: building request: %w", ErrUnavailable, err)
	}
	resp, err := c.HTTP.Do(req)
	if err != nil {
		// The URL carries the secret; report the failure without it.
		var uerr *url.Error
		if errors.As(err, &uerr) {
			err = uerr.Err
		}
		return Session{}, fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	// A response body is read-only: closing it frees the connection, and its error cannot change the answer.
	defer func() { _ = resp.Body.Close() }()
	if resp.StatusCode >= 500 || resp.StatusCode == http.StatusTooManyRequests {
		if resp.StatusCode == http.StatusTooManyRequests {
			return Session{}, fmt.Errorf("%w: HTTP %d", ErrRateLimited, resp.StatusCode)
		}
		return Session{}, fmt.Errorf("%w: HTTP %d", ErrUnavailable, resp.StatusCode)
	}
	var r codeResponse
	if err := json.NewDecoder(io.LimitReader(resp.Body, 64<<10)).Decode(&r); err != nil {
		return Session{}, fmt.Errorf("%w: unreadable answer (HTTP %d)", ErrUnavailable, resp.StatusCode)
	}
	switch r.ErrCode {
	case 0:
		if r.OpenID == "" {
			return Session{}, fmt.Errorf("%w: answer without openid", ErrUnavailable)
		}
		return Session{OpenID: r.OpenID, UnionID: r.UnionID, SessionKey: SecretString(r.SessionKey)}, nil
	case 40029, 40163, 40125:
		// 40029 invalid code, 40163 code already used, 40125 invalid appsecret (reported below).
		if r.ErrCode == 40125 {
			return Session{}, fmt.Errorf("%w: errcode %d", ErrMisconfigured, r.ErrCode)
		}
		return Session{}, fmt.Errorf("%w: errcode %d", ErrInvalidCode, r.ErrCode)
	case 45011:
		return Session{}, fmt.Errorf("%w: errcode %d", ErrRateLimited, r.ErrCode)
	case 40226:
		return Session{}, fmt.Errorf("%w: errcode %d", ErrBlocked, r.ErrCode)
	case 40013, 41002, 41004:
		// invalid appid, appid missing, secret missing
		return Session{}, fmt.Errorf("%w: errcode %d", ErrMisconfigured, r.ErrCode)
	default:
		// -1 is "system busy"; anything unknown is treated as an outage, not as the user's fault.
		return Session{}, fmt.Errorf("%w: errcode %d", ErrUnavailable, r.ErrCode)
	}
}
