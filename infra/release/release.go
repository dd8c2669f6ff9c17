// Package release runs preview, up, destroy and refresh of a stack through the Automation API, with the program
// inline (the same function infra/main.go runs), the pinned CLI and Kubernetes provider, and the policy pack
// enforced. It is the engine behind `make preview/up/destroy STACK=...` and the end-to-end tests.
package release

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/auto"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/events"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optdestroy"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optpreview"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optrefresh"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optup"
	"github.com/pulumi/pulumi/sdk/v3/go/common/apitype"

	"github.com/wechat-deploy/wechat-deploy/app/contract"
	"github.com/wechat-deploy/wechat-deploy/components/image"
	"github.com/wechat-deploy/wechat-deploy/components/workload"
	"github.com/wechat-deploy/wechat-deploy/infra/config"
	"github.com/wechat-deploy/wechat-deploy/infra/program"
	"github.com/wechat-deploy/wechat-deploy/infra/sandbox"
	"github.com/wechat-deploy/wechat-deploy/infra/tools"
)

// Operations the driver runs.
const (
	OpPreview = "preview"
	OpUp      = "up"
	OpDestroy = "destroy"
	OpRefresh = "refresh"
	OpOutputs = "outputs"
)

// Options configure one run.
type Options struct {
	// Root is the repository root (where Pulumi.yaml is).
	Root string
	// Stack names the stack; StackFile overrides where its settings are read from
	// (default <root>/stacks/Pulumi.<stack>.yaml).
	Stack, StackFile string
	Op               string
	// StateDir holds the file backend, the private PULUMI_HOME and the work directories
	// (default <root>/.pulumi).
	StateDir string
	// PolicyPack is the pack executable to enforce; empty builds <root>/bin/policy-pack. NoPolicy skips it.
	PolicyPack string
	NoPolicy   bool
	// PolicyConfig is a --policy-pack-config JSON file.
	PolicyConfig string
	// Out receives the engine's progress and the summary (os.Stdout when nil).
	Out io.Writer
	// Sandbox decides whether the local stack deploys into the sandbox when no cluster is configured.
	Sandbox bool
	// Secrets are config secrets (keys without namespace) set on the stack before the operation.
	Secrets map[string]string
	// RollbackTo names the update (its number, or its image's digest sha256:…) OpRollback goes back to; empty
	// picks the newest successful update that ran another image than the latest update.
	RollbackTo string
	// ImageAvailable checks that a rollback's image still exists (default RegistryImageCheck).
	ImageAvailable func(ctx context.Context, ref string) error
}

// Export returns the stack's state as `pulumi stack export` prints it.
func Export(ctx context.Context, o Options) ([]byte, error) {
	o.NoPolicy = true
	if o.Out == nil {
		o.Out = io.Discard
	}
	stack, _, err := prepare(ctx, &o)
	if err != nil {
		return nil, err
	}
	dep, err := stack.Export(ctx)
	if err != nil {
		return nil, fmt.Errorf("exporting stack %s: %w", o.Stack, err)
	}
	return dep.Deployment, nil
}

// Step is one resource operation the engine reported.
type Step struct {
	Op    string
	Type  string
	URN   string
	Diffs []string
	// Began is when the engine started the step, counted from the start of the operation; Took how long the
	// step ran until the engine had its outputs (0 when it reported none: a failed or skipped step).
	Began, Took time.Duration
}

// PolicyViolation is a policy finding the engine reported.
type PolicyViolation struct {
	Policy, Level, URN, Message string
}

// Result is what a run did.
type Result struct {
	Steps      []Step
	Violations []PolicyViolation
	// Failed lists the URNs of the resources whose step failed; Diagnostics the warnings and errors reported
	// about resources, in order.
	Failed      []string
	Diagnostics []Diagnostic
	Outputs     auto.OutputMap
	Summary     map[string]int
	Duration    time.Duration

	// events is what collect read for the summary and the outputs.
	events struct {
		changes map[apitype.OpType]int
		outputs auto.OutputMap
	}
}

