//go:build e2e

package e2e

import (
	"bytes"
	"cmp"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/wechat-deploy/wechat-deploy/infra/release"
)

// Targets of the release issue for the local stack on the sandbox's real node.
const (
	targetCreateRatio = 3.0             // engine time of up (create) / kubectl apply + rollout status
	targetUpdateRatio = 2.0             // engine time of up (image update) / the same change with kubectl
	targetNoopPreview = 1 * time.Second // engine time of a preview that changes nothing
)

// BenchmarkDeploy measures, on the sandbox's real node, what separates a release through the driver from
// kubectl: the engine time of up creating the local stack, of a no-op preview and of an image update, and
// kubectl apply + rollout status of the same objects for the same create and the same image change. Each
// iteration is one whole cycle (the stack is destroyed, then kubectl creates and updates the objects). It
// prints the ratios against the targets and where the engine's time goes; `make deploybench` runs it.
func BenchmarkDeploy(b *testing.B) {
	w := newWorld(b)
	var create, noop, noopBare, update, kCreate, kUpdate time.Duration
	var lastCreate, lastNoop, lastUpdate *release.Result
	for i := 0; i < b.N; i++ {
		w.editStack(func(app map[string]any) { app["image"] = w.ref1 })
		lastCreate, _ = w.must(release.OpUp, nil)
		lastNoop, _ = w.must(release.OpPreview, nil)
		if changed := lastNoop.Changed(); len(changed) > 0 {
			b.Fatalf("the preview after up plans changes: %+v", changed)
		}
		// The same preview without the policy pack: what the pack adds.
		bare, _ := w.must(release.OpPreview, func(o *release.Options) { o.NoPolicy = true })
		noopBare += bare.Duration
		w.editStack(func(app map[string]any) { app["image"] = w.ref2 })
		lastUpdate, _ = w.must(release.OpUp, nil)
		create += lastCreate.Duration
		noop += lastNoop.Duration
		update += lastUpdate.Duration

		// The same objects with kubectl: created with the first image, then changed to the second.
		updated := w.exportManifests()
		if !bytes.Contains(updated, []byte(w.ref2)) {
			b.Fatalf("the exported manifests do not run %s", w.ref2)
		}
		created := bytes.ReplaceAll(updated, []byte(w.ref2), []byte(w.ref1))
		if _, _, err := w.run(release.OpDestroy, nil); err != nil {
			b.Fatalf("destroy: %v\n%s", err, w.out.String())
		}
		w.waitNamespaceGone()
		kCreate += w.kubectlApply(created)
		kUpdate += w.kubectlApply(updated)
		w.kubectlDelete()
		w.waitNamespaceGone()
	}

	n := float64(b.N)
	createRatio, updateRatio := create.Seconds()/kCreate.Seconds(), update.Seconds()/kUpdate.Seconds()
	b.ReportMetric(create.Seconds()/n, "create-s")
	b.ReportMetric(kCreate.Seconds()/n, "kubectl-create-s")
	b.ReportMetric(createRatio, "create-ratio")
	b.ReportMetric(update.Seconds()/n, "update-s")
	b.ReportMetric(kUpdate.Seconds()/n, "kubectl-update-s")
	b.ReportMetric(updateRatio, "update-ratio")
	b.ReportMetric(noop.Seconds()/n, "noop-preview-s")
	b.ReportMetric(noopBare.Seconds()/n, "noop-preview-no-policy-s")
	avg := func(d time.Duration) time.Duration { return (d / time.Duration(b.N)).Round(10 * time.Millisecond) }
	b.Logf("DEPLOY BENCHMARK (%d cycle(s), engine time per cycle):\n"+
		"  create:        up %s, kubectl %s: ratio %.1f (target ≤ %.0f: %s)\n"+
		"  image update:  up %s, kubectl %s: ratio %.1f (target ≤ %.0f: %s)\n"+
		"  no-op preview: %s (target < %s: %s); without the policy pack %s\n"+
		"where the last cycle's engine time went:\n  create: %s\n  image update: %s\n  no-op preview: %s",
		b.N,
		avg(create), avg(kCreate), createRatio, targetCreateRatio, verdict(createRatio <= targetCreateRatio),
		avg(update), avg(kUpdate), updateRatio, targetUpdateRatio, verdict(updateRatio <= targetUpdateRatio),
		avg(noop), targetNoopPreview, verdict(noop/time.Duration(b.N) < targetNoopPreview), avg(noopBare),
		breakdown(lastCreate), breakdown(lastUpdate), breakdown(lastNoop))
}

func verdict(met bool) string {
	if met {
		return "met"
	}
	return "MISSED"
}

// breakdown says where an operation's engine time went: before the first step (the program's run, the plugins'
// start), the slowest steps, and after the last step's outputs (the snapshot's last write, the program's exit).
func breakdown(res *release.Result) string {
	// The stack's own step spans the whole run: the resources' steps say where the time went.
	steps := slices.DeleteFunc(slices.Clone(res.Steps), func(s release.Step) bool { return s.Type == "pulumi:pulumi:Stack" })
	if len(steps) == 0 {
		return fmt.Sprintf("%s, no step", res.Duration.Round(time.Millisecond))
	}
	first, last := steps[0].Began, time.Duration(0)
	for _, s := range steps {
		first = min(first, s.Began)
		last = max(last, s.Began+s.Took)
	}
	slow := steps
	slices.SortStableFunc(slow, func(a, b release.Step) int { return cmp.Compare(b.Took, a.Took) })
	var top []string
	for _, s := range slow[:min(4, len(slow))] {
		if s.Took < 50*time.Millisecond {
			break
		}
		top = append(top, fmt.Sprintf("%s %s %s", s.Op, s.URN[strings.LastIndex(s.URN, "::")+2:], s.Took.Round(time.Millisecond)))
	}
	if len(top) == 0 {
		top = []string{"none over 50ms"}
	}
	return fmt.Sprintf("%s in all: %s before the first step, %d steps over %s (slowest: %s), %s after the last",
		res.Duration.Round(time.Millisecond), first.Round(time.Millisecond), len(steps), (last - first).Round(time.Millisecond),
		strings.Join(top, ", "), max(0, res.Duration-last).Round(time.Millisecond))
}
