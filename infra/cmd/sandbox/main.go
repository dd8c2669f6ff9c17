// Command sandbox starts and stops the local Kubernetes control plane (make sandbox-up / sandbox-down).
//
//	go run ./infra/cmd/sandbox up|down|status|kubeconfig
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/wechat-deploy/wechat-deploy/infra/sandbox"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "sandbox:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	if len(args) != 1 {
		return errors.New("usage: sandbox up|down|status|kubeconfig")
	}
	dir := sandbox.DefaultDir()
	switch args[0] {
	case "up":
		wd, _ := os.Getwd()
		root, ok := sandbox.ProjectRoot(wd)
		if !ok {
			return errors.New("run it inside the wechat-deploy repository")
		}
		bins, err := sandbox.PinnedBinaries(root)
		if err != nil {
			return err
		}
		st, err := sandbox.Start(context.Background(), sandbox.Options{Dir: dir, Binaries: bins, Timeout: 2 * time.Minute, Log: os.Stderr})
		if err != nil {
			return err
		}
		fmt.Printf("sandbox running: API %s, kubeconfig %s\n", st.Server, st.Kubeconfig)
		fmt.Printf("  export KUBECONFIG=%s   # for kubectl; make up STACK=local uses it by itself\n", st.Kubeconfig)
		fmt.Println("  nodes and pods are simulated by KWOK: pods are scheduled and turn Ready, no container runs")
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
