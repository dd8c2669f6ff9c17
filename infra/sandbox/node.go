package sandbox

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/wechat-deploy/wechat-deploy/components/image"
)

// RealNodeName is the node whose kubelet runs real containers.
const RealNodeName = "sandbox-node"

// PauseImage is the pod sandbox image the node's containerd uses; the sandbox builds and imports it.
const PauseImage = "sandbox.local/pause:wechat-deploy"

// NodeBinaries are the programs of the real node: containerd, its runc shim and runc, and ctr from the
// distribution's packages; kubelet and kube-proxy built at the pinned Kubernetes release; the CNI plugins.
type NodeBinaries struct {
	Containerd, Ctr, Runc, Shim string
	Kubelet, KubeProxy          string
	// CNIDir holds the bridge, host-local, loopback and portmap plugins.
	CNIDir string
	// IP, Unshare, Nsenter and Nft are the iproute2, util-linux and nftables commands that set the node up.
	IP, Unshare, Nsenter, Nft string
}

// NodeOptions configure the real node of Start.
type NodeOptions struct {
	Binaries NodeBinaries
	// PauseArchive is an OCI archive of PauseImage (see BuildPause).
	PauseArchive string
	// HostResolver makes the pods resolve names through a DNS server on the host end of the veth (NodeState.HostIP,
	// port 53) that the caller runs, instead of the host's resolv.conf: tests use it to stand in for outside hosts.
	HostResolver bool
}

// NodeState records the real node: its network namespace and addresses, the cgroup it confines pods to and
// containerd's socket, so that Stop can take everything down again.
type NodeState struct {
	Name string `json:"name"`
	// NetNS is the node's network namespace (ip netns name); HostIf the host end of its veth.
	NetNS  string `json:"netns"`
	HostIf string `json:"hostIf"`
	// HostIP is the host end of the veth (the API server listens there); NodeIP the node's InternalIP.
	HostIP string `json:"hostIP"`
	NodeIP string `json:"nodeIP"`
	// PodCIDR is the range the bridge CNI gives pods.
	PodCIDR string `json:"podCIDR"`
	// NetnsMount records that /run/netns was not a mount point before (ip netns add makes it one): the last
	// sandbox to leave unmounts it, and removes the directory if it made that too.
	NetnsMount bool `json:"netnsMount,omitempty"`
	NetnsDir   bool `json:"netnsDir,omitempty"`
	// CgroupRoot is the kubelet's cgroup root (under every v1 hierarchy).
	CgroupRoot string `json:"cgroupRoot"`
	// Containerd is containerd's socket; MountNS the node's private mount namespace (as /proc/PID/ns/mnt reads).
	Containerd string `json:"containerd"`
	MountNS    string `json:"mountNS"`
	// CtrPath and IP are the ctr and ip commands the node was set up with; Stop uses them again.
	CtrPath string `json:"ctr"`
	IP      string `json:"ip"`
	// Ready is how long the node took from the start of containerd to Ready.
	Ready time.Duration `json:"ready"`
}

// nodePath is PATH for the node's processes: containerd finds its shim and runc there, kube-proxy nft.
const nodePath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

