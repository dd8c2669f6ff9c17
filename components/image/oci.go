package image

import (
	"archive/tar"
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// NonRootUID is the user the images run as: distroless's "nonroot" (65532), which the workload's security
// context also sets.
const NonRootUID = 65532

// CACertificates is where Go's crypto/x509 (and the Debian family) read the system roots.
const CACertificates = "/etc/ssl/certs/ca-certificates.crt"

// Builder assembles an image in process (GoBuild, PostgresBuild).
type Builder interface {
	Build(ctx context.Context) (v1.Image, error)
}

// GoBuild describes a Go main package built into a minimal image without a Docker daemon: the static binary, CA
// certificates, /etc/passwd and /etc/group naming the non-root user, and nothing else (no shell, no package
// manager) — what the Dockerfile's distroless/static stage gives, built in process with go-containerregistry.
type GoBuild struct {
	// Root is the module root the package is built in.
	Root string
	// Package is the main package (e.g. ./app/cmd/server); Binary the path of the binary in the image (/server).
	Package, Binary string
	// Ports are exposed in the image config (documentation for runtimes; Kubernetes ignores them).
	Ports []int
	// CABundle is the CA certificate file copied into the image (default: the build machine's CACertificates).
	CABundle string
	// Created is the creation time recorded in the image and on every file (default: the Unix epoch), so that the
	// same sources give the same digest on every machine.
	Created time.Time
	// Arch is the target GOARCH (default: the build machine's).
	Arch string
}

// Build compiles the package (CGO off, -trimpath, stripped, embedded time zone data) and assembles the image.
// It runs the go command of the build machine; the result is an OCI image whose digest depends only on the
// sources, the Go toolchain and the CA bundle.
func (g GoBuild) Build(ctx context.Context) (v1.Image, error) {
	if g.Arch == "" {
		g.Arch = runtime.GOARCH
	}
	if g.CABundle == "" {
		g.CABundle = CACertificates
	}
	if g.Binary == "" || !strings.HasPrefix(g.Binary, "/") {
		return nil, fmt.Errorf("building %s: binary path %q must be absolute", g.Package, g.Binary)
	}
	binary, err := goBinary(ctx, g.Root, g.Package, g.Arch, "")
	if err != nil {
		return nil, err
	}
	ca, err := os.ReadFile(g.CABundle)
	if err != nil {
		return nil, fmt.Errorf("reading the CA bundle for the image: %w", err)
	}
	uid := strconv.Itoa(NonRootUID)
	base, err := layer(g.Created, baseFiles(ca))
	if err != nil {
		return nil, err
	}
	app, err := layer(g.Created, []file{{path: strings.TrimPrefix(g.Binary, "/"), mode: 0o755, data: binary}})
	if err != nil {
		return nil, err
	}
	img, err := mutate.AppendLayers(mutate.MediaType(empty.Image, types.OCIManifestSchema1), base, app)
	if err != nil {
		return nil, fmt.Errorf("assembling the image of %s: %w", g.Package, err)
	}
	img = mutate.ConfigMediaType(img, types.OCIConfigJSON)
	cf, err := img.ConfigFile()
	if err != nil {
		return nil, err
	}
	cf = cf.DeepCopy()
	cf.Architecture, cf.OS = g.Arch, "linux"
	cf.Created = v1.Time{Time: g.Created.UTC()}
	cf.Config.User = uid + ":" + uid
	cf.Config.Entrypoint = []string{g.Binary}
	cf.Config.WorkingDir = "/"
	cf.Config.Env = []string{"PATH=/", "SSL_CERT_FILE=" + CACertificates}
	cf.Config.ExposedPorts = map[string]struct{}{}
	for _, p := range g.Ports {
		cf.Config.ExposedPorts[strconv.Itoa(p)+"/tcp"] = struct{}{}
	}
	if img, err = mutate.ConfigFile(img, cf); err != nil {
		return nil, err
	}
	return mutate.CreatedAt(img, v1.Time{Time: g.Created.UTC()})
}

// WriteArchive writes img as an OCI image layout in a tar archive (what `ctr images import` and `docker load`
// read), named by ref: the index entry carries ref as its containerd image name and its tag as the OCI ref name.
func WriteArchive(img v1.Image, ref, path string) error {
	dir, err := os.MkdirTemp(filepath.Dir(path), ".layout-")
	if err != nil {
		return err
	}
	defer func() { _ = os.RemoveAll(dir) }()
	lp, err := layout.Write(dir, empty.Index)
	if err != nil {
		return err
	}
	annotations := map[string]string{"io.containerd.image.name": ref}
	if _, tag, ok := strings.Cut(ref[strings.LastIndex(ref, "/")+1:], ":"); ok && !strings.Contains(ref, "@") {
		annotations["org.opencontainers.image.ref.name"] = tag
	}
	if err := lp.AppendImage(img, layout.WithAnnotations(annotations)); err != nil {
		return fmt.Errorf("writing the image layout: %w", err)
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	tw := tar.NewWriter(f)
	if err := tw.AddFS(os.DirFS(dir)); err != nil {
		_ = f.Close()
		return fmt.Errorf("archiving %s: %w", path, err)
	}
	if err := tw.Close(); err != nil {
		_ = f.Close()
		return err
	}
	return f.Close()
}

// goBinary builds a Go main package as a static, stripped, reproducible binary for linux/arch (with ldflags
// added to -s -w) and returns its bytes.
func goBinary(ctx context.Context, root, pkg, arch, ldflags string) ([]byte, error) {
	tmp, err := os.MkdirTemp("", "gobuild-")
	if err != nil {
		return nil, err
	}
	defer func() { _ = os.RemoveAll(tmp) }()
	bin := filepath.Join(tmp, "bin")
	cmd := exec.CommandContext(ctx, "go", "build", "-trimpath", "-tags", "timetzdata", "-ldflags", strings.TrimSpace("-s -w -buildid= "+ldflags), "-o", bin, pkg)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH="+arch)
	if out, err := cmd.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("building %s: %w\n%s", pkg, err, out)
	}
	return os.ReadFile(bin)
}

// baseFiles are the files every image of the project starts from: /etc/passwd and /etc/group naming root and
// the non-root user, its home, /tmp, and the CA bundle when ca is not nil.
func baseFiles(ca []byte) []file {
	uid := strconv.Itoa(NonRootUID)
	files := []file{{path: "etc/", mode: 0o755, dir: true}}
	if ca != nil {
		files = append(files, file{path: "etc/ssl/", mode: 0o755, dir: true}, file{path: "etc/ssl/certs/", mode: 0o755, dir: true},
			file{path: strings.TrimPrefix(CACertificates, "/"), mode: 0o644, data: ca})
	}
	return append(files,
		file{path: "etc/passwd", mode: 0o644, data: []byte("root:x:0:0:root:/root:/sbin/nologin\nnonroot:x:" + uid + ":" + uid + ":nonroot:/home/nonroot:/sbin/nologin\n")},
		file{path: "etc/group", mode: 0o644, data: []byte("root:x:0:\nnonroot:x:" + uid + ":\n")},
		file{path: "home/", mode: 0o755, dir: true},
		file{path: "home/nonroot/", mode: 0o700, dir: true, uid: NonRootUID},
		file{path: "tmp/", mode: 0o1777, dir: true})
}

// file is one entry of a layer.
type file struct {
	path string
	mode int64
	data []byte
	dir  bool
	uid  int
}

// layer builds an uncompressed-then-gzipped layer from files, with fixed times and owners (root unless uid).
func layer(created time.Time, files []file) (v1.Layer, error) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, f := range files {
		h := &tar.Header{Name: f.path, Mode: f.mode, ModTime: created.UTC(), Uid: f.uid, Gid: f.uid, Format: tar.FormatPAX}
		if f.dir {
			h.Typeflag = tar.TypeDir
		} else {
			h.Typeflag, h.Size = tar.TypeReg, int64(len(f.data))
		}
		if err := tw.WriteHeader(h); err != nil {
			return nil, err
		}
		if _, err := tw.Write(f.data); err != nil {
			return nil, err
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	b := buf.Bytes()
	return tarball.LayerFromOpener(func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(b)), nil },
		tarball.WithMediaType(types.OCILayer))
}
