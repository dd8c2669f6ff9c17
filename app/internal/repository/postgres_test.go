package repository_test

import (
	"context"
	"fmt"
	"os"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/wechat-deploy/wechat-deploy/app/internal/repository"
	"github.com/wechat-deploy/wechat-deploy/app/internal/repository/repotest"
)

// postgresEnv names the PostgreSQL database the contract runs against (.ci/run and `make test` set it).
const postgresEnv = "WECHAT_TEST_POSTGRES_URL"

var schemaSeq atomic.Int64

// TestPostgresContract runs the contract against PostgreSQL, each case in a schema of its own so that cases
// neither see each other's rows nor depend on order.
func TestPostgresContract(t *testing.T) {
	base := os.Getenv(postgresEnv)
	if base == "" {
		t.Skipf("%s is not set; `make test` sets it to the local PostgreSQL", postgresEnv)
	}
	ctx := context.Background()
	admin, err := pgx.Connect(ctx, base)
	if err != nil {
		t.Fatalf("%s is set but PostgreSQL is unreachable: %v\nstart PostgreSQL on 127.0.0.1:5432 with a wechat_test database "+
			"(createdb -h 127.0.0.1 -U postgres wechat_test; .ci/run does it on Debian), or skip this suite with "+
			"make test WECHAT_TEST_POSTGRES_URL=", postgresEnv, err)
	}
	defer func() {
		if err := admin.Close(ctx); err != nil {
			t.Errorf("closing the admin connection: %v", err)
		}
	}()
	repotest.Run(t, func(t *testing.T) repository.Users {
		schema := fmt.Sprintf("repotest_%d_%d", os.Getpid(), schemaSeq.Add(1))
		if _, err := admin.Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _, _ = admin.Exec(context.Background(), "DROP SCHEMA "+schema+" CASCADE") })
		sep := "?"
		if strings.Contains(base, "?") {
			sep = "&"
		}
		r, err := repository.OpenPostgres(ctx, base+sep+"search_path="+schema, repository.DefaultPoolConfig)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(r.Close)
		return r
	})
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
