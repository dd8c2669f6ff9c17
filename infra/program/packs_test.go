package program

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"

	"github.com/wechat-deploy/wechat-deploy/components/componenttest"
	"github.com/wechat-deploy/wechat-deploy/policy/analyzer/packtest"
	"github.com/wechat-deploy/wechat-deploy/policy/rules"
)

// packs is the policy pack and its SDK-served reference (policy/internal/sdkpack), built and started once per
// test binary by the first whole-stack policy test that asks for them, and stopped by TestMain.
var packs struct {
	once      sync.Once
	dir       string
	ours, sdk *packtest.Running
	err       error
	// mu keeps one stack at a time on the packs: ConfigureStack sets the stack they judge.
	mu sync.Mutex
}

func TestMain(m *testing.M) {
	code := m.Run()
	if packs.ours != nil {
		packs.ours.Close()
	}
	if packs.sdk != nil {
		packs.sdk.Close()
	}
	if packs.dir != "" {
		_ = os.RemoveAll(packs.dir)
	}
	os.Exit(code)
}

func startPacks() error {
	dir, err := os.MkdirTemp("", "wechat-deploy-packs-")
	if err != nil {
		return err
	}
	packs.dir = dir
	repo, err := filepath.Abs(root)
	if err != nil {
		return err
	}
	for _, p := range []struct {
		pkg string
		to  **packtest.Running
	}{{packtest.Pack, &packs.ours}, {packtest.SDKPack, &packs.sdk}} {
		bin, err := packtest.BuildTo(dir, repo, p.pkg)
		if err != nil {
			return err
		}
		if *p.to, err = packtest.Launch(bin); err != nil {
			return err
		}
	}
	return nil
}

