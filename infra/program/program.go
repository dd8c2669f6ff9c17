// Package program is the wechat-deploy Pulumi program. infra/main.go hands New().Run to pulumi.Run; unit tests
// run it under mocks and the release driver runs it inline through the Automation API, so all three execute the
// same code.
package program

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/wechat-deploy/wechat-deploy/app/contract"
	"github.com/wechat-deploy/wechat-deploy/components/alicloud"
	"github.com/wechat-deploy/wechat-deploy/components/aws"
	"github.com/wechat-deploy/wechat-deploy/components/existing"
	"github.com/wechat-deploy/wechat-deploy/components/image"
	"github.com/wechat-deploy/wechat-deploy/components/observability"
	"github.com/wechat-deploy/wechat-deploy/components/observability/signals"
	"github.com/wechat-deploy/wechat-deploy/components/platform"
	"github.com/wechat-deploy/wechat-deploy/components/workload"
	"github.com/wechat-deploy/wechat-deploy/infra/config"
)

// Program is the Pulumi program with the settings of the process that runs it.
type Program struct {
	root  string
	push  image.Pusher
	build func(context.Context, image.GoBuild) (v1.Image, error)
}

// Option configures a Program.
type Option func(*Program)

// WithRoot names the repository root, where the image's build context and Dockerfile paths start. Without it
// the program uses the engine's root directory (where Pulumi.yaml is); the release driver, which runs the
// engine in a work directory, passes the repository instead.
func WithRoot(dir string) Option { return func(p *Program) { p.root = dir } }

// WithImagePush replaces the registry push of the go builder (tests that must not reach a registry).
func WithImagePush(push image.Pusher) Option { return func(p *Program) { p.push = push } }

// WithImageBuild replaces the go builder's build (tests memoize the app's build across their stack runs).
func WithImageBuild(build func(context.Context, image.GoBuild) (v1.Image, error)) Option {
	return func(p *Program) { p.build = build }
}

// New returns the program.
func New(opts ...Option) *Program {
	p := &Program{}
	for _, o := range opts {
		o(p)
	}
	return p
}

// Run is the Pulumi program: it deploys the stack and exports its outputs.
func (p *Program) Run(ctx *pulumi.Context) error {
	exports, err := p.Deploy(ctx)
	if err != nil {
		return err
	}
	keys := make([]string, 0, len(exports))
	for k := range exports {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		ctx.Export(k, exports[k])
	}
	return nil
}

// Deploy loads and validates the stack configuration (registering nothing when it is bad), then wires the
// cloud platform, the image and the workload, and returns the stack outputs.
func (p *Program) Deploy(ctx *pulumi.Context) (map[string]pulumi.Output, error) {
	cfg, err := config.Load(ctx)
	if err != nil {
		return nil, err
	}
	if err := p.checkBuild(ctx, &cfg); err != nil {
		return nil, err
	}
	plat, err := newPlatform(ctx, &cfg)
	if err != nil {
		return nil, err
	}
	imageRef, err := p.newImage(ctx, &cfg, plat)
	if err != nil {
		return nil, err
	}
	wl, err := workload.NewWorkload(ctx, cfg.App.Name, workloadArgs(&cfg, plat, imageRef), pulumi.Provider(plat.Provider))
	if err != nil {
		return nil, err
	}
	if err := monitoring(ctx, &cfg, plat, wl); err != nil {
		return nil, err
	}
	if plat.PublishHost != nil && cfg.App.Domain != "" {
		if err := plat.PublishHost(wl.LoadBalancerHost); err != nil {
			return nil, err
		}
	}
	return map[string]pulumi.Output{
		"cloud":           pulumi.String(cfg.Cloud).ToStringOutput(),
		"environment":     pulumi.String(cfg.Environment).ToStringOutput(),
		"appUrl":          wl.URL,
		"namespace":       wl.Namespace,
		"imageRef":        wl.Image,
		"imageDigest":     wl.Image.ApplyT(digestOf).(pulumi.StringOutput),
		"clusterName":     plat.ClusterName,
		"clusterEndpoint": plat.ClusterEndpoint,
		"registryServer":  plat.Registry.Server,
		"repositoryUrl":   plat.RepositoryURL,
		"oidcProviderArn": plat.OIDCProviderARN,
		"kubeconfig":      plat.Kubeconfig,
	}, nil
}

