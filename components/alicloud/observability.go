package alicloud

import (
	"encoding/json"
	"fmt"
	"regexp"

	"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/apiextensions"
	metav1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/meta/v1"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/wechat-deploy/wechat-deploy/components/alicloud/sdk/cs"
	"github.com/wechat-deploy/wechat-deploy/components/alicloud/sdk/log"
	"github.com/wechat-deploy/wechat-deploy/components/platform"
	"github.com/wechat-deploy/wechat-deploy/components/workload"
)

// ObservabilityType is the type token of the ManagedObservability component.
const ObservabilityType = "wechat-deploy:alicloud:ManagedObservability"

// ACK components and the names they run under (testdata/upstream/ack-observability-facts.md).
const (
	// ARMSPrometheusAddon is ACK's ARMS Prometheus component; its agents run in ARMSNamespace and discover
	// targets through ServiceMonitors.
	ARMSPrometheusAddon = "arms-prometheus"
	ARMSNamespace       = "arms-prom"
	// LogtailAddon is ACK's log collector (Simple Log Service's Logtail as a DaemonSet).
	LogtailAddon = "logtail-ds"
	// AppLogstore is the logstore the app's container output goes to.
	AppLogstore = "app-logs"
)

// slsProjectName is Simple Log Service's rule for project names (3-63 lower-case letters, digits, '-'; a letter or
// digit at both ends).
var slsProjectName = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$`)

// ObservabilityArgs configure ACK's managed metrics and log shipping.
type ObservabilityArgs struct {
	// ClusterID is the ACK cluster; DependsOn what must exist before components are installed into it.
	ClusterID pulumi.StringInput
	DependsOn []pulumi.Resource
	// ManagedArgs select the services: Metrics installs ARMS Prometheus (the arms-prometheus component); Logs
	// ships the stdout and stderr of the containers in Namespaces to the logstore AppLogstore of the Simple Log
	// Service project LogProject (a name unique in the region), kept LogRetentionDays days.
	ManagedArgs
	Namespaces []string
	// Tags go on the log project.
	Tags pulumi.StringMap
}

// ManagedObservability is ACK's managed monitoring and log shipping for the cluster and the app.
type ManagedObservability struct {
	pulumi.ResourceState

	// Scraper is what the app's NetworkPolicy must admit to its metrics port.
	Scraper platform.Scraper `pulumi:"-"`
	// LogProject and Logstore are where the app's logs go (empty without logs).
	LogProject pulumi.StringOutput `pulumi:"logProject"`
	Logstore   pulumi.StringOutput `pulumi:"logstore"`
}

func (a *ObservabilityArgs) validate() error {
	if a.ClusterID == nil {
		return fmt.Errorf("%w: a cluster id is required", ErrInvalidArgs)
	}
	if a.Logs && len(a.Namespaces) == 0 {
		return fmt.Errorf("%w: no namespace to collect logs from", ErrInvalidArgs)
	}
	return a.ManagedArgs.validate()
}

// validate checks what the stack decides, so that the platform can refuse it before it registers anything.
func (m ManagedArgs) validate() error {
	if !m.Logs {
		return nil
	}
	if !slsProjectName.MatchString(m.LogProject) {
		return fmt.Errorf("%w: log project %q is not a Simple Log Service project name (3-63 lower-case letters, digits, '-')", ErrInvalidArgs, m.LogProject)
	}
	if m.LogRetentionDays < 1 || m.LogRetentionDays > 3650 {
		return fmt.Errorf("%w: log retention %d is outside 1..3650 days", ErrInvalidArgs, m.LogRetentionDays)
	}
	return nil
}

// NewManagedObservability registers the components (through the alicloud provider in opts) and the log
// collection configuration (through the Kubernetes provider in opts).
func NewManagedObservability(ctx *pulumi.Context, name string, args *ObservabilityArgs, opts ...pulumi.ResourceOption) (*ManagedObservability, error) {
	if args == nil {
		args = &ObservabilityArgs{}
	}
	if err := args.validate(); err != nil {
		return nil, fmt.Errorf("creating ACK observability %s: %w", name, err)
	}
	m := &ManagedObservability{}
	if err := ctx.RegisterComponentResource(ObservabilityType, name, m, opts...); err != nil {
		return nil, fmt.Errorf("registering ACK observability %s: %w", name, err)
	}
	child := []pulumi.ResourceOption{pulumi.Parent(m), pulumi.DependsOn(args.DependsOn)}
	if args.Metrics {
		if _, err := cs.NewKubernetesAddon(ctx, name+"-"+ARMSPrometheusAddon, &cs.KubernetesAddonArgs{
			ClusterId: args.ClusterID, Name: pulumi.String(ARMSPrometheusAddon),
		}, child...); err != nil {
			return nil, fmt.Errorf("creating ACK observability %s: ARMS Prometheus: %w", name, err)
		}
		m.Scraper = platform.Scraper{Namespaces: []string{ARMSNamespace}, ServiceMonitors: true}
	}
	if args.Logs {
		if err := m.logs(ctx, name, args, child); err != nil {
			return nil, fmt.Errorf("creating ACK observability %s: %w", name, err)
		}
	}
	if err := ctx.RegisterResourceOutputs(m, pulumi.Map{"logProject": m.LogProject, "logstore": m.Logstore}); err != nil {
		return nil, fmt.Errorf("registering outputs of ACK observability %s: %w", name, err)
	}
	return m, nil
}

// logs creates the project and logstore, installs Logtail bound to that project (its machine group for the
// cluster's nodes is created there), and tells it which containers to collect.
func (m *ManagedObservability) logs(ctx *pulumi.Context, name string, args *ObservabilityArgs, child []pulumi.ResourceOption) error {
	project, err := log.NewProject(ctx, name+"-logs", &log.ProjectArgs{
		ProjectName: pulumi.String(args.LogProject),
		Description: pulumi.String("Container logs of the app's namespaces"),
		Tags:        args.Tags,
	}, child...)
	if err != nil {
		return fmt.Errorf("log project: %w", err)
	}
	store, err := log.NewStore(ctx, name+"-"+AppLogstore, &log.StoreArgs{
		ProjectName: project.ProjectName, LogstoreName: pulumi.String(AppLogstore),
		RetentionPeriod: pulumi.Int(args.LogRetentionDays), ShardCount: pulumi.Int(2), AutoSplit: pulumi.Bool(true),
		MaxSplitShardCount: pulumi.Int(64),
	}, child...)
	if err != nil {
		return fmt.Errorf("logstore: %w", err)
	}
	cfg, err := json.Marshal(map[string]string{"IngressDashboardEnabled": "false", "sls_project_name": args.LogProject})
	if err != nil {
		return err
	}
	logtail, err := cs.NewKubernetesAddon(ctx, name+"-"+LogtailAddon, &cs.KubernetesAddonArgs{
		ClusterId: args.ClusterID, Name: pulumi.String(LogtailAddon), Config: pulumi.String(string(cfg)),
	}, append(child, pulumi.DependsOn([]pulumi.Resource{project}))...)
	if err != nil {
		return fmt.Errorf("log collector: %w", err)
	}
	pipeline, err := LogPipeline(args.LogProject, AppLogstore, args.Namespaces)
	if err != nil {
		return err
	}
	if _, err := apiextensions.NewCustomResource(ctx, name+"-app-logs", &apiextensions.CustomResourceArgs{
		ApiVersion: pulumi.String("telemetry.alibabacloud.com/v1alpha1"), Kind: pulumi.String("ClusterAliyunPipelineConfig"),
		Metadata:    &metav1.ObjectMetaArgs{Name: pulumi.String(name + "-app-logs")},
		OtherFields: map[string]any{"spec": pipeline},
	}, pulumi.Parent(m), pulumi.DependsOn([]pulumi.Resource{logtail, store})); err != nil {
		return fmt.Errorf("log collection config: %w", err)
	}
	m.LogProject, m.Logstore = project.ProjectName, store.LogstoreName
	return nil
}

// LogPipeline is the spec of a ClusterAliyunPipelineConfig that sends the stdout and stderr of every container in
// the namespaces to a logstore, each line parsed as JSON (the app's log format; a line that is not JSON is kept
// as it came).
func LogPipeline(project, logstore string, namespaces []string) (map[string]any, error) {
	if len(namespaces) == 0 {
		return nil, fmt.Errorf("%w: no namespace to collect logs from", ErrInvalidArgs)
	}
	filter := "^("
	for i, ns := range namespaces {
		if !workload.DNSLabel.MatchString(ns) {
			return nil, fmt.Errorf("%w: %q is not a namespace name", ErrInvalidArgs, ns)
		}
		if i > 0 {
			filter += "|"
		}
		filter += ns
	}
	filter += ")$"
	return map[string]any{
		"project": map[string]any{"name": project},
		"config": map[string]any{
			"inputs": []any{map[string]any{
				"Type": "input_container_stdio", "IgnoringStdout": false, "IgnoringStderr": false,
				"ContainerFilters": map[string]any{"K8sNamespaceRegex": filter},
			}},
			"processors": []any{map[string]any{
				"Type": "processor_parse_json_native", "SourceKey": "content", "KeepingSourceWhenParseFail": true,
			}},
			"flushers": []any{map[string]any{"Type": "flusher_sls", "Logstore": logstore}},
		},
	}, nil
}
