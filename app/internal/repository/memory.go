package repository

import (
	"context"
	"sync"
	"time"

	"github.com/wechat-deploy/wechat-deploy/app/internal/model"
)

// Memory keeps users in process memory: for development and tests; everything is lost on restart.
type Memory struct {
	mu       sync.RWMutex
	nextID   int64
	byID     map[int64]model.User
	byOpenID map[string]int64
	now      func() time.Time
}

// NewMemory returns an empty in-memory store.
func NewMemory() *Memory {
	return &Memory{nextID: 1, byID: map[int64]model.User{}, byOpenID: map[string]int64{}, now: time.Now}
}

// UpsertByOpenID implements Users.
func (m *Memory) UpsertByOpenID(_ context.Context, openID, unionID string) (model.User, bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if id, ok := m.byOpenID[openID]; ok {
		u := m.byID[id]
		if unionID != "" && u.UnionID != unionID {
			u.UnionID = unionID
			u.UpdatedAt = m.now().UTC()
			m.byID[id] = u
		}
		return u, false, nil
	}
	now := m.now().UTC()
	u := model.User{ID: m.nextID, OpenID: openID, UnionID: unionID, CreatedAt: now, UpdatedAt: now}
	m.nextID++
	m.byID[u.ID] = u
	m.byOpenID[openID] = u.ID
	return u, true, nil
}

// Get implements Users.
func (m *Memory) Get(_ context.Context, id int64) (model.User, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	u, ok := m.byID[id]
	if !ok {
		return model.User{}, model.ErrNotFound
	}
	return u, nil
}

// Update implements Users.
func (m *Memory) Update(_ context.Context, id int64, up model.UserUpdate) (model.User, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	u, ok := m.byID[id]
	if !ok {
		return model.User{}, model.ErrNotFound
	}
	if up.Nickname != nil {
		u.Nickname = *up.Nickname
	}
	if up.AvatarURL != nil {
		u.AvatarURL = *up.AvatarURL
	}
	u.UpdatedAt = m.now().UTC()
	m.byID[id] = u
	return u, nil
}

// Ping implements Users; memory is always reachable.
func (m *Memory) Ping(context.Context) error { return nil }

// Close implements Users.
func (m *Memory) Close() {}