// newPlatform builds the stack's cloud platform: the one switch over clouds in the program. Each cloud's file
// (aws.go, alicloud.go, existing.go) maps the typed config onto its component's args.
func newPlatform(ctx *pulumi.Context, cfg *config.Config) (platform.Outputs, error) {
	switch cfg.Cloud {
	case config.CloudAWS:
		p, err := aws.NewPlatform(ctx, cfg.Environment, awsArgs(cfg))
		return outputs(p, err, cfg, "")
	case config.CloudAlicloud:
		args, err := alicloudArgs(cfg)
		if err != nil {
			return platform.Outputs{}, err
		}
		p, err := alicloud.NewPlatform(ctx, cfg.Environment, args)
		return outputs(p, err, cfg, "")
	case config.CloudExisting:
		p, err := existing.NewPlatform(ctx, cfg.Environment, existingArgs(cfg))
		// Failures here are about the kubeconfig or registry the stack names under existing.
		return outputs(p, err, cfg, "existing")
	}
	return platform.Outputs{}, fmt.Errorf("%s: %s:cloud: %q has no platform", cfg.File, config.Namespace, cfg.Cloud)
}

// outputs returns a platform's contract, or its error naming the stack file (and the key, when one is to blame).
func outputs[P interface{ Contract() platform.Outputs }](p P, err error, cfg *config.Config, key string) (platform.Outputs, error) {
	switch {
	case err != nil && key != "":
		return platform.Outputs{}, fmt.Errorf("%s: %s:%s: %w", cfg.File, config.Namespace, key, err)
	case err != nil:
		return platform.Outputs{}, fmt.Errorf("%s: %w", cfg.File, err)
	}
	return p.Contract(), nil
}

// clusterName is the physical cluster name of a stack: stable, and unique per project and environment.
func clusterName(cfg *config.Config) string { return cfg.Project + "-" + cfg.Environment }

// digestOf returns the sha256:... part of an image reference.
func digestOf(ref string) string {
	if _, d, ok := strings.Cut(ref, "@"); ok {
		return d
	}
	return ""
}

// newImage returns the image reference to deploy: the prebuilt one from config, or a build pushed to the
// platform's registry.
func (p *Program) newImage(ctx *pulumi.Context, cfg *config.Config, plat platform.Outputs) (pulumi.StringOutput, error) {
	if cfg.App.Image != "" {
		return pulumi.String(cfg.App.Image).ToStringOutput(), nil
	}
	root := p.rootDir(ctx)
	b := cfg.App.Build
	if b.Builder == config.BuilderGo {
		img, err := image.NewGoImage(ctx, cfg.App.Name, &image.GoImageArgs{
			Build:      AppBuild(cfg, root),
			Repository: plat.RepositoryURL,
			Tag:        b.Tag,
			Registry:   plat.Registry,
			Push:       p.push,
			BuildFunc:  p.build,
		})
		if err != nil {
			return pulumi.StringOutput{}, fmt.Errorf("%s: %s:app.build: %w", cfg.File, config.Namespace, err)
		}
		return plat.PullReference(img.RepoDigest), nil
	}
	// The previously deployed image is the best build cache; the stack's own last outputs name it.
	self, err := pulumi.NewStackReference(ctx, fmt.Sprintf("%s/%s/%s", orgOf(ctx), ctx.Project(), ctx.Stack()), nil)
	if err != nil {
		return pulumi.StringOutput{}, fmt.Errorf("reading the previous image of stack %s: %w", ctx.Stack(), err)
	}
	// GetOutput (not GetStringOutput): a stack's first update has no previous image.
	previous := self.GetOutput(pulumi.String("imageRef")).ApplyT(func(ref any) []string {
		if s, ok := ref.(string); ok && s != "" {
			return []string{s}
		}
		return nil
	}).(pulumi.StringArrayOutput)
	img, err := image.NewImage(ctx, cfg.App.Name, &image.ImageArgs{
		Context:    filepath.Join(root, b.Context),
		Dockerfile: filepath.Join(root, b.Dockerfile),
		Platform:   b.Platform,
		Repository: plat.RepositoryURL,
		Tag:        b.Tag,
		Registry:   plat.Registry,
		CacheFrom:  previous,
	})
	if err != nil {
		return pulumi.StringOutput{}, fmt.Errorf("%s: %s:app.build: %w", cfg.File, config.Namespace, err)
	}
	return plat.PullReference(img.RepoDigest), nil
}

