//go:build e2e

package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestPrePushHookBlocksPolicyViolation: in a clone of this repository with the hook installed by `make hooks`,
// a commit that turns TLS off on the local stack's Ingress is refused by the pre-push hook with the violated
// mandatory rule named, and never reaches the remote.
func TestPrePushHookBlocksPolicyViolation(t *testing.T) {
	root := repoRoot(t)
	tmp := t.TempDir()
	work, bare := filepath.Join(tmp, "work"), filepath.Join(tmp, "remote.git")
	git := func(dir string, args ...string) (string, error) {
		cmd := exec.Command("git", args...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "GIT_AUTHOR_NAME=e2e", "GIT_AUTHOR_EMAIL=e2e@example.com",
			"GIT_COMMITTER_NAME=e2e", "GIT_COMMITTER_EMAIL=e2e@example.com")
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	for _, step := range [][]string{
		{"init", "-q", "--bare", bare},
		{"clone", "-q", root, work},
	} {
		if out, err := git(tmp, step...); err != nil {
			t.Fatalf("git %v: %v\n%s", step, err, out)
		}
	}
	mk := exec.Command("make", "-s", "hooks")
	mk.Dir = work
	if out, err := mk.CombinedOutput(); err != nil {
		t.Fatalf("make hooks: %v\n%s", err, out)
	}
	if out, err := git(work, "push", "-q", "--no-verify", bare, "HEAD:refs/heads/main"); err != nil {
		t.Fatalf("seeding the remote: %v\n%s", err, out)
	}
	if out, err := git(work, "remote", "set-url", "origin", bare); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if out, err := git(work, "fetch", "-q", "origin"); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	stackFile := filepath.Join(work, "stacks", "Pulumi.local.yaml")
	b, err := os.ReadFile(stackFile)
	if err != nil {
		t.Fatal(err)
	}
	violating := strings.Replace(string(b), "    tls:\n      enabled: true\n", "    tls:\n      enabled: false\n", 1)
	if violating == string(b) {
		t.Fatal("the local stack no longer enables TLS in the expected form")
	}
	if err := os.WriteFile(stackFile, []byte(violating), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := git(work, "commit", "-q", "-am", "turn TLS off"); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	start := time.Now()
	out, err := git(work, "push", "origin", "HEAD:refs/heads/main")
	t.Logf("FIGURES pre-push hook on a stack change: %s", time.Since(start).Round(time.Second))
	if err == nil || !strings.Contains(out, "k8s-ingress-tls") || !strings.Contains(out, "push refused") {
		t.Fatalf("push of a policy violation: err %v\n%s", err, out)
	}
	head, _ := git(work, "rev-parse", "HEAD")
	remote, _ := git(tmp, "--git-dir", bare, "rev-parse", "refs/heads/main")
	if strings.TrimSpace(head) == strings.TrimSpace(remote) {
		t.Fatal("the refused commit reached the remote")
	}
}
