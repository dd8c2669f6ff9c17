// Package sandbox runs a real Kubernetes cluster on this machine for trying the local stack and for the end to
// end tests: etcd, kube-apiserver, kube-controller-manager and kube-scheduler built from the pinned modules; a
// real node (containerd, runc, bridge CNI, kubelet and kube-proxy) whose pods run containers; and a KWOK node
// (tainted) for simulations at scale. The node lives in a network namespace of its own linked to the host by a
// veth pair, and in a private mount namespace that also hides the kernel settings the kubelet writes, so the host
// keeps its mounts, sysctls, bridges and firewall rules; Stop removes what Start made. The API server listens on
// the host end of that veth, every other listener on 127.0.0.1 (of the host or of the node). Processes outlive
// the command that started them and are stopped by PID.
package sandbox

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"
)

// Binaries are the programs the sandbox runs.
type Binaries struct {
	Etcd, APIServer, ControllerManager, Scheduler, Kwok string
	// KwokStages is a directory of KWOK Stage manifests (node and pod lifecycles).
	KwokStages string
}

// Options configure Start.
type Options struct {
	// Dir holds certificates, data, logs and the state file; it is created.
	Dir      string
	Binaries Binaries
	// Timeout bounds the whole start.
	Timeout time.Duration
	// Log receives progress lines (nil discards them).
	Log io.Writer
	// Node starts the real node; nil runs the control plane with the KWOK node alone (pods never start).
	Node *NodeOptions
}

// Process is one running program of the sandbox.
type Process struct {
	Name string `json:"name"`
	PID  int    `json:"pid"`
	Bin  string `json:"bin"`
	Log  string `json:"log"`
	// Via are the programs that exec Bin in the end (namespace set-up): while they run, the process is alive too.
	Via []string `json:"via,omitempty"`
}

// State is what a running sandbox records in <dir>/state.json.
type State struct {
	Kubeconfig string    `json:"kubeconfig"`
	Server     string    `json:"server"`
	Processes  []Process `json:"processes"`
	// Timings of the start, for reports.
	APIReady  time.Duration `json:"apiReady"`
	NodeReady time.Duration `json:"nodeReady"`
	// Node is the real node, when started.
	Node *NodeState `json:"node,omitempty"`
}

// NodeName is the simulated (KWOK) node. It is tainted when a real node runs, so that only pods that ask for it
// land there.
const NodeName = "sandbox-node-0"

// SimulatedTaint is the taint key of the KWOK node when a real node runs.
const SimulatedTaint = "kwok.x-k8s.io/node"

// StateFile is the state file of a sandbox directory.
func StateFile(dir string) string { return filepath.Join(dir, "state.json") }

// Load reads a sandbox's state; os.ErrNotExist when none was started there.
func Load(dir string) (*State, error) {
	b, err := os.ReadFile(StateFile(dir))
	if err != nil {
		return nil, err
	}
	var s State
	if err := json.Unmarshal(b, &s); err != nil {
		return nil, fmt.Errorf("reading %s: %w", StateFile(dir), err)
	}
	return &s, nil
}

// Running reports whether every process of the state is alive.
func (s *State) Running() bool {
	for _, p := range s.Processes {
		if !alive(p) {
			return false
		}
	}
	return len(s.Processes) > 0
}

