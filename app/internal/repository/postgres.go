package repository

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"sort"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"

	"github.com/wechat-deploy/wechat-deploy/app/internal/model"
)

//go:embed migrations/*.sql
var migrations embed.FS

// migrationLock is the advisory lock key that serialises migrations across replicas starting together.
const migrationLock = 0x77656368617431 // "wechat1"

// PoolConfig tunes the connection pool.
type PoolConfig struct {
	MaxConns          int32
	MinConns          int32
	MaxConnLifetime   time.Duration
	MaxConnIdleTime   time.Duration
	HealthCheckPeriod time.Duration
	// CallTimeout bounds every call (Get, Update, UpsertByOpenID, Ping), the wait for a pooled connection
	// included, and every new connection (unless the URL sets connect_timeout). AcquireTimeout bounds the wait
	// for a pooled connection on its own. A call that misses either fails with model.ErrUnavailable. Zero takes
	// the default's value.
	CallTimeout    time.Duration
	AcquireTimeout time.Duration
	// Tracer, when set, records every query as a span (see queryTracer); nil: no tracing, at no cost.
	Tracer trace.Tracer
}

// DefaultPoolConfig suits a small replica: a few connections each, recycled so failovers are picked up, and
// calls that give up after two seconds rather than holding requests while the database hangs.
var DefaultPoolConfig = PoolConfig{
	MaxConns: 10, MinConns: 1, MaxConnLifetime: 30 * time.Minute, MaxConnIdleTime: 5 * time.Minute,
	HealthCheckPeriod: 30 * time.Second, CallTimeout: 2 * time.Second, AcquireTimeout: time.Second,
}

// Postgres stores users in PostgreSQL.
type Postgres struct {
	pool                        *pgxpool.Pool
	callTimeout, acquireTimeout time.Duration
}

// The causes a call's deadlines are set with: a call that failed because its own deadline expired is told apart
// from one whose caller went away (context.Canceled), which is not the database's fault.
var (
	errCallTimeout    = fmt.Errorf("%w: the database did not answer in time", model.ErrUnavailable)
	errAcquireTimeout = fmt.Errorf("%w: no database connection was free in time", model.ErrUnavailable)
)

// OpenPostgres connects, applies the embedded migrations and returns the store.
func OpenPostgres(ctx context.Context, url string, pc PoolConfig) (*Postgres, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("parsing database URL: %w", err)
	}
	cfg.MaxConns, cfg.MinConns = pc.MaxConns, pc.MinConns
	cfg.MaxConnLifetime, cfg.MaxConnIdleTime = pc.MaxConnLifetime, pc.MaxConnIdleTime
	cfg.HealthCheckPeriod = pc.HealthCheckPeriod
	p := &Postgres{callTimeout: pc.CallTimeout, acquireTimeout: pc.AcquireTimeout}
	if p.callTimeout <= 0 {
		p.callTimeout = DefaultPoolConfig.CallTimeout
	}
	if p.acquireTimeout <= 0 {
		p.acquireTimeout = DefaultPoolConfig.AcquireTimeout
	}
	if cfg.ConnConfig.ConnectTimeout == 0 {
		// Connections the pool opens in the background (MinConns, health checks) have no caller's deadline.
		cfg.ConnConfig.ConnectTimeout = p.callTimeout
	}
	if pc.Tracer != nil {
		cfg.ConnConfig.Tracer = newQueryTracer(pc.Tracer, cfg.ConnConfig)
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("connecting to PostgreSQL: %w", err)
	}
	if err := tracedMigrate(ctx, pc.Tracer, pool); err != nil {
		pool.Close()
		return nil, err
	}
	p.pool = pool
	return p, nil
}

// deadline is ctx bounded by the call timeout.
func (p *Postgres) deadline(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeoutCause(ctx, p.callTimeout, errCallTimeout)
}

