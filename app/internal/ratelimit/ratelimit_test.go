package ratelimit

import (
	"fmt"
	"testing"
	"time"
)

func TestBucket(t *testing.T) {
	now := time.Unix(1000, 0)
	l := New(2, 3, 100)
	l.now = func() time.Time { return now }
	for i := range 3 {
		if ok, _ := l.Allow("a"); !ok {
			t.Fatalf("request %d refused within burst", i)
		}
	}
	ok, wait := l.Allow("a")
	if ok || wait != 500*time.Millisecond {
		t.Fatalf("fourth request = %v, wait %v; want refused, 500ms", ok, wait)
	}
	if ok, _ := l.Allow("b"); !ok {
		t.Fatal("other client limited")
	}
	now = now.Add(500 * time.Millisecond)
	if ok, _ := l.Allow("a"); !ok {
		t.Fatal("token not refilled")
	}
}

func TestBoundedKeys(t *testing.T) {
	now := time.Unix(1000, 0)
	l := New(1, 1, 10)
	l.now = func() time.Time { return now }
	for i := range 1000 {
		l.Allow(fmt.Sprint(i))
		if len(l.buckets) > 10 {
			t.Fatalf("%d buckets after %d keys", len(l.buckets), i+1)
		}
	}
}

// TestGlobalBucket: one bucket for every caller, refilled at its rate, reporting the wait when empty.
func TestGlobalBucket(t *testing.T) {
	now := time.Unix(1000, 0)
	b := NewBucket(0.5, 2)
	b.now = func() time.Time { return now }
	b.b.last = now
	for i := range 2 {
		if ok, _ := b.Take(); !ok {
			t.Fatalf("take %d refused within the burst", i)
		}
	}
	if ok, wait := b.Take(); ok || wait != 2*time.Second {
		t.Fatalf("third take = %v, wait %s; want refused, 2s", ok, wait)
	}
	now = now.Add(2 * time.Second)
	if ok, _ := b.Take(); !ok {
		t.Fatal("token not refilled")
	}
	now = now.Add(-time.Hour) // a clock stepping back refills nothing and takes nothing
	if ok, wait := b.Take(); ok || wait != 2*time.Second {
		t.Fatalf("after the clock stepped back = %v, %s", ok, wait)
	}
}
