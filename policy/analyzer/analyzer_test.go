package analyzer_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/protobuf/encoding/prototext"
	"google.golang.org/protobuf/types/known/emptypb"
	"google.golang.org/protobuf/types/known/structpb"

	"github.com/wechat-deploy/wechat-deploy/policy/analyzer"
	"github.com/wechat-deploy/wechat-deploy/policy/analyzer/packtest"
	"github.com/wechat-deploy/wechat-deploy/policy/rules"
)

const root = "../.."

// packs starts the pack and the SDK-served reference side by side.
func packs(t *testing.T) (ours, sdk pulumirpc.AnalyzerClient) {
	t.Helper()
	if testing.Short() {
		t.Skip("builds both packs")
	}
	return packtest.Start(t, packtest.Build(t, root, packtest.Pack)), packtest.Start(t, packtest.Build(t, root, packtest.SDKPack))
}

// both sends one request to each pack and fails unless both accept it.
func both[Resp any](t *testing.T, what string, ours, sdk pulumirpc.AnalyzerClient, call func(pulumirpc.AnalyzerClient) (Resp, error)) (Resp, Resp) {
	t.Helper()
	a, err := call(ours)
	if err != nil {
		t.Fatalf("%s (pack): %v", what, err)
	}
	b, err := call(sdk)
	if err != nil {
		t.Fatalf("%s (SDK reference): %v", what, err)
	}
	return a, b
}

