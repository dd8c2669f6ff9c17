package release

import (
	"fmt"
	"slices"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/auto/events"
	"github.com/pulumi/pulumi/sdk/v3/go/common/diag/colors"
)

// Diagnostic is a warning or error the engine or a provider reported about a resource (the Kubernetes
// provider's rollout progress: ProgressDeadlineExceeded, a pod's waiting reason, its containers' last state).
type Diagnostic struct {
	URN, Severity, Message string
}

// maxReasons bounds the reasons quoted per failed resource: the newest ones say why it is stuck.
const maxReasons = 8

// recordFailure keeps what explains a failed operation: the resources whose step failed and the diagnostics
// about resources.
func recordFailure(ev events.EngineEvent, res *Result) {
	if e := ev.ResOpFailedEvent; e != nil && !slices.Contains(res.Failed, e.Metadata.URN) {
		res.Failed = append(res.Failed, e.Metadata.URN)
	}
	// The Kubernetes provider reports a rollout's progress as ephemeral status updates, its warnings included;
	// the reasons are in those and in its final error.
	if e := ev.DiagnosticEvent; e != nil && e.URN != "" && (e.Severity == "warning" || e.Severity == "error") {
		msg := strings.TrimSpace(colors.Never.Colorize(e.Message))
		if msg != "" {
			res.Diagnostics = append(res.Diagnostics, Diagnostic{URN: e.URN, Severity: e.Severity, Message: msg})
		}
	}
}

// failureReasons says, for each resource whose step failed, what its provider last reported about it (newest
// last, each message once), so that a rollout that never became ready fails with the pods' reasons rather
// than a bare timeout; empty when nothing failed on a resource.
func failureReasons(res *Result) string {
	var b strings.Builder
	for _, urn := range res.Failed {
		var reasons []string
		for _, d := range slices.Backward(res.Diagnostics) {
			if d.URN != urn {
				continue
			}
			if !slices.Contains(reasons, d.Message) {
				reasons = append(reasons, d.Message)
			}
			if len(reasons) == maxReasons {
				break
			}
		}
		slices.Reverse(reasons)
		fmt.Fprintf(&b, "\n%s failed", shortURN(urn))
		if len(reasons) == 0 {
			b.WriteString(" (its provider reported nothing more)")
			continue
		}
		b.WriteString("; what the cluster last reported:")
		for _, r := range reasons {
			b.WriteString("\n  " + strings.ReplaceAll(r, "\n", "\n    "))
		}
	}
	return b.String()
}