// Changed lists the steps that change something (anything but "same" and reads).
func (r *Result) Changed() []Step {
	var out []Step
	for _, s := range r.Steps {
		if s.Op != string(apitype.OpSame) && s.Op != string(apitype.OpRead) {
			out = append(out, s)
		}
	}
	return out
}

// Run performs the operation.
func Run(ctx context.Context, o Options) (*Result, error) {
	if o.Out == nil {
		o.Out = os.Stdout
	}
	stack, env, err := prepare(ctx, &o)
	if err != nil {
		return nil, err
	}
	if o.Op == OpRollback {
		if err := applyRollback(ctx, stack, o, filepath.Join(o.StateDir, "work", o.Stack)); err != nil {
			return nil, err
		}
	}
	start := time.Now()
	res := &Result{}
	// An update whose rollout Kubernetes declares stuck is stopped there (the CLI is interrupted and the engine
	// cancels the provider's wait), not at the provider's timeout.
	runCtx, cancelRun := context.WithCancel(ctx)
	defer cancelRun()
	var watch *stallWatch
	if o.Op == OpUp || o.Op == OpRollback {
		watch = &stallWatch{min: workload.MinProgressDeadline(), stop: func(string) { cancelRun() }}
	}
	// The SDK closes the event channel when an operation ends normally, but not on every early failure; collect
	// therefore also stops shortly after the operation returns (opDone), so a failed run cannot hang here.
	evs := make(chan events.EngineEvent, 256)
	opDone := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); collect(evs, opDone, res, start, watch) }()
	policy := []string{}
	if !o.NoPolicy {
		policy = append(policy, o.PolicyPack)
	}
	var runErr error
	// The summary (and up's outputs) come from the operation's own events (collect), not from the CLI runs the
	// Automation API makes after each operation to read them back.
	stopAnswering := answerFollowUps(stack)
	switch o.Op {
	case OpPreview:
		opts := []optpreview.Option{optpreview.ProgressStreams(o.Out), optpreview.EventStreams(evs), optpreview.Diff()}
		opts = append(opts, policyOptions(policy, o.PolicyConfig, optpreview.PolicyPacks, optpreview.PolicyPackConfigs)...)
		_, runErr = stack.Preview(ctx, opts...)
	case OpUp, OpRollback:
		opts := []optup.Option{optup.ProgressStreams(o.Out), optup.EventStreams(evs)}
		opts = append(opts, policyOptions(policy, o.PolicyConfig, optup.PolicyPacks, optup.PolicyPackConfigs)...)
		_, runErr = stack.Up(runCtx, opts...)
	case OpDestroy:
		_, runErr = stack.Destroy(ctx, optdestroy.ProgressStreams(o.Out), optdestroy.EventStreams(evs))
	case OpRefresh:
		_, runErr = stack.Refresh(ctx, optrefresh.ProgressStreams(o.Out), optrefresh.EventStreams(evs))
	case OpOutputs:
	default:
		stopAnswering()
		close(opDone)
		wg.Wait()
		return nil, fmt.Errorf("unknown operation %q; use preview, up, rollback, destroy, refresh or outputs", o.Op)
	}
	stopAnswering()
	close(opDone)
	wg.Wait()
	res.Duration = time.Since(start)
	res.Summary = summary(res.events.changes)
	if o.Op == OpUp || o.Op == OpRollback {
		res.Outputs = res.events.outputs
	}
	if watch.stopped() && runErr != nil {
		// The provider's wait was cancelled before it could read the Deployment back, so the engine kept the
		// previous release's state for it while Kubernetes holds the new template: read it back, so that the
		// next up or rollback sees the difference and applies it.
		if _, err := stack.Refresh(ctx, optrefresh.Target([]string{watch.urn}), optrefresh.ProgressStreams(o.Out)); err != nil {
			runErr = fmt.Errorf("%w (reading %s back after stopping failed too: %w)", runErr, shortURN(watch.urn), err)
		}
	}
	runErr = watch.stalledError(res, runErr)
	if runErr != nil {
		return res, explain(runErr, res, env, o.Stack)
	}
	if o.Op != OpDestroy {
		if res.Outputs == nil {
			if res.Outputs, err = stack.Outputs(ctx); err != nil {
				return res, fmt.Errorf("reading outputs: %w", err)
			}
		}
		printOutputs(o.Out, res.Outputs)
	}
	return res, nil
}

