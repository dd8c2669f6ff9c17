package release

import (
	"context"
	"io"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/blang/semver"
	"github.com/pulumi/pulumi/sdk/v3/go/auto"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/events"
	"github.com/pulumi/pulumi/sdk/v3/go/common/apitype"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/workspace"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// recordingCLI stands in for the pulumi CLI: it records every command and succeeds, answering the JSON reads
// with empty documents.
type recordingCLI struct {
	mu    sync.Mutex
	calls [][]string
}

func (c *recordingCLI) Run(_ context.Context, _ string, _ io.Reader, _, _ []io.Writer, _ []string, args ...string) (string, string, int, error) {
	c.mu.Lock()
	c.calls = append(c.calls, args)
	c.mu.Unlock()
	if slices.Contains(args, "--json") {
		if len(args) > 1 && args[1] == "history" {
			return "[]", "", 0, nil
		}
		return "{}", "", 0, nil
	}
	return "", "", 0, nil
}

func (c *recordingCLI) Version() semver.Version { return semver.MustParse("3.274.1") }

func (c *recordingCLI) commands() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []string
	for _, a := range c.calls {
		n := 1 // the operation (its flags vary)
		if a[0] == "stack" {
			n = 2 // the stack subcommand
		}
		out = append(out, strings.Join(a[:min(n, len(a))], " "))
	}
	return out
}

// TestOperationsRunTheCLIOnce drives the pinned Automation API's own Stack methods: without the driver's command
// up runs the CLI four times (the update, the outputs twice, the history), which costs about 1.3 s after every
// update, and destroy and refresh twice (the history); with it, armed around the operation, the CLI runs once,
// and the same reads outside an operation still reach it.
func TestOperationsRunTheCLIOnce(t *testing.T) {
	ctx := context.Background()
	opThenRead := func(cmd auto.PulumiCommand, arm bool, op func(auto.Stack) error) {
		t.Helper()
		ws, err := auto.NewLocalWorkspace(ctx, auto.WorkDir(t.TempDir()), auto.Pulumi(cmd),
			auto.Project(workspaceProject()), auto.Program(func(*pulumi.Context) error { return nil }))
		if err != nil {
			t.Fatal(err)
		}
		stack, err := auto.SelectStack(ctx, "local", ws)
		if err != nil {
			t.Fatal(err)
		}
		stop := func() {}
		if arm {
			stop = answerFollowUps(stack)
		}
		err = op(stack)
		stop()
		if err != nil {
			t.Fatalf("operation: %v", err)
		}
		// Outside the operation, the reads reach the CLI.
		if _, err := stack.Outputs(ctx); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct {
		name        string
		op          func(auto.Stack) error
		plain, once []string
	}{
		{"up", func(s auto.Stack) error { _, err := s.Up(ctx); return err },
			[]string{"up", "stack output", "stack output", "stack history"}, []string{"up"}},
		{"destroy", func(s auto.Stack) error { _, err := s.Destroy(ctx); return err },
			[]string{"destroy", "stack history"}, []string{"destroy"}},
		{"refresh", func(s auto.Stack) error { _, err := s.Refresh(ctx); return err },
			[]string{"refresh", "stack history"}, []string{"refresh"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			around := func(calls []string) []string {
				return slices.Concat([]string{"stack select"}, calls, []string{"stack output", "stack output"})
			}
			plain := &recordingCLI{}
			opThenRead(plain, false, tc.op)
			if got := plain.commands(); !slices.Equal(got, around(tc.plain)) {
				t.Fatalf("the pinned Automation API's %s ran %q; the follow-ups this driver answers have changed", tc.name, got)
			}
			cli := &recordingCLI{}
			opThenRead(&eventsCommand{PulumiCommand: cli}, true, tc.op)
			if got := cli.commands(); !slices.Equal(got, around(tc.once)) {
				t.Fatalf("with the driver's command, %s and a later read ran %q; want the operation once, and the later read", tc.name, got)
			}
		})
	}
}

func workspaceProject() workspace.Project {
	return workspace.Project{Name: "wechat-deploy", Runtime: workspace.NewProjectRuntimeInfo("go", nil)}
}

// TestOutputsFromTheStacksEvent: the outputs the driver prints come from the root resource's outputs event,
// where the engine writes a secret as its secret object with the value blinded; a secret is flagged wherever it
// sits in an output and its blinded value is not passed on.
func TestOutputsFromTheStacksEvent(t *testing.T) {
	blinded := map[string]any{resource.SigKey: resource.SecretSig, "ciphertext": "[secret]"}
	ev := func(typ string, outs map[string]any) *events.EngineEvent {
		return &events.EngineEvent{EngineEvent: apitype.EngineEvent{ResOutputsEvent: &apitype.ResOutputsEvent{
			Metadata: apitype.StepEventMetadata{Type: typ, URN: "urn:pulumi:local::wechat-deploy::" + typ + "::x",
				New: &apitype.StepEventStateMetadata{Type: typ, Outputs: outs}}}}}
	}
	outs, ok := stackOutputs(ev("pulumi:pulumi:Stack", map[string]any{
		"url":        "http://wechat-api.local",
		"replicas":   float64(2),
		"kubeconfig": blinded,
		"database":   map[string]any{"host": "db", "password": blinded},
	}))
	if !ok {
		t.Fatal("the stack's outputs event was not read")
	}
	if v := outs["url"]; v.Secret || v.Value != "http://wechat-api.local" {
		t.Errorf("url = %+v", v)
	}
	if v := outs["replicas"]; v.Secret || v.Value != float64(2) {
		t.Errorf("replicas = %+v", v)
	}
	for _, k := range []string{"kubeconfig", "database"} {
		if v := outs[k]; !v.Secret || v.Value != "[secret]" {
			t.Errorf("%s = %+v, want a flagged secret without its value", k, v)
		}
	}
	if _, ok := stackOutputs(ev("kubernetes:core/v1:Service", map[string]any{"x": "y"})); ok {
		t.Error("another resource's outputs were taken for the stack's")
	}
	if _, ok := stackOutputs(&events.EngineEvent{}); ok {
		t.Error("an event without outputs was taken for the stack's")
	}
}
