// Package existing is the platform of the existing cloud: any cluster reachable through a kubeconfig and any
// registry, with no cloud account involved.
package existing

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/wechat-deploy/wechat-deploy/components/incluster"
	"github.com/wechat-deploy/wechat-deploy/components/kube"
	"github.com/wechat-deploy/wechat-deploy/components/platform"
)

// PlatformType is the type token of the Platform component.
const PlatformType = "wechat-deploy:existing:Platform"

// PlatformArgs configure the existing platform.
type PlatformArgs struct {
	// KubeconfigData is the kubeconfig contents (a secret); when empty, KubeconfigPath is read.
	KubeconfigData []byte
	// KubeconfigPath is the kubeconfig file; empty means $KUBECONFIG, then ~/.kube/config.
	KubeconfigPath string
	// Context selects the kubeconfig context; empty means the current one.
	Context string
	// RegistryServer, RegistryUsername and RegistryPassword (secret) are where built images go.
	RegistryServer   string
	RegistryUsername string
	RegistryPassword pulumi.StringOutput
	// Repository is the image repository path under the registry server.
	Repository string
	// PullWithCredentials makes workloads pull with an image pull secret from the registry credentials.
	PullWithCredentials bool
	// Database runs the app's PostgreSQL in the cluster when set (nil: the stack names an external one).
	Database *incluster.PostgresArgs
}

// Platform is an existing cluster and registry.
type Platform struct {
	pulumi.ResourceState

	// Outputs is the platform contract.
	Outputs platform.Outputs `pulumi:"-"`
	// ClusterIdentifier names the cluster stably (the Kubernetes provider's replacement key).
	ClusterIdentifier string `pulumi:"-"`
	// KubeconfigSource tells where the kubeconfig came from (a path, or "secret"), for messages.
	KubeconfigSource string `pulumi:"-"`
}

// ErrKubeconfig is wrapped by every failure to read or use the kubeconfig.
var ErrKubeconfig = errors.New("kubeconfig unusable")

// ResolveKubeconfigPath applies the kubectl lookup order: the explicit path, then the first entry of
// $KUBECONFIG, then ~/.kube/config.
func ResolveKubeconfigPath(explicit string) string {
	if explicit != "" {
		return expandHome(explicit)
	}
	if env := os.Getenv("KUBECONFIG"); env != "" {
		return expandHome(filepath.SplitList(env)[0])
	}
	home, _ := os.UserHomeDir()
	return filepath.Join(home, ".kube", "config")
}

func expandHome(p string) string {
	if rest, ok := strings.CutPrefix(p, "~/"); ok {
		if home, err := os.UserHomeDir(); err == nil {
			return filepath.Join(home, rest)
		}
	}
	return p
}

// NewPlatform reads and minifies the kubeconfig (failing before anything is registered when it cannot) and
// registers the component.
func NewPlatform(ctx *pulumi.Context, name string, args *PlatformArgs, opts ...pulumi.ResourceOption) (*Platform, error) {
	if args == nil {
		return nil, fmt.Errorf("creating existing platform %s: args are required", name)
	}
	raw, baseDir, source := args.KubeconfigData, "", "the kubeconfig secret"
	if len(raw) == 0 {
		path := ResolveKubeconfigPath(args.KubeconfigPath)
		b, err := os.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("creating existing platform %s: %w: reading %s: %v; start the sandbox (make sandbox-up), "+
				"set existing.kubeconfigPath or KUBECONFIG, or set the kubeconfig secret", name, ErrKubeconfig, path, err)
		}
		raw, baseDir, source = b, filepath.Dir(path), path
	}
	minified, err := kube.Minify(raw, args.Context, baseDir)
	if err != nil {
		return nil, fmt.Errorf("creating existing platform %s: %w: %s: %w", name, ErrKubeconfig, source, err)
	}
	p := &Platform{ClusterIdentifier: minified.Identifier, KubeconfigSource: source}
	if err := ctx.RegisterComponentResource(PlatformType, name, p, opts...); err != nil {
		return nil, fmt.Errorf("registering existing platform %s: %w", name, err)
	}
	password := args.RegistryPassword
	if password == (pulumi.StringOutput{}) {
		password = pulumi.String("").ToStringOutput()
	}
	repo := args.Repository
	if args.RegistryServer != "" {
		repo = args.RegistryServer + "/" + args.Repository
	}
	kubeconfig := pulumi.ToSecret(pulumi.String(minified.JSON)).(pulumi.StringOutput)
	provider, err := kube.NewProvider(ctx, name+"-k8s", &kube.ProviderArgs{
		Kubeconfig: kubeconfig, ClusterIdentifier: minified.Identifier,
	}, pulumi.Parent(p))
	if err != nil {
		return nil, fmt.Errorf("creating existing platform %s: %w", name, err)
	}
	p.Outputs = platform.Outputs{
		Provider:        provider,
		Kubeconfig:      kubeconfig,
		ClusterName:     pulumi.String(minified.ClusterName).ToStringOutput(),
		ClusterEndpoint: pulumi.String(minified.Server).ToStringOutput(),
		Registry: platform.Registry{
			Server:   pulumi.String(args.RegistryServer).ToStringOutput(),
			Username: pulumi.String(args.RegistryUsername).ToStringOutput(),
			Password: pulumi.ToSecret(password).(pulumi.StringOutput),
		},
		RepositoryURL:             pulumi.String(repo).ToStringOutput(),
		OIDCProviderARN:           pulumi.String("").ToStringOutput(),
		ServiceAccountAnnotations: pulumi.StringMap{}.ToStringMapOutput(),
		PullWithCredentials:       args.PullWithCredentials,
	}
	if args.Database != nil {
		db, err := incluster.NewPostgres(ctx, name+"-postgres", args.Database, pulumi.Parent(p), pulumi.Provider(provider))
		if err != nil {
			return nil, fmt.Errorf("creating existing platform %s: %w", name, err)
		}
		p.Outputs.Data.Database = db.Endpoint
	}
	if err := ctx.RegisterResourceOutputs(p, pulumi.Map{
		"clusterName":     p.Outputs.ClusterName,
		"clusterEndpoint": p.Outputs.ClusterEndpoint,
		"kubeconfig":      p.Outputs.Kubeconfig,
		"repositoryUrl":   p.Outputs.RepositoryURL,
	}); err != nil {
		return nil, fmt.Errorf("registering outputs of existing platform %s: %w", name, err)
	}
	return p, nil
}

// Contract is the platform's outputs contract.
func (p *Platform) Contract() platform.Outputs { return p.Outputs }
