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

	"golang.org/x/text/unicode/norm"

	"github.com/wechat-deploy/wechat-deploy/app/internal/model"
	"github.com/wechat-deploy/wechat-deploy/app/internal/ratelimit"
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
	// WeChatQuota bounds the calls to Sessions across all clients (every well-formed code costs one WeChat
	// call, and WeChat's quota is the app's); nil: unbounded.
	WeChatQuota *ratelimit.Bucket
}

// BusyError is a login refused because the app's budget of WeChat calls is spent for now.
type BusyError struct {
	// RetryAfter is how long until the budget has room for one more call.
	RetryAfter time.Duration
}

func (e *BusyError) Error() string {
	return "wechat call budget exhausted; retry after " + e.RetryAfter.String()
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
	if a.WeChatQuota != nil {
		if ok, wait := a.WeChatQuota.Take(); !ok {
			return LoginResult{}, &BusyError{RetryAfter: wait}
		}
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
		n := NormalizeNickname(*up.Nickname)
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

// NormalizeNickname is the nickname as stored: NFC-normalised (a decomposed "Zoe\u0308" and a composed "Zoë"
// are the same name), without leading or trailing white space.
func NormalizeNickname(n string) string {
	return strings.TrimSpace(norm.NFC.String(n))
}

// Nickname refusals; each is a fixed message.
const (
	nicknameInvisible = "must not contain control, formatting or invisible characters"
	nicknameBlank     = "must contain a visible character"
	nicknameMark      = "must not have a combining mark without a character before it"
)

// ValidateNickname accepts 1 to 32 characters (after NormalizeNickname) of any script, emoji included, by Unicode
// category. It refuses:
//   - control characters (Cc), line and paragraph separators (Zl, Zp), private-use (Co) and surrogate (Cs) code
//     points, and unassigned ones (Cn) outside the emoji blocks (where newer emoji than this Go's Unicode 15
//     tables live);
//   - format characters (Cf): direction overrides and isolates (U+202A-U+202E, U+2066-U+2069), marks (U+200E,
//     U+200F, U+061C), zero-width characters (U+200B, U+200C, U+2060, U+FEFF), the soft hyphen (U+00AD). Two
//     exceptions keep emoji whole: the zero width joiner between two symbols (U+1F469 U+200D U+1F4BB, woman
//     technologist) and tag characters after a black flag (U+1F3F4 U+E0067 ... U+E007F, flag of England);
//   - the other default-ignorable code points, letters though some are (U+3164 HANGUL FILLER, U+115F, U+1160,
//     U+FFA0, U+034F), and U+2800 BRAILLE PATTERN BLANK, which render as nothing;
//   - a combining mark (accents, variation selectors, keycaps) with no character before it;
//   - a name with no letter, number, punctuation or symbol: only spaces and marks would render blank.
func ValidateNickname(n string) error {
	switch {
	case !utf8.ValidString(n):
		return &ValidationError{Field: "nickname", Message: "is not valid UTF-8"}
	case n == "":
		return &ValidationError{Field: "nickname", Message: "must not be empty"}
	case utf8.RuneCountInString(n) > MaxNicknameRunes:
		return &ValidationError{Field: "nickname", Message: fmt.Sprintf("must be at most %d characters", MaxNicknameRunes)}
	}
	visible := false
	var prev, base rune // the previous rune, and the last one that was not a mark, modifier, joiner or tag
	for i, r := range n {
		var next rune
		if j := i + utf8.RuneLen(r); j < len(n) {
			next, _ = utf8.DecodeRuneInString(n[j:])
		}
		switch {
		case r == blankBraille || unicode.Is(unicode.Other_Default_Ignorable_Code_Point, r):
			return &ValidationError{Field: "nickname", Message: nicknameInvisible}
		case unicode.Is(unicode.Cf, r):
			joinsEmoji := r == zeroWidthJoiner && emojiLike(base) && emojiLike(next)
			flagTag := r >= tagFirst && r <= tagLast && base == blackFlag
			if !joinsEmoji && !flagTag {
				return &ValidationError{Field: "nickname", Message: nicknameInvisible}
			}
		case unicode.IsMark(r):
			if prev == 0 || unicode.Is(unicode.Zs, prev) {
				return &ValidationError{Field: "nickname", Message: nicknameMark}
			}
		case unicode.In(r, unicode.L, unicode.N, unicode.P, unicode.S):
			visible = true
			if !isEmojiModifier(r) {
				base = r
			}
		case unicode.Is(unicode.Zs, r):
			base = r
		case unicode.In(r, unicode.Cc, unicode.Co, unicode.Cs, unicode.Zl, unicode.Zp): // (unicode.C has Cn too)
			return &ValidationError{Field: "nickname", Message: nicknameInvisible}
		case emojiLike(r): // unassigned in this Go's tables, in the emoji blocks: an emoji newer than the tables
			visible, base = true, r
		default: // unassigned elsewhere
			return &ValidationError{Field: "nickname", Message: nicknameInvisible}
		}
		prev = r
	}
	if !visible {
		return &ValidationError{Field: "nickname", Message: nicknameBlank}
	}
	return nil
}

// Code points ValidateNickname treats by name.
const (
	zeroWidthJoiner = '\u200d'
	blankBraille    = '\u2800'
	blackFlag       = '\U0001f3f4'
	tagFirst        = '\U000e0020' // TAG SPACE
	tagLast         = '\U000e007f' // CANCEL TAG
	emojiFirst      = '\U0001f000' // the blocks Unicode assigns new emoji in
	emojiLast       = '\U0001faff'
)

// isEmojiModifier reports the skin tone modifiers (Sk), which belong to the emoji before them.
func isEmojiModifier(r rune) bool { return r >= '\U0001f3fb' && r <= '\U0001f3ff' }

// emojiLike reports the characters a zero width joiner may join: symbols (So), and anything in the emoji blocks
// (emoji newer than this Go's Unicode tables are unassigned there).
func emojiLike(r rune) bool {
	return unicode.Is(unicode.So, r) || r >= emojiFirst && r <= emojiLast
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
