package kube

import (
	"fmt"

	"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// ProviderArgs configure a Kubernetes provider.
type ProviderArgs struct {
	// Kubeconfig is the (secret) kubeconfig; it may be unknown during preview.
	Kubeconfig pulumi.StringInput
	// ClusterIdentifier is a plain, stable name of the cluster. The provider replaces itself, and so every
	// resource it manages, only when this changes; changes of credentials or format update it in place.
	ClusterIdentifier string
}

// NewProvider registers a Kubernetes provider for a platform's cluster.
func NewProvider(ctx *pulumi.Context, name string, args *ProviderArgs, opts ...pulumi.ResourceOption) (*kubernetes.Provider, error) {
	if args == nil || args.Kubeconfig == nil {
		return nil, fmt.Errorf("creating Kubernetes provider %s: a kubeconfig is required", name)
	}
	if args.ClusterIdentifier == "" {
		return nil, fmt.Errorf("creating Kubernetes provider %s: a cluster identifier is required (without it a credential rotation replaces every workload)", name)
	}
	p, err := kubernetes.NewProvider(ctx, name, &kubernetes.ProviderArgs{
		Kubeconfig:        pulumi.ToSecret(args.Kubeconfig).(pulumi.StringOutput),
		ClusterIdentifier: pulumi.String(args.ClusterIdentifier),
		// Explicit values: the SDK would otherwise read PULUMI_K8S_* variables of whatever machine runs the
		// program, and the same stack would plan differently on a laptop and in CI.
		EnableServerSideApply:       pulumi.Bool(true),
		DeleteUnreachable:           pulumi.Bool(false),
		SkipUpdateUnreachable:       pulumi.Bool(false),
		SuppressHelmHookWarnings:    pulumi.Bool(false),
		SuppressDeprecationWarnings: pulumi.Bool(false),
		// By default the provider replaces a ConfigMap or Secret whose data changes. Updating in place keeps
		// names stable; the workload's checksum annotation is what rolls the pods.
		EnableConfigMapMutable: pulumi.Bool(true),
		EnableSecretMutable:    pulumi.Bool(true),
		EnablePatchForce:       pulumi.Bool(false),
		UpsertExistingObjects:  pulumi.Bool(false),
	}, opts...)
	if err != nil {
		return nil, fmt.Errorf("creating Kubernetes provider %s: %w", name, err)
	}
	return p, nil
}