// FindNodeBinaries locates the distribution's node programs and the pinned kubelet and kube-proxy (in
// kubernetesNodeDir/bin). It fails with the packages to install when one is missing, and when not run as root
// (the node creates namespaces, mounts and cgroups).
func FindNodeBinaries(kubernetesNodeDir string) (NodeBinaries, error) {
	if os.Geteuid() != 0 {
		return NodeBinaries{}, errors.New("the sandbox's real node needs root (it creates a network namespace, mounts and cgroups); " +
			"run as root, or use an existing cluster (existing.kubeconfigPath)")
	}
	var missing []string
	look := func(name string) string {
		for _, dir := range filepath.SplitList(nodePath) {
			p := filepath.Join(dir, name)
			if st, err := os.Stat(p); err == nil && !st.IsDir() {
				return p
			}
		}
		missing = append(missing, name)
		return ""
	}
	b := NodeBinaries{
		Containerd: look("containerd"), Ctr: look("ctr"), Runc: look("runc"), Shim: look("containerd-shim-runc-v2"),
		IP: look("ip"), Unshare: look("unshare"), Nsenter: look("nsenter"), Nft: look("nft"),
		Kubelet:   filepath.Join(kubernetesNodeDir, "bin", "kubelet"),
		KubeProxy: filepath.Join(kubernetesNodeDir, "bin", "kube-proxy"),
	}
	for _, dir := range []string{"/usr/lib/cni", "/opt/cni/bin"} {
		if _, err := os.Stat(filepath.Join(dir, "bridge")); err == nil {
			b.CNIDir = dir
			break
		}
	}
	if b.CNIDir == "" {
		missing = append(missing, "CNI plugins (bridge, host-local, loopback, portmap)")
	}
	if len(missing) > 0 {
		return b, fmt.Errorf("the sandbox's real node needs %s; on Debian or Ubuntu: "+
			"apt-get install containerd runc containernetworking-plugins nftables iproute2 util-linux", strings.Join(missing, ", "))
	}
	for _, p := range []string{b.Kubelet, b.KubeProxy} {
		if _, err := os.Stat(p); err != nil {
			return b, fmt.Errorf("the sandbox's real node: %w (make tools builds it)", err)
		}
	}
	return b, nil
}

// planNodeNetwork picks the first 10.250.N.0/30 (veth) and 10.251.N.0/24 (pods) that no host interface or route
// uses, so that two sandboxes on one machine do not collide.
func planNodeNetwork(ipCmd string) (*NodeState, error) {
	out, err := exec.Command(ipCmd, "-o", "-4", "addr").CombinedOutput()
	if err != nil {
		return nil, fmt.Errorf("listing addresses: %w: %s", err, out)
	}
	routes, err := exec.Command(ipCmd, "-o", "-4", "route", "show", "table", "all").CombinedOutput()
	if err != nil {
		return nil, fmt.Errorf("listing routes: %w: %s", err, routes)
	}
	used := string(out) + string(routes)
	netns, _ := exec.Command(ipCmd, "netns", "list").Output()
	for n := range 256 {
		name := "wd-sandbox-" + strconv.Itoa(n)
		if strings.Contains(used, fmt.Sprintf("10.250.%d.", n)) || strings.Contains(used, fmt.Sprintf("10.251.%d.", n)) ||
			slices.Contains(strings.Fields(string(netns)), name) {
			continue
		}
		return &NodeState{
			Name: RealNodeName, NetNS: name, HostIf: fmt.Sprintf("wdsb%dh", n), IP: ipCmd,
			HostIP: fmt.Sprintf("10.250.%d.1", n), NodeIP: fmt.Sprintf("10.250.%d.2", n),
			PodCIDR: fmt.Sprintf("10.251.%d.0/24", n), CgroupRoot: fmt.Sprintf("/wechat-sandbox-%d", n),
		}, nil
	}
	return nil, errors.New("no free 10.250.N.0/30 for the sandbox node")
}

// createNodeNetwork makes the node's network namespace and the veth pair that links it to the host.
func createNodeNetwork(ns *NodeState) error {
	ns.NetnsMount = !slices.Contains(mountPoints(), netnsDir)
	if _, err := os.Stat(netnsDir); errors.Is(err, os.ErrNotExist) {
		ns.NetnsDir = true
	}
	nodeIf := strings.TrimSuffix(ns.HostIf, "h") + "n"
	steps := [][]string{
		{"netns", "add", ns.NetNS},
		{"link", "add", ns.HostIf, "type", "veth", "peer", "name", nodeIf},
		{"link", "set", nodeIf, "netns", ns.NetNS},
		{"addr", "add", ns.HostIP + "/30", "dev", ns.HostIf},
		{"link", "set", ns.HostIf, "up"},
		{"-n", ns.NetNS, "link", "set", "lo", "up"},
		{"-n", ns.NetNS, "link", "set", nodeIf, "name", "eth0"},
		{"-n", ns.NetNS, "addr", "add", ns.NodeIP + "/30", "dev", "eth0"},
		{"-n", ns.NetNS, "link", "set", "eth0", "up"},
		{"-n", ns.NetNS, "route", "add", "default", "via", ns.HostIP},
	}
	for _, s := range steps {
		if out, err := exec.Command(ns.IP, s...).CombinedOutput(); err != nil {
			return fmt.Errorf("setting up the node network (ip %s): %w: %s", strings.Join(s, " "), err, out)
		}
	}
	return nil
}