func summary(m map[apitype.OpType]int) map[string]int {
	out := map[string]int{}
	for k, v := range m {
		out[string(k)] = v
	}
	return out
}

// collect records steps and policy findings from the engine's event stream until the stream closes, or until
// the operation has returned and no event arrived for a moment; watch (nil for operations that roll nothing out)
// sees every event.
func collect(evs <-chan events.EngineEvent, opDone <-chan struct{}, res *Result, start time.Time, watch *stallWatch) {
	open := map[string]int{} // URN to the index of its step that has no outputs yet
	record := func(ev events.EngineEvent) {
		now := time.Since(start)
		if e := ev.ResourcePreEvent; e != nil {
			m := e.Metadata
			open[m.URN] = len(res.Steps)
			res.Steps = append(res.Steps, Step{Op: string(m.Op), Type: m.Type, URN: m.URN, Diffs: m.Diffs, Began: now})
		}
		if e := ev.ResOutputsEvent; e != nil {
			if i, ok := open[e.Metadata.URN]; ok {
				res.Steps[i].Took = now - res.Steps[i].Began
				delete(open, e.Metadata.URN)
			}
		}
		if e := ev.PolicyEvent; e != nil {
			res.Violations = append(res.Violations, PolicyViolation{
				Policy: e.PolicyName, Level: e.EnforcementLevel, URN: e.ResourceURN, Message: e.Message,
			})
		}
		if e := ev.SummaryEvent; e != nil {
			res.events.changes = e.ResourceChanges
		}
		if outs, ok := stackOutputs(&ev); ok {
			res.events.outputs = outs
		}
		recordFailure(ev, res)
		watch.observe(ev, res, now)
	}
	for {
		select {
		case ev, ok := <-evs:
			if !ok {
				return
			}
			record(ev)
		case <-opDone:
			for {
				select {
				case ev, ok := <-evs:
					if !ok {
						return
					}
					record(ev)
				case <-time.After(500 * time.Millisecond):
					return
				}
			}
		}
	}
}

// explain turns an engine failure into a message that says what to do.
func explain(err error, res *Result, env map[string]string, stack string) error {
	var mandatory []string
	for _, v := range res.Violations {
		if v.Level == "mandatory" {
			mandatory = append(mandatory, fmt.Sprintf("  %s on %s: %s", v.Policy, shortURN(v.URN), v.Message))
		}
	}
	if len(mandatory) > 0 {
		return fmt.Errorf("blocked by mandatory policy violations:\n%s", strings.Join(mandatory, "\n"))
	}
	msg := err.Error()
	if m := missingKeys.FindStringSubmatch(msg); m != nil {
		var fixes []string
		for _, k := range quoted.FindAllStringSubmatch(m[1], -1) {
			placeholder := "<value>"
			for _, spec := range config.SecretSpecs {
				if spec.Key == k[1] {
					placeholder = spec.Placeholder
				}
			}
			fixes = append(fixes, "  "+config.FixCommand(stack, k[1], placeholder))
		}
		return fmt.Errorf("%w\nSet them once: put key=value lines (%s) in a file outside the repository and run "+
			"make up STACK=%s SECRETS_FILE=<file> (they are kept encrypted in .pulumi/work/%s); or, with the Pulumi CLI and "+
			"your own backend, in the repository root:\n%s", err, strings.Join(quotedKeys(m[1]), ", "), stack, stack, strings.Join(fixes, "\n"))
	}
	if strings.Contains(msg, "no resource plugin") || strings.Contains(msg, "could not find plugin") ||
		strings.Contains(msg, "failed to load plugin") {
		return fmt.Errorf("%w\n\nA provider plugin is missing. Plugins are downloaded automatically on machines with internet access "+
			"(unset PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION); offline, only the kubernetes plugin is available (built by infra/tools/tools.sh). "+
			"PULUMI_HOME is %s", err, env["PULUMI_HOME"])
	}
	if reasons := failureReasons(res); reasons != "" {
		if slices.ContainsFunc(res.Failed, isDeployment) {
			reasons += fmt.Sprintf("\nThe pods of the previous release keep serving (a rollout replaces them only as new ones become ready). "+
				"Fix the release, or go back to the last good one: make rollback STACK=%s", stack)
		}
		return fmt.Errorf("%w%s", err, reasons)
	}
	return err
}

