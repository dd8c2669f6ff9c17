package aws

import (
	"fmt"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/wechat-deploy/wechat-deploy/components/kube"
)

// MetricsServerType is the type token of the MetricsServer component.
const MetricsServerType = "wechat-deploy:aws:MetricsServer"

// MetricsServerArgs configure metrics-server.
type MetricsServerArgs struct {
	// ChartVersion pins the metrics-server Helm chart (from the EKS release table).
	ChartVersion string
	// Replicas of metrics-server (2 keeps autoscaling decisions flowing during node drains).
	Replicas int
	// DependsOn are what its pods need first: the node group and the cluster's addons.
	DependsOn []pulumi.Resource
}

// MetricsServer is metrics-server, the resource metrics API (metrics.k8s.io) a HorizontalPodAutoscaler reads
// CPU and memory from. EKS does not install it: without it every HPA reports <unknown> and never scales.
type MetricsServer struct {
	pulumi.ResourceState
}

// NewMetricsServer registers the Helm release through the Kubernetes provider given in opts.
func NewMetricsServer(ctx *pulumi.Context, name string, args *MetricsServerArgs, opts ...pulumi.ResourceOption) (*MetricsServer, error) {
	if args == nil || args.ChartVersion == "" {
		return nil, fmt.Errorf("creating metrics-server %s: %w: a chart version is required", name, ErrInvalidArgs)
	}
	replicas := args.Replicas
	if replicas < 1 {
		replicas = 2
	}
	m := &MetricsServer{}
	if err := ctx.RegisterComponentResource(MetricsServerType, name, m, opts...); err != nil {
		return nil, fmt.Errorf("registering metrics-server %s: %w", name, err)
	}
	if _, err := kube.HelmRelease(ctx, name, kube.HelmChart{
		Name: "metrics-server", Version: args.ChartVersion, Repo: "https://kubernetes-sigs.github.io/metrics-server/",
		Namespace: "kube-system",
	}, pulumi.Map{
		"replicas": pulumi.Int(replicas),
		// Two replicas never share a node, and a drain keeps one.
		"podDisruptionBudget": pulumi.Map{"enabled": pulumi.Bool(true), "minAvailable": pulumi.Int(1)},
	}, pulumi.Parent(m), pulumi.DependsOn(args.DependsOn)); err != nil {
		return nil, fmt.Errorf("creating metrics-server %s: %w", name, err)
	}
	if err := ctx.RegisterResourceOutputs(m, pulumi.Map{}); err != nil {
		return nil, fmt.Errorf("registering outputs of metrics-server %s: %w", name, err)
	}
	return m, nil
}
