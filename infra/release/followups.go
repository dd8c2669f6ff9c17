package release

import (
	"context"
	"encoding/json"
	"io"
	"strings"
	"sync/atomic"

	"github.com/pulumi/pulumi/sdk/v3/go/auto"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/events"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
)

// eventsCommand is the pulumi CLI as the Automation API runs it, except for the reads its Stack methods make
// after the operation itself has returned: `stack history --json --show-secrets` for the summary (after up,
// destroy and refresh) and, after up, `stack output --json` twice (plain, then with --show-secrets). Each is
// another CLI process that opens the backend and decrypts the state (1.35-1.40 s after every up) to learn what
// the operation's own events already said: the summary event carries the resource changes, and the stack's
// outputs event its outputs (secrets blinded). While armed, which the driver does around its operations only,
// those two commands are answered as empty, and the driver reads the events instead.
type eventsCommand struct {
	auto.PulumiCommand
	armed atomic.Bool
}

// followUp reports whether args are one of the reads the Automation API makes after an operation, and the
// empty answer it gets instead.
func followUp(args []string) (stdout string, ok bool) {
	if len(args) < 3 || args[0] != "stack" || args[2] != "--json" {
		return "", false
	}
	switch args[1] {
	case "output":
		return "{}", true
	case "history":
		return "[]", true
	}
	return "", false
}

// Run runs the CLI, or answers an armed follow-up without it.
func (c *eventsCommand) Run(ctx context.Context, workdir string, stdin io.Reader, out, errOut []io.Writer,
	env []string, args ...string,
) (string, string, int, error) {
	if c.armed.Load() {
		if stdout, ok := followUp(args); ok {
			return stdout, "", 0, nil
		}
	}
	return c.PulumiCommand.Run(ctx, workdir, stdin, out, errOut, env, args...)
}

// answerFollowUps arms the stack's command, if it is the driver's, until the returned function is called.
func answerFollowUps(stack auto.Stack) (stop func()) {
	c, ok := stack.Workspace().PulumiCommand().(*eventsCommand)
	if !ok {
		return func() {}
	}
	c.armed.Store(true)
	return func() { c.armed.Store(false) }
}

// stackOutputs reads the stack's outputs from the outputs event of its root resource, the way the CLI prints
// them without --show-secrets: a secret output is flagged, and its value is not there.
func stackOutputs(e *events.EngineEvent) (auto.OutputMap, bool) {
	ev := e.ResOutputsEvent
	if ev == nil || ev.Metadata.Type != "pulumi:pulumi:Stack" || ev.Metadata.New == nil {
		return nil, false
	}
	outs := auto.OutputMap{}
	for k, v := range ev.Metadata.New.Outputs {
		// A secret, wherever it sits in the value, is the engine's secret object with its value blinded.
		raw, err := json.Marshal(v)
		if err != nil || strings.Contains(string(raw), resource.SecretSig) {
			outs[k] = auto.OutputValue{Value: "[secret]", Secret: true}
			continue
		}
		outs[k] = auto.OutputValue{Value: v}
	}
	return outs, true
}