// TestAnswersAsTheSDKServerDoes drives the pack and the same rules served by the SDK's policyx over the analyzer
// protocol with the same requests, and wants the same answers: the policy list and its config schema, the
// violations of resources with secrets, unknowns and output values in them, the policy config's enforcement levels
// (a disabled policy, an advisory one made mandatory) and production switch, the stack rules, and no
// remediation.
func TestAnswersAsTheSDKServerDoes(t *testing.T) {
	ours, sdk := packs(t)
	ctx := context.Background()

	configureStack := func(stack string, config map[string]string) {
		t.Helper()
		both(t, "ConfigureStack "+stack, ours, sdk, func(c pulumirpc.AnalyzerClient) (*pulumirpc.AnalyzerStackConfigureResponse, error) {
			return c.ConfigureStack(ctx, &pulumirpc.AnalyzerStackConfigureRequest{
				Stack: stack, Project: "wechat-deploy", Organization: "organization", DryRun: true, Config: config,
			})
		})
	}
	same := func(what string, a, b *pulumirpc.AnalyzeResponse, wantAny bool) {
		t.Helper()
		da, db := packtest.Lines(a.GetDiagnostics()), packtest.Lines(b.GetDiagnostics())
		if !slices.Equal(da, db) {
			t.Errorf("%s: the pack answers\n  %s\nthe SDK reference\n  %s", what, strings.Join(da, "\n  "), strings.Join(db, "\n  "))
		}
		if wantAny && len(da) == 0 {
			t.Errorf("%s: no violation; the case proves nothing", what)
		}
	}
	analyze := func(what, typ, name string, props resource.PropertyMap, wantAny bool) {
		t.Helper()
		req := &pulumirpc.AnalyzeRequest{
			Type: typ, Name: name, Properties: packtest.Marshal(t, props),
			Urn: "urn:pulumi:stack::wechat-deploy::" + typ + "::" + name,
		}
		a, b := both(t, "Analyze "+what, ours, sdk, func(c pulumirpc.AnalyzerClient) (*pulumirpc.AnalyzeResponse, error) {
			return c.Analyze(ctx, req)
		})
		same(what, a, b, wantAny)
	}

	configureStack("dev", map[string]string{"wechat-deploy:production": "false"})
	ia, ib := both(t, "GetAnalyzerInfo", ours, sdk, func(c pulumirpc.AnalyzerClient) (*pulumirpc.AnalyzerInfo, error) {
		return c.GetAnalyzerInfo(ctx, &emptypb.Empty{})
	})
	if a, b := canonical(ia), canonical(ib); a != b {
		t.Errorf("GetAnalyzerInfo differs:\npack: %s\nSDK:  %s", a, b)
	}
	if len(ia.GetPolicies()) != len(rules.All()) {
		t.Errorf("the pack lists %d policies, want %d", len(ia.GetPolicies()), len(rules.All()))
	}
	pa, pb := both(t, "GetPluginInfo", ours, sdk, func(c pulumirpc.AnalyzerClient) (*pulumirpc.PluginInfo, error) {
		return c.GetPluginInfo(ctx, &emptypb.Empty{})
	})
	if pa.GetVersion() != pb.GetVersion() || pa.GetVersion() != analyzer.PackVersion {
		t.Errorf("versions: pack %q, SDK %q, want %q", pa.GetVersion(), pb.GetVersion(), analyzer.PackVersion)
	}

	bad := resource.NewPropertyMapFromMap(map[string]any{
		"metadata": map[string]any{"name": "bad", "namespace": "wechat-api"},
		"spec": map[string]any{"replicas": 1, "template": map[string]any{"spec": map[string]any{
			"containers": []any{map[string]any{
				"name": "app", "image": "nginx:latest",
				"securityContext": map[string]any{"privileged": true},
			}},
		}}},
	})
	analyze("bad Deployment", "kubernetes:apps/v1:Deployment", "bad", bad, true)
	// Preview: the image is not known yet, and the security context arrives as a known output value.
	preview := bad.Copy()
	containers := preview["spec"].ObjectValue()["template"].ObjectValue()["spec"].ObjectValue()["containers"].ArrayValue()
	app := containers[0].ObjectValue().Copy()
	app["image"] = resource.MakeComputed(resource.NewStringProperty(""))
	app["securityContext"] = resource.NewOutputProperty(resource.Output{Element: app["securityContext"], Known: true})
	preview["spec"] = resource.NewObjectProperty(resource.PropertyMap{
		"replicas": resource.NewNumberProperty(2),
		"template": resource.NewObjectProperty(resource.PropertyMap{"spec": resource.NewObjectProperty(resource.PropertyMap{
			"containers": resource.NewArrayProperty([]resource.PropertyValue{resource.NewObjectProperty(app)}),
		})}),
	})
	analyze("Deployment in preview", "kubernetes:apps/v1:Deployment", "preview", preview, true)
	analyze("a type no rule checks", "kubernetes:core/v1:Pod", "p", bad, false)
	analyze("compliant repository", "aws:ecr/repository:Repository", "ok",
		resource.NewPropertyMapFromMap(map[string]any{"imageTagMutability": "IMMUTABLE", "imageScanningConfiguration": map[string]any{"scanOnPush": true}}), false)
	secret := resource.PropertyMap{"stringData": resource.NewObjectProperty(resource.PropertyMap{
		"jwt-signing-key": resource.MakeSecret(resource.NewStringProperty(strings.Repeat("a", 48))),
		"database-url":    resource.MakeSecret(resource.NewStringProperty("postgres://app:pw@db.internal:5432/app")),
	})}
	analyze("Secret with weak secrets", "kubernetes:core/v1:Secret", "app-secrets", secret, true)

	// The policy config: a disabled policy, an advisory one made mandatory, production switched on for one rule.
	on, err := structpb.NewStruct(map[string]any{analyzer.ProductionProperty: true})
	if err != nil {
		t.Fatal(err)
	}
	both(t, "Configure", ours, sdk, func(c pulumirpc.AnalyzerClient) (*emptypb.Empty, error) {
		return c.Configure(ctx, &pulumirpc.ConfigureAnalyzerRequest{PolicyConfig: map[string]*pulumirpc.PolicyConfig{
			"k8s-production-replicas":             {EnforcementLevel: pulumirpc.EnforcementLevel_MANDATORY, Properties: on},
			"k8s-probes":                          {EnforcementLevel: pulumirpc.EnforcementLevel_DISABLED},
			"k8s-production-replicas-recommended": {EnforcementLevel: pulumirpc.EnforcementLevel_MANDATORY},
			"k8s-image-pinned-by-digest":          {EnforcementLevel: pulumirpc.EnforcementLevel_ADVISORY},
		}})
	})
	analyze("bad Deployment under the policy config", "kubernetes:apps/v1:Deployment", "bad", bad, true)

	// Stack rules, on a stack named production that says it is not.
	configureStack("prod-cn", map[string]string{"wechat-deploy:production": "false"})
	dep := resource.NewPropertyMapFromMap(map[string]any{
		"metadata": map[string]any{"name": "wechat-api", "namespace": "wechat-api"},
		"spec":     map[string]any{"replicas": 3},
	})
	stackReq := &pulumirpc.AnalyzeStackRequest{Resources: []*pulumirpc.AnalyzerResource{{
		Type: "kubernetes:apps/v1:Deployment", Name: "wechat-api-deployment", Properties: packtest.Marshal(t, dep),
		Urn: "urn:pulumi:prod-cn::wechat-deploy::kubernetes:apps/v1:Deployment::wechat-api-deployment",
	}}}
	sa, sb := both(t, "AnalyzeStack", ours, sdk, func(c pulumirpc.AnalyzerClient) (*pulumirpc.AnalyzeResponse, error) {
		return c.AnalyzeStack(ctx, stackReq)
	})
	same("stack rules", sa, sb, true)
	analyze("bad Deployment on prod-cn", "kubernetes:apps/v1:Deployment", "bad", bad, true)

	ra, rb := both(t, "Remediate", ours, sdk, func(c pulumirpc.AnalyzerClient) (*pulumirpc.RemediateResponse, error) {
		return c.Remediate(ctx, &pulumirpc.AnalyzeRequest{Type: "kubernetes:apps/v1:Deployment", Name: "bad", Properties: packtest.Marshal(t, bad)})
	})
	if len(ra.GetRemediations()) != 0 || len(rb.GetRemediations()) != 0 {
		t.Errorf("remediations: pack %v, SDK %v; want none", ra.GetRemediations(), rb.GetRemediations())
	}
}

// canonical renders a message with its spacing normalized (prototext varies it on purpose).
func canonical(m *pulumirpc.AnalyzerInfo) string {
	return strings.Join(strings.Fields(prototext.MarshalOptions{}.Format(m)), " ")
}