// netnsDir is where ip netns keeps named network namespaces.
const netnsDir = "/run/netns"

// kernelTunables are the global settings the kubelet writes at start (pkg/kubelet/cm setupKernelTunables). In the
// node's mount namespace each is covered by a file of its own, so the host's values never change.
var kernelTunables = []string{
	"vm/overcommit_memory", "vm/panic_on_oom", "kernel/panic", "kernel/panic_on_oops",
	"kernel/keys/root_maxkeys", "kernel/keys/root_maxbytes",
}

// startNode starts containerd, the kubelet and kube-proxy of the real node and waits until the node is Ready.
func startNode(ctx context.Context, o Options, st *State, p *pki, run func(name string, wrap []string, bin string, args ...string) (Process, error)) error {
	ns, b := st.Node, o.Node.Binaries
	dir := filepath.Join(o.Dir, "node")
	for _, d := range []string{"run", "containerd", "kubelet", "pod-logs", "cni/net.d", "cni/ipam", "sysctl", "opt"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o700); err != nil {
			return err
		}
	}
	start := time.Now()
	if err := createCgroupRoot(ns.CgroupRoot); err != nil {
		return err
	}
	// The private mount namespace: /run (containerd's state, shim sockets, pod network namespaces) and /var/log
	// (the kubelet's /var/log/containers links) are the node's own, and so are the kernel settings above.
	var script strings.Builder
	script.WriteString("set -e\nmount --bind \"$1\" /run\nmount -t tmpfs -o mode=0755 node-logs /var/log\n")
	for _, t := range kernelTunables {
		cur, err := os.ReadFile(filepath.Join("/proc/sys", t))
		if err != nil {
			return fmt.Errorf("reading kernel setting %s: %w", t, err)
		}
		fake := filepath.Join(dir, "sysctl", strings.ReplaceAll(t, "/", "."))
		if err := os.WriteFile(fake, cur, 0o600); err != nil {
			return err
		}
		fmt.Fprintf(&script, "mount --bind %q /proc/sys/%s\n", fake, t)
	}
	script.WriteString("shift\nexec \"$@\"\n")
	ns.Containerd = filepath.Join(dir, "containerd.sock")
	ns.CtrPath = b.Ctr
	cfg := filepath.Join(dir, "containerd.toml")
	if err := os.WriteFile(cfg, []byte(containerdConfig(dir, ns, b)), 0o600); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "cni", "net.d", "10-sandbox.conflist"), []byte(cniConfig(dir, ns)), 0o600); err != nil {
		return err
	}
	wrap := []string{b.Unshare, "--mount", "--propagation", "private", "--", b.Nsenter, "--net=/run/netns/" + ns.NetNS, "--",
		"/bin/sh", "-c", script.String(), "node-setup", filepath.Join(dir, "run")}
	containerd, err := run("containerd", wrap, b.Containerd, "--config", cfg)
	if err != nil {
		return err
	}
	if err := waitFor(ctx, st, "containerd", func() bool { _, err := os.Stat(ns.Containerd); return err == nil }); err != nil {
		return err
	}
	mnt, err := os.Readlink(fmt.Sprintf("/proc/%d/ns/mnt", containerd.PID))
	if err != nil {
		return err
	}
	ns.MountNS = mnt
	if err := ImportImage(ctx, ns, o.Node.PauseArchive); err != nil {
		return err
	}

	// Certificates: the kubelet's client (node authorizer) and serving certificates, kube-proxy's client.
	for _, c := range []struct {
		name, cn string
		groups   []string
		hosts    []string
	}{
		{"kubelet", "system:node:" + RealNodeName, []string{"system:nodes"}, nil},
		{"kubelet-serving", RealNodeName, nil, []string{ns.NodeIP, RealNodeName}},
		{"kube-proxy", "system:kube-proxy", nil, nil},
	} {
		if err := p.issue(c.name, c.cn, c.groups, c.hosts); err != nil {
			return err
		}
	}
	for _, user := range []string{"kubelet", "kube-proxy"} {
		if err := writeKubeconfig(filepath.Join(o.Dir, user+".kubeconfig"), st.Server, p, user); err != nil {
			return err
		}
	}
	resolv := "/etc/resolv.conf"
	if o.Node.HostResolver {
		resolv = filepath.Join(dir, "resolv.conf")
		if err := os.WriteFile(resolv, []byte("nameserver "+ns.HostIP+"\noptions ndots:1\n"), 0o644); err != nil {
			return err
		}
	}
	kcfg := filepath.Join(dir, "kubelet.yaml")
	if err := os.WriteFile(kcfg, []byte(kubeletConfig(dir, ns, p, resolv)), 0o600); err != nil {
		return err
	}
	pcfg := filepath.Join(dir, "kube-proxy.yaml")
	if err := os.WriteFile(pcfg, []byte(kubeProxyConfig(o.Dir, ns)), 0o600); err != nil {
		return err
	}
	enter := []string{b.Nsenter, fmt.Sprintf("--target=%d", containerd.PID), "--mount", "--net", "--"}
	if _, err := run("kubelet", enter, b.Kubelet, "--config="+kcfg, "--kubeconfig="+filepath.Join(o.Dir, "kubelet.kubeconfig"),
		"--node-ip="+ns.NodeIP, "--hostname-override="+RealNodeName, "--root-dir="+filepath.Join(dir, "kubelet"),
		"--node-labels=topology.kubernetes.io/zone=sandbox-a,node.kubernetes.io/instance-type=sandbox", "--v=1"); err != nil {
		return err
	}
	if _, err := run("kube-proxy", enter, b.KubeProxy, "--config="+pcfg, "--v=1"); err != nil {
		return err
	}
	admin, err := adminClient(p)
	if err != nil {
		return err
	}
	if err := waitHTTP(ctx, st, "kubelet", st.Server+"/api/v1/nodes/"+RealNodeName, admin, nodeReady); err != nil {
		return err
	}
	ns.Ready = time.Since(start)
	o.logf("sandbox: node %s Ready after %s (containerd, kubelet, kube-proxy in network namespace %s)\n", RealNodeName, ns.Ready.Round(time.Millisecond), ns.NetNS)
	return nil
}

