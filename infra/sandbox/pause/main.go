// Command pause is the sandbox node's pod sandbox ("infra") container: it holds the pod's namespaces, does nothing
// and exits on SIGINT or SIGTERM. The node has no registry to pull registry.k8s.io/pause from, so the sandbox
// builds this program into an image and imports it, like the app's.
package main

import (
	"os"
	"os/signal"
	"syscall"
	"time"
)

func main() {
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGINT, syscall.SIGTERM)
	// As PID 1 of a pod sharing its process namespace, orphans are reparented here: reap them.
	go func() {
		for {
			var ws syscall.WaitStatus
			if _, err := syscall.Wait4(-1, &ws, 0, nil); err != nil {
				time.Sleep(time.Second) // no children yet (ECHILD)
			}
		}
	}()
	<-sig
}
