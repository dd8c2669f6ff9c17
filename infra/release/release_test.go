package release

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/auto/events"
	"github.com/pulumi/pulumi/sdk/v3/go/common/apitype"
	"gopkg.in/yaml.v3"
)

func TestReadSecretsFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s.env")
	if err := os.WriteFile(path, []byte("# secrets\nwechatAppId = wx0123456789abcdef\n\nwechat-deploy:jwtSigningKey=a=b=c\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	got, err := ReadSecretsFile(path)
	if err != nil || got["wechatAppId"] != "wx0123456789abcdef" || got["jwtSigningKey"] != "a=b=c" || len(got) != 2 {
		t.Fatalf("ReadSecretsFile = %v, %v", got, err)
	}
	if err := os.WriteFile(path, []byte("novalue\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadSecretsFile(path); err == nil || !strings.Contains(err.Error(), ":1:") {
		t.Fatalf("bad line accepted: %v", err)
	}
}

func TestExplainMissingConfig(t *testing.T) {
	err := explain(errors.New("error: validating stack config: Stack 'dev' is missing configuration values 'jwtSigningKey' and 'wechatAppId'"),
		&Result{}, nil, "dev")
	for _, want := range []string{"SECRETS_FILE", "pulumi config set --secret --stack dev wechat-deploy:jwtSigningKey", "jwtSigningKey, wechatAppId"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("explanation lacks %q:\n%v", want, err)
		}
	}
	blocked := explain(errors.New("exit status 255"), &Result{Violations: []PolicyViolation{{Policy: "k8s-ingress-tls", Level: "mandatory", URN: "urn:a::b::kubernetes:x::ing", Message: "spec.tls is empty"}}}, nil, "dev")
	if !strings.Contains(blocked.Error(), "k8s-ingress-tls on ing: spec.tls is empty") {
		t.Errorf("policy explanation %v", blocked)
	}
}

// TestPrepareWorkDir: the repository's stack file decides every setting; the salt and secrets set by earlier
// runs survive only where the repository has none.
func TestPrepareWorkDir(t *testing.T) {
	root, work := t.TempDir(), t.TempDir()
	write := func(path, body string) {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write(filepath.Join(root, "Pulumi.yaml"), "name: wechat-deploy\nruntime: go\nmain: infra/\nstackConfigDir: stacks\n")
	stackFile := filepath.Join(root, "stacks", "Pulumi.local.yaml")
	write(stackFile, "config:\n  wechat-deploy:cloud: existing\n")
	write(filepath.Join(work, "Pulumi.local.yaml"), "encryptionsalt: v1:salt\nconfig:\n  wechat-deploy:cloud: aws\n  wechat-deploy:jwtSigningKey:\n    secure: v1:abc\n")
	if err := prepareWorkDir(root, stackFile, work, "local"); err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	b, _ := os.ReadFile(filepath.Join(work, "Pulumi.local.yaml"))
	if err := yaml.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	cfg := got["config"].(map[string]any)
	if got["encryptionsalt"] != "v1:salt" || cfg["wechat-deploy:cloud"] != "existing" || cfg["wechat-deploy:jwtSigningKey"] == nil {
		t.Errorf("merged stack file %v", got)
	}
	var proj map[string]any
	b, _ = os.ReadFile(filepath.Join(work, "Pulumi.yaml"))
	_ = yaml.Unmarshal(b, &proj)
	if proj["stackConfigDir"] != nil || proj["main"] != nil || proj["name"] != "wechat-deploy" {
		t.Errorf("work project %v", proj)
	}
	if b, _ := os.ReadFile(stackFile); strings.Contains(string(b), "salt") {
		t.Error("the repository's stack file was written")
	}
}

// TestCollectTimesSteps: each step gets when it began and how long it ran until its outputs arrived, matched by
// URN even when steps overlap; a step without outputs keeps no duration.
func TestCollectTimesSteps(t *testing.T) {
	evs := make(chan events.EngineEvent)
	opDone := make(chan struct{})
	res := &Result{}
	start := time.Now()
	done := make(chan struct{})
	go func() { collect(evs, opDone, res, start, nil); close(done) }()
	pre := func(urn string) events.EngineEvent {
		return events.EngineEvent{EngineEvent: apitype.EngineEvent{ResourcePreEvent: &apitype.ResourcePreEvent{
			Metadata: apitype.StepEventMetadata{Op: apitype.OpCreate, URN: urn, Type: "kubernetes:apps/v1:Deployment"}}}}
	}
	outputs := func(urn string) events.EngineEvent {
		return events.EngineEvent{EngineEvent: apitype.EngineEvent{ResOutputsEvent: &apitype.ResOutputsEvent{
			Metadata: apitype.StepEventMetadata{Op: apitype.OpCreate, URN: urn}}}}
	}
	evs <- pre("urn:a")
	time.Sleep(20 * time.Millisecond)
	evs <- pre("urn:b")
	evs <- pre("urn:failed")
	time.Sleep(30 * time.Millisecond)
	evs <- outputs("urn:a")
	evs <- outputs("urn:b")
	evs <- outputs("urn:unknown")
	close(evs)
	<-done
	if len(res.Steps) != 3 {
		t.Fatalf("steps %+v", res.Steps)
	}
	a, b, failed := res.Steps[0], res.Steps[1], res.Steps[2]
	if a.Took < 50*time.Millisecond || b.Took < 30*time.Millisecond || b.Took >= a.Took {
		t.Errorf("durations: a %s (ran ≥ 50ms), b %s (ran ≥ 30ms, less than a)", a.Took, b.Took)
	}
	if b.Began < a.Began+20*time.Millisecond || a.Began > time.Since(start) {
		t.Errorf("began: a %s, b %s (≥ 20ms after a)", a.Began, b.Began)
	}
	if failed.Took != 0 {
		t.Errorf("a step without outputs took %s", failed.Took)
	}
}

// TestRunSettingsDoNotLeakIntoTheNextRun: a run exports its settings for the Automation API's own calls; a later
// run in the same process (a benchmark's second cycle, a tool driving two state directories) must choose its own
// file backend and passphrase file rather than take the first run's for the user's, while a backend the user set
// stays the user's on every run.
func TestRunSettingsDoNotLeakIntoTheNextRun(t *testing.T) {
	for _, k := range []string{"PULUMI_BACKEND_URL", "PULUMI_CONFIG_PASSPHRASE", "PULUMI_CONFIG_PASSPHRASE_FILE"} {
		t.Setenv(k, "")
		_ = os.Unsetenv(k)
	}
	t.Cleanup(func() { chosenEnv = map[string]string{} })
	exportEnv(map[string]string{"PULUMI_BACKEND_URL": "file:///a/state", "PULUMI_CONFIG_PASSPHRASE_FILE": "/a/passphrase", "STACK": "local"},
		map[string]bool{"PULUMI_BACKEND_URL": true, "PULUMI_CONFIG_PASSPHRASE_FILE": true})
	if os.Getenv("PULUMI_BACKEND_URL") != "file:///a/state" {
		t.Fatal("the run's backend is not exported for the Automation API's own calls")
	}
	if b, p := userEnv("PULUMI_BACKEND_URL"), userEnv("PULUMI_CONFIG_PASSPHRASE_FILE"); b != "" || p != "" {
		t.Fatalf("the first run's own choices are taken for the user's: backend %q, passphrase file %q", b, p)
	}
	// The second run uses the user's passphrase and chooses only its backend: the first run's file goes away.
	t.Setenv("PULUMI_CONFIG_PASSPHRASE", "users")
	exportEnv(map[string]string{"PULUMI_BACKEND_URL": "file:///b/state"}, map[string]bool{"PULUMI_BACKEND_URL": true})
	if _, set := os.LookupEnv("PULUMI_CONFIG_PASSPHRASE_FILE"); set || userEnv("PULUMI_CONFIG_PASSPHRASE") != "users" {
		t.Errorf("passphrase file still set (%v) or the user's passphrase lost", set)
	}
	t.Setenv("PULUMI_BACKEND_URL", "s3://team-state")
	for range 2 {
		b := userEnv("PULUMI_BACKEND_URL")
		if b != "s3://team-state" {
			t.Fatalf("the user's backend became %q", b)
		}
		exportEnv(map[string]string{"PULUMI_BACKEND_URL": b}, nil)
	}
}
