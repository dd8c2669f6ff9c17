package main

import (
	"context"
	"errors"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// nobody is the unprivileged user the test runs PostgreSQL as when it runs as root (initdb refuses root).
const nobody = 65534

// server is one run of the entrypoint against a data directory.
type server struct {
	cmd  *exec.Cmd
	port int
	done chan error
}

// TestEntrypointAgainstRealPostgres runs the entrypoint with the machine's Debian PostgreSQL (the binaries the
// image carries): the first start creates the user, the database and the certificate; the server accepts TLS with
// the password and refuses a plain connection and a wrong password; SIGTERM stops it promptly although a client
// stays connected (a smart shutdown would wait for it); a restart with a rotated password file keeps the data and
// accepts only the new password.
func TestEntrypointAgainstRealPostgres(t *testing.T) {
	bins, _ := filepath.Glob("/usr/lib/postgresql/*/bin/postgres")
	if len(bins) == 0 {
		t.Skip("no PostgreSQL under /usr/lib/postgresql (apt-get install postgresql); .ci/run installs it")
	}
	binDir := filepath.Dir(bins[len(bins)-1])
	dir, err := os.MkdirTemp("", "pg-entrypoint-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(dir) })
	entry := filepath.Join(dir, "entrypoint")
	build := exec.Command("go", "build", "-ldflags", "-X main.BinDir="+binDir, "-o", entry, ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building the entrypoint: %v\n%s", err, out)
	}
	// Like the pod: a data directory inside a mount the user may write to, the password in a read-only file.
	mount := filepath.Join(dir, "data")
	if err := os.MkdirAll(mount, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, d := range []string{dir, mount} {
		if err := os.Chmod(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if os.Geteuid() == 0 {
		if err := os.Chown(mount, nobody, nobody); err != nil {
			t.Fatal(err)
		}
	}
	pwFile := filepath.Join(dir, "password")
	writePassword := func(pw string) {
		if err := os.WriteFile(pwFile, []byte(pw+"\n"), 0o444); err != nil {
			t.Fatal(err)
		}
	}
	const first, rotated = "first-password-4c1d9e7a2b", "rotated-pass'word-8e3f1a6c" // a quote: the literal is escaped
	writePassword(first)
	env := []string{"PGDATA=" + filepath.Join(mount, "pgdata"), "POSTGRES_USER=wechat", "POSTGRES_DB=wechat_api", "POSTGRES_PASSWORD_FILE=" + pwFile}

	start := func() *server {
		t.Helper()
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		port := l.Addr().(*net.TCPAddr).Port
		_ = l.Close()
		s := &server{port: port, done: make(chan error, 1)}
		s.cmd = exec.Command(entry, "-c", "port="+strconv.Itoa(port), "-c", "listen_addresses=127.0.0.1")
		s.cmd.Env = env
		var log strings.Builder
		s.cmd.Stdout, s.cmd.Stderr = &log, &log
		if os.Geteuid() == 0 {
			s.cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: nobody, Gid: nobody}}
		}
		if err := s.cmd.Start(); err != nil {
			t.Fatal(err)
		}
		go func() { s.done <- s.cmd.Wait() }()
		t.Cleanup(func() { _ = s.cmd.Process.Kill() })
		deadline := time.Now().Add(60 * time.Second)
		for {
			probe := exec.Command(entry, "ready")
			probe.Env = env
			if probe.Run() == nil {
				return s
			}
			select {
			case err := <-s.done:
				t.Fatalf("the entrypoint exited before the server was ready: %v\n%s", err, log.String())
			default:
			}
			if time.Now().After(deadline) {
				t.Fatalf("not ready after a minute:\n%s", log.String())
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	connect := func(s *server, password, sslmode string) (*pgx.Conn, error) {
		cfg, err := pgx.ParseConfig("postgres://wechat@127.0.0.1:" + strconv.Itoa(s.port) + "/wechat_api?sslmode=" + sslmode)
		if err != nil {
			t.Fatal(err)
		}
		cfg.Password = password
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		return pgx.ConnectConfig(ctx, cfg)
	}
	ctx := context.Background()

	s := start()
	conn, err := connect(s, first, "require")
	if err != nil {
		t.Fatalf("TLS connection with the password: %v", err)
	}
	var ssl bool
	if err := conn.QueryRow(ctx, "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()").Scan(&ssl); err != nil || !ssl {
		t.Fatalf("the connection is not encrypted: %v %v", ssl, err)
	}
	if _, err := conn.Exec(ctx, "CREATE TABLE kept (v text); INSERT INTO kept VALUES ('before the restart')"); err != nil {
		t.Fatal(err)
	}
	if _, err := connect(s, first, "disable"); err == nil || !strings.Contains(err.Error(), "no pg_hba.conf entry") {
		t.Errorf("a connection without TLS: %v, want refused by pg_hba.conf", err)
	}
	if _, err := connect(s, "not-the-password", "require"); err == nil || !strings.Contains(err.Error(), "password authentication failed") {
		t.Errorf("a wrong password: %v, want refused", err)
	}

	// The connection stays open: SIGTERM must still stop the server promptly, cleanly.
	began := time.Now()
	if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-s.done:
		if err != nil {
			t.Errorf("the entrypoint exited with %v after SIGTERM, want 0 (a clean fast shutdown)", err)
		}
		t.Logf("stopped %s after SIGTERM with a client connected", time.Since(began).Round(time.Millisecond))
	case <-time.After(20 * time.Second):
		t.Fatal("still running 20s after SIGTERM with a client connected: not a fast shutdown")
	}
	_ = conn.Close(ctx)

	writePassword(rotated)
	s = start()
	if _, err := connect(s, first, "require"); err == nil {
		t.Error("the password before the rotation still works")
	}
	conn, err = connect(s, rotated, "require")
	if err != nil {
		t.Fatalf("the rotated password: %v", err)
	}
	var v string
	if err := conn.QueryRow(ctx, "SELECT v FROM kept").Scan(&v); err != nil || v != "before the restart" {
		t.Errorf("after the restart the table holds %q, %v", v, err)
	}
	_ = conn.Close(ctx)
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	if err := <-s.done; err != nil && !errors.Is(err, os.ErrProcessDone) {
		t.Errorf("second stop: %v", err)
	}
}

// TestLoadRefusesBadSettings: the entrypoint names the variable that is wrong before touching the data.
func TestLoadRefusesBadSettings(t *testing.T) {
	for _, tc := range []struct {
		env  map[string]string
		want string
	}{
		{map[string]string{"PGDATA": "relative"}, "PGDATA"},
		{map[string]string{"POSTGRES_USER": `x"; DROP`}, "POSTGRES_USER"},
		{map[string]string{"POSTGRES_DB": "1db"}, "POSTGRES_DB"},
		{map[string]string{"POSTGRES_PASSWORD_FILE": ""}, "POSTGRES_PASSWORD_FILE"},
	} {
		base := map[string]string{"PGDATA": "/data/pgdata", "POSTGRES_USER": "wechat", "POSTGRES_DB": "wechat_api", "POSTGRES_PASSWORD_FILE": "/run/pw"}
		for k, v := range tc.env {
			base[k] = v
		}
		for k, v := range base {
			t.Setenv(k, v)
		}
		if _, err := load(); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: %v, want an error naming %s", tc.env, err, tc.want)
		}
	}
}