// conn takes a pooled connection, waiting at most the acquisition timeout (and no longer than ctx allows).
func (p *Postgres) conn(ctx context.Context) (*pgxpool.Conn, error) {
	actx, cancel := context.WithTimeoutCause(ctx, p.acquireTimeout, errAcquireTimeout)
	defer cancel()
	c, err := p.pool.Acquire(actx)
	if err != nil {
		return nil, failure(actx, err)
	}
	return c, nil
}

// failure marks err model.ErrUnavailable when the call's own deadline expired (ctx's cause says which) or the
// database could not be reached; any other error, the caller going away included, is returned as it is.
func failure(ctx context.Context, err error) error {
	if cause := context.Cause(ctx); cause != nil && errors.Is(cause, model.ErrUnavailable) {
		return fmt.Errorf("%w (%w)", cause, err)
	}
	if _, ok := errors.AsType[*pgconn.ConnectError](err); ok {
		return fmt.Errorf("%w: %w", model.ErrUnavailable, err)
	}
	return err
}

// tracedMigrate is migrate, under a span of its own when tracing is on (so that the migration's queries are one
// trace rather than a root span each).
func tracedMigrate(ctx context.Context, tracer trace.Tracer, pool *pgxpool.Pool) error {
	if tracer == nil {
		return migrate(ctx, pool)
	}
	ctx, span := tracer.Start(ctx, "postgres migrate")
	defer span.End()
	err := migrate(ctx, pool)
	if err != nil {
		span.SetStatus(codes.Error, "migration failed")
	}
	return err
}

