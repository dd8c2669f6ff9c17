// Package service holds the app's use cases: logging in with WeChat and reading and editing profiles.
package service

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/wechat-deploy/wechat-deploy/app/internal/model"
	"github.com/wechat-deploy/wechat-deploy/app/internal/repository"
	"github.com/wechat-deploy/wechat-deploy/app/internal/token"
	"github.com/wechat-deploy/wechat-deploy/app/internal/wechat"
)

// ValidationError is a bad input field.
type ValidationError struct {
	Field, Message string
}

func (e *ValidationError) Error() string { return e.Field + ": " + e.Message }

// Sessions exchanges login codes; *wechat.Client implements it.
type Sessions interface {
	Code2Session(ctx context.Context, code string) (wechat.Session, error)
}

// Auth logs users in.
type Auth struct {
	Sessions Sessions
	Users    repository.Users
	Tokens   *token.Manager
}

// LoginResult is a successful login.
type LoginResult struct {
	Token     string
	ExpiresAt time.Time
	User      model.User
	Created   bool
}

// maxCodeLen bounds the wx.login code (WeChat's are 32 characters).
const maxCodeLen = 128

// Login exchanges a wx.login code for a session token, creating the user on first login. The WeChat session
// key is dropped here: nothing in this app needs it, and a key that is never kept cannot leak.
func (a *Auth) Login(ctx context.Context, code string) (LoginResult, error) {
	code = strings.TrimSpace(code)
	if code == "" || len(code) > maxCodeLen || strings.ContainsFunc(code, func(r rune) bool { return r <= ' ' || r > '~' }) {
		return LoginResult{}, &ValidationError{Field: "code", Message: "must be the code from wx.login"}
	}
	sess, err := a.Sessions.Code2Session(ctx, code)
	if err != nil {
		return LoginResult{}, err
	}
	u, created, err := a.Users.UpsertByOpenID(ctx, sess.OpenID, sess.UnionID)
	if err != nil {
		return LoginResult{}, fmt.Errorf("saving user: %w", err)
	}
	tok, exp, err := a.Tokens.Issue(u.ID)
	if err != nil {
		return LoginResult{}, err
	}
	return LoginResult{Token: tok, ExpiresAt: exp, User: u, Created: created}, nil
}

// Users reads and edits profiles.
type Users struct {
	Repo repository.Users
}

// Get returns a user.
func (s *Users) Get(ctx context.Context, id int64) (model.User, error) {
	if id <= 0 {
		return model.User{}, model.ErrNotFound
	}
	return s.Repo.Get(ctx, id)
}

// Profile limits.
const (
	MaxNicknameRunes = 32
	MaxAvatarURLLen  = 512
)

// Update validates and applies a profile change.
func (s *Users) Update(ctx context.Context, id int64, up model.UserUpdate) (model.User, error) {
	if up.Nickname == nil && up.AvatarURL == nil {
		return model.User{}, &ValidationError{Field: "body", Message: "set nickname and/or avatarUrl"}
	}
	if up.Nickname != nil {
		n := strings.TrimSpace(*up.Nickname)
		if err := ValidateNickname(n); err != nil {
			return model.User{}, err
		}
		up.Nickname = &n
	}
	if up.AvatarURL != nil {
		if err := ValidateAvatarURL(*up.AvatarURL); err != nil {
			return model.User{}, err
		}
	}
	return s.Repo.Update(ctx, id, up)
}

// ValidateNickname accepts 1 to 32 printable characters (any script, emoji included).
func ValidateNickname(n string) error {
	switch {
	case !utf8.ValidString(n):
		return &ValidationError{Field: "nickname", Message: "is not valid UTF-8"}
	case n == "":
		return &ValidationError{Field: "nickname", Message: "must not be empty"}
	case utf8.RuneCountInString(n) > MaxNicknameRunes:
		return &ValidationError{Field: "nickname", Message: fmt.Sprintf("must be at most %d characters", MaxNicknameRunes)}
	case strings.ContainsFunc(n, func(r rune) bool { return unicode.IsControl(r) || r == '\u200b' || r == '\ufeff' }):
		return &ValidationError{Field: "nickname", Message: "must not contain control or invisible characters"}
	}
	return nil
}

// ValidateAvatarURL accepts an https URL with a host, at most 512 bytes (WeChat serves avatars over https).
func ValidateAvatarURL(raw string) error {
	if len(raw) > MaxAvatarURLLen {
		return &ValidationError{Field: "avatarUrl", Message: fmt.Sprintf("must be at most %d bytes", MaxAvatarURLLen)}
	}
	u, err := url.Parse(raw)
	if err != nil || u.Scheme != "https" || u.Host == "" || u.User != nil || strings.ContainsAny(raw, " \t\r\n") {
		return &ValidationError{Field: "avatarUrl", Message: "must be an https URL"}
	}
	return nil
}

// IsValidation reports whether err is a validation error, returning it.
func IsValidation(err error) (*ValidationError, bool) {
	var v *ValidationError
	ok := errors.As(err, &v)
	return v, ok
}
