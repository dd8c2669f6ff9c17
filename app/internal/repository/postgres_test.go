package repository_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/wechat-deploy/wechat-deploy/app/internal/model"
	"github.com/wechat-deploy/wechat-deploy/app/internal/repository"
	"github.com/wechat-deploy/wechat-deploy/app/internal/repository/repotest"
)

// postgresEnv names the PostgreSQL database the contract runs against (.ci/run and `make test` set it).
const postgresEnv = "WECHAT_TEST_POSTGRES_URL"

var schemaSeq atomic.Int64

// TestPostgresContract runs the contract against PostgreSQL, each case in a schema of its own so that cases
// neither see each other's rows nor depend on order.
func TestPostgresContract(t *testing.T) {
	base, admin := adminDB(t)
	ctx := context.Background()
	repotest.Run(t, func(t *testing.T) repository.Users {
		r, err := repository.OpenPostgres(ctx, schemaURL(t, admin, base), repository.DefaultPoolConfig)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(r.Close)
		return r
	})
}

// adminDB is the test database's URL and a connection to it that creates the tests' schemas, closed when the
// test ends; the test is skipped when postgresEnv is unset, and fails with what to do when it is set but
// PostgreSQL does not answer.
func adminDB(t *testing.T) (string, *pgx.Conn) {
	t.Helper()
	base := os.Getenv(postgresEnv)
	if base == "" {
		t.Skipf("%s is not set; `make test` sets it to the local PostgreSQL", postgresEnv)
	}
	admin, err := pgx.Connect(t.Context(), base)
	if err != nil {
		t.Fatalf("%s is set but PostgreSQL is unreachable: %v\nstart PostgreSQL on 127.0.0.1:5432 with a wechat_test database "+
			"(createdb -h 127.0.0.1 -U postgres wechat_test; .ci/run does it on Debian), or skip this suite with "+
			"make test WECHAT_TEST_POSTGRES_URL=", postgresEnv, err)
	}
	t.Cleanup(func() {
		if err := admin.Close(context.Background()); err != nil {
			t.Errorf("closing the admin connection: %v", err)
		}
	})
	return base, admin
}

// schemaURL creates a schema of its own for the test (dropped after it) and returns base pointing at it.
func schemaURL(t *testing.T, admin *pgx.Conn, base string) string {
	t.Helper()
	schema := fmt.Sprintf("repotest_%d_%d", os.Getpid(), schemaSeq.Add(1))
	if _, err := admin.Exec(t.Context(), "CREATE SCHEMA "+schema); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _, _ = admin.Exec(context.Background(), "DROP SCHEMA "+schema+" CASCADE") })
	sep := "?"
	if strings.Contains(base, "?") {
		sep = "&"
	}
	return base + sep + "search_path=" + schema
}

// TestPostgresCallsGiveUpWhenTheDatabaseStalls: with PostgreSQL frozen behind a proxy (connections open, nothing
// answered), every call returns model.ErrUnavailable once its own deadline expires instead of waiting for the
// caller's; once the database answers again, so does the store.
func TestPostgresCallsGiveUpWhenTheDatabaseStalls(t *testing.T) {
	base, admin := adminDB(t)
	r, proxy := repotest.StallablePostgres(t, schemaURL(t, admin, base))
	user, _, err := r.UpsertByOpenID(t.Context(), "o-1", "")
	if err != nil {
		t.Fatal(err)
	}

	proxy.Freeze()
	nick := "stalled"
	calls := map[string]func(ctx context.Context) error{
		"Get": func(ctx context.Context) error { _, err := r.Get(ctx, user.ID); return err },
		"Update": func(ctx context.Context) error {
			_, err := r.Update(ctx, user.ID, model.UserUpdate{Nickname: &nick})
			return err
		},
		"UpsertByOpenID": func(ctx context.Context) error { _, _, err := r.UpsertByOpenID(ctx, "o-2", ""); return err },
		"Ping":           func(ctx context.Context) error { return r.Ping(ctx) },
	}
	for name, call := range calls {
		// The caller's own deadline is only a safety net (without the store's, the call waits for it and fails
		// here with context.DeadlineExceeded instead of hanging the test).
		ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
		start := time.Now()
		err := call(ctx)
		cancel()
		t.Logf("%s on a stalled database: %v after %s", name, err, time.Since(start).Round(time.Millisecond))
		if !errors.Is(err, model.ErrUnavailable) {
			t.Errorf("%s on a stalled database = %v, want model.ErrUnavailable", name, err)
		}
	}

	proxy.Thaw()
	if got, err := r.Get(t.Context(), user.ID); err != nil || got.ID != user.ID {
		t.Fatalf("Get after the database came back = %+v, %v", got, err)
	}
}

func TestPostgresMigrationsAreIdempotent(t *testing.T) {
	base := os.Getenv(postgresEnv)
	if base == "" {
		t.Skipf("%s is not set", postgresEnv)
	}
	ctx := context.Background()
	for i := range 2 {
		r, err := repository.OpenPostgres(ctx, base, repository.DefaultPoolConfig)
		if err != nil {
			t.Fatalf("open %d: %v", i, err)
		}
		r.Close()
	}
}
