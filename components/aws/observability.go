package aws

import (
	"encoding/json"
	"fmt"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/amp"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/cloudwatch"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/eks"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/iam"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"gopkg.in/yaml.v3"

	"github.com/wechat-deploy/wechat-deploy/components/platform"
)

// ObservabilityType is the type token of the ManagedObservability component.
const ObservabilityType = "wechat-deploy:aws:ManagedObservability"

// The CloudWatch observability addon and the service account its agent and Fluent Bit share
// (testdata/upstream/eks-observability-facts.md).
const (
	CloudWatchObservabilityAddon = "amazon-cloudwatch-observability"
	cloudWatchNamespace          = "amazon-cloudwatch"
	cloudWatchServiceAccount     = "cloudwatch-agent"
)

// minScrapeInterval is the shortest interval an AMP managed scraper accepts.
const minScrapeInterval = "30s"

// ObservabilityArgs configure EKS's managed metrics and log shipping.
type ObservabilityArgs struct {
	// ClusterName and ClusterARN name the cluster; Partition the managed policies' partition. DependsOn is what
	// must run before anything is installed into the cluster (nodes, networking).
	ClusterName string
	ClusterARN  pulumi.StringInput
	Partition   string
	DependsOn   []pulumi.Resource
	// ManagedArgs select the services. Metrics creates an Amazon Managed Service for Prometheus workspace and an
	// agentless scraper whose network interfaces live in SubnetIDs (CIDRs: their address blocks, which the app's
	// NetworkPolicy admits) with SecurityGroupIDs, scraping the metrics port named MetricsPortName of the pods
	// labelled app.kubernetes.io/name=App in AppNamespace. ContainerInsights installs Addon
	// (amazon-cloudwatch-observability) with a Pod Identity role of its own; Logs lets its Fluent Bit ship
	// container logs to CloudWatch Logs, kept LogRetentionDays days.
	ManagedArgs
	SubnetIDs        pulumi.StringArrayInput
	CIDRs            []string
	SecurityGroupIDs pulumi.StringArrayInput
	AppNamespace     string
	Addon            platform.Addon
}

// ManagedObservability is EKS's managed monitoring and log shipping for the cluster and the app.
type ManagedObservability struct {
	pulumi.ResourceState

	// Scraper is what the app's NetworkPolicy must admit to its metrics port.
	Scraper platform.Scraper `pulumi:"-"`
	// WorkspaceARN and PrometheusEndpoint locate the metrics (empty without Metrics); query them with SigV4
	// (Grafana's Amazon Managed Prometheus data source).
	WorkspaceARN       pulumi.StringOutput `pulumi:"workspaceArn"`
	PrometheusEndpoint pulumi.StringOutput `pulumi:"prometheusEndpoint"`
}

func (a *ObservabilityArgs) validate() error {
	switch {
	case a.ClusterName == "" || a.ClusterARN == nil || a.Partition == "":
		return fmt.Errorf("%w: cluster name, ARN and partition are required", ErrInvalidArgs)
	case a.Metrics && (a.SubnetIDs == nil || len(a.CIDRs) == 0 || a.AppNamespace == ""):
		return fmt.Errorf("%w: the scraper needs subnets, their CIDRs and the app's namespace", ErrInvalidArgs)
	case a.ContainerInsights && (a.Addon.Name != CloudWatchObservabilityAddon || a.Addon.Version == ""):
		return fmt.Errorf("%w: Container Insights needs the %s addon with a pinned version", ErrInvalidArgs, CloudWatchObservabilityAddon)
	}
	return a.ManagedArgs.validate()
}

// NewManagedObservability registers the workspace, scraper, addon and log groups through the AWS provider in
// opts.
func NewManagedObservability(ctx *pulumi.Context, name string, args *ObservabilityArgs, opts ...pulumi.ResourceOption) (*ManagedObservability, error) {
	if args == nil {
		args = &ObservabilityArgs{}
	}
	if err := args.validate(); err != nil {
		return nil, fmt.Errorf("creating EKS observability %s: %w", name, err)
	}
	m := &ManagedObservability{}
	if err := ctx.RegisterComponentResource(ObservabilityType, name, m, opts...); err != nil {
		return nil, fmt.Errorf("registering EKS observability %s: %w", name, err)
	}
	parent := pulumi.Parent(m)
	if args.Metrics {
		if err := m.prometheus(ctx, name, args, parent); err != nil {
			return nil, fmt.Errorf("creating EKS observability %s: %w", name, err)
		}
	}
	if args.ContainerInsights {
		if err := m.containerInsights(ctx, name, args, parent); err != nil {
			return nil, fmt.Errorf("creating EKS observability %s: %w", name, err)
		}
	}
	if err := ctx.RegisterResourceOutputs(m, pulumi.Map{
		"workspaceArn": m.WorkspaceARN, "prometheusEndpoint": m.PrometheusEndpoint,
	}); err != nil {
		return nil, fmt.Errorf("registering outputs of EKS observability %s: %w", name, err)
	}
	return m, nil
}

