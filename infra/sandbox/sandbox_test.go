package sandbox

import (
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestAliveThroughWrapper: a process started through set-up programs that exec the real binary counts as alive
// while a wrapper still runs it and after the exec, and not once it exited.
func TestAliveThroughWrapper(t *testing.T) {
	sleep, err := exec.LookPath("sleep")
	if err != nil {
		t.Skip("no sleep")
	}
	dir := t.TempDir()
	if err := os.MkdirAll(dir+"/logs", 0o700); err != nil {
		t.Fatal(err)
	}
	// The wrapper (sh) waits a moment before exec'ing sleep, so the first check sees the wrapper.
	p, err := spawn(dir, "w", []string{"/bin/sh", "-c", "sleep 0.3; exec \"$@\"", "wrapper"}, sleep, []string{"2"})
	if err != nil {
		t.Fatal(err)
	}
	if !alive(p) {
		t.Fatal("not alive while the wrapper runs")
	}
	time.Sleep(700 * time.Millisecond)
	exe, _ := os.Readlink("/proc/" + strconv.Itoa(p.PID) + "/exe")
	if !strings.HasSuffix(exe, "sleep") || !alive(p) {
		t.Fatalf("after exec: exe %s, alive %v", exe, alive(p))
	}
	without := p
	without.Via = nil
	without.Bin = "/bin/true"
	if alive(without) {
		t.Fatal("a process running another binary counts as alive")
	}
	if err := stopProcesses([]Process{p}, time.Second); err != nil {
		t.Fatal(err)
	}
	time.Sleep(100 * time.Millisecond)
	if alive(p) {
		t.Fatal("alive after stop")
	}
}

// TestNodeConfigs pins the settings this kind of machine needs (see the package doc and the README).
func TestNodeConfigs(t *testing.T) {
	ns := &NodeState{NodeIP: "10.250.3.2", HostIP: "10.250.3.1", PodCIDR: "10.251.3.0/24", CgroupRoot: "/wechat-sandbox-3", Containerd: "/x/containerd.sock"}
	p := &pki{dir: "/x/pki"}
	kubelet := kubeletConfig("/x/node", ns, p, "/etc/resolv.conf")
	containerd := containerdConfig("/x/node", ns, NodeBinaries{CNIDir: "/usr/lib/cni", Runc: "/usr/sbin/runc"})
	proxy := kubeProxyConfig("/x", ns)
	for _, c := range []struct{ doc, want string }{
		{kubelet, "failCgroupV1: false"}, {kubelet, "oomScoreAdj: 0"}, {kubelet, "cgroupRoot: /wechat-sandbox-3"},
		{kubelet, "address: 10.250.3.2"}, {kubelet, "anonymous: {enabled: false}"}, {kubelet, "readOnlyPort: 0"},
		{containerd, "restrict_oom_score_adj = true"}, {containerd, `sandbox_image = "` + PauseImage + `"`},
		{containerd, "SystemdCgroup = false"}, {containerd, `state = "/run/containerd"`},
		{proxy, "mode: nftables"}, {proxy, "maxPerCore: 0"}, {proxy, "clusterCIDR: 10.251.3.0/24"},
	} {
		if !strings.Contains(c.doc, c.want) {
			t.Errorf("missing %q in:\n%s", c.want, c.doc)
		}
	}
}
