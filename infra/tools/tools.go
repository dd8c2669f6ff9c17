// Package tools locates the pinned tools (pulumi CLI, Kubernetes provider, control plane, KWOK), building them
// once through tools.sh into the version-keyed cache.
package tools

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// Ensure builds the tool if the cache lacks it and returns its directory (binaries are in <dir>/bin). root is the
// repository root. A first build takes minutes: its progress lines ([tools] ...) go to stderr as they happen, and
// a failure returns the tail of the build log.
func Ensure(root, tool string) (string, error) {
	script := filepath.Join(root, "infra", "tools", "tools.sh")
	build := exec.Command("bash", script, tool)
	var out bytes.Buffer
	build.Stdout, build.Stderr = &out, io.MultiWriter(&out, os.Stderr)
	if err := build.Run(); err != nil {
		return "", fmt.Errorf("building %s: %w\n%s", tool, err, out.String())
	}
	dir, err := exec.Command("bash", script, "dir", tool).Output()
	if err != nil {
		return "", fmt.Errorf("locating %s: %w", tool, err)
	}
	return strings.TrimSpace(string(dir)), nil
}

// Bin returns the path of a binary of a tool, building the tool first if needed.
func Bin(root, tool, binary string) (string, error) {
	dir, err := Ensure(root, tool)
	if err != nil {
		return "", err
	}
	return filepath.Join(dir, "bin", binary), nil
}

// Version returns a pinned version from versions.env (e.g. PULUMI_K8S_VERSION), the one place tool versions are
// set.
func Version(root, name string) (string, error) {
	path := filepath.Join(root, "infra", "tools", "versions.env")
	b, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("reading pinned versions: %w", err)
	}
	for line := range strings.Lines(string(b)) {
		if k, v, ok := strings.Cut(strings.TrimSpace(line), "="); ok && k == name {
			return v, nil
		}
	}
	return "", fmt.Errorf("%s does not pin %s", path, name)
}
