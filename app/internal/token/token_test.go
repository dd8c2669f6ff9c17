package token

import (
	"errors"
	"strings"
	"testing"
	"time"
)

var key = []byte("0123456789abcdef0123456789abcdef-test")

func TestIssueVerify(t *testing.T) {
	m, err := NewManager(key, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	tok, exp, err := m.Issue(42)
	if err != nil {
		t.Fatal(err)
	}
	if d := time.Until(exp); d < 59*time.Minute || d > time.Hour {
		t.Errorf("expiry in %s", d)
	}
	id, err := m.Verify(tok)
	if err != nil || id != 42 {
		t.Fatalf("Verify = %d, %v", id, err)
	}
}

func TestVerifyRejects(t *testing.T) {
	m, _ := NewManager(key, time.Hour)
	good, _, _ := m.Issue(7)
	now := time.Now()
	restore := SetClock(m, func() time.Time { return now.Add(-3 * time.Hour) })
	old, _, _ := m.Issue(7)
	restore()
	future := SetClock(m, func() time.Time { return now.Add(time.Hour) })
	early, _, _ := m.Issue(7)
	future()
	other, _ := NewManager([]byte(strings.Repeat("z", 32)), time.Hour)
	foreign, _, _ := other.Issue(7)
	parts := strings.Split(good, ".")
	tests := map[string]string{
		"empty":       "",
		"garbage":     "not.a.token",
		"expired":     old,
		"not yet":     early,
		"foreign key": foreign,
		"tampered":    parts[0] + "." + parts[1] + "A." + parts[2],
		"alg none":    "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.eyJpc3MiOiJ3ZWNoYXQtZGVwbG95Iiwic3ViIjoiNyIsImV4cCI6OTk5OTk5OTk5OX0.",
		"huge":        strings.Repeat("a", 5000),
	}
	for name, tok := range tests {
		t.Run(name, func(t *testing.T) {
			if _, err := m.Verify(tok); !errors.Is(err, ErrInvalid) {
				t.Fatalf("Verify() error = %v, want ErrInvalid", err)
			}
		})
	}
}

func TestNewManagerRejectsShortKey(t *testing.T) {
	if _, err := NewManager([]byte("short"), time.Hour); err == nil {
		t.Fatal("short key accepted")
	}
	if _, err := NewManager(key, 0); err == nil {
		t.Fatal("zero lifetime accepted")
	}
}

// FuzzVerify: no input panics, and only the manager's own tokens verify.
func FuzzVerify(f *testing.F) {
	m, _ := NewManager(key, time.Hour)
	good, _, _ := m.Issue(1)
	f.Add(good)
	f.Add("")
	f.Add("a.b.c")
	f.Add("eyJhbGciOiJub25lIn0.eyJzdWIiOiIxIn0.")
	f.Add("eyJhbGciOiJIUzI1NiJ9.e30.")
	f.Fuzz(func(t *testing.T, raw string) {
		id, err := m.Verify(raw)
		if err == nil && (id <= 0 || raw != good && !strings.HasPrefix(raw, "eyJ")) {
			t.Fatalf("accepted %q as user %d", raw, id)
		}
	})
}

// TestCachedTokenStillExpires: a token verified once is not accepted after its expiry.
func TestCachedTokenStillExpires(t *testing.T) {
	m, _ := NewManager(key, time.Minute)
	tok, _, _ := m.Issue(9)
	if _, err := m.Verify(tok); err != nil {
		t.Fatal(err)
	}
	if id, err := m.Verify(tok); err != nil || id != 9 {
		t.Fatalf("cached verify = %d, %v", id, err)
	}
	defer SetClock(m, func() time.Time { return time.Now().Add(2 * time.Minute) })()
	if _, err := m.Verify(tok); !errors.Is(err, ErrInvalid) {
		t.Fatalf("expired cached token accepted: %v", err)
	}
}

func TestCacheIsBounded(t *testing.T) {
	m, _ := NewManager(key, time.Hour)
	for i := range maxCachedTokens + 10 {
		tok, _, _ := m.Issue(int64(i + 1))
		if _, err := m.Verify(tok); err != nil {
			t.Fatal(err)
		}
	}
	if n := len(m.cache.entries); n > maxCachedTokens {
		t.Fatalf("%d cached tokens", n)
	}
}
