// Package repository stores users: an interface with a PostgreSQL implementation and an in-memory one for
// running without a database. Both pass the same contract tests (package repotest).
package repository

import (
	"context"

	"github.com/wechat-deploy/wechat-deploy/app/internal/model"
)

// Users is the user store.
type Users interface {
	// UpsertByOpenID returns the user with the openid, creating it when new (created reports which).
	UpsertByOpenID(ctx context.Context, openID, unionID string) (user model.User, created bool, err error)
	// Get returns a user by ID, or model.ErrNotFound.
	Get(ctx context.Context, id int64) (model.User, error)
	// Update applies a profile change and returns the updated user, or model.ErrNotFound.
	Update(ctx context.Context, id int64, u model.UserUpdate) (model.User, error)
	// Ping reports whether the store is reachable (readiness).
	Ping(ctx context.Context) error
	// Close releases the store's resources.
	Close()
}
