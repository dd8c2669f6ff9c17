// Package repotest is the contract every repository.Users implementation must meet; each implementation's
// tests run it.
package repotest

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/wechat-deploy/wechat-deploy/app/internal/model"
	"github.com/wechat-deploy/wechat-deploy/app/internal/repository"
	"github.com/wechat-deploy/wechat-deploy/app/internal/stallproxy"
)

// Run runs the contract against stores made by open (a fresh, empty store each call).
func Run(t *testing.T, open func(t *testing.T) repository.Users) {
	ctx := context.Background()
	t.Run("upsert creates then finds", func(t *testing.T) {
		r := open(t)
		u, created, err := r.UpsertByOpenID(ctx, "o-1", "")
		if err != nil || !created || u.ID <= 0 || u.OpenID != "o-1" {
			t.Fatalf("first upsert = %+v, %v, %v", u, created, err)
		}
		again, created, err := r.UpsertByOpenID(ctx, "o-1", "")
		if err != nil || created || again.ID != u.ID {
			t.Fatalf("second upsert = %+v, %v, %v; want the same user, not created", again, created, err)
		}
		other, _, err := r.UpsertByOpenID(ctx, "o-2", "")
		if err != nil || other.ID == u.ID {
			t.Fatalf("other openid got id %d (first %d), %v", other.ID, u.ID, err)
		}
	})
	t.Run("union id is recorded once known", func(t *testing.T) {
		r := open(t)
		u, _, _ := r.UpsertByOpenID(ctx, "o-1", "")
		u2, _, err := r.UpsertByOpenID(ctx, "o-1", "union-1")
		if err != nil || u2.UnionID != "union-1" || u2.ID != u.ID {
			t.Fatalf("upsert with union id = %+v, %v", u2, err)
		}
		u3, _, _ := r.UpsertByOpenID(ctx, "o-1", "")
		if u3.UnionID != "union-1" {
			t.Fatalf("union id lost: %+v", u3)
		}
	})
	t.Run("get", func(t *testing.T) {
		r := open(t)
		u, _, _ := r.UpsertByOpenID(ctx, "o-1", "")
		got, err := r.Get(ctx, u.ID)
		if err != nil || got.ID != u.ID || got.OpenID != "o-1" || got.CreatedAt.IsZero() {
			t.Fatalf("Get = %+v, %v", got, err)
		}
		if _, err := r.Get(ctx, u.ID+1000); !errors.Is(err, model.ErrNotFound) {
			t.Fatalf("Get(missing) error = %v, want ErrNotFound", err)
		}
	})
	t.Run("update", func(t *testing.T) {
		r := open(t)
		u, _, _ := r.UpsertByOpenID(ctx, "o-1", "")
		nick, avatar := "小明 🚀", "https://thirdwx.qlogo.cn/a.png"
		time.Sleep(2 * time.Millisecond)
		got, err := r.Update(ctx, u.ID, model.UserUpdate{Nickname: &nick})
		if err != nil || got.Nickname != nick || got.AvatarURL != "" || !got.UpdatedAt.After(u.UpdatedAt) {
			t.Fatalf("Update(nickname) = %+v, %v", got, err)
		}
		got, err = r.Update(ctx, u.ID, model.UserUpdate{AvatarURL: &avatar})
		if err != nil || got.Nickname != nick || got.AvatarURL != avatar {
			t.Fatalf("Update(avatar) = %+v, %v", got, err)
		}
		read, _ := r.Get(ctx, u.ID)
		if read.Nickname != nick || read.AvatarURL != avatar {
			t.Fatalf("Get after update = %+v", read)
		}
		if _, err := r.Update(ctx, u.ID+1000, model.UserUpdate{Nickname: &nick}); !errors.Is(err, model.ErrNotFound) {
			t.Fatalf("Update(missing) error = %v", err)
		}
	})
	t.Run("concurrent logins of one user create it once", func(t *testing.T) {
		r := open(t)
		var wg sync.WaitGroup
		ids := make([]int64, 16)
		errs := make([]error, 16)
		for i := range ids {
			wg.Add(1)
			go func() {
				defer wg.Done()
				u, _, err := r.UpsertByOpenID(ctx, "same", "")
				ids[i], errs[i] = u.ID, err
			}()
		}
		wg.Wait()
		for i := range ids {
			if errs[i] != nil || ids[i] != ids[0] {
				t.Fatalf("login %d: id %d (first %d), %v", i, ids[i], ids[0], errs[i])
			}
		}
	})
	t.Run("ping", func(t *testing.T) {
		if err := open(t).Ping(ctx); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("many users", func(t *testing.T) {
		r := open(t)
		seen := map[int64]bool{}
		for i := range 50 {
			u, _, err := r.UpsertByOpenID(ctx, fmt.Sprintf("o-%d", i), "")
			if err != nil || seen[u.ID] {
				t.Fatalf("user %d: %+v, %v", i, u, err)
			}
			seen[u.ID] = true
		}
	})
}

// StallablePostgres opens a PostgreSQL store at dsn through a stallproxy with short deadlines (300 ms per call,
// 200 ms to get a pooled connection), so that a test can freeze the database and watch the store give up. The
// store closes with the test, after the proxy is thawed: closing waits on frozen connections.
func StallablePostgres(t *testing.T, dsn string) (*repository.Postgres, *stallproxy.Proxy) {
	t.Helper()
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	proxy := stallproxy.Start(t, u.Host)
	u.Host = proxy.Addr()
	pc := repository.DefaultPoolConfig
	pc.CallTimeout, pc.AcquireTimeout = 300*time.Millisecond, 200*time.Millisecond
	pg, err := repository.OpenPostgres(t.Context(), u.String(), pc)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pg.Close)
	t.Cleanup(proxy.Thaw) // runs first (cleanups run last-registered first)
	return pg, proxy
}
