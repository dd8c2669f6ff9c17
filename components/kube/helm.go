package kube

import (
	helmv3 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/helm/v3"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// HelmChart names a pinned chart in a Helm repository and the namespace it is released into (created when
// CreateNamespace is set).
type HelmChart struct {
	Name, Version, Repo, Namespace string
	CreateNamespace                bool
}

// HelmRelease installs a pinned chart atomically: a release that does not become ready within five minutes is
// rolled back and its leftovers cleaned up, so a failed `up` leaves the previous release serving.
func HelmRelease(ctx *pulumi.Context, name string, chart HelmChart, values pulumi.Map, opts ...pulumi.ResourceOption) (*helmv3.Release, error) {
	return helmv3.NewRelease(ctx, name, &helmv3.ReleaseArgs{
		Name:            pulumi.String(chart.Name),
		Chart:           pulumi.String(chart.Name),
		Version:         pulumi.String(chart.Version),
		Namespace:       pulumi.String(chart.Namespace),
		CreateNamespace: pulumi.Bool(chart.CreateNamespace),
		RepositoryOpts:  &helmv3.RepositoryOptsArgs{Repo: pulumi.String(chart.Repo)},
		Atomic:          pulumi.Bool(true),
		CleanupOnFail:   pulumi.Bool(true),
		Timeout:         pulumi.Int(300),
		Values:          values,
	}, opts...)
}