// Start brings the control plane up and waits until the API answers and the node is Ready. On failure it stops
// whatever it started and says which component failed, with the tail of its log.
func Start(ctx context.Context, o Options) (st *State, err error) {
	if o.Timeout == 0 {
		o.Timeout = 2 * time.Minute
	}
	if o.Log == nil {
		o.Log = io.Discard
	}
	ctx, cancel := context.WithTimeout(ctx, o.Timeout)
	defer cancel()
	if prev, err := Load(o.Dir); err == nil {
		if prev.Running() {
			return prev, nil
		}
		// A sandbox that half died (a crash, a reboot): take down what is left of it (its node's namespace,
		// cgroups) before starting afresh.
		if err := stopAll(prev, 5*time.Second); err != nil {
			o.logf("sandbox: cleaning up the previous sandbox: %v\n", err)
		}
	}
	if err := os.RemoveAll(o.Dir); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Join(o.Dir, "logs"), 0o700); err != nil {
		return nil, err
	}
	start := time.Now()
	st = &State{Kubeconfig: filepath.Join(o.Dir, "kubeconfig")}
	defer func() {
		if err != nil {
			_ = stopAll(st, 5*time.Second)
		}
	}()

	ports, err := freePorts(7)
	if err != nil {
		return nil, err
	}
	etcdPort, peerPort, apiPort, kcmPort, schedPort, kwokPort := ports[0], ports[1], ports[2], ports[3], ports[4], ports[5]
	apiHost := "127.0.0.1"
	if o.Node != nil {
		ns, err := planNodeNetwork(o.Node.Binaries.IP)
		if err != nil {
			return nil, err
		}
		st.Node = ns
		if err := createNodeNetwork(ns); err != nil {
			return nil, err
		}
		// The kubelet, in the node's network namespace, reaches the API server on the host end of the veth.
		apiHost = ns.HostIP
	}
	st.Server = fmt.Sprintf("https://%s:%d", apiHost, apiPort)

	p, err := newPKI(filepath.Join(o.Dir, "pki"))
	if err != nil {
		return nil, fmt.Errorf("creating certificates: %w", err)
	}
	for _, c := range []struct {
		name, cn string
		groups   []string
		hosts    []string
	}{
		{"apiserver", "kube-apiserver", nil, []string{apiHost, "127.0.0.1", "localhost", "kubernetes", "kubernetes.default",
			"kubernetes.default.svc", "kubernetes.default.svc.cluster.local", "10.96.0.1"}},
		{"apiserver-kubelet-client", "kube-apiserver-kubelet-client", []string{"system:masters"}, nil},
		{"admin", "sandbox-admin", []string{"system:masters"}, nil},
		{"controller-manager", "system:kube-controller-manager", nil, nil},
		{"scheduler", "system:kube-scheduler", nil, nil},
		{"kwok", "kwok-controller", []string{"system:masters"}, nil},
		{"front-proxy-client", "front-proxy-client", nil, nil},
	} {
		if err := p.issue(c.name, c.cn, c.groups, c.hosts); err != nil {
			return nil, err
		}
	}
	if err := p.serviceAccountKeys(); err != nil {
		return nil, err
	}
	for _, user := range []string{"admin", "controller-manager", "scheduler", "kwok"} {
		path := filepath.Join(o.Dir, user+".kubeconfig")
		if user == "admin" {
			path = st.Kubeconfig
		}
		if err := writeKubeconfig(path, st.Server, p, user); err != nil {
			return nil, err
		}
	}

	runVia := func(name string, via []string, bin string, args ...string) (Process, error) {
		proc, err := spawn(o.Dir, name, via, bin, args)
		if err != nil {
			return proc, fmt.Errorf("starting %s: %w", name, err)
		}
		st.Processes = append(st.Processes, proc)
		o.logf("sandbox: started %s (pid %d)\n", name, proc.PID)
		return proc, nil
	}
	run := func(name, bin string, args ...string) error {
		_, err := runVia(name, nil, bin, args...)
		return err
	}
	b := o.Binaries
	etcdURL := fmt.Sprintf("http://127.0.0.1:%d", etcdPort)
	peerURL := fmt.Sprintf("http://127.0.0.1:%d", peerPort)
	if err := run("etcd", b.Etcd, "--name=sandbox", "--data-dir="+filepath.Join(o.Dir, "etcd"),
		"--listen-client-urls="+etcdURL, "--advertise-client-urls="+etcdURL,
		"--listen-peer-urls="+peerURL, "--initial-advertise-peer-urls="+peerURL,
		"--initial-cluster=sandbox="+peerURL, "--unsafe-no-fsync", "--log-level=warn"); err != nil {
		return nil, err
	}
	if err := waitHTTP(ctx, st, "etcd", etcdURL+"/health", nil, func(b []byte) bool { return bytes.Contains(b, []byte(`"health":"true"`)) }); err != nil {
		return nil, err
	}
	pki := p.path
	if err := run("kube-apiserver", b.APIServer,
		"--etcd-servers="+etcdURL, "--bind-address="+apiHost, "--advertise-address="+apiHost,
		fmt.Sprintf("--secure-port=%d", apiPort),
		"--tls-cert-file="+pki("apiserver.crt"), "--tls-private-key-file="+pki("apiserver.key"),
		"--client-ca-file="+pki("ca.crt"),
		"--service-account-key-file="+pki("sa.pub"), "--service-account-signing-key-file="+pki("sa.key"),
		"--service-account-issuer=https://kubernetes.default.svc",
		"--service-cluster-ip-range=10.96.0.0/16", "--authorization-mode=Node,RBAC",
		"--endpoint-reconciler-type=none", "--profiling=false",
		"--requestheader-client-ca-file="+pki("ca.crt"), "--requestheader-allowed-names=front-proxy-client",
		"--requestheader-username-headers=X-Remote-User", "--requestheader-group-headers=X-Remote-Group",
		"--requestheader-extra-headers-prefix=X-Remote-Extra-",
		"--proxy-client-cert-file="+pki("front-proxy-client.crt"), "--proxy-client-key-file="+pki("front-proxy-client.key"),
		// Logs, exec and port-forward: the API server calls the kubelet at its InternalIP, verifying it.
		"--kubelet-client-certificate="+pki("apiserver-kubelet-client.crt"), "--kubelet-client-key="+pki("apiserver-kubelet-client.key"),
		"--kubelet-certificate-authority="+pki("ca.crt"), "--kubelet-preferred-address-types=InternalIP",
	); err != nil {
		return nil, err
	}
	admin, err := adminClient(p)
	if err != nil {
		return nil, err
	}
	if err := waitHTTP(ctx, st, "kube-apiserver", st.Server+"/readyz", admin, func(b []byte) bool { return string(b) == "ok" }); err != nil {
		return nil, err
	}
	st.APIReady = time.Since(start)
	o.logf("sandbox: API ready after %s\n", st.APIReady.Round(time.Millisecond))

	kc := func(user string) string { return filepath.Join(o.Dir, user+".kubeconfig") }
	if err := run("kube-controller-manager", b.ControllerManager,
		"--kubeconfig="+kc("controller-manager"), "--authentication-kubeconfig="+kc("controller-manager"),
		"--authorization-kubeconfig="+kc("controller-manager"),
		"--service-account-private-key-file="+pki("sa.key"), "--root-ca-file="+pki("ca.crt"),
		"--cluster-signing-cert-file="+pki("ca.crt"), "--cluster-signing-key-file="+pki("ca.key"),
		"--use-service-account-credentials=true", "--leader-elect=false",
		"--bind-address=127.0.0.1", fmt.Sprintf("--secure-port=%d", kcmPort), "--profiling=false"); err != nil {
		return nil, err
	}
	if err := run("kube-scheduler", b.Scheduler,
		"--kubeconfig="+kc("scheduler"), "--authentication-kubeconfig="+kc("scheduler"),
		"--authorization-kubeconfig="+kc("scheduler"), "--leader-elect=false",
		"--bind-address=127.0.0.1", fmt.Sprintf("--secure-port=%d", schedPort), "--profiling=false"); err != nil {
		return nil, err
	}
	stages, err := writeStages(o.Dir, b.KwokStages)
	if err != nil {
		return nil, err
	}
	if err := run("kwok", b.Kwok, "--kubeconfig="+kc("kwok"), "--config="+stages,
		"--manage-all-nodes=false", "--manage-nodes-with-annotation-selector=kwok.x-k8s.io/node=fake",
		"--cidr=10.244.0.0/16", "--node-ip=127.0.0.1", "--node-lease-duration-seconds=40",
		fmt.Sprintf("--server-address=127.0.0.1:%d", kwokPort)); err != nil {
		return nil, err
	}
	insecure := &http.Client{Timeout: 2 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}} //nolint:gosec // self-signed loopback health endpoints
	okBody := func(b []byte) bool { return string(b) == "ok" }
	if err := waitHTTP(ctx, st, "kube-controller-manager", fmt.Sprintf("https://127.0.0.1:%d/healthz", kcmPort), insecure, okBody); err != nil {
		return nil, err
	}
	if err := waitHTTP(ctx, st, "kube-scheduler", fmt.Sprintf("https://127.0.0.1:%d/healthz", schedPort), insecure, okBody); err != nil {
		return nil, err
	}
	if err := createNode(ctx, admin, st.Server, o.Node != nil); err != nil {
		return nil, err
	}
	if err := waitHTTP(ctx, st, "kwok", st.Server+"/api/v1/nodes/"+NodeName, admin, nodeReady); err != nil {
		return nil, err
	}
	if o.Node != nil {
		if err := startNode(ctx, o, st, p, runVia); err != nil {
			return nil, err
		}
		if err := createVolumes(ctx, admin, st.Server, filepath.Join(o.Dir, "node", "volumes")); err != nil {
			return nil, fmt.Errorf("creating the sandbox's volumes: %w", err)
		}
	}
	st.NodeReady = time.Since(start)
	o.logf("sandbox: nodes Ready after %s; kubeconfig: %s\n", st.NodeReady.Round(time.Millisecond), st.Kubeconfig)
	b2, _ := json.MarshalIndent(st, "", "  ")
	return st, os.WriteFile(StateFile(o.Dir), b2, 0o600)
}