// ImportImage imports an OCI or Docker archive into the node's containerd (the kubelet's k8s.io namespace),
// under the names its index gives, so that pods reference it by name@sha256 without a registry.
func ImportImage(ctx context.Context, ns *NodeState, archive string) error {
	if _, err := ns.Ctr(ctx, "images", "import", archive); err != nil {
		return fmt.Errorf("importing %s into the node: %w", archive, err)
	}
	return nil
}

// Ctr runs ctr against the node's containerd, in the kubelet's k8s.io namespace, and returns its trimmed output;
// a failure carries that output.
func (n *NodeState) Ctr(ctx context.Context, args ...string) (string, error) {
	out, err := exec.CommandContext(ctx, n.CtrPath, append([]string{"--address", n.Containerd, "--namespace", "k8s.io"}, args...)...).CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("ctr %s: %w: %s", strings.Join(args, " "), err, out)
	}
	return strings.TrimSpace(string(out)), nil
}

// BuildImage builds g into an image named repository@<digest>, imports it into the node and returns that
// reference: how the sandbox runs images without a registry.
func (n *NodeState) BuildImage(ctx context.Context, g image.Builder, repository string) (string, error) {
	img, err := g.Build(ctx)
	if err != nil {
		return "", err
	}
	digest, err := img.Digest()
	if err != nil {
		return "", err
	}
	ref := repository + "@" + digest.String()
	dir, err := os.MkdirTemp("", "sandbox-image-")
	if err != nil {
		return "", err
	}
	defer func() { _ = os.RemoveAll(dir) }()
	archive := filepath.Join(dir, "image.tar")
	if err := image.WriteArchive(img, ref, archive); err != nil {
		return "", err
	}
	return ref, ImportImage(ctx, n, archive)
}

