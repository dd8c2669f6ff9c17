package main

import (
	"context"
	"os"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/plugin"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/protobuf/types/known/emptypb"
	"google.golang.org/protobuf/types/known/structpb"
	"gopkg.in/yaml.v3"

	"github.com/wechat-deploy/wechat-deploy/policy/analyzer/packtest"
	"github.com/wechat-deploy/wechat-deploy/policy/rules"
)

// TestPackBinaryAnswersLikeAnAnalyzer builds the pack, starts it as the engine does (it prints its port), and
// drives it over gRPC: it lists every rule, reports the expected violations for a bad Deployment, judges a
// stack named production as production whatever its config says, reads secrets without quoting them, and
// serves the stack rules.
func TestPackBinaryAnswersLikeAnAnalyzer(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the pack")
	}
	analyzer := packtest.Start(t, packtest.Build(t, "..", packtest.Pack))
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()

	if _, err := analyzer.Handshake(ctx, &pulumirpc.AnalyzerHandshakeRequest{}); err != nil {
		t.Fatalf("Handshake: %v", err)
	}
	configure := func(stack string, config map[string]string) {
		t.Helper()
		if _, err := analyzer.ConfigureStack(ctx, &pulumirpc.AnalyzerStackConfigureRequest{
			Stack: stack, Project: "wechat-deploy", Organization: "organization", DryRun: true, Config: config,
		}); err != nil {
			t.Fatalf("ConfigureStack: %v", err)
		}
	}
	analyze := func(typ, name string, props resource.PropertyMap) map[string]*pulumirpc.AnalyzeDiagnostic {
		t.Helper()
		st, err := plugin.MarshalProperties(props, plugin.MarshalOptions{KeepSecrets: true})
		if err != nil {
			t.Fatal(err)
		}
		resp, err := analyzer.Analyze(ctx, &pulumirpc.AnalyzeRequest{
			Type: typ, Name: name, Properties: st, Urn: "urn:pulumi:prod::wechat-deploy::" + typ + "::" + name,
		})
		if err != nil {
			t.Fatalf("Analyze: %v", err)
		}
		got := map[string]*pulumirpc.AnalyzeDiagnostic{}
		for _, d := range resp.GetDiagnostics() {
			got[d.GetPolicyName()] = d
		}
		return got
	}
	mandatory := func(got map[string]*pulumirpc.AnalyzeDiagnostic, want ...string) {
		t.Helper()
		for _, w := range want {
			if d, ok := got[w]; !ok || d.GetEnforcementLevel() != pulumirpc.EnforcementLevel_MANDATORY {
				t.Errorf("no mandatory %s violation; got %v", w, names(got))
			}
		}
	}

	configure("prod", map[string]string{"wechat-deploy:production": "true"})
	info, err := analyzer.GetAnalyzerInfo(ctx, &emptypb.Empty{})
	if err != nil {
		t.Fatalf("GetAnalyzerInfo: %v", err)
	}
	if info.GetName() != PackName || len(info.GetPolicies()) != len(rules.All()) {
		t.Fatalf("pack %q serves %d policies, want %d", info.GetName(), len(info.GetPolicies()), len(rules.All()))
	}

	bad := resource.NewPropertyMapFromMap(map[string]any{
		"metadata": map[string]any{"name": "bad"},
		"spec": map[string]any{"replicas": 1, "template": map[string]any{"spec": map[string]any{
			"containers": []any{map[string]any{
				"name": "app", "image": "nginx:latest",
				"securityContext": map[string]any{"privileged": true},
			}},
		}}},
	})
	got := analyze("kubernetes:apps/v1:Deployment", "bad", bad)
	mandatory(got, "k8s-no-privileged", "k8s-image-pinned-by-digest", "k8s-resources", "k8s-run-as-non-root",
		"k8s-read-only-root-filesystem", "k8s-drop-all-capabilities", "k8s-probes", "k8s-production-replicas")
	if d := got["k8s-production-replicas-recommended"]; d == nil || d.GetEnforcementLevel() != pulumirpc.EnforcementLevel_ADVISORY {
		t.Errorf("advisory replicas rule: %v", names(got))
	}

	good := resource.NewPropertyMapFromMap(map[string]any{"imageTagMutability": "IMMUTABLE", "imageScanningConfiguration": map[string]any{"scanOnPush": true}})
	if got := analyze("aws:ecr/repository:Repository", "ok", good); len(got) != 0 {
		t.Fatalf("compliant repository: %v", names(got))
	}

	// Secrets arrive marked secret; the rules read through the marker and never quote the value.
	const weak = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	const dbURL = "postgres://app:Zq8-pack-db-password@db.internal:5432/app"
	secret := resource.PropertyMap{"stringData": resource.NewObjectProperty(resource.PropertyMap{
		"jwt-signing-key": resource.MakeSecret(resource.NewStringProperty(weak)),
		"database-url":    resource.MakeSecret(resource.NewStringProperty(dbURL)),
	})}
	got = analyze("kubernetes:core/v1:Secret", "app-secrets", secret)
	mandatory(got, "k8s-jwt-key-entropy", "k8s-database-tls")
	for _, d := range got {
		if strings.Contains(d.GetMessage(), weak) || strings.Contains(d.GetMessage(), "Zq8-pack-db-password") {
			t.Errorf("%s quotes a secret: %s", d.GetPolicyName(), d.GetMessage())
		}
	}

	// A stack named production is production whatever its config says; the policy config cannot switch it off.
	configure("prod-cn", map[string]string{"wechat-deploy:production": "false"})
	off, _ := structpb.NewStruct(map[string]any{"production": false})
	if _, err := analyzer.Configure(ctx, &pulumirpc.ConfigureAnalyzerRequest{PolicyConfig: map[string]*pulumirpc.PolicyConfig{
		"k8s-production-replicas": {EnforcementLevel: pulumirpc.EnforcementLevel_MANDATORY, Properties: off},
	}}); err != nil {
		t.Fatalf("Configure: %v", err)
	}
	mandatory(analyze("kubernetes:apps/v1:Deployment", "bad", bad), "k8s-production-replicas")
	cluster := resource.NewPropertyMapFromMap(map[string]any{"deletionProtection": false, "encryptionProviderKey": "key-1"})
	mandatory(analyze("alicloud:cs/managedKubernetes:ManagedKubernetes", "c", cluster), "alicloud-ack-deletion-protection")

	// Stack rules: a production Deployment without an autoscaler, and the undeclared production stack.
	dep, err := plugin.MarshalProperties(resource.NewPropertyMapFromMap(map[string]any{
		"metadata": map[string]any{"name": "wechat-api", "namespace": "wechat-api"},
		"spec":     map[string]any{"replicas": 3},
	}), plugin.MarshalOptions{})
	if err != nil {
		t.Fatal(err)
	}
	resp, err := analyzer.AnalyzeStack(ctx, &pulumirpc.AnalyzeStackRequest{Resources: []*pulumirpc.AnalyzerResource{{
		Type: "kubernetes:apps/v1:Deployment", Name: "wechat-api-deployment", Properties: dep,
		Urn: "urn:pulumi:prod-cn::wechat-deploy::kubernetes:apps/v1:Deployment::wechat-api-deployment",
	}}})
	if err != nil {
		t.Fatalf("AnalyzeStack: %v", err)
	}
	stackGot := map[string]*pulumirpc.AnalyzeDiagnostic{}
	for _, d := range resp.GetDiagnostics() {
		stackGot[d.GetPolicyName()] = d
	}
	mandatory(stackGot, "k8s-production-autoscaling", "stack-production-declared")
	if d := stackGot["k8s-production-autoscaling"]; d != nil && !strings.HasSuffix(d.GetUrn(), "wechat-api-deployment") {
		t.Errorf("autoscaling finding names %q, want the Deployment", d.GetUrn())
	}
}

func names(m map[string]*pulumirpc.AnalyzeDiagnostic) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func TestPolicyProjectFile(t *testing.T) {
	b, err := os.ReadFile("PulumiPolicy.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var f struct {
		Runtime, Version, Description string
	}
	if err := yaml.Unmarshal(b, &f); err != nil {
		t.Fatal(err)
	}
	if f.Runtime != "go" || f.Version != PackVersion || f.Description == "" {
		t.Errorf("PulumiPolicy.yaml = %+v; want runtime go, version %s", f, PackVersion)
	}
}
