// Command release is the one-command release driver: preview, up, destroy or refresh a stack with the program
// inline, the pinned tools and the policy pack enforced, streaming the engine's progress and ending with the
// stack outputs (secrets masked).
//
//	go run ./infra/cmd/release -stack local up
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/wechat-deploy/wechat-deploy/infra/release"
	"github.com/wechat-deploy/wechat-deploy/infra/sandbox"
)

func main() {
	fs := flag.NewFlagSet("release", flag.ExitOnError)
	stack := fs.String("stack", os.Getenv("STACK"), "stack name (a file stacks/Pulumi.<stack>.yaml)")
	stackFile := fs.String("stack-file", "", "read the stack's settings from this file instead")
	policyPack := fs.String("policy-pack", "", "policy pack executable (default: build bin/policy-pack)")
	noPolicy := fs.Bool("no-policy", false, "do not enforce the policy pack")
	policyConfig := fs.String("policy-config", "", "policy pack configuration JSON file (--policy-pack-config)")
	noSandbox := fs.Bool("no-sandbox", false, "never start the sandbox for an unconfigured existing-cluster stack")
	secretsFile := fs.String("secrets-file", os.Getenv("SECRETS_FILE"), "file of key=value config secrets to set (kept encrypted in the work directory)")
	to := fs.String("to", os.Getenv("TO"), "rollback: the update number or image digest (sha256:…) to go back to (default: the last successful update running another image)")
	fs.Usage = func() {
		fmt.Fprintln(os.Stderr, "usage: release -stack STACK preview|up|rollback|destroy|refresh|outputs [flags]")
		fs.PrintDefaults()
	}
	_ = fs.Parse(os.Args[1:])
	if fs.NArg() != 1 || *stack == "" {
		fs.Usage()
		os.Exit(2)
	}
	wd, _ := os.Getwd()
	root, ok := sandbox.ProjectRoot(wd)
	if !ok {
		fmt.Fprintln(os.Stderr, "release: run it inside the wechat-deploy repository (no Pulumi.yaml found)")
		os.Exit(2)
	}
	var secrets map[string]string
	if *secretsFile != "" {
		var err error
		if secrets, err = release.ReadSecretsFile(*secretsFile); err != nil {
			fmt.Fprintln(os.Stderr, "release:", err)
			os.Exit(2)
		}
	}
	// Ctrl-C or SIGTERM cancel ctx while the operation runs; afterwards signals act as usual again. stop is
	// called, not deferred: os.Exit below would skip a deferred call.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	res, err := release.Run(ctx, release.Options{
		Root: root, Stack: *stack, StackFile: *stackFile, Op: fs.Arg(0),
		PolicyPack: *policyPack, NoPolicy: *noPolicy, PolicyConfig: *policyConfig, Sandbox: !*noSandbox,
		Secrets: secrets, RollbackTo: *to,
	})
	stop()
	if err != nil {
		fmt.Fprintf(os.Stderr, "\nrelease %s %s failed: %v\n", fs.Arg(0), *stack, err)
		os.Exit(1)
	}
	fmt.Printf("\n%s of stack %s finished in %s: %v\n", fs.Arg(0), *stack, res.Duration.Round(1e6), res.Summary)
}