// AppBuild is the go builder's recipe for the app of cfg, with build paths under root: the binary at /server
// (the Dockerfile's path), the API and metrics ports exposed, the architecture of app.build.platform.
func AppBuild(cfg *config.Config, root string) image.GoBuild {
	return image.GoBuild{
		Root:    filepath.Join(root, cfg.App.Build.Context),
		Package: cfg.App.Build.Package,
		Binary:  "/server",
		Ports:   []int{cfg.App.Port, contract.DefaultMetricsPort},
		Arch:    strings.TrimPrefix(cfg.App.Build.Platform, "linux/"),
	}
}

// rootDir is where build paths start: the repository (WithRoot), else the engine's root directory.
func (p *Program) rootDir(ctx *pulumi.Context) string {
	switch {
	case p.root != "":
		return p.root
	case ctx.RootDirectory() != "":
		return ctx.RootDirectory()
	}
	return "."
}

// checkBuild makes sure an image that is to be built can be: its context directory, and its package (go builder)
// or Dockerfile (docker builder), exist. It runs before any resource is registered, so a wrong path costs nothing.
func (p *Program) checkBuild(ctx *pulumi.Context, cfg *config.Config) error {
	if cfg.App.Image != "" {
		return nil
	}
	root := p.rootDir(ctx)
	b := cfg.App.Build
	type buildPath struct {
		key, path string
		dir       bool
	}
	paths := []buildPath{{"app.build.context", b.Context, true}}
	if b.Builder == config.BuilderGo {
		paths = append(paths, buildPath{"app.build.package", filepath.Join(b.Context, b.Package), true})
	} else {
		paths = append(paths, buildPath{"app.build.dockerfile", b.Dockerfile, false})
	}
	for _, f := range paths {
		info, err := os.Stat(filepath.Join(root, f.path))
		switch {
		case err != nil:
			return fmt.Errorf("%s: %s:%s %q does not exist under %s; fix the path, or set app.image to a prebuilt image@sha256:... reference", cfg.File, config.Namespace, f.key, f.path, root)
		case info.IsDir() != f.dir:
			return fmt.Errorf("%s: %s:%s %q is not a %s", cfg.File, config.Namespace, f.key, f.path, map[bool]string{true: "directory", false: "file"}[f.dir])
		}
	}
	return nil
}

func orgOf(ctx *pulumi.Context) string {
	if org := ctx.Organization(); org != "" {
		return org
	}
	return "organization"
}

// services are the backing services the app is bound to: the database (an external one named by URL, or the
// platform's), and the trace collector's port.
func services(cfg *config.Config, plat platform.Outputs) []platform.Binding {
	var out []platform.Binding
	switch {
	case cfg.Secrets.HasDatabaseURL:
		// The stack's databaseUrl overrides whatever the platform provisioned.
		out = append(out, platform.ExternalDatabase(cfg.Secrets.DatabaseURL, platform.PostgresPort))
	case plat.Data.Database != nil:
		out = append(out, plat.Data.Database.Binding())
	}
	if port := collectorPort(cfg.Observability.Tracing.Endpoint); port != 0 {
		// Spans go to the collector (in the cluster or the VPC: a private address).
		out = append(out, platform.Binding{EgressPorts: []int{port}})
	}
	return out
}

// collectorPort is the TCP port of an OTLP endpoint URL (its scheme's default when it names none); 0 without one.
func collectorPort(endpoint string) int {
	if endpoint == "" {
		return 0
	}
	u, err := url.Parse(endpoint)
	if err != nil {
		return 0
	}
	if p, err := strconv.Atoi(u.Port()); err == nil {
		return p
	}
	return map[string]int{"http": 80, "https": 443}[u.Scheme]
}

// monitoring registers the app's ServiceMonitor, alerts and dashboard as the stack's observability settings ask.
func monitoring(ctx *pulumi.Context, cfg *config.Config, plat platform.Outputs, wl *workload.Workload) error {
	o := cfg.Observability
	// A managed scraper that reads ServiceMonitors (ACK's ARMS Prometheus, whose addon installs the CRD).
	managedReadsMonitors := plat.Scraper.ServiceMonitors
	if !o.PrometheusOperator && !*o.Dashboard && !managedReadsMonitors {
		return nil
	}
	a := cfg.App
	target := signals.Target{Namespace: a.Namespace, Service: a.Name, Deployment: a.Name}
	if *a.Autoscaling && a.MaxReplicas > a.MinReplicas {
		target.HPA = a.Name
	}
	_, err := observability.NewMonitoring(ctx, a.Name+"-monitoring", &observability.MonitoringArgs{
		Target: target, Selector: workload.SelectorLabels(a.Name, cfg.Stack), Labels: o.MonitorLabels,
		PrometheusOperator: o.PrometheusOperator, ServiceMonitor: managedReadsMonitors, Dashboard: *o.Dashboard, Thresholds: o.Alerts,
	}, pulumi.Provider(plat.Provider), pulumi.DependsOn([]pulumi.Resource{wl}))
	return err
}

