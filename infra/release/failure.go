package release

import (
	"fmt"
	"slices"
	"strings"
	"time"

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

// stallWatch ends an update as soon as Kubernetes has declared a Deployment's rollout stuck: its Progressing
// condition turned False with reason ProgressDeadlineExceeded, which the Kubernetes provider reports only as a
// warning before waiting on until its own timeout. That verdict is final for the rollout (nothing became ready
// for a whole progress deadline), so waiting longer proves nothing; the old ReplicaSet keeps serving either way.
type stallWatch struct {
	// min is the earliest a verdict about this rollout can come after the Deployment's step began (the shortest
	// progress deadline a stack may set): one read earlier is left over from an earlier failed rollout, before
	// the controller has seen the new template.
	min time.Duration
	// stop is called once, with the Deployment's URN.
	stop func(urn string)
	// urn is the Deployment stopped on, once stop was called.
	urn string
}

// observe looks at one engine event; now is the time since the operation began and res what was recorded so
// far (the Deployment's step and when it began).
func (w *stallWatch) observe(ev events.EngineEvent, res *Result, now time.Duration) {
	e := ev.DiagnosticEvent
	if w == nil || w.urn != "" || e == nil || (e.Severity != "warning" && e.Severity != "error") ||
		!isDeployment(e.URN) || !strings.Contains(e.Message, "ProgressDeadlineExceeded") {
		return
	}
	i := slices.IndexFunc(res.Steps, func(s Step) bool { return s.URN == e.URN })
	if i < 0 || now-res.Steps[i].Began < w.min {
		return
	}
	w.urn = e.URN
	w.stop(e.URN)
}

// stopped reports whether the watch stopped the operation.
func (w *stallWatch) stopped() bool { return w != nil && w.urn != "" }

// stalledError says why the driver stopped the update itself, around the engine's error (which then reads as
// a cancellation).
func (w *stallWatch) stalledError(res *Result, err error) error {
	if !w.stopped() || err == nil {
		return err
	}
	if !slices.Contains(res.Failed, w.urn) {
		res.Failed = append(res.Failed, w.urn)
	}
	return fmt.Errorf("stopped the update when Kubernetes declared the rollout of %s stuck (ProgressDeadlineExceeded: "+
		"no new pod became ready within its progress deadline), instead of waiting for the provider's timeout: %w", shortURN(w.urn), err)
}

// isDeployment tells whether urn names a Kubernetes Deployment.
func isDeployment(urn string) bool { return strings.Contains(urn, "kubernetes:apps/v1:Deployment::") }
