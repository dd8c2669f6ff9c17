package deploy

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestMakeKeepsTheUsersGoFlags: make adds -trimpath to the GOFLAGS the go command would use, including ones set
// only in the user's go env file (`go env -w GOFLAGS=…`), which an exported GOFLAGS hides from the go command;
// a flag given in the environment is kept too, and -trimpath is not repeated.
func TestMakeKeepsTheUsersGoFlags(t *testing.T) {
	if _, err := exec.LookPath("make"); err != nil {
		t.Skip("make is not installed")
	}
	goenv := filepath.Join(t.TempDir(), "go.env")
	if err := os.WriteFile(goenv, []byte("GOFLAGS=-tags=from_go_env_file\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ env, want string }{
		{"", "-tags=from_go_env_file -trimpath"},
		{"-mod=mod -trimpath", "-mod=mod -trimpath"},
	} {
		cmd := exec.Command("make", "-s", "--eval", "goflags: ; @echo \"$$GOFLAGS\"", "goflags")
		cmd.Dir = root
		env := slices.DeleteFunc(os.Environ(), func(e string) bool { return strings.HasPrefix(e, "GOFLAGS=") })
		if env = append(env, "GOENV="+goenv); c.env != "" {
			env = append(env, "GOFLAGS="+c.env)
		}
		cmd.Env = env
		out, err := cmd.CombinedOutput()
		if got := strings.TrimSpace(string(out)); err != nil || got != c.want {
			t.Errorf("GOFLAGS %q in the environment: make runs go with GOFLAGS %q (%v), want %q", c.env, got, err, c.want)
		}
	}
}
