package tools

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
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

// TestAdoptsInstalledTools: a pulumi CLI on PATH of the pinned version and the provider plugin of the pinned
// version under PULUMI_HOME become the cache entries without a build (a go that fails stands guard); another
// version, an adopted binary that has gone, or WECHAT_DEPLOY_BUILD_TOOLS=1 go to the build.
func TestAdoptsInstalledTools(t *testing.T) {
	pin, err := Version("../..", "PULUMI_VERSION")
	if err != nil {
		t.Fatal(err)
	}
	k8sPin, err := Version("../..", "PULUMI_K8S_VERSION")
	if err != nil {
		t.Fatal(err)
	}
	tmp := t.TempDir()
	bin, cache, home := filepath.Join(tmp, "bin"), filepath.Join(tmp, "cache"), filepath.Join(tmp, "pulumi-home")
	write := func(path, body string) {
		t.Helper()
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(body), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	write(filepath.Join(bin, "go"), "#!/bin/sh\necho 'go: building is not allowed here' >&2\nexit 1\n")
	plugin := filepath.Join(home, "plugins", "resource-kubernetes-v"+k8sPin, "pulumi-resource-kubernetes")
	write(plugin, "#!/bin/sh\n")
	run := func(version string, env ...string) (string, error) {
		write(filepath.Join(bin, "pulumi"), "#!/bin/sh\necho v"+version+"\n")
		cmd := exec.Command("bash", "tools.sh", "pulumi", "k8s-provider")
		cmd.Env = append(os.Environ(), append([]string{"PATH=" + bin + ":/usr/bin:/bin", "WECHAT_DEPLOY_TOOLS=" + cache, "PULUMI_HOME=" + home}, env...)...)
		out, err := cmd.CombinedOutput()
		return string(out), err
	}

	if out, err := run(pin); err != nil || strings.Count(out, "(the pinned version: no build)") != 2 {
		t.Fatalf("the installed tools were not adopted: %v\n%s", err, out)
	}
	for tool, want := range map[string]string{
		"pulumi-" + pin + "/bin/pulumi":                                            filepath.Join(bin, "pulumi"),
		"pulumi-resource-kubernetes-" + k8sPin + "/bin/pulumi-resource-kubernetes": plugin,
	} {
		if got, err := os.Readlink(filepath.Join(cache, tool)); err != nil || got != want {
			t.Errorf("%s links to %q (%v), want %s", tool, got, err, want)
		}
	}
	// Adopted once, reused: no second message, no build.
	if out, err := run(pin); err != nil || strings.Contains(out, "no build") {
		t.Errorf("second call: %v\n%s", err, out)
	}
	// The plugin goes away: its entry is dropped and a build is attempted (and fails here).
	if err := os.Remove(plugin); err != nil {
		t.Fatal(err)
	}
	if out, err := run(pin); err == nil || !strings.Contains(out, "building pulumi-resource-kubernetes") {
		t.Errorf("a vanished plugin was not rebuilt: %v\n%s", err, out)
	}
	// Another version on PATH is not the pin; the switch forces the build too.
	for _, c := range []struct {
		version string
		env     []string
	}{{"3.0.0", nil}, {pin, []string{"WECHAT_DEPLOY_BUILD_TOOLS=1"}}} {
		if err := os.RemoveAll(cache); err != nil {
			t.Fatal(err)
		}
		if out, err := run(c.version, c.env...); err == nil || !strings.Contains(out, "building pulumi-"+pin) {
			t.Errorf("pulumi v%s %v: %v\n%s", c.version, c.env, err, out)
		}
	}
}
