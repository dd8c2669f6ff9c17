// Package certmanager installs cert-manager with an ACME ClusterIssuer, for clusters whose ingress controller
// serves certificates from Kubernetes Secrets (nginx on ACK): Ingresses annotated with the issuer get a
// certificate that is issued and renewed in the cluster.
package certmanager

import (
	"errors"
	"fmt"
	"net/mail"

	"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/apiextensions"
	metav1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/meta/v1"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/wechat-deploy/wechat-deploy/components/kube"
)

// CertManagerType is the type token of the CertManager component.
const CertManagerType = "wechat-deploy:kubernetes:CertManager"

// ChartVersion pins the cert-manager Helm chart (charts.jetstack.io); its CRDs install with the chart
// (crds.enabled, the setting since v1.15) and are kept when the release goes.
const ChartVersion = "v1.20.3"

// Namespace is where cert-manager runs.
const Namespace = "cert-manager"

// LetsEncrypt is the ACME directory of Let's Encrypt's production CA.
const LetsEncrypt = "https://acme-v02.api.letsencrypt.org/directory"

// SolverPort is the port cert-manager's HTTP-01 solver pods listen on, and SolverLabel the label they carry:
// a namespace with default-deny NetworkPolicies must admit them or no certificate is ever issued.
const (
	SolverPort  = 8089
	SolverLabel = "acme.cert-manager.io/http01-solver"
)

// ErrInvalidArgs is wrapped by every argument validation error.
var ErrInvalidArgs = errors.New("invalid cert-manager arguments")

// Args configure cert-manager and its issuer.
type Args struct {
	// Issuer names the ClusterIssuer; Email is the ACME account's contact (expiry warnings go there).
	Issuer, Email string
	// IngressClass serves the HTTP-01 challenges (the class the app's Ingress uses).
	IngressClass string
	// Server is the ACME directory (default LetsEncrypt).
	Server string
	// DependsOn are what its pods need first (the cluster's nodes).
	DependsOn []pulumi.Resource
}

// CertManager is cert-manager and one ACME ClusterIssuer solving HTTP-01 challenges through the ingress class.
type CertManager struct {
	pulumi.ResourceState

	// Issuer is the ClusterIssuer's name, known once it exists.
	Issuer pulumi.StringOutput `pulumi:"issuer"`
}

// New registers the Helm release and the ClusterIssuer through the Kubernetes provider given in opts.
func New(ctx *pulumi.Context, name string, args *Args, opts ...pulumi.ResourceOption) (*CertManager, error) {
	switch {
	case args == nil || args.Issuer == "" || args.IngressClass == "":
		return nil, fmt.Errorf("creating cert-manager %s: %w: issuer and ingress class are required", name, ErrInvalidArgs)
	case !ValidEmail(args.Email):
		return nil, fmt.Errorf("creating cert-manager %s: %w: %q is not an e-mail address", name, ErrInvalidArgs, args.Email)
	}
	server := args.Server
	if server == "" {
		server = LetsEncrypt
	}
	c := &CertManager{}
	if err := ctx.RegisterComponentResource(CertManagerType, name, c, opts...); err != nil {
		return nil, fmt.Errorf("registering cert-manager %s: %w", name, err)
	}
	release, err := kube.HelmRelease(ctx, name, kube.HelmChart{
		Name: "cert-manager", Version: ChartVersion, Repo: "https://charts.jetstack.io", Namespace: Namespace, CreateNamespace: true,
	}, pulumi.Map{
		"crds":                pulumi.Map{"enabled": pulumi.Bool(true), "keep": pulumi.Bool(true)},
		"replicaCount":        pulumi.Int(2),
		"podDisruptionBudget": pulumi.Map{"enabled": pulumi.Bool(true), "minAvailable": pulumi.Int(1)},
	}, pulumi.Parent(c), pulumi.DependsOn(args.DependsOn))
	if err != nil {
		return nil, fmt.Errorf("creating cert-manager %s: helm release: %w", name, err)
	}
	issuer, err := apiextensions.NewCustomResource(ctx, name+"-issuer", &apiextensions.CustomResourceArgs{
		ApiVersion: pulumi.String("cert-manager.io/v1"),
		Kind:       pulumi.String("ClusterIssuer"),
		Metadata:   &metav1.ObjectMetaArgs{Name: pulumi.String(args.Issuer)},
		OtherFields: map[string]any{"spec": map[string]any{"acme": map[string]any{
			"server": server, "email": args.Email,
			"privateKeySecretRef": map[string]any{"name": args.Issuer + "-account-key"},
			"solvers":             []any{map[string]any{"http01": map[string]any{"ingress": map[string]any{"ingressClassName": args.IngressClass}}}},
		}}},
	}, pulumi.Parent(c), pulumi.DependsOn([]pulumi.Resource{release}))
	if err != nil {
		return nil, fmt.Errorf("creating cert-manager %s: cluster issuer: %w", name, err)
	}
	c.Issuer = issuer.Metadata.Name().Elem()
	if err := ctx.RegisterResourceOutputs(c, pulumi.Map{"issuer": c.Issuer}); err != nil {
		return nil, fmt.Errorf("registering outputs of cert-manager %s: %w", name, err)
	}
	return c, nil
}

// ValidEmail reports whether s is a bare address (no display name), as ACME account contacts are.
func ValidEmail(s string) bool {
	a, err := mail.ParseAddress(s)
	return err == nil && a.Address == s && a.Name == ""
}
