// Package program is the wechat-deploy Pulumi program. infra/main.go hands Run to pulumi.Run; unit tests run it
// under mocks and the release driver runs it inline through the Automation API, so all three execute the same
// code.
package program

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/wechat-deploy/wechat-deploy/app/contract"
	"github.com/wechat-deploy/wechat-deploy/components/existing"
	"github.com/wechat-deploy/wechat-deploy/components/image"
	"github.com/wechat-deploy/wechat-deploy/components/platform"
	"github.com/wechat-deploy/wechat-deploy/components/workload"
	"github.com/wechat-deploy/wechat-deploy/infra/config"
)

// Run is the Pulumi program: it deploys the stack and exports its outputs.
func Run(ctx *pulumi.Context) error {
	exports, err := Deploy(ctx)
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
func Deploy(ctx *pulumi.Context) (map[string]pulumi.Output, error) {
	cfg, err := config.Load(ctx)
	if err != nil {
		return nil, err
	}
	plat, err := newPlatform(ctx, &cfg)
	if err != nil {
		return nil, err
	}
	imageRef, err := newImage(ctx, &cfg, plat)
	if err != nil {
		return nil, err
	}
	wl, err := workload.NewWorkload(ctx, cfg.App.Name, workloadArgs(&cfg, plat, imageRef), pulumi.Provider(plat.Provider))
	if err != nil {
		return nil, err
	}
	out := plat
	return map[string]pulumi.Output{
		"cloud":           pulumi.String(cfg.Cloud).ToStringOutput(),
		"environment":     pulumi.String(cfg.Environment).ToStringOutput(),
		"appUrl":          wl.URL,
		"namespace":       wl.Namespace,
		"imageRef":        wl.Image,
		"imageDigest":     wl.Image.ApplyT(digestOf).(pulumi.StringOutput),
		"clusterName":     out.ClusterName,
		"clusterEndpoint": out.ClusterEndpoint,
		"registryServer":  out.Registry.Server,
		"repositoryUrl":   out.RepositoryURL,
		"oidcProviderArn": out.OIDCProviderARN,
		"kubeconfig":      out.Kubeconfig,
	}, nil
}

// digestOf returns the sha256:... part of an image reference.
func digestOf(ref string) string {
	if _, d, ok := strings.Cut(ref, "@"); ok {
		return d
	}
	return ""
}

func newPlatform(ctx *pulumi.Context, cfg *config.Config) (platform.Outputs, error) {
	name := cfg.Environment
	switch cfg.Cloud {
	case config.CloudExisting:
		e := cfg.Existing
		p, err := existing.NewPlatform(ctx, name, &existing.PlatformArgs{
			KubeconfigData:   e.KubeconfigData(),
			KubeconfigPath:   e.KubeconfigPath,
			Context:          e.Context,
			RegistryServer:   e.RegistryServer,
			RegistryUsername: e.RegistryUsername,
			RegistryPassword: cfg.Secrets.RegistryPassword,
			Repository:       cfg.Registry.Name,
			IngressClass:     cfg.App.IngressClass,
			// Nodes of an arbitrary cluster hold no credentials for the registry.
			PullWithCredentials: e.RegistryUsername != "",
		})
		if err != nil {
			return platform.Outputs{}, fmt.Errorf("%s: %s:existing: %w", cfg.File, config.Namespace, err)
		}
		return p.Outputs, nil
	default:
		return newCloudPlatform(ctx, cfg)
	}
}

// newImage returns the image reference to deploy: the prebuilt one from config, or a build pushed to the
// platform's registry.
func newImage(ctx *pulumi.Context, cfg *config.Config, plat platform.Outputs) (pulumi.StringOutput, error) {
	if cfg.App.Image != "" {
		return pulumi.String(cfg.App.Image).ToStringOutput(), nil
	}
	// The release driver runs the engine in a work directory and names the repository here.
	root := os.Getenv("WECHAT_DEPLOY_ROOT")
	if root == "" {
		root = ctx.RootDirectory()
	}
	if root == "" {
		root = "."
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
	b := cfg.App.Build
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

func orgOf(ctx *pulumi.Context) string {
	if org := ctx.Organization(); org != "" {
		return org
	}
	return "organization"
}

func workloadArgs(cfg *config.Config, out platform.Outputs, imageRef pulumi.StringOutput) *workload.WorkloadArgs {
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
	for k, v := range a.Env {
		settings[k] = v
	}
	s := cfg.Secrets
	secrets := map[string]pulumi.StringInput{
		contract.SecretWeChatAppID:     s.WeChatAppID,
		contract.SecretWeChatAppSecret: s.WeChatAppSecret,
		contract.SecretJWTSigningKey:   s.JWTSigningKey,
	}
	var egress []int
	if s.HasDatabaseURL {
		secrets[contract.SecretDatabaseURL] = s.DatabaseURL
		egress = append(egress, 5432)
	}
	args := &workload.WorkloadArgs{
		Name: a.Name, Namespace: a.Namespace, Instance: cfg.Stack,
		Image:    imageRef,
		Replicas: a.Replicas, MinReplicas: a.MinReplicas, MaxReplicas: a.MaxReplicas,
		CPUTargetPercent: a.CPUTarget, MemoryTargetPercent: a.MemoryTarget,
		CPURequest: a.Resources.CPURequest, MemoryRequest: a.Resources.MemoryRequest,
		CPULimit: a.Resources.CPULimit, MemoryLimit: a.Resources.MemoryLimit,
		Port:                      a.Port,
		Settings:                  settings,
		Secrets:                   secrets,
		ServiceAccountAnnotations: out.ServiceAccountAnnotations,
		NamespaceLabels:           out.NamespaceLabels,
		Domain:                    a.Domain,
		IngressClass:              a.IngressClass,
		IngressAnnotations:        ingressAnnotations(cfg, out),
		ClusterIssuer:             a.TLS.ClusterIssuer,
		SkipIngressAwait:          a.SkipIngressAwait,
		ShutdownGraceSeconds:      a.ShutdownGraceSeconds,
		ZoneSpreadRequired:        cfg.IsProduction(),
		EgressPorts:               egress,
	}
	if a.TLS.Enabled {
		args.TLSSecretName = a.TLS.SecretName
	}
	if out.PullWithCredentials {
		args.ImagePullSecret = out.Registry.DockerConfigJSON()
	}
	return args
}

func ingressAnnotations(cfg *config.Config, out platform.Outputs) map[string]string {
	ann := map[string]string{}
	for k, v := range out.IngressAnnotations {
		ann[k] = v
	}
	if cfg.Cloud == config.CloudAWS && cfg.App.TLS.Enabled {
		ann["alb.ingress.kubernetes.io/listen-ports"] = `[{"HTTP":80},{"HTTPS":443}]`
		ann["alb.ingress.kubernetes.io/ssl-redirect"] = "443"
		if cfg.App.TLS.CertificateARN != "" {
			ann["alb.ingress.kubernetes.io/certificate-arn"] = cfg.App.TLS.CertificateARN
		}
	}
	return ann
}