func containerdConfig(dir string, ns *NodeState, b NodeBinaries) string {
	return fmt.Sprintf(`version = 2
root = %[1]q
state = "/run/containerd"
oom_score = 0
disabled_plugins = ["io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs",
  "io.containerd.snapshotter.v1.devmapper", "io.containerd.snapshotter.v1.aufs", "io.containerd.tracing.processor.v1.otlp"]

[grpc]
  address = %[2]q

[ttrpc]
  address = %[3]q

[plugins."io.containerd.internal.v1.opt"]
  path = %[4]q

[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = %[5]q
  # root without CAP_SYS_RESOURCE cannot lower oom_score_adj: clamp the kubelet's values to containerd's own.
  restrict_oom_score_adj = true
  enable_selinux = false
  disable_apparmor = true
  stream_server_address = "127.0.0.1"
  stream_server_port = "0"
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = %[6]q
    conf_dir = %[7]q
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        SystemdCgroup = false
        BinaryName = %[8]q
`, filepath.Join(dir, "containerd"), ns.Containerd, ns.Containerd+".ttrpc", filepath.Join(dir, "opt"), PauseImage,
		b.CNIDir, filepath.Join(dir, "cni", "net.d"), b.Runc)
}

func cniConfig(dir string, ns *NodeState) string {
	return fmt.Sprintf(`{
  "cniVersion": "1.0.0",
  "name": "sandbox",
  "plugins": [
    {"type": "bridge", "bridge": "cni0", "isGateway": true, "ipMasq": true, "hairpinMode": true,
     "ipam": {"type": "host-local", "dataDir": %q, "ranges": [[{"subnet": %q}]], "routes": [{"dst": "0.0.0.0/0"}]}},
    {"type": "portmap", "capabilities": {"portMappings": true}}
  ]
}
`, filepath.Join(dir, "cni", "ipam"), ns.PodCIDR)
}

func kubeletConfig(dir string, ns *NodeState, p *pki, resolv string) string {
	return fmt.Sprintf(`apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
address: %[1]s
port: 10250
readOnlyPort: 0
healthzBindAddress: 127.0.0.1
healthzPort: 10248
tlsCertFile: %[2]s
tlsPrivateKeyFile: %[3]s
authentication:
  anonymous: {enabled: false}
  webhook: {enabled: true}
  x509: {clientCAFile: %[4]s}
authorization: {mode: Webhook}
containerRuntimeEndpoint: unix://%[5]s
cgroupDriver: cgroupfs
cgroupRoot: %[6]s
cgroupsPerQOS: true
# This kind of machine mounts cgroup v1 only; the kubelet refuses v1 unless told.
failCgroupV1: false
# Root here lacks CAP_SYS_RESOURCE: the kubelet must not lower its own oom_score_adj.
oomScoreAdj: 0
failSwapOn: false
protectKernelDefaults: false
podLogsDir: %[7]s
resolvConf: %[8]s
clusterDomain: cluster.local
serializeImagePulls: false
maxPods: 50
evictionHard: {memory.available: 100Mi, nodefs.available: 1%%, imagefs.available: 1%%, nodefs.inodesFree: 1%%}
imageGCHighThresholdPercent: 100
imageGCLowThresholdPercent: 99
nodeStatusReportFrequency: 10s
shutdownGracePeriod: 0s
`, ns.NodeIP, p.path("kubelet-serving.crt"), p.path("kubelet-serving.key"), p.path("ca.crt"), ns.Containerd,
		ns.CgroupRoot, filepath.Join(dir, "pod-logs"), resolv)
}

