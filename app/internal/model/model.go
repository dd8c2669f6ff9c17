// Package model holds the app's domain types.
package model

import (
	"encoding/json"
	"errors"
	"strconv"
	"time"
)

// User is a Mini Program user, identified by the openid WeChat assigns per app.
type User struct {
	ID        int64     `json:"id"`
	OpenID    string    `json:"-"` // an identifier WeChat scopes to this app; not shown to other users
	UnionID   string    `json:"-"`
	Nickname  string    `json:"nickname"`
	AvatarURL string    `json:"avatarUrl"`
	CreatedAt time.Time `json:"createdAt"`
	UpdatedAt time.Time `json:"updatedAt"`
}

// UserUpdate is a change to a user's profile; nil fields stay as they are.
type UserUpdate struct {
	Nickname  *string
	AvatarURL *string
}

// Errors shared by the layers.
var (
	// ErrNotFound is returned when a user does not exist.
	ErrNotFound = errors.New("not found")
	// ErrUnavailable wraps the failures of a store that did not answer in time or could not be reached: the
	// request may succeed if retried later, and is answered 503.
	ErrUnavailable = errors.New("store unavailable")
)

// AppendJSON appends the user's JSON (the same document encoding/json produces from the field tags) without
// reflection: user documents are the API's most frequent answer.
func (u User) AppendJSON(b []byte) []byte {
	b = append(b, `{"id":`...)
	b = strconv.AppendInt(b, u.ID, 10)
	b = append(b, `,"nickname":`...)
	b = appendString(b, u.Nickname)
	b = append(b, `,"avatarUrl":`...)
	b = appendString(b, u.AvatarURL)
	b = append(b, `,"createdAt":"`...)
	b = u.CreatedAt.AppendFormat(b, time.RFC3339Nano)
	b = append(b, `","updatedAt":"`...)
	b = u.UpdatedAt.AppendFormat(b, time.RFC3339Nano)
	return append(b, `"}`...)
}

// MarshalJSON implements json.Marshaler with AppendJSON, so embedding documents agree with it.
func (u User) MarshalJSON() ([]byte, error) { return u.AppendJSON(make([]byte, 0, 160)), nil }

// appendString appends a JSON string; encoding/json's own quoting keeps the escaping identical to the standard
// encoder (HTML-safe, invalid UTF-8 replaced).
func appendString(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' || c >= 0x80 {
			q, _ := json.Marshal(s)
			return append(b, q...)
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}
