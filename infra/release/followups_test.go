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
		out = append(out, strings.Join(a[:min(2, len(a))], " "))
	}
	return out
}

// TestUpRunsTheCLIOnce drives the pinned Automation API's own Stack.Up: without the driver's command it runs
// the CLI four times (the update, the outputs twice, the history), which costs about 1.3 s after every update;
// with it, armed around the update, the CLI runs once, and the same reads outside an update still reach it.
func TestUpRunsTheCLIOnce(t *testing.T) {
	ctx := context.Background()
	upThenRead := func(cmd auto.PulumiCommand, arm bool) {
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
		up := func() error { _, err := stack.Up(ctx); return err }
		if arm {
			err = upWithoutFollowUps(stack, up)
		} else {
			err = up()
		}
		if err != nil {
			t.Fatalf("up: %v", err)
		}
		// Outside the update, the reads reach the CLI.
		if _, err := stack.Outputs(ctx); err != nil {
			t.Fatal(err)
		}
	}

	plain := &recordingCLI{}
	upThenRead(plain, false)
	if got := plain.commands(); !slices.Equal(got, []string{"stack select", "up --yes", "stack output", "stack output", "stack history", "stack output", "stack output"}) {
		t.Fatalf("the pinned Automation API's up ran %q; the follow-ups this driver answers have changed", got)
	}

	cli := &recordingCLI{}
	upThenRead(&eventsCommand{PulumiCommand: cli}, true)
	if got := cli.commands(); !slices.Equal(got, []string{"stack select", "up --yes", "stack output", "stack output"}) {
		t.Fatalf("with the driver's command, up and a later read ran %q; want the update once, and the later read", got)
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
