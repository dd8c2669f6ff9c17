package deploy

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// gitRepo is a throwaway repository with a bare remote, the project's pre-push hook installed by `make hooks`.
type gitRepo struct {
	t          *testing.T
	dir, bare  string
	projectDir string
}

func (g *gitRepo) run(name string, args ...string) (string, error) {
	g.t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Dir = g.dir
	cmd.Env = append(os.Environ(), "GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@example.com", "GIT_COMMITTER_NAME=t",
		"GIT_COMMITTER_EMAIL=t@example.com", "GOFLAGS=-mod=mod")
	out, err := cmd.CombinedOutput()
	return string(out), err
}

func (g *gitRepo) must(name string, args ...string) string {
	g.t.Helper()
	out, err := g.run(name, args...)
	if err != nil {
		g.t.Fatalf("%s %v: %v\n%s", name, args, err, out)
	}
	return out
}

func (g *gitRepo) write(path, content string) {
	g.t.Helper()
	full := filepath.Join(g.dir, path)
	if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
		g.t.Fatal(err)
	}
	if err := os.WriteFile(full, []byte(content), 0o644); err != nil {
		g.t.Fatal(err)
	}
}

func (g *gitRepo) commit(msg string) {
	g.t.Helper()
	g.must("git", "add", "-A")
	g.must("git", "commit", "-q", "-m", msg)
}

func newGitRepo(t *testing.T) *gitRepo {
	t.Helper()
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git is not installed")
	}
	project, err := filepath.Abs(root)
	if err != nil {
		t.Fatal(err)
	}
	tmp := t.TempDir()
	g := &gitRepo{t: t, dir: filepath.Join(tmp, "work"), bare: filepath.Join(tmp, "remote.git"), projectDir: project}
	if err := os.MkdirAll(g.dir, 0o755); err != nil {
		t.Fatal(err)
	}
	g.must("git", "init", "-q", "--bare", g.bare)
	g.must("git", "init", "-q", "-b", "main")
	g.must("git", "remote", "add", "origin", g.bare)
	hook, err := os.ReadFile(filepath.Join(project, ".githooks", "pre-push"))
	if err != nil {
		t.Fatal(err)
	}
	g.write(".githooks/pre-push", string(hook))
	if err := os.Chmod(filepath.Join(g.dir, ".githooks", "pre-push"), 0o755); err != nil {
		t.Fatal(err)
	}
	// The install command users run, from the project's Makefile.
	g.must("make", "-s", "-f", filepath.Join(project, "Makefile"), "hooks")
	if got := strings.TrimSpace(g.must("git", "config", "core.hooksPath")); got != ".githooks" {
		t.Fatalf("make hooks set core.hooksPath %q", got)
	}
	g.write("go.mod", "module example.com/hooktest\n\ngo 1.26\n")
	g.write("app/app.go", "package app\n\n// Greet greets.\nfunc Greet(name string) string { return \"hello \" + name }\n")
	g.write("app/app_test.go", "package app\n\nimport \"testing\"\n\nfunc TestGreet(t *testing.T) {\n\tif Greet(\"x\") != \"hello x\" {\n\t\tt.Fatal(Greet(\"x\"))\n\t}\n}\n")
	g.commit("a clean start")
	return g
}

func (g *gitRepo) remoteHead() string {
	out, _ := g.run("git", "--git-dir", g.bare, "rev-parse", "refs/heads/main")
	return strings.TrimSpace(out)
}

// The hook refuses a push whose code fails go vet or the unit tests, names the failure, leaves the remote as it
// was, and steps aside for --no-verify; a clean push goes through.
func TestPrePushHook(t *testing.T) {
	g := newGitRepo(t)
	// The first push carries go.mod, which a deployment runs: that is the preview's case (the end-to-end test
	// pushes a policy violation through it). Here the remote starts from it unchecked.
	if out, err := g.run("git", "push", "-q", "--no-verify", "origin", "main"); err != nil {
		t.Fatalf("setting up the remote: %v\n%s", err, out)
	}
	clean := g.remoteHead()

	g.write("app/app.go", "package app\n\nimport \"fmt\"\n\n// Greet greets.\nfunc Greet(name string) string { return fmt.Sprintf(\"hello %d\", name) }\n")
	g.commit("a vet failure")
	out, err := g.run("git", "push", "origin", "main")
	if err == nil || !strings.Contains(out, "go vet failed") || !strings.Contains(out, "Sprintf format %d has arg name of wrong type") {
		t.Fatalf("push of a vet failure: err %v\n%s", err, out)
	}
	if g.remoteHead() != clean {
		t.Fatal("the refused push reached the remote")
	}

	g.write("app/app.go", "package app\n\n// Greet greets.\nfunc Greet(name string) string { return \"hi \" + name }\n")
	g.commit("a failing test")
	out, err = g.run("git", "push", "origin", "main")
	if err == nil || !strings.Contains(out, "unit tests failed") || !strings.Contains(out, "--- FAIL: TestGreet") {
		t.Fatalf("push of a failing test: err %v\n%s", err, out)
	}
	if !strings.Contains(out, "git push --no-verify") {
		t.Errorf("the refusal does not say how to skip the hook:\n%s", out)
	}
	// What is checked is the commit, not the working tree: an uncommitted fix does not let it through.
	g.write("app/app.go", "package app\n\n// Greet greets.\nfunc Greet(name string) string { return \"hello \" + name }\n")
	if _, err := g.run("git", "push", "origin", "main"); err == nil {
		t.Fatal("an uncommitted fix let a failing commit through")
	}
	if out, err := g.run("git", "push", "-q", "--no-verify", "origin", "main"); err != nil || g.remoteHead() == clean {
		t.Fatalf("--no-verify did not skip the hook: %v\n%s", err, out)
	}
	g.commit("the fix")
	if out, err := g.run("git", "push", "origin", "main"); err != nil || !strings.Contains(out, "all checks passed") {
		t.Fatalf("a clean push was refused: %v\n%s", err, out)
	}
	if out, _ := g.run("git", "worktree", "list"); strings.Count(out, "\n") != 1 {
		t.Errorf("the hook left worktrees behind:\n%s", out)
	}
}