// migrate applies, in name order and once each, the embedded migrations, under an advisory lock.
func migrate(ctx context.Context, pool *pgxpool.Pool) error {
	conn, err := pool.Acquire(ctx)
	if err != nil {
		return fmt.Errorf("migrating: acquiring a connection: %w", err)
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, "SELECT pg_advisory_lock($1)", migrationLock); err != nil {
		return fmt.Errorf("migrating: taking the lock: %w", err)
	}
	defer func() {
		// The lock belongs to the session: if unlocking fails, close the connection, which ends the session and
		// the lock with it (the pool then drops the closed connection instead of handing it out still locked).
		unlockCtx := context.WithoutCancel(ctx)
		if _, err := conn.Exec(unlockCtx, "SELECT pg_advisory_unlock($1)", migrationLock); err != nil {
			_ = conn.Conn().Close(unlockCtx) // best effort: a connection that fails to close is gone already
		}
	}()
	if _, err := conn.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		name TEXT PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())`); err != nil {
		return fmt.Errorf("migrating: creating schema_migrations: %w", err)
	}
	names, err := fs.Glob(migrations, "migrations/*.sql")
	if err != nil {
		return fmt.Errorf("migrating: %w", err)
	}
	sort.Strings(names)
	for _, name := range names {
		var done bool
		if err := conn.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM schema_migrations WHERE name = $1)", name).Scan(&done); err != nil {
			return fmt.Errorf("migrating %s: %w", name, err)
		}
		if done {
			continue
		}
		sql, err := migrations.ReadFile(name)
		if err != nil {
			return fmt.Errorf("migrating %s: %w", name, err)
		}
		tx, err := conn.Begin(ctx)
		if err != nil {
			return fmt.Errorf("migrating %s: %w", name, err)
		}
		if _, err := tx.Exec(ctx, string(sql)); err != nil {
			_ = tx.Rollback(ctx)
			return fmt.Errorf("migrating %s: %w", name, err)
		}
		if _, err := tx.Exec(ctx, "INSERT INTO schema_migrations (name) VALUES ($1)", name); err != nil {
			_ = tx.Rollback(ctx)
			return fmt.Errorf("migrating %s: recording: %w", name, err)
		}
		if err := tx.Commit(ctx); err != nil {
			return fmt.Errorf("migrating %s: %w", name, err)
		}
	}
	return nil
}

const userColumns = "id, open_id, union_id, nickname, avatar_url, created_at, updated_at"

func scanUser(row pgx.Row) (model.User, error) {
	var u model.User
	err := row.Scan(&u.ID, &u.OpenID, &u.UnionID, &u.Nickname, &u.AvatarURL, &u.CreatedAt, &u.UpdatedAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return model.User{}, model.ErrNotFound
	}
	u.CreatedAt, u.UpdatedAt = u.CreatedAt.UTC(), u.UpdatedAt.UTC()
	return u, err
}

// UpsertByOpenID implements Users in one round trip; xmax = 0 tells an insert from an update.
func (p *Postgres) UpsertByOpenID(ctx context.Context, openID, unionID string) (model.User, bool, error) {
	ctx, cancel := p.deadline(ctx)
	defer cancel()
	c, err := p.conn(ctx)
	if err != nil {
		return model.User{}, false, fmt.Errorf("upserting user: %w", err)
	}
	defer c.Release()
	row := c.QueryRow(ctx, `
		INSERT INTO users (open_id, union_id) VALUES ($1, $2)
		ON CONFLICT (open_id) DO UPDATE
		SET union_id = CASE WHEN EXCLUDED.union_id <> '' THEN EXCLUDED.union_id ELSE users.union_id END,
		    updated_at = CASE WHEN EXCLUDED.union_id <> '' AND EXCLUDED.union_id <> users.union_id THEN now() ELSE users.updated_at END
		RETURNING `+userColumns+`, (xmax = 0) AS inserted`, openID, unionID)
	var u model.User
	var inserted bool
	err = row.Scan(&u.ID, &u.OpenID, &u.UnionID, &u.Nickname, &u.AvatarURL, &u.CreatedAt, &u.UpdatedAt, &inserted)
	if err != nil {
		return model.User{}, false, fmt.Errorf("upserting user: %w", failure(ctx, err))
	}
	u.CreatedAt, u.UpdatedAt = u.CreatedAt.UTC(), u.UpdatedAt.UTC()
	return u, inserted, nil
}

// Get implements Users.
func (p *Postgres) Get(ctx context.Context, id int64) (model.User, error) {
	ctx, cancel := p.deadline(ctx)
	defer cancel()
	c, err := p.conn(ctx)
	if err != nil {
		return model.User{}, fmt.Errorf("reading user %d: %w", id, err)
	}
	defer c.Release()
	u, err := scanUser(c.QueryRow(ctx, "SELECT "+userColumns+" FROM users WHERE id = $1", id))
	if err != nil && !errors.Is(err, model.ErrNotFound) {
		return u, fmt.Errorf("reading user %d: %w", id, failure(ctx, err))
	}
	return u, err
}

// Update implements Users.
func (p *Postgres) Update(ctx context.Context, id int64, up model.UserUpdate) (model.User, error) {
	sets := []string{"updated_at = now()"}
	args := []any{id}
	if up.Nickname != nil {
		args = append(args, *up.Nickname)
		sets = append(sets, fmt.Sprintf("nickname = $%d", len(args)))
	}
	if up.AvatarURL != nil {
		args = append(args, *up.AvatarURL)
		sets = append(sets, fmt.Sprintf("avatar_url = $%d", len(args)))
	}
	ctx, cancel := p.deadline(ctx)
	defer cancel()
	c, err := p.conn(ctx)
	if err != nil {
		return model.User{}, fmt.Errorf("updating user %d: %w", id, err)
	}
	defer c.Release()
	u, err := scanUser(c.QueryRow(ctx,
		"UPDATE users SET "+strings.Join(sets, ", ")+" WHERE id = $1 RETURNING "+userColumns, args...))
	if err != nil && !errors.Is(err, model.ErrNotFound) {
		return u, fmt.Errorf("updating user %d: %w", id, failure(ctx, err))
	}
	return u, err
}

// Ping implements Users.
func (p *Postgres) Ping(ctx context.Context) error {
	ctx, cancel := p.deadline(ctx)
	defer cancel()
	c, err := p.conn(ctx)
	if err != nil {
		return fmt.Errorf("pinging: %w", err)
	}
	defer c.Release()
	if err := c.Ping(ctx); err != nil {
		return fmt.Errorf("pinging: %w", failure(ctx, err))
	}
	return nil
}

// Close implements Users.
func (p *Postgres) Close() { p.pool.Close() }
