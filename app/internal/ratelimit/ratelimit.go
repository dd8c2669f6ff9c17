// Package ratelimit is a per-client token bucket limiter with bounded memory, and a single token bucket for
// limits shared by every client.
package ratelimit

import (
	"sync"
	"time"
)

// Limiter gives each client key a bucket of Burst tokens refilled at Rate per second.
type Limiter struct {
	rate    float64
	burst   float64
	maxKeys int
	now     func() time.Time

	mu      sync.Mutex
	buckets map[string]*bucket
}

type bucket struct {
	tokens float64
	last   time.Time
}

// New returns a limiter; maxKeys bounds memory under many distinct clients (idle buckets are swept first).
func New(rate float64, burst int, maxKeys int) *Limiter {
	return &Limiter{rate: rate, burst: float64(burst), maxKeys: maxKeys, now: time.Now, buckets: map[string]*bucket{}}
}

// Allow takes a token for key, reporting whether one was available and, if not, how long until one is.
func (l *Limiter) Allow(key string) (bool, time.Duration) {
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	b, ok := l.buckets[key]
	if !ok {
		if len(l.buckets) >= l.maxKeys {
			l.sweep(now)
		}
		b = &bucket{tokens: l.burst, last: now}
		l.buckets[key] = b
	}
	return b.take(now, l.rate, l.burst)
}

// take refills b for the time since it was last used and takes a token if there is one; if not, it reports how
// long until there is.
func (b *bucket) take(now time.Time, rate, burst float64) (bool, time.Duration) {
	b.tokens = min(burst, b.tokens+max(0, now.Sub(b.last).Seconds())*rate)
	b.last = now
	if b.tokens >= 1 {
		b.tokens--
		return true, 0
	}
	return false, time.Duration((1 - b.tokens) / rate * float64(time.Second))
}

// sweep drops full (idle) buckets; if the map is still full, it drops everything, which errs on the side of
// letting clients through rather than growing without bound.
func (l *Limiter) sweep(now time.Time) {
	full := l.burst / l.rate
	for k, b := range l.buckets {
		if now.Sub(b.last).Seconds() >= full {
			delete(l.buckets, k)
		}
	}
	if len(l.buckets) >= l.maxKeys {
		l.buckets = map[string]*bucket{}
	}
}

// Bucket is one token bucket shared by all its callers: a limit on the app as a whole (its calls to WeChat), not
// per client.
type Bucket struct {
	rate, burst float64
	now         func() time.Time

	mu sync.Mutex
	b  bucket
}

// NewBucket returns a full bucket of burst tokens refilled at rate per second.
func NewBucket(rate float64, burst int) *Bucket {
	return &Bucket{rate: rate, burst: float64(burst), now: time.Now, b: bucket{tokens: float64(burst), last: time.Now()}}
}

// Take takes a token, reporting whether one was available and, if not, how long until one is.
func (b *Bucket) Take() (bool, time.Duration) {
	now := b.now()
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.take(now, b.rate, b.burst)
}
