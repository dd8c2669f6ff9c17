package image

import (
	"archive/tar"
	"context"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// TestGoBuildImage builds a real main package and checks the image against what the Dockerfile's
// distroless/static:nonroot stage gives: the binary as entrypoint, user 65532, CA certificates, passwd/group
// entries for nonroot, no shell; OCI media types; and the same digest from the same sources.
func TestGoBuildImage(t *testing.T) {
	if testing.Short() {
		t.Skip("compiles a program")
	}
	root, _ := filepath.Abs("../..")
	ca := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(ca, []byte("-----BEGIN CERTIFICATE-----\ntest\n-----END CERTIFICATE-----\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	g := GoBuild{Root: root, Package: "./infra/sandbox/pause", Binary: "/pause", Ports: []int{8080}, CABundle: ca}
	img, err := g.Build(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	again, err := g.Build(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	d1, _ := img.Digest()
	d2, _ := again.Digest()
	if d1 != d2 {
		t.Errorf("two builds of the same sources differ: %s, %s", d1, d2)
	}
	g.Created = time.Unix(1, 0)
	other, _ := g.Build(context.Background())
	if d3, _ := other.Digest(); d3 == d1 {
		t.Error("a different creation time gives the same digest")
	}

	if mt, _ := img.MediaType(); mt != types.OCIManifestSchema1 {
		t.Errorf("manifest media type %s", mt)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	if cf.Config.User != "65532:65532" || !slices.Equal(cf.Config.Entrypoint, []string{"/pause"}) || cf.OS != "linux" {
		t.Errorf("config: user %q entrypoint %v os %s", cf.Config.User, cf.Config.Entrypoint, cf.OS)
	}
	if _, ok := cf.Config.ExposedPorts["8080/tcp"]; !ok {
		t.Errorf("exposed ports %v", cf.Config.ExposedPorts)
	}

	files := map[string]*tar.Header{}
	contents := map[string][]byte{}
	rc := mutate.Extract(img)
	defer func() { _ = rc.Close() }()
	eachTarEntry(t, rc, func(h *tar.Header, content []byte) {
		files[strings.TrimSuffix(h.Name, "/")] = h
		contents[h.Name] = content
	})
	bin := files["pause"]
	if bin == nil || bin.Mode&0o111 == 0 || bin.Uid != 0 {
		t.Fatalf("binary entry %+v", bin)
	}
	if string(contents["etc/ssl/certs/ca-certificates.crt"]) == "" || string(contents["etc/ssl/certs/ca-certificates.crt"])[:27] != "-----BEGIN CERTIFICATE-----" {
		t.Errorf("CA bundle %q", contents["etc/ssl/certs/ca-certificates.crt"])
	}
	if !contains(contents["etc/passwd"], "nonroot:x:65532:65532:") || !contains(contents["etc/group"], "nonroot:x:65532:") {
		t.Errorf("passwd %q group %q", contents["etc/passwd"], contents["etc/group"])
	}
	for _, shell := range []string{"bin/sh", "bin/bash", "bin/busybox", "usr/bin/env"} {
		if files[shell] != nil {
			t.Errorf("image has %s", shell)
		}
	}
	if h := files["tmp"]; h == nil || h.Mode&0o1777 != 0o1777 {
		t.Errorf("tmp/ %+v", h)
	}

	// The archive is an OCI layout naming the image as asked.
	archive := filepath.Join(t.TempDir(), "img.tar")
	ref := "registry.local/pause@" + d1.String()
	if err := WriteArchive(img, ref, archive); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	untar(t, archive, dir)
	idx, err := layout.ImageIndexFromPath(dir)
	if err != nil {
		t.Fatal(err)
	}
	m, _ := idx.IndexManifest()
	if len(m.Manifests) != 1 || m.Manifests[0].Digest != d1 || m.Manifests[0].Annotations["io.containerd.image.name"] != ref {
		b, _ := json.Marshal(m)
		t.Errorf("index %s", b)
	}
}

func contains(b []byte, s string) bool { return strings.Contains(string(b), s) }

func untar(t *testing.T, archive, dir string) {
	t.Helper()
	f, err := os.Open(archive)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = f.Close() }()
	eachTarEntry(t, f, func(h *tar.Header, content []byte) {
		p := filepath.Join(dir, filepath.FromSlash(h.Name))
		if h.Typeflag == tar.TypeDir {
			_ = os.MkdirAll(p, 0o755)
			return
		}
		_ = os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, content, 0o644); err != nil {
			t.Fatal(err)
		}
	})
}

// eachTarEntry calls f with every entry of the tar stream r and its contents.
func eachTarEntry(t *testing.T, r io.Reader, f func(h *tar.Header, content []byte)) {
	t.Helper()
	tr := tar.NewReader(r)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return
		}
		if err != nil {
			t.Fatal(err)
		}
		content, err := io.ReadAll(tr)
		if err != nil {
			t.Fatal(err)
		}
		f(h, content)
	}
}
