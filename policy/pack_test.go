package main

import (
	"bufio"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/protobuf/types/known/emptypb"
	"google.golang.org/protobuf/types/known/structpb"
	"gopkg.in/yaml.v3"
)

// TestPackBinaryAnswersLikeAnAnalyzer builds the pack, starts it as the engine does (it prints its port), and
// drives it over gRPC: it lists every rule, and reports the expected violations for a bad Deployment.
func TestPackBinaryAnswersLikeAnAnalyzer(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the pack")
	}
	bin := filepath.Join(t.TempDir(), "policy-pack")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("building the pack: %v\n%s", err, out)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	port, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		t.Fatalf("reading the port: %v", err)
	}
	conn, err := grpc.NewClient("127.0.0.1:"+strings.TrimSpace(port), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := conn.Close(); err != nil {
			t.Errorf("closing the connection to the policy pack: %v", err)
		}
	}()
	analyzer := pulumirpc.NewAnalyzerClient(conn)

	if _, err := analyzer.Handshake(ctx, &pulumirpc.AnalyzerHandshakeRequest{}); err != nil {
		t.Fatalf("Handshake: %v", err)
	}
	if _, err := analyzer.ConfigureStack(ctx, &pulumirpc.AnalyzerStackConfigureRequest{
		Stack: "prod", Project: "wechat-deploy", Organization: "organization", DryRun: true,
		Config: map[string]string{"wechat-deploy:production": "true"},
	}); err != nil {
		t.Fatalf("ConfigureStack: %v", err)
	}
	info, err := analyzer.GetAnalyzerInfo(ctx, &emptypb.Empty{})
	if err != nil {
		t.Fatalf("GetAnalyzerInfo: %v", err)
	}
	if info.GetName() != PackName || len(info.GetPolicies()) < 25 {
		t.Fatalf("pack %q serves %d policies", info.GetName(), len(info.GetPolicies()))
	}

	bad, err := structpb.NewStruct(map[string]any{
		"metadata": map[string]any{"name": "bad"},
		"spec": map[string]any{"replicas": 1, "template": map[string]any{"spec": map[string]any{
			"containers": []any{map[string]any{
				"name": "app", "image": "nginx:latest",
				"securityContext": map[string]any{"privileged": true},
			}},
		}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	resp, err := analyzer.Analyze(ctx, &pulumirpc.AnalyzeRequest{
		Type: "kubernetes:apps/v1:Deployment", Name: "bad", Properties: bad,
		Urn: "urn:pulumi:prod::wechat-deploy::kubernetes:apps/v1:Deployment::bad",
	})
	if err != nil {
		t.Fatalf("Analyze: %v", err)
	}
	got := map[string]pulumirpc.EnforcementLevel{}
	for _, d := range resp.GetDiagnostics() {
		got[d.GetPolicyName()] = d.GetEnforcementLevel()
	}
	for _, want := range []string{
		"k8s-no-privileged", "k8s-image-pinned-by-digest", "k8s-resources", "k8s-run-as-non-root",
		"k8s-read-only-root-filesystem", "k8s-drop-all-capabilities", "k8s-probes", "k8s-production-replicas",
	} {
		if level, ok := got[want]; !ok || level != pulumirpc.EnforcementLevel_MANDATORY {
			t.Errorf("no mandatory %s violation; got %v", want, got)
		}
	}
	if got["k8s-production-replicas-recommended"] != pulumirpc.EnforcementLevel_ADVISORY {
		t.Errorf("advisory replicas rule: %v", got)
	}

	good, _ := structpb.NewStruct(map[string]any{"imageTagMutability": "IMMUTABLE", "imageScanningConfiguration": map[string]any{"scanOnPush": true}})
	resp, err = analyzer.Analyze(ctx, &pulumirpc.AnalyzeRequest{Type: "aws:ecr/repository:Repository", Name: "ok", Properties: good})
	if err != nil || len(resp.GetDiagnostics()) != 0 {
		t.Fatalf("compliant repository: %v %v", resp.GetDiagnostics(), err)
	}
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
