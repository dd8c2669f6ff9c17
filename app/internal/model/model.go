// Package model holds the app's domain types.
package model

import (
	"errors"
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
)