var (
	missingKeys = regexp.MustCompile(`is missing configuration values? ([^\n]*)`)
	quoted      = regexp.MustCompile(`'([^']+)'`)
)

func quotedKeys(s string) []string {
	var keys []string
	for _, k := range quoted.FindAllStringSubmatch(s, -1) {
		keys = append(keys, k[1])
	}
	return keys
}

// ReadSecretsFile reads key=value lines (blank lines and # comments ignored) into a map of config secrets.
func ReadSecretsFile(path string) (map[string]string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	out := map[string]string{}
	for i, line := range strings.Split(string(b), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok || strings.TrimSpace(k) == "" {
			return nil, fmt.Errorf("%s:%d: want key=value", path, i+1)
		}
		out[strings.TrimPrefix(strings.TrimSpace(k), config.Project+":")] = strings.TrimSpace(v)
	}
	return out, nil
}

func shortURN(urn string) string {
	if i := strings.LastIndex(urn, "::"); i >= 0 {
		return urn[i+2:]
	}
	return urn
}

func printOutputs(w io.Writer, outs auto.OutputMap) {
	if len(outs) == 0 {
		return
	}
	keys := make([]string, 0, len(outs))
	for k := range outs {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	fmt.Fprintln(w, "\nStack outputs:")
	for _, k := range keys {
		v := outs[k]
		val := fmt.Sprint(v.Value)
		if v.Secret {
			val = "[secret]"
		}
		fmt.Fprintf(w, "  %-16s %s\n", k, val)
	}
}

// policyOptions enforces the policy packs (with their config file, when given) in one operation's options.
func policyOptions[O any](packs []string, config string, withPacks, withConfigs func(...string) O) []O {
	if len(packs) == 0 {
		return nil
	}
	opts := []O{withPacks(packs...)}
	if config != "" {
		opts = append(opts, withConfigs(config))
	}
	return opts
}

func listStacks(root string) []string {
	files, _ := filepath.Glob(filepath.Join(root, config.StackDir, "Pulumi.*.yaml"))
	var out []string
	for _, f := range files {
		name := strings.TrimSuffix(strings.TrimPrefix(filepath.Base(f), "Pulumi."), ".yaml")
		if !strings.Contains(name, ".") {
			out = append(out, name)
		}
	}
	return out
}

// prepare builds the tools, the work directory, the environment and the stack.
func prepare(ctx context.Context, o *Options) (auto.Stack, map[string]string, error) {
	var stack auto.Stack
	if o.StackFile == "" {
		o.StackFile = filepath.Join(o.Root, config.StackFile(o.Stack))
	}
	if _, err := os.Stat(o.StackFile); err != nil {
		return stack, nil, fmt.Errorf("stack %q: no stack file %s (stacks: %s)", o.Stack, o.StackFile, strings.Join(listStacks(o.Root), ", "))
	}
	if o.StateDir == "" {
		o.StateDir = filepath.Join(o.Root, ".pulumi")
	}
	pulumiDir, err := tools.Ensure(o.Root, "pulumi")
	if err != nil {
		return stack, nil, err
	}
	home := filepath.Join(o.StateDir, "home")
	chosen := map[string]bool{} // settings this run chose itself rather than took from the user
	backend := userEnv("PULUMI_BACKEND_URL")
	if backend == "" {
		dir := filepath.Join(o.StateDir, "state")
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return stack, nil, err
		}
		backend = "file://" + dir
		chosen["PULUMI_BACKEND_URL"] = true
	}
	env := map[string]string{
		"STACK":                    o.Stack,
		"PULUMI_HOME":              home,
		"PULUMI_BACKEND_URL":       backend,
		"PULUMI_SKIP_UPDATE_CHECK": "true",
		"PULUMI_AUTOMATION_API_SKIP_VERSION_CHECK": "true",
	}
	if userEnv("PULUMI_CONFIG_PASSPHRASE") == "" && userEnv("PULUMI_CONFIG_PASSPHRASE_FILE") == "" && strings.HasPrefix(backend, "file://") {
		pass, err := localPassphrase(o.StateDir)
		if err != nil {
			return stack, nil, err
		}
		env["PULUMI_CONFIG_PASSPHRASE_FILE"] = pass
		chosen["PULUMI_CONFIG_PASSPHRASE_FILE"] = true
	}
	if err := ensureKubernetesPlugin(o.Root, pulumiDir, home); err != nil {
		return stack, nil, err
	}
	if o.Stack == "local" || os.Getenv("WECHAT_DEPLOY_OFFLINE") == "1" {
		// Everything the local stack needs is built here; never reach for the network.
		env["PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION"] = "true"
	}
	if !o.NoPolicy && o.PolicyPack == "" {
		o.PolicyPack = filepath.Join(o.Root, "bin", "policy-pack")
		build := exec.Command("go", "build", "-o", o.PolicyPack, "./policy")
		build.Dir = o.Root
		if out, err := build.CombinedOutput(); err != nil {
			return stack, nil, fmt.Errorf("building the policy pack: %w\n%s", err, out)
		}
	}
	workDir := filepath.Join(o.StateDir, "work", o.Stack)
	if err := prepareWorkDir(o.Root, o.StackFile, workDir, o.Stack); err != nil {
		return stack, nil, fmt.Errorf("preparing %s: %w", workDir, err)
	}
	if o.Sandbox {
		if err := useSandboxIfUnconfigured(ctx, o, workDir); err != nil {
			return stack, nil, err
		}
	}
	cli, err := auto.NewPulumiCommand(&auto.PulumiCommandOptions{Root: pulumiDir, SkipVersionCheck: true})
	if err != nil {
		return stack, nil, fmt.Errorf("using the pulumi CLI in %s: %w", pulumiDir, err)
	}
	cmd := &eventsCommand{PulumiCommand: cli}
	exportEnv(env, chosen) // the Automation API's own calls (stack selection, outputs) read them too
	stack, err = auto.UpsertStackInlineSource(ctx, o.Stack, config.Project, program.New(program.WithRoot(o.Root)).Run,
		auto.WorkDir(workDir), auto.PulumiHome(home), auto.EnvVars(env), auto.Pulumi(cmd))
	if err != nil {
		return stack, env, fmt.Errorf("selecting stack %s: %w", o.Stack, err)
	}
	if len(o.Secrets) > 0 {
		// One CLI run for all of them (each run decrypts the stack's secrets once).
		all := auto.ConfigMap{}
		for k, v := range o.Secrets {
			all[config.Project+":"+k] = auto.ConfigValue{Value: v, Secret: true}
		}
		if err := stack.SetAllConfig(ctx, all); err != nil {
			return stack, env, fmt.Errorf("setting secrets %s: %w", strings.Join(slices.Sorted(maps.Keys(o.Secrets)), ", "), err)
		}
	}
	if o.Stack == "local" {
		if err := sandboxSecrets(ctx, stack, o.Out); err != nil {
			return stack, env, err
		}
	}
	return stack, env, nil
}