// prometheus is the workspace and the managed scraper writing to it. The scraper reaches the cluster through an
// access entry AMP creates itself (the cluster authenticates with access entries only), and the pods from its
// network interfaces in the private subnets.
func (m *ManagedObservability) prometheus(ctx *pulumi.Context, name string, args *ObservabilityArgs, parent pulumi.ResourceOption) error {
	ws, err := amp.NewWorkspace(ctx, name+"-prometheus", &amp.WorkspaceArgs{Alias: pulumi.String(args.ClusterName)}, parent)
	if err != nil {
		return fmt.Errorf("workspace: %w", err)
	}
	scrape, err := ScrapeConfiguration(args.App, args.AppNamespace, args.MetricsPortName)
	if err != nil {
		return err
	}
	if _, err := amp.NewScraper(ctx, name+"-scraper", &amp.ScraperArgs{
		Alias:               pulumi.String(args.ClusterName),
		ScrapeConfiguration: pulumi.String(scrape),
		Source: &amp.ScraperSourceArgs{Eks: &amp.ScraperSourceEksArgs{
			ClusterArn: args.ClusterARN, SubnetIds: args.SubnetIDs, SecurityGroupIds: args.SecurityGroupIDs,
		}},
		Destination: &amp.ScraperDestinationArgs{Amp: &amp.ScraperDestinationAmpArgs{WorkspaceArn: ws.Arn}},
	}, parent, pulumi.DependsOn(args.DependsOn)); err != nil {
		return fmt.Errorf("scraper: %w", err)
	}
	m.WorkspaceARN, m.PrometheusEndpoint = ws.Arn, ws.PrometheusEndpoint
	m.Scraper.CIDRs = args.CIDRs
	return nil
}

// ScrapeConfiguration is the managed scraper's Prometheus configuration: the app's pods in its namespace, on
// their metrics port, every 30 seconds (the shortest interval AMP accepts), through Kubernetes service
// discovery (the only discovery AMP allows).
func ScrapeConfiguration(app, namespace, portName string) (string, error) {
	doc := map[string]any{
		"global": map[string]any{"scrape_interval": minScrapeInterval},
		"scrape_configs": []any{map[string]any{
			"job_name": app,
			"kubernetes_sd_configs": []any{map[string]any{
				"role": "pod", "namespaces": map[string]any{"names": []string{namespace}},
			}},
			"relabel_configs": []any{
				map[string]any{"source_labels": []string{"__meta_kubernetes_pod_label_app_kubernetes_io_name"}, "action": "keep", "regex": app},
				map[string]any{"source_labels": []string{"__meta_kubernetes_pod_container_port_name"}, "action": "keep", "regex": portName},
				map[string]any{"source_labels": []string{"__meta_kubernetes_namespace"}, "target_label": "namespace"},
				map[string]any{"source_labels": []string{"__meta_kubernetes_pod_name"}, "target_label": "pod"},
			},
		}},
	}
	b, err := yaml.Marshal(doc)
	if err != nil {
		return "", fmt.Errorf("scrape configuration: %w", err)
	}
	return string(b), nil
}

// containerInsights is the CloudWatch observability addon with its Pod Identity role, and the log groups it
// writes, created first so that they expire (Fluent Bit and the agent create missing groups without a
// retention and reuse existing ones).
func (m *ManagedObservability) containerInsights(ctx *pulumi.Context, name string, args *ObservabilityArgs, parent pulumi.ResourceOption) error {
	role, err := iam.NewRole(ctx, name+"-cloudwatch-agent", &iam.RoleArgs{
		Description:      pulumi.String("Pod Identity role of " + cloudWatchNamespace + "/" + cloudWatchServiceAccount),
		AssumeRolePolicy: pulumi.String(podIdentityTrust()),
	}, parent)
	if err != nil {
		return fmt.Errorf("CloudWatch agent role: %w", err)
	}
	att, err := iam.NewRolePolicyAttachment(ctx, name+"-cloudwatch-agent", &iam.RolePolicyAttachmentArgs{
		Role: role.Name, PolicyArn: pulumi.String(managedPolicy(args.Partition, "CloudWatchAgentServerPolicy")),
	}, parent)
	if err != nil {
		return fmt.Errorf("CloudWatch agent policy: %w", err)
	}
	deps := append([]pulumi.Resource{att}, args.DependsOn...)
	groups := []string{"performance"}
	if args.Logs {
		groups = append(groups, "application", "dataplane", "host")
	}
	for _, g := range groups {
		lg, err := cloudwatch.NewLogGroup(ctx, name+"-containerinsights-"+g, &cloudwatch.LogGroupArgs{
			Name:            pulumi.String("/aws/containerinsights/" + args.ClusterName + "/" + g),
			RetentionInDays: pulumi.Int(args.LogRetentionDays),
		}, parent)
		if err != nil {
			return fmt.Errorf("log group %s: %w", g, err)
		}
		deps = append(deps, lg)
	}
	cfg, err := json.Marshal(map[string]any{"containerLogs": map[string]any{"enabled": args.Logs}})
	if err != nil {
		return err
	}
	if _, err := eks.NewAddon(ctx, name+"-"+CloudWatchObservabilityAddon, &eks.AddonArgs{
		ClusterName: pulumi.String(args.ClusterName), AddonName: pulumi.String(args.Addon.Name), AddonVersion: pulumi.String(args.Addon.Version),
		ConfigurationValues: pulumi.String(string(cfg)),
		PodIdentityAssociations: eks.AddonPodIdentityAssociationArray{eks.AddonPodIdentityAssociationArgs{
			RoleArn: role.Arn, ServiceAccount: pulumi.String(cloudWatchServiceAccount),
		}},
		ResolveConflictsOnCreate: pulumi.String("OVERWRITE"),
		ResolveConflictsOnUpdate: pulumi.String("OVERWRITE"),
	}, parent, pulumi.DependsOn(deps)); err != nil {
		return fmt.Errorf("addon %s: %w", args.Addon.Name, err)
	}
	return nil
}
