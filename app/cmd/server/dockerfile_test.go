package main

import (
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// TestDockerfileDownloadsEveryModule keeps the Dockerfile's cached `go mod download` layer complete: it must
// name every module the server is built from (and nothing else), or the build would fetch modules in the
// uncached layer.
func TestDockerfileDownloadsEveryModule(t *testing.T) {
	b, err := os.ReadFile("../../Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	block := regexp.MustCompile(`(?s)go mod download \\\n(.*?)\n[A-Z]`).FindSubmatch(b)
	if block == nil {
		t.Fatal("no `go mod download` list in app/Dockerfile")
	}
	listed := strings.Fields(strings.ReplaceAll(string(block[1]), "\\", " "))
	out, err := exec.Command("go", "list", "-deps", "-f", "{{with .Module}}{{if not .Main}}{{.Path}}{{end}}{{end}}", ".").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	var needed []string
	for _, m := range strings.Fields(string(out)) {
		if !slices.Contains(needed, m) {
			needed = append(needed, m)
		}
	}
	slices.Sort(needed)
	slices.Sort(listed)
	if !slices.Equal(needed, listed) {
		t.Errorf("app/Dockerfile downloads\n  %v\nbut the server is built from\n  %v", listed, needed)
	}
}