// localPassphrase returns a passphrase file for the local file backend, creating a random one on first use.
func localPassphrase(stateDir string) (string, error) {
	path := filepath.Join(stateDir, "passphrase")
	if _, err := os.Stat(path); err == nil {
		return path, nil
	}
	if err := os.MkdirAll(stateDir, 0o700); err != nil {
		return "", err
	}
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return path, os.WriteFile(path, []byte(hex.EncodeToString(b)), 0o600)
}

var (
	envMu sync.Mutex
	// chosenEnv holds the settings an earlier run in this process chose itself (its file backend, its
	// passphrase file) and exported: they are not the user's, and a run with another state directory chooses its own.
	chosenEnv = map[string]string{}
)

// userEnv is the environment's value of key unless an earlier run of this process put it there by its own choice.
func userEnv(key string) string {
	envMu.Lock()
	defer envMu.Unlock()
	if v := os.Getenv(key); v != chosenEnv[key] {
		return v
	}
	return ""
}

// exportEnv puts a run's settings into the process environment, remembering which of them the run chose itself;
// one that an earlier run chose and this one does not set is removed.
func exportEnv(env map[string]string, chosen map[string]bool) {
	envMu.Lock()
	defer envMu.Unlock()
	for k := range chosenEnv {
		if _, ok := env[k]; !ok {
			_ = os.Unsetenv(k)
			delete(chosenEnv, k)
		}
	}
	for k, v := range env {
		_ = os.Setenv(k, v)
		if chosen[k] {
			chosenEnv[k] = v
		} else {
			delete(chosenEnv, k)
		}
	}
}