func workloadArgs(cfg *config.Config, plat platform.Outputs, imageRef pulumi.StringOutput) *workload.WorkloadArgs {
	a := cfg.App
	settings := map[string]string{
		contract.EnvHTTPAddr:        ":" + strconv.Itoa(a.Port),
		contract.EnvLogLevel:        a.LogLevel,
		contract.EnvWeChatAPIBase:   a.WeChatAPIBase,
		contract.EnvTokenTTL:        a.TokenTTL,
		contract.EnvShutdownTimeout: strconv.Itoa(a.ShutdownGraceSeconds) + "s",
		contract.EnvSecretsDir:      contract.DefaultSecretsDir,
		contract.EnvEnvironment:     cfg.Environment,
	}
	if len(plat.TrustedProxies) > 0 {
		settings[contract.EnvTrustedProxies] = strings.Join(plat.TrustedProxies, ",")
	}
	settings[contract.EnvMetricsAddr] = ":" + strconv.Itoa(contract.DefaultMetricsPort)
	if t := cfg.Observability.Tracing; t.Endpoint != "" {
		settings[contract.EnvOTLPEndpoint] = t.Endpoint
		settings[contract.EnvOTelServiceName] = a.Name
		// Parent-based: a caller's sampling decision is followed; traces started here keep the configured share.
		settings[contract.EnvOTelSampler] = "parentbased_traceidratio"
		settings[contract.EnvOTelSamplerArg] = strconv.FormatFloat(float64(t.SamplePercent)/100, 'f', -1, 64)
	}
	for k, v := range a.Env {
		settings[k] = v
	}
	s := cfg.Secrets
	args := &workload.WorkloadArgs{
		Name: a.Name, Namespace: a.Namespace, Instance: cfg.Stack, Environment: cfg.Environment,
		Image:    imageRef,
		Replicas: a.Replicas, MinReplicas: a.MinReplicas, MaxReplicas: a.MaxReplicas,
		CPUTargetPercent: a.CPUTarget, MemoryTargetPercent: a.MemoryTarget,
		CPURequest: a.Resources.CPURequest, MemoryRequest: a.Resources.MemoryRequest,
		CPULimit: a.Resources.CPULimit, MemoryLimit: a.Resources.MemoryLimit,
		Port:     a.Port,
		Settings: settings,
		Secrets: map[string]pulumi.StringInput{
			contract.SecretWeChatAppID:     s.WeChatAppID,
			contract.SecretWeChatAppSecret: s.WeChatAppSecret,
			contract.SecretJWTSigningKey:   s.JWTSigningKey,
		},
		Services:                  services(cfg, plat),
		MetricsPort:               contract.DefaultMetricsPort,
		ScraperNamespace:          cfg.Observability.ScraperNamespace,
		Scraper:                   plat.Scraper,
		ServiceAccountAnnotations: plat.ServiceAccountAnnotations,
		NamespaceLabels:           plat.NamespaceLabels,
		Domain:                    a.Domain,
		IngressClass:              a.IngressClass,
		IngressAnnotations: plat.IngressAnnotations(platform.IngressTLS{
			Enabled: a.TLS.Enabled, Certificate: a.TLS.CertificateARN,
		}),
		ClusterIssuer:           a.TLS.ClusterIssuer,
		SkipIngressAwait:        a.SkipIngressAwait,
		ShutdownGraceSeconds:    a.ShutdownGraceSeconds,
		ProgressDeadlineSeconds: a.ProgressDeadline,
		ZoneSpreadRequired:      cfg.IsProduction(),
	}
	args.TLS = a.TLS.Enabled
	if a.TLS.Enabled {
		args.TLSSecretName = a.TLS.SecretName
	}
	if plat.PullWithCredentials {
		args.ImagePullSecret = plat.Registry.DockerConfigJSON()
	}
	return args
}
