package release

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/auto/events"
	"github.com/pulumi/pulumi/sdk/v3/go/common/apitype"
)

// TestFailureNamesTheReason: an update whose rollout never became ready fails with what the Kubernetes provider
// last reported about the Deployment (its rollout condition and the pods' waiting reasons, which it sends as
// ephemeral status warnings, and its final error), in order, each once, without colour codes, and with the way
// back; diagnostics of other resources and info messages stay out.
func TestFailureNamesTheReason(t *testing.T) {
	const dep = "urn:pulumi:dev::wechat-deploy::wechat-deploy:workload:Workload$kubernetes:apps/v1:Deployment::wechat-api-deployment"
	const svc = "urn:pulumi:dev::wechat-deploy::wechat-deploy:workload:Workload$kubernetes:core/v1:Service::wechat-api"
	diag := func(urn, sev, msg string, ephemeral bool) events.EngineEvent {
		return events.EngineEvent{EngineEvent: apitype.EngineEvent{DiagnosticEvent: &apitype.DiagnosticEvent{URN: urn, Severity: sev, Message: msg, Ephemeral: ephemeral}}}
	}
	evs := []events.EngineEvent{
		diag(dep, "info", "Waiting for app ReplicaSet to be available (1/2 Pods available)", true),
		diag(dep, "warning", "<{%fg 3%}>[Pod wechat-api/wechat-api-7d9c-x2x]: containers with unready status: [wechat-api] -- [CrashLoopBackOff] back-off 20s restarting failed container<{%reset%}>", true),
		diag(svc, "warning", "unrelated warning about the Service", false),
		diag(dep, "warning", "[Pod wechat-api/wechat-api-7d9c-x2x]: containers with unready status: [wechat-api] -- [CrashLoopBackOff] back-off 20s restarting failed container", false),
		diag(dep, "warning", "[ProgressDeadlineExceeded] ReplicaSet \"wechat-api-7d9c\" has timed out progressing.", true),
		diag(dep, "error", "resource "+dep+" was not successfully updated by the Kubernetes API server: timed out", false),
		{EngineEvent: apitype.EngineEvent{ResOpFailedEvent: &apitype.ResOpFailedEvent{Metadata: apitype.StepEventMetadata{URN: dep, Op: apitype.OpUpdate}}}},
	}
	res := &Result{}
	for _, ev := range evs {
		recordFailure(ev, res)
	}
	cause := errors.New("update failed")
	err := explain(cause, res, nil, "dev")
	if !errors.Is(err, cause) {
		t.Fatalf("the engine's error is lost: %v", err)
	}
	msg := err.Error()
	crash := strings.Index(msg, "[CrashLoopBackOff] back-off 20s")
	deadline := strings.Index(msg, "[ProgressDeadlineExceeded]")
	switch {
	case !strings.Contains(msg, "wechat-api-deployment") || crash < 0 || deadline < crash:
		t.Errorf("the reasons are missing or out of order:\n%s", msg)
	case strings.Count(msg, "[CrashLoopBackOff]") != 1:
		t.Errorf("a repeated reason is quoted twice:\n%s", msg)
	case strings.Contains(msg, "<{%") || strings.Contains(msg, "unrelated") || strings.Contains(msg, "Waiting for app"):
		t.Errorf("colour codes, other resources' or transient messages are quoted:\n%s", msg)
	case !strings.Contains(msg, "was not successfully updated by the Kubernetes API server: timed out"):
		t.Errorf("the provider's final error is not quoted:\n%s", msg)
	case !strings.Contains(msg, "make rollback STACK=dev"):
		t.Errorf("no way back named:\n%s", msg)
	}
	if got := explain(cause, &Result{}, nil, "dev"); got.Error() != cause.Error() {
		t.Errorf("a failure on no resource changed: %v", got)
	}
}

// TestStalledRolloutStopsTheUpdate: the update is stopped once, on the Deployment Kubernetes declared stuck, and
// only by a verdict about this rollout: not one read before the shortest progress deadline could have passed
// since the Deployment's step began (a condition left over from an earlier failed rollout), not one about another
// resource, not an info message. The error then names the Deployment and keeps the engine's.
func TestStalledRolloutStopsTheUpdate(t *testing.T) {
	const dep = "urn:pulumi:dev::wechat-deploy::wechat-deploy:workload:Workload$kubernetes:apps/v1:Deployment::wechat-api-deployment"
	const svc = "urn:pulumi:dev::wechat-deploy::wechat-deploy:workload:Workload$kubernetes:core/v1:Service::wechat-api"
	const stuck = "[ProgressDeadlineExceeded] ReplicaSet \"wechat-api-7d9c\" has timed out progressing."
	diag := func(urn, sev, msg string) events.EngineEvent {
		return events.EngineEvent{EngineEvent: apitype.EngineEvent{DiagnosticEvent: &apitype.DiagnosticEvent{URN: urn, Severity: sev, Message: msg, Ephemeral: true}}}
	}
	pre := func(urn string) events.EngineEvent {
		return events.EngineEvent{EngineEvent: apitype.EngineEvent{ResourcePreEvent: &apitype.ResourcePreEvent{
			Metadata: apitype.StepEventMetadata{Op: apitype.OpUpdate, URN: urn}}}}
	}
	var stopped []string
	watch := &stallWatch{min: 60 * time.Millisecond, stop: func(urn string) { stopped = append(stopped, urn) }}
	evs := make(chan events.EngineEvent)
	opDone := make(chan struct{})
	res := &Result{}
	done := make(chan struct{})
	go func() { collect(evs, opDone, res, time.Now(), watch); close(done) }()
	evs <- pre(svc)
	evs <- pre(dep)
	evs <- diag(dep, "warning", stuck) // the previous rollout's condition, read as the update begins
	time.Sleep(80 * time.Millisecond)
	evs <- diag(svc, "warning", "ProgressDeadlineExceeded mentioned by another resource")
	evs <- diag(dep, "info", stuck)
	if len(stopped) != 0 {
		t.Fatalf("stopped on %v before the rollout could have stalled", stopped)
	}
	evs <- diag(dep, "warning", stuck)
	evs <- diag(dep, "warning", stuck)
	close(evs)
	<-done
	if len(stopped) != 1 || stopped[0] != dep {
		t.Fatalf("stopped %v, want once on the Deployment", stopped)
	}
	cause := errors.New("update canceled")
	err := explain(watch.stalledError(res, cause), res, nil, "dev")
	if msg := err.Error(); !errors.Is(err, cause) || !strings.Contains(msg, "rollout of ") || !strings.Contains(msg, "wechat-api-deployment failed; what the cluster last reported:") ||
		!strings.Contains(msg, stuck) || !strings.Contains(msg, "make rollback STACK=dev") {
		t.Errorf("the error does not say why the update stopped, what stalled and the way back: %v", err)
	}
	var idle *stallWatch
	if got := idle.stalledError(&Result{}, cause); !errors.Is(got, cause) || got.Error() != cause.Error() {
		t.Errorf("an operation without a watch changed its error: %v", got)
	}
}