// ensureKubernetesPlugin installs the pinned Kubernetes provider into the private PULUMI_HOME from the local
// build, once.
func ensureKubernetesPlugin(root, pulumiDir, home string) error {
	version, err := tools.Version(root, "PULUMI_K8S_VERSION")
	if err != nil {
		return err
	}
	if _, err := os.Stat(filepath.Join(home, "plugins", "resource-kubernetes-v"+version)); err == nil {
		return nil
	}
	provider, err := tools.Bin(root, "k8s-provider", "pulumi-resource-kubernetes")
	if err != nil {
		return err
	}
	cmd := exec.Command(filepath.Join(pulumiDir, "bin", "pulumi"), "plugin", "install", "resource", "kubernetes", version, "--file", provider)
	cmd.Env = append(os.Environ(), "PULUMI_HOME="+home, "PULUMI_SKIP_UPDATE_CHECK=true")
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("installing the kubernetes plugin: %w\n%s", err, out)
	}
	return nil
}

// useSandboxIfUnconfigured points the existing-cluster platform at the sandbox when the stack names no cluster
// (no existing.kubeconfigPath, no kubeconfig secret) and KUBECONFIG is unset, starting the sandbox if needed.
func useSandboxIfUnconfigured(ctx context.Context, o *Options, workDir string) error {
	var stackFile struct {
		Config map[string]any `yaml:"config"`
	}
	if err := readYAML(filepath.Join(workDir, "Pulumi."+o.Stack+".yaml"), &stackFile); err != nil {
		return err
	}
	if stackFile.Config[config.Project+":cloud"] != "existing" || os.Getenv("KUBECONFIG") != "" {
		return nil
	}
	if _, ok := stackFile.Config[config.Project+":kubeconfig"]; ok {
		return nil
	}
	if e, ok := stackFile.Config[config.Project+":existing"].(map[string]any); ok && e["kubeconfigPath"] != nil && e["kubeconfigPath"] != "" {
		return nil
	}
	dir := sandbox.DefaultDir()
	st, err := sandbox.Load(dir)
	if err != nil || !st.Running() {
		fmt.Fprintln(o.Out, "No cluster configured for this stack: starting the sandbox (control plane and a real node).")
		if st, err = sandbox.StartPinned(ctx, o.Root, dir, false, o.Out); err != nil {
			return fmt.Errorf("starting the sandbox: %w", err)
		}
	}
	fmt.Fprintf(o.Out, "Deploying into the sandbox at %s (KUBECONFIG=%s).\n", st.Server, st.Kubeconfig)
	if st.Node != nil {
		// The same sources give the same digest, so an unchanged app/ changes nothing on the next up.
		ref, err := st.Node.BuildImage(ctx, image.GoBuild{Root: o.Root, Package: "./app/cmd/server", Binary: "/server",
			Ports: []int{config.DefaultPort, contract.DefaultMetricsPort}}, SandboxRepository)
		if err != nil {
			return fmt.Errorf("building app/ for the sandbox: %w", err)
		}
		fmt.Fprintf(o.Out, "Built app/ without Docker and imported it into the sandbox node: %s\n", ref)
		app, _ := stackFile.Config[config.Project+":app"].(map[string]any)
		if app == nil {
			app = map[string]any{}
		}
		app["image"] = ref
		stackFile.Config[config.Project+":app"] = app
		if db, _ := stackFile.Config[config.Project+":database"].(map[string]any); db != nil && db["provision"] == true {
			ref, err := st.Node.BuildImage(ctx, image.PostgresBuild{Root: o.Root}, SandboxDatabaseRepository)
			if err != nil {
				return fmt.Errorf("building the in-cluster database image for the sandbox: %w", err)
			}
			fmt.Fprintf(o.Out, "Built the in-cluster database image from this machine's PostgreSQL and imported it: %s\n", ref)
			db["image"] = ref
		}
		if err := rewriteConfig(filepath.Join(workDir, "Pulumi."+o.Stack+".yaml"), stackFile.Config); err != nil {
			return err
		}
	}
	return os.Setenv("KUBECONFIG", st.Kubeconfig)
}

