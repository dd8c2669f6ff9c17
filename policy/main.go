// Command policy is the wechat-deploy policy pack. Built into an executable it runs with
// `pulumi preview --policy-pack <binary>` (the CLI launches it and talks to it over gRPC); PulumiPolicy.yaml lets
// the CLI run it from source where the Go language host is installed.
//
// Rules that differ between production and other stacks judge the stack as production when its own
// wechat-deploy:production says so, or when its stack or environment name looks like production
// (rules.StackConfig): configuration alone cannot switch production off. A resource rule's `production`
// property in the policy config (`--policy-pack-config`) can turn production on, never off. Rules that judge
// the stack as a whole are served as stack validation policies.
//
// The pack serves the rules with its own analyzer server (policy/analyzer), which decodes each resource once;
// policy/internal/sdkpack serves the same rules through the Pulumi SDK's policyx, and the tests hold the two to
// the same answers.
package main

import (
	"fmt"
	"os"

	"github.com/pulumi/pulumi/sdk/v3/go/common/util/rpcutil"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/grpc"

	"github.com/wechat-deploy/wechat-deploy/policy/analyzer"
)

// PackName and PackVersion identify the pack to the engine.
const (
	PackName    = analyzer.PackName
	PackVersion = analyzer.PackVersion
)

func main() {
	if err := serve(); err != nil {
		fmt.Fprintf(os.Stderr, "policy pack %s: %v\n", PackName, err)
		os.Exit(1)
	}
}

// serve listens on a port the kernel chooses, prints it (the engine reads it from the pack's first line of
// output), and serves until the engine stops the pack.
func serve() error {
	handle, err := rpcutil.ServeWithOptions(rpcutil.ServeOptions{
		Init: func(srv *grpc.Server) error {
			pulumirpc.RegisterAnalyzerServer(srv, analyzer.New())
			return nil
		},
	})
	if err != nil {
		return fmt.Errorf("serving the analyzer: %w", err)
	}
	fmt.Printf("%d\n", handle.Port)
	if err := <-handle.Done; err != nil {
		return fmt.Errorf("serving the analyzer: %w", err)
	}
	return nil
}