func kubeProxyConfig(sandboxDir string, ns *NodeState) string {
	return fmt.Sprintf(`apiVersion: kubeproxy.config.k8s.io/v1alpha1
kind: KubeProxyConfiguration
mode: nftables
clientConnection: {kubeconfig: %s}
hostnameOverride: %s
clusterCIDR: %s
healthzBindAddress: 127.0.0.1:10256
metricsBindAddress: 127.0.0.1:10249
# conntrack limits are global (a module parameter): leave the host's alone.
conntrack: {maxPerCore: 0, min: 0, tcpEstablishedTimeout: 0s, tcpCloseWaitTimeout: 0s}
`, filepath.Join(sandboxDir, "kube-proxy.kubeconfig"), RealNodeName, ns.PodCIDR)
}

// mount is one line of /proc/self/mountinfo: where it is mounted and its file system type.
type mount struct{ point, fstype string }

func mounts() []mount {
	b, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		return nil
	}
	var out []mount
	for line := range strings.Lines(string(b)) {
		fields := strings.Fields(line)
		sep := slices.Index(fields, "-")
		if len(fields) < 5 || sep < 0 || sep+1 >= len(fields) {
			continue
		}
		out = append(out, mount{point: fields[4], fstype: fields[sep+1]})
	}
	return out
}

// mountPoints lists the host's mount points (a path mounted twice appears twice).
func mountPoints() []string {
	var out []string
	for _, m := range mounts() {
		out = append(out, m.point)
	}
	return out
}

// cgroupHierarchies are the mounted cgroup v1 hierarchies (and the v2 one when mounted), by path.
func cgroupHierarchies() []string {
	var out []string
	for _, m := range mounts() {
		if m.fstype == "cgroup" || m.fstype == "cgroup2" {
			out = append(out, m.point)
		}
	}
	return out
}

// createCgroupRoot makes the kubelet's cgroup root in every hierarchy (the kubelet requires it to exist); cpuset
// needs its CPUs and memory nodes copied from the parent before tasks may join.
func createCgroupRoot(root string) error {
	for _, h := range cgroupHierarchies() {
		d := filepath.Join(h, root)
		if err := os.MkdirAll(d, 0o755); err != nil {
			return fmt.Errorf("creating cgroup %s: %w", d, err)
		}
		for _, f := range []string{"cpuset.cpus", "cpuset.mems"} {
			if v, err := os.ReadFile(filepath.Join(h, f)); err == nil {
				if err := os.WriteFile(filepath.Join(d, f), v, 0o644); err != nil {
					return fmt.Errorf("setting %s of cgroup %s: %w", f, d, err)
				}
			}
		}
	}
	return nil
}

// cgroupProcs lists the processes in the cgroup tree root (any hierarchy holds them all; pids is the usual one).
func cgroupProcs(root string) []int {
	var pids []int
	for _, h := range cgroupHierarchies() {
		// A cgroup may vanish while it is walked (its last task exited): what is left is still listed.
		_ = filepath.WalkDir(filepath.Join(h, root), func(path string, d os.DirEntry, err error) error {
			if err != nil {
				if errors.Is(err, os.ErrNotExist) {
					return nil
				}
				return err
			}
			if d.IsDir() || d.Name() != "cgroup.procs" {
				return nil
			}
			b, _ := os.ReadFile(path)
			for _, f := range strings.Fields(string(b)) {
				if pid, err := strconv.Atoi(f); err == nil && !slices.Contains(pids, pid) {
					pids = append(pids, pid)
				}
			}
			return nil
		})
	}
	return pids
}

