// Command entrypoint starts PostgreSQL in the in-cluster database image (image.PostgresBuild): on an empty data
// directory it initialises the cluster with the app's user as its owner, the app's database, a self-signed server
// certificate and a pg_hba.conf that accepts TLS connections with SCRAM passwords only; on every start it sets the
// user's password from the mounted secret file (so a rotated secret takes effect on the restart it triggers); then
// it runs the server with TLS on, turning the kubelet's SIGTERM into PostgreSQL's fast shutdown (a smart shutdown
// would wait for the app's pooled connections until the grace period ends and the server is killed).
//
// Environment (the names the official postgres image reads): PGDATA, POSTGRES_USER, POSTGRES_DB,
// POSTGRES_PASSWORD_FILE. `entrypoint ready` exits 0 when the server accepts connections (the readiness probe).
package main

import (
	"bufio"
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"time"
)

// BinDir is where the image keeps PostgreSQL's programs (set at build time with -ldflags -X).
var BinDir = "/usr/lib/postgresql/15/bin"

// identifier is the form the entrypoint accepts for the user and database names (it quotes them anyway).
var identifier = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]{0,62}$`)

func main() {
	if len(os.Args) > 1 && os.Args[1] == "ready" {
		if err := ready(os.Getenv("PGDATA")); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		return
	}
	code, err := run(os.Args[1:])
	if err != nil {
		fmt.Fprintln(os.Stderr, "postgres entrypoint:", err)
		os.Exit(1)
	}
	os.Exit(code)
}

// settings are the entrypoint's inputs, from the environment.
type settings struct {
	data, user, db, passwordFile string
}

func load() (settings, error) {
	s := settings{data: os.Getenv("PGDATA"), user: os.Getenv("POSTGRES_USER"), db: os.Getenv("POSTGRES_DB"),
		passwordFile: os.Getenv("POSTGRES_PASSWORD_FILE")}
	switch {
	case !filepath.IsAbs(s.data):
		return s, fmt.Errorf("PGDATA %q must be an absolute path", s.data)
	case !identifier.MatchString(s.user):
		return s, fmt.Errorf("POSTGRES_USER %q must be a letter or _ then up to 62 letters, digits or _", s.user)
	case !identifier.MatchString(s.db):
		return s, fmt.Errorf("POSTGRES_DB %q must be a letter or _ then up to 62 letters, digits or _", s.db)
	case s.passwordFile == "":
		return s, errors.New("POSTGRES_PASSWORD_FILE is not set")
	}
	return s, nil
}

func run(extra []string) (int, error) {
	s, err := load()
	if err != nil {
		return 0, err
	}
	password, err := os.ReadFile(s.passwordFile)
	if err != nil {
		return 0, fmt.Errorf("reading the password: %w", err)
	}
	password = bytes.TrimRight(password, "\r\n")
	if len(password) == 0 {
		return 0, fmt.Errorf("the password file %s is empty", s.passwordFile)
	}
	if _, err := os.Stat(filepath.Join(s.data, "PG_VERSION")); errors.Is(err, os.ErrNotExist) {
		if err := initialise(s); err != nil {
			return 0, fmt.Errorf("initialising %s: %w", s.data, err)
		}
	} else if err != nil {
		return 0, err
	}
	// The password is set on every start from the secret (single-user mode: nothing listens yet).
	if err := single(s, "ALTER ROLE "+quoteIdent(s.user)+" PASSWORD "+quoteLiteral(string(password))); err != nil {
		return 0, fmt.Errorf("setting the password of %s: %w", s.user, err)
	}
	args := append([]string{"-D", s.data, "-c", "listen_addresses=*", "-c", "unix_socket_directories=/tmp",
		"-c", "ssl=on", "-c", "ssl_cert_file=server.crt", "-c", "ssl_key_file=server.key",
		"-c", "ssl_min_protocol_version=TLSv1.2", "-c", "password_encryption=scram-sha-256"}, extra...)
	cmd := exec.Command(filepath.Join(BinDir, "postgres"), args...)
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	signals := make(chan os.Signal, 4)
	signal.Notify(signals, syscall.SIGTERM, syscall.SIGINT, syscall.SIGQUIT)
	if err := cmd.Start(); err != nil {
		return 0, err
	}
	go func() {
		for sig := range signals {
			if sig == syscall.SIGTERM {
				sig = syscall.SIGINT // fast shutdown: roll back open transactions, disconnect, checkpoint
			}
			_ = cmd.Process.Signal(sig)
		}
	}()
	err = cmd.Wait()
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		return exit.ExitCode(), nil
	}
	return 0, err
}

// initialise creates the cluster: the app's user owns it (initdb's bootstrap superuser), the app's database, the
// server certificate, and client authentication over TLS with SCRAM only.
func initialise(s settings) error {
	if err := os.MkdirAll(s.data, 0o700); err != nil {
		return err
	}
	initdb := exec.Command(filepath.Join(BinDir, "initdb"), "-D", s.data, "-U", s.user, "--pwfile="+s.passwordFile,
		"--auth=scram-sha-256", "-E", "UTF8", "--no-locale", "--no-instructions")
	if out, err := initdb.CombinedOutput(); err != nil {
		return fmt.Errorf("initdb: %w\n%s", err, out)
	}
	if err := single(s, "CREATE DATABASE "+quoteIdent(s.db)+" OWNER "+quoteIdent(s.user)); err != nil {
		return fmt.Errorf("creating database %s: %w", s.db, err)
	}
	if err := certificate(s.data); err != nil {
		return fmt.Errorf("server certificate: %w", err)
	}
	// hostssl only: a connection without TLS finds no line and is refused.
	hba := "# written by the in-cluster database image: TLS and SCRAM passwords only\n" +
		"local all all scram-sha-256\n" +
		"hostssl all all 0.0.0.0/0 scram-sha-256\n" +
		"hostssl all all ::/0 scram-sha-256\n"
	return os.WriteFile(filepath.Join(s.data, "pg_hba.conf"), []byte(hba), 0o600)
}

// single runs one statement in single-user mode as the cluster's owner.
func single(s settings, statement string) error {
	cmd := exec.Command(filepath.Join(BinDir, "postgres"), "--single", "-D", s.data, "-c", "unix_socket_directories=", "-c", "log_statement=none", "postgres")
	cmd.Stdin = strings.NewReader(statement + "\n")
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("%w\n%s", err, out)
	}
	if bytes.Contains(out, []byte("ERROR:")) {
		return fmt.Errorf("%s", firstLine(out, "ERROR:"))
	}
	return nil
}

func firstLine(out []byte, prefix string) string {
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		if i := strings.Index(sc.Text(), prefix); i >= 0 {
			return sc.Text()[i:]
		}
	}
	return ""
}

// certificate writes a self-signed P-256 server certificate (ten years) and its key into the data directory,
// where they persist with the data. Clients encrypt with it (sslmode=require); they do not verify it.
func certificate(dir string) error {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return err
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return err
	}
	host, _ := os.Hostname()
	tmpl := &x509.Certificate{SerialNumber: serial, Subject: pkix.Name{CommonName: host},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().AddDate(10, 0, 0),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		DNSNames: []string{host}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return err
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "server.key"), pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}), 0o600); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, "server.crt"), pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600)
}

// ready reports whether the postmaster accepts connections: the status line of postmaster.pid (its eighth) says
// "ready" once startup and recovery are done, and the file goes away when the server stops.
func ready(data string) error {
	b, err := os.ReadFile(filepath.Join(data, "postmaster.pid"))
	if err != nil {
		return fmt.Errorf("not running: %w", err)
	}
	lines := strings.Split(string(b), "\n")
	if len(lines) < 8 || strings.TrimSpace(lines[7]) != "ready" {
		return fmt.Errorf("not ready yet")
	}
	return nil
}

func quoteIdent(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }

func quoteLiteral(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }
