// Package token issues and verifies the app's session tokens: HS256 JWTs whose subject is the user ID.
package token

import (
	"errors"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// Issuer is the iss claim of every token.
const Issuer = "wechat-deploy"

// MinKeyBytes is the shortest accepted signing key.
const MinKeyBytes = 32

// ErrInvalid is returned for a missing, malformed, tampered, expired or foreign token.
var ErrInvalid = errors.New("invalid token")

// Manager signs and verifies tokens.
type Manager struct {
	key    []byte
	ttl    time.Duration
	now    func() time.Time
	parser *jwt.Parser
	cache  verified
}

// verified remembers recently verified tokens: a client sends the same token on every request, and parsing and
// MACing it again is most of an authenticated request's cost. Entries are only ever added after a full
// verification and are checked against their expiry on every hit; the map is bounded.
type verified struct {
	mu      sync.RWMutex
	entries map[string]verifiedToken
}

type verifiedToken struct {
	userID int64
	exp    time.Time
}

// maxCachedTokens bounds the verified-token cache (about 400 bytes per entry).
const maxCachedTokens = 10_000

func (c *verified) get(raw string, now time.Time) (int64, bool) {
	c.mu.RLock()
	e, ok := c.entries[raw]
	c.mu.RUnlock()
	if !ok || !now.Before(e.exp) {
		return 0, false
	}
	return e.userID, true
}

func (c *verified) put(raw string, id int64, exp time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.entries == nil || len(c.entries) >= maxCachedTokens {
		c.entries = make(map[string]verifiedToken, 64)
	}
	c.entries[raw] = verifiedToken{userID: id, exp: exp}
}

// NewManager returns a manager for the key and token lifetime.
func NewManager(key []byte, ttl time.Duration) (*Manager, error) {
	if len(key) < MinKeyBytes {
		return nil, fmt.Errorf("signing key is %d bytes; at least %d are needed", len(key), MinKeyBytes)
	}
	if ttl <= 0 {
		return nil, fmt.Errorf("token lifetime %s must be positive", ttl)
	}
	m := &Manager{key: key, ttl: ttl, now: time.Now}
	m.parser = jwt.NewParser(
		jwt.WithValidMethods([]string{jwt.SigningMethodHS256.Alg()}),
		jwt.WithIssuer(Issuer),
		jwt.WithExpirationRequired(),
		jwt.WithIssuedAt(),
		jwt.WithLeeway(30*time.Second),
		jwt.WithTimeFunc(func() time.Time { return m.now() }),
	)
	return m, nil
}

// Issue returns a signed token for the user and its expiry.
func (m *Manager) Issue(userID int64) (string, time.Time, error) {
	now := m.now()
	exp := now.Add(m.ttl)
	t := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.RegisteredClaims{
		Issuer:    Issuer,
		Subject:   strconv.FormatInt(userID, 10),
		IssuedAt:  jwt.NewNumericDate(now),
		NotBefore: jwt.NewNumericDate(now),
		ExpiresAt: jwt.NewNumericDate(exp),
	})
	s, err := t.SignedString(m.key)
	if err != nil {
		return "", time.Time{}, fmt.Errorf("signing token: %w", err)
	}
	return s, exp, nil
}

// Verify checks a token and returns its user ID.
func (m *Manager) Verify(raw string) (int64, error) {
	if raw == "" || len(raw) > 4096 {
		return 0, ErrInvalid
	}
	if id, ok := m.cache.get(raw, m.now()); ok {
		return id, nil
	}
	var claims jwt.RegisteredClaims
	_, err := m.parser.ParseWithClaims(raw, &claims, func(*jwt.Token) (any, error) { return m.key, nil })
	if err != nil {
		return 0, fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	id, err := strconv.ParseInt(claims.Subject, 10, 64)
	if err != nil || id <= 0 {
		return 0, fmt.Errorf("%w: bad subject", ErrInvalid)
	}
	m.cache.put(raw, id, claims.ExpiresAt.Time)
	return id, nil
}

// SetClock replaces the manager's clock and returns a function restoring it; for tests.
func SetClock(m *Manager, now func() time.Time) (restore func()) {
	old := m.now
	m.now = now
	return func() { m.now = old }
}