// removeCgroupRoot removes the cgroup tree root from every hierarchy, deepest first.
func removeCgroupRoot(root string) error {
	var errs []error
	for _, h := range cgroupHierarchies() {
		var dirs []string
		_ = filepath.WalkDir(filepath.Join(h, root), func(path string, d os.DirEntry, err error) error {
			if err == nil && d.IsDir() {
				dirs = append(dirs, path)
			}
			return nil
		})
		for i := len(dirs) - 1; i >= 0; i-- {
			var err error
			for range 50 { // a cgroup whose last task just died stays busy for a moment
				if err = syscall.Rmdir(dirs[i]); err == nil || errors.Is(err, os.ErrNotExist) {
					err = nil
					break
				}
				time.Sleep(20 * time.Millisecond)
			}
			if err != nil {
				errs = append(errs, fmt.Errorf("removing cgroup %s: %w", dirs[i], err))
			}
		}
	}
	return errors.Join(errs...)
}

// processesInMountNS lists the processes whose mount namespace is mnt (the node's shims, after containerd).
func processesInMountNS(mnt string) []int {
	entries, _ := os.ReadDir("/proc")
	var pids []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == os.Getpid() {
			continue
		}
		if l, err := os.Readlink(fmt.Sprintf("/proc/%d/ns/mnt", pid)); err == nil && l == mnt {
			pids = append(pids, pid)
		}
	}
	return pids
}

// stopNode takes the real node down after its kubelet and kube-proxy stopped: every container (by cgroup),
// containerd, whatever is left in its mount namespace (the shims), the cgroups and the network namespace with
// its bridge, veth and nftables rules. Mounts made in the node's mount namespace go with it.
func stopNode(ns *NodeState, procs []Process) error {
	var errs []error
	ipCmd := cmp.Or(ns.IP, "ip") // a state written before the node recorded its ip command
	// Containers first, so that containerd does not restart them and the shims exit.
	killUntilGone(func() []int { return cgroupProcs(ns.CgroupRoot) })
	for i := len(procs) - 1; i >= 0; i-- {
		if procs[i].Name == "containerd" {
			if err := stopProcesses(procs[i:i+1], 10*time.Second); err != nil {
				errs = append(errs, err)
			}
		}
	}
	if ns.MountNS != "" {
		killUntilGone(func() []int { return processesInMountNS(ns.MountNS) })
	}
	if err := removeCgroupRoot(ns.CgroupRoot); err != nil {
		errs = append(errs, err)
	}
	if out, err := exec.Command(ipCmd, "netns", "delete", ns.NetNS).CombinedOutput(); err != nil && !strings.Contains(string(out), "No such file") {
		errs = append(errs, fmt.Errorf("deleting network namespace %s: %w: %s", ns.NetNS, err, out))
	}
	// The host end of the veth goes with its peer; make sure.
	if _, err := net.InterfaceByName(ns.HostIf); err == nil {
		_ = exec.Command(ipCmd, "link", "delete", ns.HostIf).Run()
	}
	if entries, err := os.ReadDir(netnsDir); err == nil && len(entries) == 0 {
		if ns.NetnsMount {
			if err := syscall.Unmount(netnsDir, syscall.MNT_DETACH); err != nil {
				errs = append(errs, fmt.Errorf("unmounting %s: %w", netnsDir, err))
			}
		}
		if ns.NetnsDir {
			_ = os.Remove(netnsDir)
		}
	}
	return errors.Join(errs...)
}