// Stop stops a sandbox's processes (newest first) by PID and keeps its directory (logs) for inspection.
func Stop(dir string) error {
	st, err := Load(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	if err := stopAll(st, 10*time.Second); err != nil {
		return err
	}
	return os.Remove(StateFile(dir))
}

// stopAll stops the node's agents, then the node itself (containers, containerd, namespaces, cgroups), then the
// control plane.
func stopAll(st *State, grace time.Duration) error {
	var errs []error
	if st.Node != nil {
		var agents []Process
		for _, p := range st.Processes {
			if p.Name == "kubelet" || p.Name == "kube-proxy" {
				agents = append(agents, p)
			}
		}
		errs = append(errs, stopProcesses(agents, grace), stopNode(st.Node, st.Processes))
	}
	errs = append(errs, stopProcesses(st.Processes, grace))
	return errors.Join(errs...)
}

// logf writes a progress line to o.Log. Progress is for the person watching: a failed write to it must not fail
// the sandbox, so its error is dropped here, once.
func (o Options) logf(format string, args ...any) {
	_, _ = fmt.Fprintf(o.Log, format, args...)
}

func freePorts(n int) ([]int, error) {
	var ports []int
	var lns []net.Listener
	defer func() {
		for _, l := range lns {
			// The listeners only reserved ports to learn their numbers; there is nothing to do if one fails to close.
			_ = l.Close()
		}
	}()
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		lns = append(lns, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}

// spawn starts a detached process (own session) logging to <dir>/logs/<name>.log; via, when set, is a command
// line that sets the process up and execs bin with args in the end.
func spawn(dir, name string, via []string, bin string, args []string) (Process, error) {
	if _, err := os.Stat(bin); err != nil {
		return Process{}, err
	}
	logPath := filepath.Join(dir, "logs", name+".log")
	f, err := os.Create(logPath)
	if err != nil {
		return Process{}, err
	}
	// The child writes the log through its own descriptor; the parent never writes to f, so closing its copy
	// cannot lose data.
	defer func() { _ = f.Close() }()
	argv := append(slices.Clone(via), bin)
	argv = append(argv, args...)
	cmd := exec.Command(argv[0], argv[1:]...)
	if len(via) > 0 {
		cmd.Env = append(os.Environ(), "PATH="+nodePath)
	}
	cmd.Stdout, cmd.Stderr = f, f
	cmd.Dir = dir
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		return Process{}, err
	}
	go func() { _ = cmd.Wait() }() // reap it if it dies while we are still running
	var wrappers []string
	for _, a := range via {
		if filepath.IsAbs(a) {
			if _, err := os.Stat(a); err == nil {
				wrappers = append(wrappers, a)
			}
		}
	}
	return Process{Name: name, PID: cmd.Process.Pid, Bin: bin, Log: logPath, Via: wrappers}, nil
}

// alive reports whether the PID still runs the recorded binary (a recycled PID does not count).
func alive(p Process) bool {
	exe, err := os.Readlink(fmt.Sprintf("/proc/%d/exe", p.PID))
	if err != nil {
		return false
	}
	exe = strings.TrimSuffix(exe, " (deleted)")
	for _, bin := range append([]string{p.Bin}, p.Via...) {
		want, _ := filepath.EvalSymlinks(bin)
		if exe == bin || exe == want {
			return true
		}
	}
	return false
}

func stopProcesses(procs []Process, grace time.Duration) error {
	for i := len(procs) - 1; i >= 0; i-- {
		p := procs[i]
		if !alive(p) {
			continue
		}
		_ = syscall.Kill(p.PID, syscall.SIGTERM)
		deadline := time.Now().Add(grace)
		for alive(p) && time.Now().Before(deadline) {
			time.Sleep(50 * time.Millisecond)
		}
		if alive(p) {
			_ = syscall.Kill(p.PID, syscall.SIGKILL)
		}
	}
	return nil
}

func tail(path string, n int) string {
	b, _ := os.ReadFile(path)
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// waitHTTP polls url until ok(body) with status 200, failing early (with the log tail) when the component dies.
func waitHTTP(ctx context.Context, st *State, component, url string, client *http.Client, ok func([]byte) bool) error {
	if client == nil {
		client = &http.Client{Timeout: 2 * time.Second}
	}
	var last string
	for {
		for _, p := range st.Processes {
			if !alive(p) {
				return fmt.Errorf("%s exited while waiting for %s; last lines of %s:\n%s", p.Name, component, p.Log, tail(p.Log, 20))
			}
		}
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		resp, err := client.Do(req)
		if err == nil {
			b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
			_ = resp.Body.Close() // read-only: its close error cannot change the answer already read
			if resp.StatusCode == http.StatusOK && ok(b) {
				return nil
			}
			last = fmt.Sprintf("HTTP %d", resp.StatusCode)
		} else {
			last = err.Error()
		}
		select {
		case <-ctx.Done():
			log := ""
			for _, p := range st.Processes {
				if p.Name == component {
					log = fmt.Sprintf("; last lines of %s:\n%s", p.Log, tail(p.Log, 20))
				}
			}
			return fmt.Errorf("%s not ready in time (last answer: %s)%s", component, last, log)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

func adminClient(p *pki) (*http.Client, error) {
	cert, err := tls.LoadX509KeyPair(p.path("admin.crt"), p.path("admin.key"))
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	pool.AddCert(p.caCert)
	return &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{
		Certificates: []tls.Certificate{cert}, RootCAs: pool, MinVersion: tls.VersionTLS12,
	}}}, nil
}

func writeKubeconfig(path, server string, p *pki, user string) error {
	read := func(name string) (string, error) {
		b, err := os.ReadFile(p.path(name))
		return string(b), err
	}
	ca, err := read("ca.crt")
	if err != nil {
		return err
	}
	crt, err := read(user + ".crt")
	if err != nil {
		return err
	}
	key, err := read(user + ".key")
	if err != nil {
		return err
	}
	enc := func(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }
	doc := fmt.Sprintf(`apiVersion: v1
kind: Config
current-context: sandbox
clusters:
- name: sandbox
  cluster:
    server: %s
    certificate-authority-data: %s
contexts:
- name: sandbox
  context:
    cluster: sandbox
    user: %s
users:
- name: %s
  user:
    client-certificate-data: %s
    client-key-data: %s
`, server, enc(ca), user, user, enc(crt), enc(key))
	return os.WriteFile(path, []byte(doc), 0o600)
}

// writeStages concatenates the KWOK stage manifests into one config file.
func writeStages(dir, stagesDir string) (string, error) {
	files, err := filepath.Glob(filepath.Join(stagesDir, "*.yaml"))
	if err != nil || len(files) == 0 {
		return "", fmt.Errorf("no KWOK stages in %s", stagesDir)
	}
	var buf bytes.Buffer
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			return "", err
		}
		buf.WriteString("---\n")
		buf.Write(b)
		buf.WriteString("\n")
	}
	path := filepath.Join(dir, "kwok-stages.yaml")
	return path, os.WriteFile(path, buf.Bytes(), 0o600)
}

func createNode(ctx context.Context, client *http.Client, server string, tainted bool) error {
	taints := []map[string]string{}
	if tainted {
		taints = append(taints, map[string]string{"key": SimulatedTaint, "value": "fake", "effect": "NoSchedule"})
	}
	node := map[string]any{
		"apiVersion": "v1", "kind": "Node",
		"metadata": map[string]any{
			"name":        NodeName,
			"annotations": map[string]string{"kwok.x-k8s.io/node": "fake", "node.alpha.kubernetes.io/ttl": "0"},
			"labels": map[string]string{
				"kubernetes.io/hostname": NodeName, "kubernetes.io/os": "linux", "kubernetes.io/arch": "amd64",
				"type": "kwok", "topology.kubernetes.io/zone": "sandbox-a", "node.kubernetes.io/instance-type": "kwok",
			},
		},
		"spec": map[string]any{"taints": taints},
		"status": map[string]any{
			"allocatable": map[string]string{"cpu": "32", "memory": "256Gi", "pods": "110"},
			"capacity":    map[string]string{"cpu": "32", "memory": "256Gi", "pods": "110"},
		},
	}
	return create(ctx, client, server, "/api/v1/nodes", node)
}

func nodeReady(body []byte) bool {
	var n struct {
		Status struct {
			Conditions []struct{ Type, Status string } `json:"conditions"`
		} `json:"status"`
	}
	if json.Unmarshal(body, &n) != nil {
		return false
	}
	for _, c := range n.Status.Conditions {
		if c.Type == "Ready" && c.Status == "True" {
			return true
		}
	}
	return false
}
