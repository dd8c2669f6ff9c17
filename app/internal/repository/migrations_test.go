package repository_test

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/wechat-deploy/wechat-deploy/app/internal/repository"
)

// Migrations run at the app's start, before its new pods are ready, while the previous release still serves;
// and `make rollback` brings the previous release back onto the newer schema. So a migration may only expand the
// schema in ways the previous release does not notice (new tables, new nullable or defaulted columns, new
// indexes); dropping, renaming or tightening comes in a later release, once no running release reads the old
// shape (expand, then contract). These statements break the release before:
var contracting = []struct {
	re  *regexp.Regexp
	why string
}{
	{regexp.MustCompile(`(?i)\bDROP\s+(TABLE|COLUMN|SCHEMA|TYPE|VIEW|FUNCTION)\b`), "drops what the previous release reads"},
	{regexp.MustCompile(`(?i)\bALTER\s+TABLE\b[^;]*\bDROP\b`), "drops what the previous release reads"},
	{regexp.MustCompile(`(?i)\bRENAME\b`), "renames what the previous release reads"},
	{regexp.MustCompile(`(?i)\bALTER\s+COLUMN\b[^;]*\bTYPE\b`), "changes a column's type under the previous release"},
	{regexp.MustCompile(`(?i)\bSET\s+NOT\s+NULL\b`), "makes the previous release's inserts fail"},
	{regexp.MustCompile(`(?i)\bADD\s+(CONSTRAINT|CHECK)\b`), "adds a rule the previous release's writes may break"},
	{regexp.MustCompile(`(?i)\bTRUNCATE\b|\bDELETE\s+FROM\b`), "deletes data"},
	{regexp.MustCompile(`(?i)\bADD\s+(COLUMN\s+)?(IF\s+NOT\s+EXISTS\s+)?\w+\s+[^,;]*\bNOT\s+NULL\b`), "adds a NOT NULL column (needs a DEFAULT, which the rule below checks)"},
}

var notNullWithDefault = regexp.MustCompile(`(?i)\bNOT\s+NULL\b[^,;]*\bDEFAULT\b|\bDEFAULT\b[^,;]*\bNOT\s+NULL\b`)

// contractions lists what a migration does that the previous release cannot live with.
func contractions(sql string) []string {
	var out []string
	for _, stmt := range strings.Split(stripComments(sql), ";") {
		create := regexp.MustCompile(`(?i)^\s*CREATE\b`).MatchString(stmt)
		for _, c := range contracting {
			m := c.re.FindString(stmt)
			if m == "" {
				continue
			}
			// A NOT NULL column with a default is invisible to old inserts; in CREATE TABLE it is a new table's.
			if strings.Contains(c.why, "NOT NULL column") && (create || notNullWithDefault.MatchString(stmt)) {
				continue
			}
			out = append(out, strings.Join(strings.Fields(m), " ")+": "+c.why)
		}
	}
	return out
}

func stripComments(sql string) string {
	var b strings.Builder
	sc := bufio.NewScanner(strings.NewReader(sql))
	for sc.Scan() {
		line, _, _ := strings.Cut(sc.Text(), "--")
		b.WriteString(line + "\n")
	}
	return regexp.MustCompile(`(?s)/\*.*?\*/`).ReplaceAllString(b.String(), "")
}

// TestMigrationsOnlyExpand holds every embedded migration to the expand-only rule, and checks the rule itself on
// statements that would break the previous release and on ones that would not.
func TestMigrationsOnlyExpand(t *testing.T) {
	for stmt, breaks := range map[string]bool{
		"ALTER TABLE users DROP COLUMN nickname":                       true,
		"ALTER TABLE users RENAME COLUMN nickname TO name":             true,
		"ALTER TABLE users ALTER COLUMN union_id TYPE varchar(64)":     true,
		"ALTER TABLE users ALTER COLUMN avatar_url SET NOT NULL":       true,
		"ALTER TABLE users ADD COLUMN phone TEXT NOT NULL":             true,
		"alter table users add constraint nick check (nickname <> '')": true,
		"DROP TABLE users": true,
		"ALTER TABLE users ADD COLUMN phone TEXT NOT NULL DEFAULT ''":       false,
		"ALTER TABLE users ADD COLUMN IF NOT EXISTS phone TEXT":             false,
		"CREATE TABLE sessions (id BIGSERIAL PRIMARY KEY, k TEXT NOT NULL)": false,
		"CREATE INDEX IF NOT EXISTS users_nick ON users (nickname)":         false,
		"-- DROP TABLE users\nCREATE TABLE t (a int)":                       false,
	} {
		if got := len(contractions(stmt)) > 0; got != breaks {
			t.Errorf("%q: judged breaking %v, want %v (%v)", stmt, got, breaks, contractions(stmt))
		}
	}
	names, err := filepath.Glob("migrations/*.sql")
	if err != nil || len(names) == 0 {
		t.Fatalf("no migrations: %v", err)
	}
	for _, name := range names {
		b, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range contractions(string(b)) {
			t.Errorf("%s %s: split it into an expanding migration now and a contracting one a release later", name, c)
		}
	}
}

// TestReleasedMigrationsNeverChange: the app applies each migration once, by name, so an edited migration never
// reaches a database that ran the old text. testdata/released-migrations.sha256 lists every released migration;
// a new migration is added to it when it ships.
func TestReleasedMigrationsNeverChange(t *testing.T) {
	f, err := os.Open("testdata/released-migrations.sha256")
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = f.Close() }() // read-only
	released := map[string]bool{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		sum, name, ok := strings.Cut(sc.Text(), "  ")
		if !ok {
			continue
		}
		released[name] = true
		b, err := os.ReadFile(filepath.Join("migrations", name))
		if err != nil {
			t.Errorf("released migration %s is gone: a database that ran it keeps its effects; restore it", name)
			continue
		}
		if h := sha256.Sum256(b); hex.EncodeToString(h[:]) != sum {
			t.Errorf("released migration %s was edited: databases that ran it will never run the new text; add a new migration instead", name)
		}
	}
	names, _ := filepath.Glob("migrations/*.sql")
	for _, n := range names {
		if !released[filepath.Base(n)] {
			t.Logf("%s is not released yet: add `sha256sum %s` to testdata/released-migrations.sha256 when it ships", n, filepath.Base(n))
		}
	}
}

// TestReplicasMigrateTogether: replicas that start at once against a fresh database all come up, and each
// migration is applied once (the advisory lock serialises them).
func TestReplicasMigrateTogether(t *testing.T) {
	base, admin := adminDB(t)
	url := schemaURL(t, admin, base)
	ctx := context.Background()
	var wg sync.WaitGroup
	errs := make([]error, 4)
	for i := range errs {
		wg.Go(func() {
			r, err := repository.OpenPostgres(ctx, url, repository.DefaultPoolConfig)
			if err == nil {
				r.Close()
			}
			errs[i] = err
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("replica %d: %v", i, err)
		}
	}
	names, _ := filepath.Glob("migrations/*.sql")
	schema := url[strings.LastIndex(url, "search_path=")+len("search_path="):]
	var applied, distinct int
	if err := admin.QueryRow(ctx, "SELECT count(*), count(DISTINCT name) FROM "+schema+".schema_migrations").Scan(&applied, &distinct); err != nil {
		t.Fatal(err)
	}
	if applied != len(names) || distinct != len(names) {
		t.Errorf("schema_migrations holds %d rows (%d distinct) for %d migrations", applied, distinct, len(names))
	}
}
