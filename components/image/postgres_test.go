package image

import (
	"archive/tar"
	"context"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"golang.org/x/sys/unix"
)

// TestPostgresBuildRunsInItsOwnRoot builds the database image from the machine's PostgreSQL and runs its programs
// with the image's file system as their root (chroot, the loader and libraries of the image only): a library the
// closure missed makes the dynamic loader fail here rather than in a pod. The image runs as the non-root user,
// starts the entrypoint, and gives the same digest twice.
func TestPostgresBuildRunsInItsOwnRoot(t *testing.T) {
	if testing.Short() {
		t.Skip("compiles a program")
	}
	if bins, _ := filepath.Glob("/usr/lib/postgresql/*/bin/postgres"); len(bins) == 0 {
		t.Skip("no PostgreSQL under /usr/lib/postgresql (apt-get install postgresql); .ci/run installs it")
	}
	root, _ := filepath.Abs("../..")
	ctx := context.Background()
	img, err := PostgresBuild{Root: root}.Build(ctx)
	if err != nil {
		t.Fatal(err)
	}
	again, err := PostgresBuild{Root: root}.Build(ctx)
	if err != nil {
		t.Fatal(err)
	}
	d1, _ := img.Digest()
	d2, _ := again.Digest()
	if d1 != d2 {
		t.Errorf("two builds gave %s and %s", d1, d2)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	if cf.Config.User != "65532:65532" || len(cf.Config.Entrypoint) != 1 || cf.Config.Entrypoint[0] != PostgresEntrypoint {
		t.Errorf("user %q entrypoint %v", cf.Config.User, cf.Config.Entrypoint)
	}
	dir := t.TempDir()
	rc := mutate.Extract(img)
	defer func() { _ = rc.Close() }()
	tr := tar.NewReader(rc)
	var bin string
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(h.Name, "..") {
			t.Fatalf("path %q in the image", h.Name)
		}
		p := filepath.Join(dir, h.Name)
		if h.Typeflag == tar.TypeDir {
			if err := os.MkdirAll(p, 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.Chmod(p, os.FileMode(h.Mode)&os.ModePerm|map[bool]os.FileMode{true: os.ModeSticky}[h.Mode&0o1000 != 0]); err != nil {
				t.Fatal(err)
			}
			if err := os.Chown(p, h.Uid, h.Gid); err != nil && os.Geteuid() == 0 {
				t.Fatal(err)
			}
			continue
		}
		if h.Typeflag != tar.TypeReg {
			t.Errorf("%s is not a regular file (type %c): the image holds no links", h.Name, h.Typeflag)
			continue
		}
		if strings.HasSuffix(h.Name, "/bin/postgres") {
			bin = "/" + filepath.Dir(h.Name)
		}
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		f, err := os.OpenFile(p, os.O_CREATE|os.O_WRONLY, os.FileMode(h.Mode))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := io.Copy(f, tr); err != nil { //nolint:gosec // the test's own image
			t.Fatal(err)
		}
		_ = f.Close()
	}
	if bin == "" {
		t.Fatal("no postgres program in the image")
	}
	for _, f := range []string{"etc/passwd", "usr/share/zoneinfo/UTC", strings.TrimPrefix(PostgresEntrypoint, "/")} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Errorf("%s missing: %v", f, err)
		}
	}
	if os.Geteuid() != 0 {
		t.Skip("chroot needs root")
	}
	for _, prog := range []string{"postgres", "initdb"} {
		out, err := exec.Command("chroot", "--userspec=65532:65532", dir, bin+"/"+prog, "--version").CombinedOutput()
		if err != nil || !strings.Contains(string(out), "PostgreSQL") {
			t.Errorf("%s --version in the image's root: %v\n%s", prog, err, out)
		}
	}
	// What a container runtime gives every container: /dev/null.
	if err := os.MkdirAll(filepath.Join(dir, "dev"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mknod(filepath.Join(dir, "dev", "null"), syscall.S_IFCHR|0o666, int(unix.Mkdev(1, 3))); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(filepath.Join(dir, "dev", "null"), 0o666); err != nil {
		t.Fatal(err)
	}
	// initdb as the image's user: it runs postgres through popen (/bin/sh -c), loads the snowball dictionaries
	// and reads the share files, all from the image.
	out, err := exec.Command("chroot", "--userspec=65532:65532", dir, bin+"/initdb", "-D", "/tmp/pgdata", "-U", "wechat",
		"--auth=trust", "-E", "UTF8", "--no-locale", "--no-instructions").CombinedOutput()
	if err != nil {
		t.Errorf("initdb in the image's root: %v\n%s", err, out)
	}
	// The entrypoint refuses to start without its settings, naming them: it runs, in the image's root.
	out, err = exec.Command("chroot", "--userspec=65532:65532", dir, PostgresEntrypoint).CombinedOutput()
	if err == nil || !strings.Contains(string(out), "PGDATA") {
		t.Errorf("entrypoint without settings: %v %s", err, out)
	}
}
