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

// eventsCommand is the pulumi CLI as the Automation API runs it, except for the calls Stack.Up makes after the
// update itself has returned: `stack output --json` twice (plain, then with --show-secrets) and `stack history
// --json --show-secrets` for the summary. Each is another CLI process that opens the backend and decrypts the
// state, about 1.3 s in all after every update, to learn what the update's own events already said: the
// summary event carries the resource changes, and the stack's outputs event its outputs (secrets masked). While
// armed, which the driver does around Stack.Up only, those two commands are answered as empty, and the driver
// reads the events instead (fromEvents).
type eventsCommand struct {
	auto.PulumiCommand
	armed atomic.Bool
}

// followUp reports whether args are one of the read-only calls Stack.Up makes after the update.
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

// upWithoutFollowUps runs up with the follow-up calls answered from the events rather than by the CLI.
func upWithoutFollowUps(stack auto.Stack, up func() error) error {
	c, ok := stack.Workspace().PulumiCommand().(*eventsCommand)
	if !ok {
		return up()
	}
	c.armed.Store(true)
	defer c.armed.Store(false)
	return up()
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