// judgeWithThePacks sends what a stack registered to the policy pack as the engine does (ConfigureStack with the
// stack's name and configuration, Analyze for each resource, AnalyzeStack for the whole), and the same to the
// SDK-served reference. It fails unless both answer alike, and alike with the rules' own verdict (violations:
// rules.Evaluate under the Config the pack derives), so the rules the mock tests judge are the rules the engine
// enforces. Skipped with -short (it builds both packs).
func judgeWithThePacks(t *testing.T, stack string, config map[string]string, resources []rules.Resource, violations []rules.Violation) {
	t.Helper()
	if testing.Short() {
		return
	}
	packs.once.Do(func() { packs.err = startPacks() })
	if packs.err != nil {
		t.Fatalf("starting the policy packs: %v", packs.err)
	}
	packs.mu.Lock()
	defer packs.mu.Unlock()
	ctx := context.Background()
	reqs, stackReq := packtest.Requests(t, resources)
	// The same types stripped of their settings (most rules fire) and with every setting unknown (as in a preview
	// before anything exists): compared between the packs only.
	stripped := make([]rules.Resource, 0, 2*len(resources))
	for _, r := range resources {
		unknown := resource.PropertyMap{}
		for k := range r.Props {
			unknown[k] = resource.MakeComputed(resource.NewStringProperty(""))
		}
		bare := r
		bare.Props = resource.PropertyMap{}
		r.Props = unknown
		stripped = append(stripped, bare, r)
	}
	extraReqs, _ := packtest.Requests(t, stripped)
	analyze := func(name string, c pulumirpc.AnalyzerClient, reqs []*pulumirpc.AnalyzeRequest) []*pulumirpc.AnalyzeDiagnostic {
		var ds []*pulumirpc.AnalyzeDiagnostic
		for _, req := range reqs {
			resp, err := c.Analyze(ctx, req)
			if err != nil {
				t.Fatalf("Analyze %s on the %s: %v", req.GetUrn(), name, err)
			}
			ds = append(ds, resp.GetDiagnostics()...)
		}
		return ds
	}
	answers, extra := map[string][]*pulumirpc.AnalyzeDiagnostic{}, map[string][]*pulumirpc.AnalyzeDiagnostic{}
	for name, p := range map[string]*packtest.Running{"pack": packs.ours, "SDK reference": packs.sdk} {
		if _, err := p.Client.ConfigureStack(ctx, &pulumirpc.AnalyzerStackConfigureRequest{
			Stack: stack, Project: "wechat-deploy", Organization: "organization", DryRun: true, Config: config,
		}); err != nil {
			t.Fatalf("ConfigureStack on the %s: %v", name, err)
		}
		answers[name] = analyze(name, p.Client, reqs)
		resp, err := p.Client.AnalyzeStack(ctx, stackReq)
		if err != nil {
			t.Fatalf("AnalyzeStack on the %s: %v", name, err)
		}
		answers[name] = append(answers[name], resp.GetDiagnostics()...)
		extra[name] = analyze(name, p.Client, extraReqs)
	}
	for _, ds := range []map[string][]*pulumirpc.AnalyzeDiagnostic{answers, extra} {
		if a, b := packtest.Lines(ds["pack"]), packtest.Lines(ds["SDK reference"]); !slices.Equal(a, b) {
			t.Errorf("stack %s: the pack answers\n  %s\nthe SDK reference\n  %s", stack, strings.Join(a, "\n  "), strings.Join(b, "\n  "))
		}
	}
	if len(extra["pack"]) == 0 {
		t.Errorf("stack %s: no rule fired on the stripped resources; the comparison proves little", stack)
	}

	// The rules' own verdict, in the engine's terms.
	byName := map[string]rules.Rule{}
	for _, r := range rules.All() {
		byName[r.Name] = r
	}
	want := make([]string, 0, len(violations))
	for _, v := range violations {
		level := pulumirpc.EnforcementLevel_MANDATORY
		if v.Level == rules.Advisory {
			level = pulumirpc.EnforcementLevel_ADVISORY
		}
		r := byName[v.Rule]
		want = append(want, fmt.Sprintf("%s %s %s %q", v.Rule, level, v.URN, r.Description+" "+r.Why+"\n"+v.Message))
	}
	got := make([]string, 0, len(answers["pack"]))
	for _, d := range answers["pack"] {
		got = append(got, fmt.Sprintf("%s %s %s %q", d.GetPolicyName(), d.GetEnforcementLevel(), d.GetUrn(), d.GetMessage()))
	}
	slices.Sort(want)
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Errorf("stack %s: the pack reports\n  %s\nthe rules\n  %s", stack, strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
}

// BenchmarkPolicyPack measures what a preview asks of the policy pack for a stack (ConfigureStack, then Analyze
// for every resource and AnalyzeStack, over gRPC to the pack's executable) for the pack and for the same rules
// served by the SDK's policyx (policy/internal/sdkpack); the engine waits on each Analyze before the resource's
// step. "start" is a pack process from launch and handshake to its first answer to ConfigureStack.
func BenchmarkPolicyPack(b *testing.B) {
	repo, err := filepath.Abs(root)
	if err != nil {
		b.Fatal(err)
	}
	bins := map[string]string{"pack": packtest.Build(b, repo, packtest.Pack), "sdk": packtest.Build(b, repo, packtest.SDKPack)}
	ctx := context.Background()
	for _, stack := range []string{"local", "prod"} {
		run := runStack(b, stack, fakeSecrets(b), nil)
		opts, err := componenttest.StackOptions(root, stack, nil)
		if err != nil {
			b.Fatal(err)
		}
		var custom []rules.Resource
		for _, r := range run.Resources {
			if r.Custom {
				custom = append(custom, rules.Resource{Type: r.Type, Name: r.Name, URN: r.URN, Props: r.Inputs})
			}
		}
		reqs, stackReq := packtest.Requests(b, custom)
		configure := &pulumirpc.AnalyzerStackConfigureRequest{Stack: stack, Project: "wechat-deploy", DryRun: true, Config: opts.Config}
		for _, name := range []string{"pack", "sdk"} {
			b.Run(stack+"/"+name, func(b *testing.B) {
				c := packtest.Start(b, bins[name])
				for b.Loop() {
					if _, err := c.ConfigureStack(ctx, configure); err != nil {
						b.Fatal(err)
					}
					for _, req := range reqs {
						if _, err := c.Analyze(ctx, req); err != nil {
							b.Fatal(err)
						}
					}
					if _, err := c.AnalyzeStack(ctx, stackReq); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(len(reqs)), "resources")
			})
		}
	}
	for _, name := range []string{"pack", "sdk"} {
		b.Run("start/"+name, func(b *testing.B) {
			for b.Loop() {
				p, err := packtest.Launch(bins[name])
				if err != nil {
					b.Fatal(err)
				}
				if _, err := p.Client.ConfigureStack(ctx, &pulumirpc.AnalyzerStackConfigureRequest{Stack: "local", Project: "wechat-deploy"}); err != nil {
					b.Fatal(err)
				}
				p.Close()
			}
		})
	}
}
