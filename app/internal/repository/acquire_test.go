package repository

import (
	"context"
	"errors"
	"os"
	"testing"
	"time"

	"github.com/wechat-deploy/wechat-deploy/app/internal/model"
)

// TestPostgresAcquisitionHasADeadline: with every pooled connection taken, a call gives up once the acquisition
// deadline expires, as model.ErrUnavailable, instead of queueing for as long as its caller waits.
func TestPostgresAcquisitionHasADeadline(t *testing.T) {
	base := os.Getenv("WECHAT_TEST_POSTGRES_URL")
	if base == "" {
		t.Skip("WECHAT_TEST_POSTGRES_URL is not set")
	}
	pc := DefaultPoolConfig
	pc.MaxConns, pc.MinConns = 1, 0
	pc.CallTimeout, pc.AcquireTimeout = 5*time.Second, 100*time.Millisecond
	p, err := OpenPostgres(t.Context(), base, pc)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	held, err := p.pool.Acquire(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	defer held.Release()
	// A safety net only: without the acquisition deadline the call waits for this one and fails below.
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	_, err = p.Get(ctx, 1)
	if !errors.Is(err, model.ErrUnavailable) || !errors.Is(err, errAcquireTimeout) {
		t.Fatalf("Get with the pool exhausted = %v, want the acquisition timeout (model.ErrUnavailable)", err)
	}
}
