package tools

import (
	"os"
	"path/filepath"
	"testing"
)

func TestVersion(t *testing.T) {
	root := t.TempDir()
	dir := filepath.Join(root, "infra", "tools")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "versions.env"), []byte("# pins\nPULUMI_VERSION=3.274.1\nPULUMI_K8S_VERSION=4.32.0\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if v, err := Version(root, "PULUMI_K8S_VERSION"); err != nil || v != "4.32.0" {
		t.Errorf("Version = %q, %v", v, err)
	}
	if _, err := Version(root, "PULUMI"); err == nil {
		t.Error("a prefix of a name was accepted")
	}
	// The repository's own file pins the provider the release driver installs.
	if v, err := Version("../..", "PULUMI_K8S_VERSION"); err != nil || v == "" {
		t.Errorf("repository pin: %q, %v", v, err)
	}
}