// SandboxRepository names the app's images on the sandbox node (imported, never pulled), and
// SandboxDatabaseRepository the in-cluster database's.
const (
	SandboxRepository         = "registry.local/wechat-api"
	SandboxDatabaseRepository = "registry.local/wechat-postgres"
)

// sandboxSecrets sets throwaway values for the local stack's required secrets that are not set yet.
func sandboxSecrets(ctx context.Context, stack auto.Stack, out io.Writer) error {
	cfg, err := stack.GetAllConfig(ctx)
	if err != nil {
		return fmt.Errorf("reading config: %w", err)
	}
	random := func(n int) string {
		b := make([]byte, n)
		_, _ = rand.Read(b)
		return hex.EncodeToString(b)
	}
	key := make([]byte, 48)
	_, _ = rand.Read(key)
	values := map[string]string{
		config.KeyWeChatAppID:     "wx" + random(8),
		config.KeyWeChatAppSecret: random(16),
		config.KeyJWTSigningKey:   base64.StdEncoding.EncodeToString(key),
	}
	// The in-cluster database's password, when the stack provisions one (and only then: the config refuses it
	// otherwise).
	if v, ok := cfg[config.Project+":database"]; ok {
		var db struct {
			Provision bool `json:"provision"`
		}
		if json.Unmarshal([]byte(v.Value), &db) == nil && db.Provision {
			values[config.KeyDatabasePassword] = random(24)
		}
	}
	var set []string
	for _, k := range slices.Sorted(maps.Keys(values)) {
		if _, ok := cfg[config.Project+":"+k]; ok {
			continue
		}
		if err := stack.SetConfig(ctx, config.Project+":"+k, auto.ConfigValue{Value: values[k], Secret: true}); err != nil {
			return fmt.Errorf("setting %s: %w", k, err)
		}
		set = append(set, k)
	}
	if len(set) > 0 {
		fmt.Fprintf(out, "Generated throwaway secrets for the local stack: %s (set your own with pulumi config set --secret).\n", strings.Join(set, ", "))
	}
	return nil
}
