// Command sandbox starts and stops the local Kubernetes control plane (make sandbox-up / sandbox-down).
//
//	go run ./infra/cmd/sandbox [-simulated] up|down|status|kubeconfig
//
// up starts the control plane, a real node (containerd, kubelet, kube-proxy; needs root and the packages
// containerd, runc, containernetworking-plugins, nftables) and a KWOK node; -simulated starts the KWOK node alone.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/wechat-deploy/wechat-deploy/infra/sandbox"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "sandbox:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	simulated := false
	if len(args) > 0 && args[0] == "-simulated" {
		simulated, args = true, args[1:]
	}
	if len(args) != 1 {
		return errors.New("usage: sandbox [-simulated] up|down|status|kubeconfig")
	}
	dir := sandbox.DefaultDir()
	switch args[0] {
	case "up":
		wd, _ := os.Getwd()
		root, ok := sandbox.ProjectRoot(wd)
		if !ok {
			return errors.New("run it inside the wechat-deploy repository")
		}
		st, err := sandbox.StartPinned(context.Background(), root, dir, simulated, os.Stderr)
		if err != nil {
			return err
		}
		fmt.Printf("sandbox running: API %s, kubeconfig %s\n", st.Server, st.Kubeconfig)
		fmt.Printf("  export KUBECONFIG=%s   # for kubectl; make up STACK=local uses it by itself\n", st.Kubeconfig)
		if st.Node != nil {
			fmt.Printf("  pods run on node %s (network namespace %s, pods in %s); reach them with\n", st.Node.Name, st.Node.NetNS, st.Node.PodCIDR)
			fmt.Printf("  kubectl port-forward, or: ip netns exec %s curl http://<service or pod IP>\n", st.Node.NetNS)
		} else {
			fmt.Println("  nodes and pods are simulated by KWOK: pods are scheduled and turn Ready, no container runs")
		}
	case "down":
		if err := sandbox.Stop(dir); err != nil {
			return err
		}
		fmt.Printf("sandbox stopped (logs kept in %s/logs)\n", dir)
	case "status":
		st, err := sandbox.Load(dir)
		if errors.Is(err, os.ErrNotExist) || (err == nil && !st.Running()) {
			fmt.Println("sandbox: not running")
			return nil
		}
		if err != nil {
			return fmt.Errorf("sandbox status: %w", err)
		}
		fmt.Printf("sandbox: running, API %s, kubeconfig %s\n", st.Server, st.Kubeconfig)
		for _, p := range st.Processes {
			fmt.Printf("  %-24s pid %d  log %s\n", p.Name, p.PID, p.Log)
		}
	case "kubeconfig":
		st, err := sandbox.Load(dir)
		if err != nil || !st.Running() {
			return errors.New("not running; start it with make sandbox-up")
		}
		fmt.Println(st.Kubeconfig)
	default:
		return fmt.Errorf("unknown command %q; use up, down, status or kubeconfig", args[0])
	}
	return nil
}