// killUntilGone sends SIGKILL to the processes list returns until it returns none (or 50 rounds passed).
func killUntilGone(list func() []int) {
	for range 50 {
		pids := list()
		if len(pids) == 0 {
			return
		}
		for _, pid := range pids {
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// waitFor polls ok until it holds, failing early when a process of the sandbox died.
func waitFor(ctx context.Context, st *State, component string, ok func() bool) error {
	for !ok() {
		for _, p := range st.Processes {
			if !alive(p) {
				return fmt.Errorf("%s exited while waiting for %s; last lines of %s:\n%s", p.Name, component, p.Log, tail(p.Log, 20))
			}
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%s not ready in time", component)
		case <-time.After(50 * time.Millisecond):
		}
	}
	return nil
}

// DialContext dials from inside the node's network namespace, where Service cluster IPs and pod IPs answer (the
// host has no route to them). The socket is made on a thread switched into the namespace and keeps it.
func (n *NodeState) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	runtime.LockOSThread()
	self, err := os.Open("/proc/thread-self/ns/net")
	if err != nil {
		runtime.UnlockOSThread()
		return nil, err
	}
	defer func() { _ = self.Close() }()
	target, err := os.Open(filepath.Join(netnsDir, n.NetNS))
	if err != nil {
		runtime.UnlockOSThread()
		return nil, fmt.Errorf("the node's network namespace: %w", err)
	}
	defer func() { _ = target.Close() }()
	if err := unix.Setns(int(target.Fd()), unix.CLONE_NEWNET); err != nil {
		runtime.UnlockOSThread()
		return nil, fmt.Errorf("entering network namespace %s: %w", n.NetNS, err)
	}
	conn, dialErr := (&net.Dialer{}).DialContext(ctx, network, addr)
	if err := unix.Setns(int(self.Fd()), unix.CLONE_NEWNET); err != nil {
		// The thread stays locked and in the wrong namespace: the runtime ends it with this goroutine.
		if conn != nil {
			_ = conn.Close()
		}
		return nil, fmt.Errorf("leaving network namespace %s: %w", n.NetNS, err)
	}
	runtime.UnlockOSThread()
	return conn, dialErr
}

// HostFootprint lists what a sandbox could leave on the host: mount points, network interfaces, named network
// namespaces, the nftables ruleset and the cgroups of sandbox nodes. Comparing it before Start and after Stop
// shows what was left behind.
func HostFootprint() map[string][]string {
	fp := map[string][]string{"mounts": mountPoints()}
	if ifs, err := net.Interfaces(); err == nil {
		for _, i := range ifs {
			fp["interfaces"] = append(fp["interfaces"], i.Name)
		}
	}
	if entries, err := os.ReadDir(netnsDir); err == nil {
		for _, e := range entries {
			fp["netns"] = append(fp["netns"], e.Name())
		}
	}
	if out, err := exec.Command("nft", "list", "ruleset").Output(); err == nil {
		fp["nftables"] = strings.Split(strings.TrimSpace(string(out)), "\n")
	}
	for _, h := range cgroupHierarchies() {
		matches, _ := filepath.Glob(filepath.Join(h, "wechat-sandbox-*"))
		fp["cgroups"] = append(fp["cgroups"], matches...)
	}
	for k := range fp {
		slices.Sort(fp[k])
	}
	return fp
}

// Memory sums the resident memory of everything the sandbox runs: its processes, the node's shims and the
// containers of its pods.
func (s *State) Memory() (int64, error) {
	pids := map[int]bool{}
	for _, p := range s.Processes {
		if alive(p) {
			pids[p.PID] = true
		}
	}
	if s.Node != nil {
		for _, pid := range append(processesInMountNS(s.Node.MountNS), cgroupProcs(s.Node.CgroupRoot)...) {
			pids[pid] = true
		}
	}
	var total int64
	for pid := range pids {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
		if err != nil {
			continue // exited meanwhile
		}
		for line := range strings.Lines(string(b)) {
			if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
				kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
				if err != nil {
					return 0, fmt.Errorf("reading memory of pid %d: %w", pid, err)
				}
				total += kb * 1024
			}
		}
	}
	return total, nil
}

// HasImage reports whether the node's containerd holds the image ref (what the kubelet can run without a
// registry); the release driver's rollback uses it for the sandbox in place of a registry lookup.
func (n *NodeState) HasImage(ctx context.Context, ref string) error {
	out, err := n.Ctr(ctx, "images", "ls", "-q", "name=="+ref)
	if err != nil {
		return fmt.Errorf("listing the node's images: %w", err)
	}
	if out != ref {
		return fmt.Errorf("image %s is not on the sandbox node", ref)
	}
	return nil
}
