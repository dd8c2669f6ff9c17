// Package packtest starts policy pack executables as the Pulumi engine does and talks to them over the analyzer
// protocol, for tests that compare the pack with the SDK-served reference (policy/internal/sdkpack).
package packtest

import (
	"bufio"
	"context"
	"fmt"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/plugin"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/protobuf/encoding/prototext"
	"google.golang.org/protobuf/types/known/structpb"

	"github.com/wechat-deploy/wechat-deploy/policy/rules"
)

// Packages of the two packs, relative to the repository root.
const (
	Pack    = "./policy"
	SDKPack = "./policy/internal/sdkpack"
)

// Build compiles the package (Pack or SDKPack) under root into a temporary executable.
func Build(t testing.TB, root, pkg string) string {
	t.Helper()
	bin, err := BuildTo(t.TempDir(), root, pkg)
	if err != nil {
		t.Fatal(err)
	}
	return bin
}

// BuildTo compiles the package (Pack or SDKPack) under root into dir and returns the executable's path.
func BuildTo(dir, root, pkg string) (string, error) {
	bin := filepath.Join(dir, filepath.Base(pkg))
	cmd := exec.Command("go", "build", "-o", bin, pkg)
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("building %s: %w\n%s", pkg, err, out)
	}
	return bin, nil
}

// Start runs a pack executable as the engine does and returns a client connected to it; the pack is stopped when
// the test ends.
func Start(t testing.TB, bin string) pulumirpc.AnalyzerClient {
	t.Helper()
	p, err := Launch(bin)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Close)
	return p.Client
}

// Running is a pack executable serving the analyzer protocol.
type Running struct {
	// Client talks to the pack.
	Client pulumirpc.AnalyzerClient
	conn   *grpc.ClientConn
	cmd    *exec.Cmd
	cancel context.CancelFunc
}

// Close disconnects and stops the pack.
func (p *Running) Close() {
	_ = p.conn.Close()
	p.cancel()
	_ = p.cmd.Wait()
}

// Launch runs a pack executable as the engine does: it reads the port the pack prints on its first line of output,
// connects to it and shakes hands.
func Launch(bin string) (*Running, error) {
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, bin)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		cancel()
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		cancel()
		return nil, fmt.Errorf("starting %s: %w", bin, err)
	}
	fail := func(err error) (*Running, error) {
		cancel()
		_ = cmd.Wait()
		return nil, err
	}
	ports := make(chan string, 1)
	go func() {
		line, _ := bufio.NewReader(stdout).ReadString('\n')
		ports <- strings.TrimSpace(line)
	}()
	var port string
	select {
	case port = <-ports:
	case <-time.After(time.Minute):
		return fail(fmt.Errorf("%s printed no port within a minute", bin))
	}
	if port == "" {
		return fail(fmt.Errorf("%s exited without printing its port", bin))
	}
	conn, err := grpc.NewClient("127.0.0.1:"+port, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		return fail(err)
	}
	client := pulumirpc.NewAnalyzerClient(conn)
	// The engine's first call; the SDK's server refuses ConfigureStack without it.
	if _, err := client.Handshake(ctx, &pulumirpc.AnalyzerHandshakeRequest{EngineAddress: "127.0.0.1:1"}); err != nil {
		_ = conn.Close()
		return fail(fmt.Errorf("handshake with %s: %w", bin, err))
	}
	return &Running{Client: client, conn: conn, cmd: cmd, cancel: cancel}, nil
}

// Requests are what the engine sends a pack about the resources of a stack: one Analyze per resource, and the
// AnalyzeStack over all of them.
func Requests(t testing.TB, resources []rules.Resource) ([]*pulumirpc.AnalyzeRequest, *pulumirpc.AnalyzeStackRequest) {
	t.Helper()
	reqs := make([]*pulumirpc.AnalyzeRequest, 0, len(resources))
	stack := &pulumirpc.AnalyzeStackRequest{}
	for _, r := range resources {
		props := Marshal(t, r.Props)
		reqs = append(reqs, &pulumirpc.AnalyzeRequest{Type: r.Type, Name: r.Name, Urn: r.URN, Properties: props})
		stack.Resources = append(stack.Resources, &pulumirpc.AnalyzerResource{Type: r.Type, Name: r.Name, Urn: r.URN, Properties: props})
	}
	return reqs, stack
}

// Marshal encodes properties as the engine sends them to analyzers: secrets and unknowns kept, internal keys
// dropped.
func Marshal(t testing.TB, props resource.PropertyMap) *structpb.Struct {
	t.Helper()
	st, err := plugin.MarshalProperties(props, plugin.MarshalOptions{KeepUnknowns: true, KeepSecrets: true, SkipInternalKeys: true})
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// Lines renders diagnostics in a canonical order, one line each with every field set.
func Lines(ds []*pulumirpc.AnalyzeDiagnostic) []string {
	out := make([]string, 0, len(ds))
	for _, d := range ds {
		// prototext varies its spacing on purpose; the fields and their values are what count.
		out = append(out, strings.Join(strings.Fields(prototext.MarshalOptions{}.Format(d)), " "))
	}
	slices.Sort(out)
	return out
}
