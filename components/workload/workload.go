// Package workload deploys the app onto Kubernetes: Namespace, ServiceAccount, ConfigMap, Secret, Deployment,
// Service, Ingress, HorizontalPodAutoscaler, PodDisruptionBudget and NetworkPolicies, hardened by default.
package workload

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	appsv1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/apps/v1"
	autoscalingv2 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/autoscaling/v2"
	corev1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/core/v1"
	metav1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/meta/v1"
	networkingv1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/networking/v1"
	policyv1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/policy/v1"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/wechat-deploy/wechat-deploy/app/contract"
	"github.com/wechat-deploy/wechat-deploy/components/certmanager"
	"github.com/wechat-deploy/wechat-deploy/components/platform"
)

// WorkloadType is the type token of the Workload component.
const WorkloadType = "wechat-deploy:kubernetes:Workload"

// Annotation keys the workload sets.
const (
	// ChecksumAnnotation on the pod template changes whenever the ConfigMap or Secret data changes, so that
	// `pulumi up` rolls the pods onto the new values.
	ChecksumAnnotation = "wechat-deploy/config-checksum"
	// SkipAwaitAnnotation tells the Pulumi Kubernetes provider not to wait for the object to become ready.
	SkipAwaitAnnotation = "pulumi.com/skipAwait"
)

// preStopSleepSeconds keeps a terminating pod serving while load balancers and kube-proxy drop its endpoint.
const preStopSleepSeconds = 5

// WorkloadArgs configure the workload. Switches and counts are plain Go values; data that may come from other
// resources is an Input.
type WorkloadArgs struct {
	// Name is the app name (a DNS label); Namespace the namespace it lives in.
	Name, Namespace string
	// Instance distinguishes installations (the stack name) in labels; Environment is the environment label.
	Instance, Environment string
	// Image is the image reference, pinned by digest.
	Image pulumi.StringInput
	// Replicas is the initial replica count; the HPA scales between MinReplicas and MaxReplicas.
	Replicas, MinReplicas, MaxReplicas int
	// CPUTargetPercent and MemoryTargetPercent are the HPA utilisation targets.
	CPUTargetPercent, MemoryTargetPercent int
	// Requests and limits as Kubernetes quantities.
	CPURequest, MemoryRequest, CPULimit, MemoryLimit string
	// Port is the container's HTTP port.
	Port int
	// Settings are the non-secret settings, put into the ConfigMap and the environment.
	Settings map[string]string
	// Secrets maps a file name under the secrets mount to its (secret) value.
	Secrets map[string]pulumi.StringInput
	// ServiceAccountAnnotations bind the ServiceAccount to a cloud identity.
	ServiceAccountAnnotations pulumi.StringMapInput
	// NamespaceLabels are extra labels of the namespace (e.g. to turn on identity injection).
	NamespaceLabels map[string]string
	// ImagePullSecret, when set, is a dockerconfigjson (secret) used to pull the image.
	ImagePullSecret pulumi.StringInput
	// Domain is the Ingress host; empty means no Ingress.
	Domain string
	// IngressClass and IngressAnnotations select and configure the ingress controller.
	IngressClass       string
	IngressAnnotations pulumi.StringMap
	// TLS is terminated at the Ingress: with the certificate in the Secret TLSSecretName, or, when that is
	// empty, with one the controller's annotations name (an ACM certificate on AWS).
	TLS           bool
	TLSSecretName string
	// ClusterIssuer asks cert-manager to issue the TLS certificate.
	ClusterIssuer string
	// SkipIngressAwait stops Pulumi from waiting for an Ingress address (controllers that never write status).
	SkipIngressAwait bool
	// ShutdownGraceSeconds is how long the app drains after SIGTERM.
	ShutdownGraceSeconds int
	// ZoneSpreadRequired makes zone spreading a hard constraint (production), instead of a preference.
	ZoneSpreadRequired bool
	// Services are the backing services the app uses: their secrets join the app's Secret and their ports are
	// opened towards private address ranges.
	Services []platform.Binding
	// ProgressDeadlineSeconds bounds a rollout: a Deployment that makes no progress this long is failed by
	// Kubernetes, and `up` fails with it while the old ReplicaSet keeps serving. 0 derives it from the probes
	// (RolloutBudget).
	ProgressDeadlineSeconds int
	// MetricsPort serves /metrics (default contract.DefaultMetricsPort): a Service port inside the cluster,
	// never behind the Ingress, reachable only from ScraperNamespace and the platform's managed scraper (nobody
	// when both are empty).
	MetricsPort      int
	ScraperNamespace string
	// Scraper is the cloud's managed scraper, admitted to the metrics port besides ScraperNamespace.
	Scraper platform.Scraper
}

// Workload is the deployed app.
type Workload struct {
	pulumi.ResourceState

	// Namespace is the namespace name.
	Namespace pulumi.StringOutput `pulumi:"namespace"`
	// URL is where the app answers: https://domain, or the in-cluster Service URL without a domain.
	URL pulumi.StringOutput `pulumi:"url"`
	// Image is the deployed image reference (by digest).
	Image pulumi.StringOutput `pulumi:"image"`
	// ConfigChecksum is the checksum annotation value of the pod template.
	ConfigChecksum pulumi.StringOutput `pulumi:"configChecksum"`
	// LoadBalancerHost is the host name of the load balancer serving the Ingress, from its status; empty
	// without a domain or when the controller reports an IP address only.
	LoadBalancerHost pulumi.StringOutput `pulumi:"-"`
}

// DNSLabel is the form of a Kubernetes namespace and of the names the workload gives its objects (RFC 1123
// label: at most 63 lower-case letters, digits and '-', a letter or digit at both ends).
var DNSLabel = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$`)

var (
	secretFile = regexp.MustCompile(`^[-._a-zA-Z0-9]+$`)
	// ErrInvalidArgs is wrapped by every argument validation error.
	ErrInvalidArgs = errors.New("invalid workload arguments")
)

// withDefaults returns a copy of the args with the derived defaults filled in (the caller's args stay as given):
// the progress deadline from the probes, the metrics port from the contract.
func (a *WorkloadArgs) withDefaults() *WorkloadArgs {
	c := *a
	if c.ProgressDeadlineSeconds == 0 {
		c.ProgressDeadlineSeconds = int(RolloutBudget().Seconds())
	}
	if c.MetricsPort == 0 {
		c.MetricsPort = contract.DefaultMetricsPort
	}
	return &c
}

func (a *WorkloadArgs) validate() error {
	var errs []error
	bad := func(format string, args ...any) {
		errs = append(errs, fmt.Errorf("%w: "+format, append([]any{ErrInvalidArgs}, args...)...))
	}
	if !DNSLabel.MatchString(a.Name) {
		bad("name %q is not a DNS label", a.Name)
	}
	if !DNSLabel.MatchString(a.Namespace) {
		bad("namespace %q is not a DNS label", a.Namespace)
	}
	if a.Image == nil {
		bad("image is required")
	}
	if a.MinReplicas < 1 || a.MinReplicas > a.MaxReplicas || a.Replicas < a.MinReplicas || a.Replicas > a.MaxReplicas {
		bad("replicas %d must lie in [min %d, max %d] with min >= 1", a.Replicas, a.MinReplicas, a.MaxReplicas)
	}
	if d := time.Duration(a.ProgressDeadlineSeconds) * time.Second; d < MinProgressDeadline() || d > time.Hour {
		bad("progress deadline %s is outside %s..1h (a healthy pod needs the startup and readiness windows)", d, MinProgressDeadline())
	}
	if a.MetricsPort < 1 || a.MetricsPort > 65535 || a.MetricsPort == a.Port {
		bad("metrics port %d is out of range or the HTTP port", a.MetricsPort)
	}
	if a.Port < 1 || a.Port > 65535 {
		bad("port %d is out of range", a.Port)
	}
	if a.ShutdownGraceSeconds < 1 {
		bad("shutdown grace %ds must be positive", a.ShutdownGraceSeconds)
	}
	for name := range a.Secrets {
		if !secretFile.MatchString(name) {
			bad("secret name %q is not a valid file name", name)
		}
	}
	used := map[string]bool{}
	for name := range a.Secrets {
		used[name] = true
	}
	for i, svc := range a.Services {
		for name := range svc.Secrets {
			if used[name] || !secretFile.MatchString(name) {
				bad("service %d: secret name %q is not a valid file name or is already used", i, name)
			}
			used[name] = true
		}
		for _, port := range svc.EgressPorts {
			if port < 1 || port > 65535 {
				bad("service %d: egress port %d is out of range", i, port)
			}
		}
	}
	if a.Domain != "" && a.IngressClass == "" {
		bad("an Ingress for %s needs an ingress class", a.Domain)
	}
	return errors.Join(errs...)
}

// NewWorkload validates args and registers the workload's objects through the given Kubernetes provider
// (pass it with pulumi.Provider or pulumi.Providers).
func NewWorkload(ctx *pulumi.Context, name string, args *WorkloadArgs, opts ...pulumi.ResourceOption) (*Workload, error) {
	if args == nil {
		return nil, fmt.Errorf("creating workload %s: %w: args are required", name, ErrInvalidArgs)
	}
	args = args.withDefaults()
	if err := args.validate(); err != nil {
		return nil, fmt.Errorf("creating workload %s: %w", name, err)
	}
	w := &Workload{}
	if err := ctx.RegisterComponentResource(WorkloadType, name, w, opts...); err != nil {
		return nil, fmt.Errorf("registering workload %s: %w", name, err)
	}
	b := builder{ctx: ctx, name: name, args: args, parent: pulumi.Parent(w), names: objectNames(args.Name)}
	if err := b.build(w); err != nil {
		return nil, fmt.Errorf("creating workload %s: %w", name, err)
	}
	if err := ctx.RegisterResourceOutputs(w, pulumi.Map{
		"namespace": w.Namespace, "url": w.URL, "image": w.Image, "configChecksum": w.ConfigChecksum,
	}); err != nil {
		return nil, fmt.Errorf("registering outputs of workload %s: %w", name, err)
	}
	return w, nil
}

// PartOf is the app.kubernetes.io/part-of label of every object, and of the namespace.
const PartOf = "wechat-deploy"

// MetricsPortName names the container and Service port that serves /metrics (what a ServiceMonitor scrapes).
const MetricsPortName = "metrics"

// names are the Kubernetes names of the objects that refer to each other, set once.
type names struct {
	app, config, secrets, pull, secretsVolume, tmpVolume, port, metrics string
}

func objectNames(app string) names {
	return names{
		app: app, config: app + "-config", secrets: app + "-secrets", pull: app + "-pull",
		secretsVolume: "secrets", tmpVolume: "tmp", port: "http", metrics: MetricsPortName,
	}
}

type builder struct {
	ctx    *pulumi.Context
	name   string
	args   *WorkloadArgs
	parent pulumi.ResourceOption
	names  names
}

// RestrictedContainer is the security context every container of the project runs with (the restricted Pod
// Security Standard and more): the non-root uid, no privilege escalation, no capabilities, a read-only root file
// system, the runtime's default seccomp profile.
func RestrictedContainer(uid int) *corev1.SecurityContextArgs {
	return &corev1.SecurityContextArgs{
		AllowPrivilegeEscalation: pulumi.Bool(false),
		Privileged:               pulumi.Bool(false),
		ReadOnlyRootFilesystem:   pulumi.Bool(true),
		RunAsNonRoot:             pulumi.Bool(true),
		RunAsUser:                pulumi.Int(uid),
		RunAsGroup:               pulumi.Int(uid),
		Capabilities:             &corev1.CapabilitiesArgs{Drop: pulumi.StringArray{pulumi.String("ALL")}},
		SeccompProfile:           &corev1.SeccompProfileArgs{Type: pulumi.String("RuntimeDefault")},
	}
}

// SelectorLabels are the labels that select the app's pods and its Service (a ServiceMonitor selects by them):
// the immutable subset of the labels every object carries, which the Deployment selects on.
func SelectorLabels(name, instance string) map[string]string {
	return map[string]string{"app.kubernetes.io/name": name, "app.kubernetes.io/instance": instance}
}

func (b *builder) selector() pulumi.StringMap {
	return pulumi.ToStringMap(SelectorLabels(b.args.Name, b.args.Instance))
}

// Component is the app.kubernetes.io/component label: the app is the API tier of its part-of.
const Component = "api"

// EnvironmentLabel carries the environment (dev, prod-cn) on every object, for selectors and cost reports.
const EnvironmentLabel = "environment"

// labels are Kubernetes' recommended labels (name, instance, component, part-of, managed-by) and the
// environment, on every object. The version label (versioned) goes on the Deployment and its pods only: a
// release then changes nothing but the Deployment, instead of relabelling every object.
func (b *builder) labels() pulumi.StringMap {
	l := b.selector()
	l["app.kubernetes.io/part-of"] = pulumi.String(PartOf)
	l["app.kubernetes.io/managed-by"] = pulumi.String("pulumi")
	l["app.kubernetes.io/component"] = pulumi.String(Component)
	if b.args.Environment != "" {
		l[EnvironmentLabel] = pulumi.String(b.args.Environment)
	}
	return l
}

// versioned are the labels plus app.kubernetes.io/version: the image's tag, or its digest when it has none.
func (b *builder) versioned() pulumi.StringMap {
	l := b.labels()
	l["app.kubernetes.io/version"] = b.args.Image.ToStringOutput().ApplyT(VersionOf).(pulumi.StringOutput)
	return l
}

// VersionOf is the version label of an image reference: its tag, else the first 12 hex digits of its digest
// (label values are at most 63 characters of [A-Za-z0-9_.-]).
func VersionOf(image string) string {
	name, digest, _ := strings.Cut(image, "@")
	if i := strings.LastIndex(name, ":"); i > strings.LastIndex(name, "/") {
		tag := labelUnsafe.ReplaceAllString(name[i+1:], "_")
		if len(tag) > 63 {
			tag = tag[:63]
		}
		if tag = strings.Trim(tag, "_.-"); tag != "" {
			return tag
		}
	}
	if hex, ok := strings.CutPrefix(digest, "sha256:"); ok && len(hex) >= 12 {
		return "sha256-" + hex[:12]
	}
	return "unknown"
}

var labelUnsafe = regexp.MustCompile(`[^A-Za-z0-9_.-]`)

func (b *builder) meta(name string, ns pulumi.StringInput, annotations pulumi.StringMapInput) *metav1.ObjectMetaArgs {
	return &metav1.ObjectMetaArgs{Name: pulumi.String(name), Namespace: ns, Labels: b.labels(), Annotations: annotations}
}

// build registers the objects in the order a reader follows them: where the app lives, who it is, what it is
// told, how it runs, how it is reached, how it scales and what it may talk to.
func (b *builder) build(w *Workload) error {
	a := b.args
	ns, err := b.namespace()
	if err != nil {
		return err
	}
	nsName := ns.Metadata.Name().Elem()
	inNS := []pulumi.ResourceOption{b.parent, pulumi.DependsOn([]pulumi.Resource{ns})}
	sa, err := b.serviceAccount(nsName, inNS)
	if err != nil {
		return err
	}
	configured, err := b.configuration(w, nsName, inNS)
	if err != nil {
		return err
	}
	if err := b.deployment(nsName, w.ConfigChecksum, append(configured, sa)); err != nil {
		return err
	}
	svc, err := b.service(nsName, inNS)
	if err != nil {
		return err
	}
	if err := b.autoscaling(nsName, inNS); err != nil {
		return err
	}
	if err := b.networkPolicies(nsName, inNS); err != nil {
		return err
	}

	w.Namespace = nsName
	w.Image = a.Image.ToStringOutput()
	w.URL = pulumi.Sprintf("http://%s.%s.svc.cluster.local", b.names.app, nsName)
	w.LoadBalancerHost = pulumi.String("").ToStringOutput()
	if a.Domain != "" {
		ing, err := b.ingress(nsName, svc)
		if err != nil {
			return err
		}
		w.LoadBalancerHost = ing.Status.ApplyT(loadBalancerHost).(pulumi.StringOutput)
		scheme := "http"
		if a.TLS {
			scheme = "https"
		}
		w.URL = pulumi.Sprintf("%s://%s", scheme, a.Domain)
	}
	return nil
}

// namespace enforces the restricted Pod Security Standard: the API server itself rejects a privileged or root
// pod, whatever deploys it.
func (b *builder) namespace() (*corev1.Namespace, error) {
	labels := b.labels()
	for k, v := range b.args.NamespaceLabels {
		labels[k] = pulumi.String(v)
	}
	for k, v := range map[string]string{
		"app.kubernetes.io/part-of":          PartOf,
		"pod-security.kubernetes.io/enforce": "restricted",
		"pod-security.kubernetes.io/audit":   "restricted",
		"pod-security.kubernetes.io/warn":    "restricted",
	} {
		labels[k] = pulumi.String(v)
	}
	ns, err := corev1.NewNamespace(b.ctx, b.name+"-ns", &corev1.NamespaceArgs{
		Metadata: &metav1.ObjectMetaArgs{Name: pulumi.String(b.args.Namespace), Labels: labels},
	}, b.parent)
	if err != nil {
		return nil, fmt.Errorf("creating namespace: %w", err)
	}
	return ns, nil
}

// serviceAccount is the app's identity: bound to a cloud role by annotations, with no Kubernetes API token.
func (b *builder) serviceAccount(ns pulumi.StringOutput, opts []pulumi.ResourceOption) (*corev1.ServiceAccount, error) {
	annotations := b.args.ServiceAccountAnnotations
	if annotations == nil {
		annotations = pulumi.StringMap{}
	}
	sa, err := corev1.NewServiceAccount(b.ctx, b.name+"-sa", &corev1.ServiceAccountArgs{
		Metadata:                     b.meta(b.names.app, ns, annotations),
		AutomountServiceAccountToken: pulumi.Bool(false),
	}, opts...)
	if err != nil {
		return nil, fmt.Errorf("creating service account: %w", err)
	}
	return sa, nil
}

// configuration registers the ConfigMap, the Secret (the app's own secrets and its services') and the image
// pull secret, sets the checksum that rolls the pods when any of them changes, and returns them.
func (b *builder) configuration(w *Workload, ns pulumi.StringOutput, opts []pulumi.ResourceOption) ([]pulumi.Resource, error) {
	a := b.args
	settings := pulumi.StringMap{}
	for k, v := range a.Settings {
		settings[k] = pulumi.String(v)
	}
	cm, err := corev1.NewConfigMap(b.ctx, b.name+"-config", &corev1.ConfigMapArgs{
		Metadata: b.meta(b.names.config, ns, nil),
		Data:     settings,
	}, opts...)
	if err != nil {
		return nil, fmt.Errorf("creating config map: %w", err)
	}

	secretData := pulumi.StringMap{}
	for k, v := range a.Secrets {
		secretData[k] = pulumi.ToSecret(v).(pulumi.StringOutput)
	}
	for _, svc := range a.Services {
		for k, v := range svc.Secrets {
			secretData[k] = pulumi.ToSecret(v).(pulumi.StringOutput)
		}
	}
	secret, err := corev1.NewSecret(b.ctx, b.name+"-secrets", &corev1.SecretArgs{
		Metadata:   b.meta(b.names.secrets, ns, nil),
		Type:       pulumi.String("Opaque"),
		StringData: secretData,
	}, opts...)
	if err != nil {
		return nil, fmt.Errorf("creating secret: %w", err)
	}
	w.ConfigChecksum = checksum(a.Settings, secretData)
	created := []pulumi.Resource{cm, secret}

	if a.ImagePullSecret != nil {
		pull, err := corev1.NewSecret(b.ctx, b.name+"-pull", &corev1.SecretArgs{
			Metadata:   b.meta(b.names.pull, ns, nil),
			Type:       pulumi.String("kubernetes.io/dockerconfigjson"),
			StringData: pulumi.StringMap{".dockerconfigjson": pulumi.ToSecret(a.ImagePullSecret).(pulumi.StringOutput)},
		}, opts...)
		if err != nil {
			return nil, fmt.Errorf("creating image pull secret: %w", err)
		}
		created = append(created, pull)
	}
	return created, nil
}

// deployment rolls pods one surge at a time, never below the current count, and only once everything they
// mount or read exists (deps).
func (b *builder) deployment(ns, checksum pulumi.StringOutput, deps []pulumi.Resource) error {
	a := b.args
	opts := []pulumi.ResourceOption{b.parent, pulumi.DependsOn(deps)}
	if a.MaxReplicas > a.MinReplicas {
		// The HPA owns the replica count once it exists; re-applying the initial count would fight it.
		opts = append(opts, pulumi.IgnoreChanges([]string{"spec.replicas"}))
	}
	// The provider only warns when Kubernetes declares a rollout stuck, so its timeout is what bounds a plain
	// `pulumi up` (the release driver stops at the verdict itself). It is the longest a healthy rollout can take
	// rather than its 10-minute default: a create starts every pod at once, an update rolls them in batches.
	create, update := RolloutTimeouts(a.ProgressDeadlineSeconds, a.MinReplicas, a.MaxReplicas)
	opts = append(opts, pulumi.Timeouts(&pulumi.CustomTimeouts{Create: create.String(), Update: update.String()}))
	_, err := appsv1.NewDeployment(b.ctx, b.name+"-deployment", &appsv1.DeploymentArgs{
		Metadata: &metav1.ObjectMetaArgs{Name: pulumi.String(b.names.app), Namespace: ns, Labels: b.versioned()},
		Spec: &appsv1.DeploymentSpecArgs{
			Replicas:                pulumi.Int(a.Replicas),
			RevisionHistoryLimit:    pulumi.Int(5),
			ProgressDeadlineSeconds: pulumi.Int(a.ProgressDeadlineSeconds),
			Selector:                &metav1.LabelSelectorArgs{MatchLabels: b.selector()},
			Strategy: &appsv1.DeploymentStrategyArgs{
				Type: pulumi.String("RollingUpdate"),
				RollingUpdate: &appsv1.RollingUpdateDeploymentArgs{
					MaxUnavailable: pulumi.Int(0),
					MaxSurge:       pulumi.String(fmt.Sprintf("%d%%", rollingSurgePercent)),
				},
			},
			Template: &corev1.PodTemplateSpecArgs{
				Metadata: &metav1.ObjectMetaArgs{
					Labels:      b.versioned(),
					Annotations: pulumi.StringMap{ChecksumAnnotation: checksum},
				},
				Spec: b.podSpec(),
			},
		},
	}, opts...)
	if err != nil {
		return fmt.Errorf("creating deployment: %w", err)
	}
	return nil
}

// service selects the Deployment's pods by the same selector labels.
func (b *builder) service(ns pulumi.StringOutput, opts []pulumi.ResourceOption) (*corev1.Service, error) {
	svc, err := corev1.NewService(b.ctx, b.name+"-service", &corev1.ServiceArgs{
		// No await: the provider would otherwise wait a fixed 10 s for endpoints to settle, which proves nothing
		// the Deployment's own await does not (its pods are ready), and the Service selects exactly those pods
		// by construction (one selector function; a test compares them).
		Metadata: b.meta(b.names.app, ns, pulumi.StringMap{SkipAwaitAnnotation: pulumi.String("true")}),
		Spec: &corev1.ServiceSpecArgs{
			Type:     pulumi.String("ClusterIP"),
			Selector: b.selector(),
			Ports: corev1.ServicePortArray{
				corev1.ServicePortArgs{Name: pulumi.String(b.names.port), Port: pulumi.Int(80), TargetPort: pulumi.String(b.names.port), Protocol: pulumi.String("TCP")},
				// Scrapes only: the Ingress routes to the http port, and the app serves /metrics nowhere else.
				corev1.ServicePortArgs{Name: pulumi.String(b.names.metrics), Port: pulumi.Int(b.args.MetricsPort), TargetPort: pulumi.String(b.names.metrics), Protocol: pulumi.String("TCP")},
			},
		},
	}, opts...)
	if err != nil {
		return nil, fmt.Errorf("creating service: %w", err)
	}
	return svc, nil
}

// checksum hashes the settings and secret values into the pod template annotation. The secret values enter the
// hash together with the JWT key and AppSecret, which are high-entropy, so the digest reveals nothing usable and
// can be stored in plain text (a secret annotation would hide every pod-template diff).
func checksum(settings map[string]string, secrets pulumi.StringMap) pulumi.StringOutput {
	keys := make([]string, 0, len(secrets))
	for k := range secrets {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	values := make([]any, len(keys))
	for i, k := range keys {
		values[i] = secrets[k]
	}
	settingKeys := make([]string, 0, len(settings))
	for k := range settings {
		settingKeys = append(settingKeys, k)
	}
	sort.Strings(settingKeys)
	sum := pulumi.All(values...).ApplyT(func(vs []any) string {
		h := sha256.New()
		for _, k := range settingKeys {
			fmt.Fprintf(h, "config:%s=%s\x00", k, settings[k])
		}
		for i, k := range keys {
			fmt.Fprintf(h, "secret:%s=%s\x00", k, vs[i])
		}
		return hex.EncodeToString(h.Sum(nil))
	}).(pulumi.StringOutput)
	return pulumi.Unsecret(sum).(pulumi.StringOutput)
}

func (b *builder) podSpec() *corev1.PodSpecArgs {
	a, n := b.args, b.names
	var pullSecrets corev1.LocalObjectReferenceArray
	if a.ImagePullSecret != nil {
		pullSecrets = corev1.LocalObjectReferenceArray{corev1.LocalObjectReferenceArgs{Name: pulumi.String(n.pull)}}
	}
	uid := pulumi.Int(contract.UID)
	probe := func(p probeSpec) *corev1.ProbeArgs {
		path, period, failures := p.path, p.period, p.failures
		return &corev1.ProbeArgs{
			HttpGet:          &corev1.HTTPGetActionArgs{Path: pulumi.String(path), Port: pulumi.String(n.port)},
			PeriodSeconds:    pulumi.Int(period),
			FailureThreshold: pulumi.Int(failures),
			TimeoutSeconds:   pulumi.Int(2),
		}
	}
	spread := func(key string, hard bool) corev1.TopologySpreadConstraintArgs {
		when := "ScheduleAnyway"
		if hard {
			when = "DoNotSchedule"
		}
		return corev1.TopologySpreadConstraintArgs{
			MaxSkew:           pulumi.Int(1),
			TopologyKey:       pulumi.String(key),
			WhenUnsatisfiable: pulumi.String(when),
			LabelSelector:     &metav1.LabelSelectorArgs{MatchLabels: b.selector()},
		}
	}
	return &corev1.PodSpecArgs{
		ServiceAccountName:           pulumi.String(n.app),
		AutomountServiceAccountToken: pulumi.Bool(false),
		ImagePullSecrets:             pullSecrets,
		// The app drains for ShutdownGraceSeconds after the preStop pause; a few seconds of margin let it
		// finish writing logs before the kubelet sends SIGKILL.
		TerminationGracePeriodSeconds: pulumi.Int(a.ShutdownGraceSeconds + preStopSleepSeconds + 5),
		SecurityContext: &corev1.PodSecurityContextArgs{
			RunAsNonRoot:   pulumi.Bool(true),
			RunAsUser:      uid,
			RunAsGroup:     uid,
			FsGroup:        uid,
			SeccompProfile: &corev1.SeccompProfileArgs{Type: pulumi.String("RuntimeDefault")},
		},
		TopologySpreadConstraints: corev1.TopologySpreadConstraintArray{
			spread("topology.kubernetes.io/zone", a.ZoneSpreadRequired),
			spread("kubernetes.io/hostname", false),
		},
		Containers: corev1.ContainerArray{corev1.ContainerArgs{
			Name:            pulumi.String("app"),
			Image:           a.Image,
			ImagePullPolicy: pulumi.String("IfNotPresent"),
			Ports: corev1.ContainerPortArray{
				corev1.ContainerPortArgs{Name: pulumi.String(n.port), ContainerPort: pulumi.Int(a.Port), Protocol: pulumi.String("TCP")},
				corev1.ContainerPortArgs{Name: pulumi.String(n.metrics), ContainerPort: pulumi.Int(a.MetricsPort), Protocol: pulumi.String("TCP")},
			},
			EnvFrom: corev1.EnvFromSourceArray{corev1.EnvFromSourceArgs{
				ConfigMapRef: &corev1.ConfigMapEnvSourceArgs{Name: pulumi.String(n.config)},
			}},
			Resources: &corev1.ResourceRequirementsArgs{
				Requests: pulumi.StringMap{"cpu": pulumi.String(a.CPURequest), "memory": pulumi.String(a.MemoryRequest)},
				Limits:   pulumi.StringMap{"cpu": pulumi.String(a.CPULimit), "memory": pulumi.String(a.MemoryLimit)},
			},
			StartupProbe:   probe(startupProbe),
			LivenessProbe:  probe(livenessProbe),
			ReadinessProbe: probe(readinessProbe),
			Lifecycle: &corev1.LifecycleArgs{
				PreStop: &corev1.LifecycleHandlerArgs{Sleep: &corev1.SleepActionArgs{Seconds: pulumi.Int(preStopSleepSeconds)}},
			},
			SecurityContext: RestrictedContainer(contract.UID),
			VolumeMounts: corev1.VolumeMountArray{
				corev1.VolumeMountArgs{Name: pulumi.String(n.secretsVolume), MountPath: pulumi.String(contract.DefaultSecretsDir), ReadOnly: pulumi.Bool(true)},
				corev1.VolumeMountArgs{Name: pulumi.String(n.tmpVolume), MountPath: pulumi.String("/tmp")},
			},
		}},
		Volumes: corev1.VolumeArray{
			corev1.VolumeArgs{
				Name: pulumi.String(n.secretsVolume),
				Secret: &corev1.SecretVolumeSourceArgs{
					SecretName:  pulumi.String(n.secrets),
					DefaultMode: pulumi.Int(0o440),
				},
			},
			corev1.VolumeArgs{
				Name:     pulumi.String(n.tmpVolume),
				EmptyDir: &corev1.EmptyDirVolumeSourceArgs{Medium: pulumi.String("Memory"), SizeLimit: pulumi.String("16Mi")},
			},
		},
	}
}

func (b *builder) autoscaling(ns pulumi.StringOutput, opts []pulumi.ResourceOption) error {
	a := b.args
	if a.MaxReplicas > a.MinReplicas {
		util := func(resource string, target int) autoscalingv2.MetricSpecArgs {
			return autoscalingv2.MetricSpecArgs{
				Type: pulumi.String("Resource"),
				Resource: &autoscalingv2.ResourceMetricSourceArgs{
					Name:   pulumi.String(resource),
					Target: &autoscalingv2.MetricTargetArgs{Type: pulumi.String("Utilization"), AverageUtilization: pulumi.Int(target)},
				},
			}
		}
		_, err := autoscalingv2.NewHorizontalPodAutoscaler(b.ctx, b.name+"-hpa", &autoscalingv2.HorizontalPodAutoscalerArgs{
			Metadata: b.meta(b.names.app, ns, nil),
			Spec: &autoscalingv2.HorizontalPodAutoscalerSpecArgs{
				ScaleTargetRef: &autoscalingv2.CrossVersionObjectReferenceArgs{
					ApiVersion: pulumi.String("apps/v1"), Kind: pulumi.String("Deployment"), Name: pulumi.String(b.names.app),
				},
				MinReplicas: pulumi.Int(a.MinReplicas),
				MaxReplicas: pulumi.Int(a.MaxReplicas),
				Metrics: autoscalingv2.MetricSpecArray{
					util("cpu", a.CPUTargetPercent),
					util("memory", a.MemoryTargetPercent),
				},
				Behavior: &autoscalingv2.HorizontalPodAutoscalerBehaviorArgs{
					// Scale down slowly: WeChat traffic is bursty around mealtimes and evenings.
					ScaleDown: &autoscalingv2.HPAScalingRulesArgs{StabilizationWindowSeconds: pulumi.Int(300)},
				},
			},
		}, opts...)
		if err != nil {
			return fmt.Errorf("creating horizontal pod autoscaler: %w", err)
		}
	}
	// Drains and node upgrades may evict one pod at a time. maxUnavailable (rather than minAvailable) never
	// blocks a drain, even with a single replica, while keeping the rest serving when there are more.
	_, err := policyv1.NewPodDisruptionBudget(b.ctx, b.name+"-pdb", &policyv1.PodDisruptionBudgetArgs{
		Metadata: b.meta(b.names.app, ns, nil),
		Spec: &policyv1.PodDisruptionBudgetSpecArgs{
			MaxUnavailable: pulumi.Int(1),
			Selector:       &metav1.LabelSelectorArgs{MatchLabels: b.selector()},
		},
	}, opts...)
	if err != nil {
		return fmt.Errorf("creating pod disruption budget: %w", err)
	}
	return nil
}

// metadataEndpoints are the cloud instance metadata services; pods must not reach them (credential theft).
var metadataEndpoints = []string{"169.254.169.254/32", "100.100.100.200/32"}

// egressPorts are the services' ports, each once, in order.
func egressPorts(services []platform.Binding) []int {
	var ports []int
	for _, svc := range services {
		ports = append(ports, svc.EgressPorts...)
	}
	slices.Sort(ports)
	return slices.Compact(ports)
}

func (b *builder) networkPolicies(ns pulumi.StringOutput, opts []pulumi.ResourceOption) error {
	a := b.args
	_, err := networkingv1.NewNetworkPolicy(b.ctx, b.name+"-default-deny", &networkingv1.NetworkPolicyArgs{
		Metadata: b.meta("default-deny", ns, nil),
		Spec: &networkingv1.NetworkPolicySpecArgs{
			PodSelector: &metav1.LabelSelectorArgs{},
			PolicyTypes: pulumi.StringArray{pulumi.String("Ingress"), pulumi.String("Egress")},
		},
	}, opts...)
	if err != nil {
		return fmt.Errorf("creating default-deny network policy: %w", err)
	}
	tcp := func(port int) networkingv1.NetworkPolicyPortArgs {
		return networkingv1.NetworkPolicyPortArgs{Protocol: pulumi.String("TCP"), Port: pulumi.Int(port)}
	}
	var privatePeers networkingv1.NetworkPolicyPeerArray
	for _, r := range contract.PrivateIPv4Ranges {
		privatePeers = append(privatePeers, networkingv1.NetworkPolicyPeerArgs{IpBlock: &networkingv1.IPBlockArgs{Cidr: pulumi.String(r)}})
	}
	var servicePorts networkingv1.NetworkPolicyPortArray
	for _, p := range egressPorts(a.Services) {
		servicePorts = append(servicePorts, tcp(p))
	}
	except := pulumi.StringArray{}
	for _, m := range metadataEndpoints {
		except = append(except, pulumi.String(m))
	}
	for _, r := range contract.PrivateIPv4Ranges {
		except = append(except, pulumi.String(r))
	}
	egress := networkingv1.NetworkPolicyEgressRuleArray{
		// DNS through the cluster resolver.
		networkingv1.NetworkPolicyEgressRuleArgs{
			To: networkingv1.NetworkPolicyPeerArray{networkingv1.NetworkPolicyPeerArgs{
				NamespaceSelector: &metav1.LabelSelectorArgs{MatchLabels: pulumi.StringMap{"kubernetes.io/metadata.name": pulumi.String("kube-system")}},
				PodSelector:       &metav1.LabelSelectorArgs{MatchLabels: pulumi.StringMap{"k8s-app": pulumi.String("kube-dns")}},
			}},
			Ports: networkingv1.NetworkPolicyPortArray{
				networkingv1.NetworkPolicyPortArgs{Protocol: pulumi.String("UDP"), Port: pulumi.Int(53)},
				tcp(53),
			},
		},
		// HTTPS to the internet (the WeChat API), never to the metadata services or private ranges.
		networkingv1.NetworkPolicyEgressRuleArgs{
			To: networkingv1.NetworkPolicyPeerArray{networkingv1.NetworkPolicyPeerArgs{
				IpBlock: &networkingv1.IPBlockArgs{Cidr: pulumi.String("0.0.0.0/0"), Except: except},
			}},
			Ports: networkingv1.NetworkPolicyPortArray{tcp(443)},
		},
	}
	if len(servicePorts) > 0 {
		egress = append(egress, networkingv1.NetworkPolicyEgressRuleArgs{To: privatePeers, Ports: servicePorts})
	}
	ingress := networkingv1.NetworkPolicyIngressRuleArray{networkingv1.NetworkPolicyIngressRuleArgs{
		Ports: networkingv1.NetworkPolicyPortArray{tcp(a.Port)},
	}}
	var scrapers networkingv1.NetworkPolicyPeerArray
	for _, ns := range slices.Compact(slices.Sorted(slices.Values(append([]string{a.ScraperNamespace}, a.Scraper.Namespaces...)))) {
		if ns != "" {
			scrapers = append(scrapers, networkingv1.NetworkPolicyPeerArgs{
				NamespaceSelector: &metav1.LabelSelectorArgs{MatchLabels: pulumi.StringMap{"kubernetes.io/metadata.name": pulumi.String(ns)}},
			})
		}
	}
	for _, cidr := range a.Scraper.CIDRs {
		scrapers = append(scrapers, networkingv1.NetworkPolicyPeerArgs{IpBlock: &networkingv1.IPBlockArgs{Cidr: pulumi.String(cidr)}})
	}
	if len(scrapers) > 0 {
		ingress = append(ingress, networkingv1.NetworkPolicyIngressRuleArgs{From: scrapers, Ports: networkingv1.NetworkPolicyPortArray{tcp(a.MetricsPort)}})
	}
	_, err = networkingv1.NewNetworkPolicy(b.ctx, b.name+"-app", &networkingv1.NetworkPolicyArgs{
		Metadata: b.meta(b.names.app, ns, nil),
		Spec: &networkingv1.NetworkPolicySpecArgs{
			PodSelector: &metav1.LabelSelectorArgs{MatchLabels: b.selector()},
			PolicyTypes: pulumi.StringArray{pulumi.String("Ingress"), pulumi.String("Egress")},
			// The HTTP port from anywhere (ingress controller, load balancer targets, probes); the metrics port only
			// from the scrapers.
			Ingress: ingress,
			Egress:  egress,
		},
	}, opts...)
	if err != nil {
		return fmt.Errorf("creating app network policy: %w", err)
	}
	if a.ClusterIssuer != "" && a.Domain != "" {
		// cert-manager answers HTTP-01 challenges from solver pods in this namespace; default-deny would keep
		// the ingress controller from them and no certificate would ever be issued.
		if _, err := networkingv1.NewNetworkPolicy(b.ctx, b.name+"-acme-solver", &networkingv1.NetworkPolicyArgs{
			Metadata: b.meta("acme-http01-solver", ns, nil),
			Spec: &networkingv1.NetworkPolicySpecArgs{
				PodSelector: &metav1.LabelSelectorArgs{MatchLabels: pulumi.StringMap{certmanager.SolverLabel: pulumi.String("true")}},
				PolicyTypes: pulumi.StringArray{pulumi.String("Ingress")},
				Ingress: networkingv1.NetworkPolicyIngressRuleArray{networkingv1.NetworkPolicyIngressRuleArgs{
					Ports: networkingv1.NetworkPolicyPortArray{tcp(certmanager.SolverPort)},
				}},
			},
		}, opts...); err != nil {
			return fmt.Errorf("creating ACME solver network policy: %w", err)
		}
	}
	return nil
}

func (b *builder) ingress(ns pulumi.StringOutput, svc *corev1.Service) (*networkingv1.Ingress, error) {
	a := b.args
	annotations := pulumi.StringMap{}
	for k, v := range a.IngressAnnotations {
		annotations[k] = v
	}
	if a.ClusterIssuer != "" {
		annotations["cert-manager.io/cluster-issuer"] = pulumi.String(a.ClusterIssuer)
	}
	if a.SkipIngressAwait {
		annotations[SkipAwaitAnnotation] = pulumi.String(strconv.FormatBool(true))
	}
	var tls networkingv1.IngressTLSArray
	if a.TLS && a.TLSSecretName != "" {
		tls = networkingv1.IngressTLSArray{networkingv1.IngressTLSArgs{
			Hosts: pulumi.StringArray{pulumi.String(a.Domain)}, SecretName: pulumi.String(a.TLSSecretName),
		}}
	}
	ing, err := networkingv1.NewIngress(b.ctx, b.name+"-ingress", &networkingv1.IngressArgs{
		Metadata: b.meta(b.names.app, ns, annotations),
		Spec: &networkingv1.IngressSpecArgs{
			IngressClassName: pulumi.String(a.IngressClass),
			Tls:              tls,
			Rules: networkingv1.IngressRuleArray{networkingv1.IngressRuleArgs{
				Host: pulumi.String(a.Domain),
				Http: &networkingv1.HTTPIngressRuleValueArgs{Paths: networkingv1.HTTPIngressPathArray{networkingv1.HTTPIngressPathArgs{
					Path:     pulumi.String("/"),
					PathType: pulumi.String("Prefix"),
					Backend: &networkingv1.IngressBackendArgs{Service: &networkingv1.IngressServiceBackendArgs{
						Name: pulumi.String(b.names.app),
						Port: &networkingv1.ServiceBackendPortArgs{Name: pulumi.String(b.names.port)},
					}},
				}}},
			}},
		},
	}, b.parent, pulumi.DependsOn([]pulumi.Resource{svc}))
	if err != nil {
		return nil, fmt.Errorf("creating ingress: %w", err)
	}
	return ing, nil
}

// loadBalancerHost is the host name the ingress controller reported for the Ingress; empty while it reported
// none (a controller that writes no status, an IP address only, or a preview).
func loadBalancerHost(s *networkingv1.IngressStatus) string {
	if s == nil || s.LoadBalancer == nil {
		return ""
	}
	for _, lb := range s.LoadBalancer.Ingress {
		if lb.Hostname != nil && *lb.Hostname != "" {
			return *lb.Hostname
		}
	}
	return ""
}

// probeSpec is one probe: what it asks, how often and how many failures it takes.
type probeSpec struct {
	path             string
	period, failures int
}

var (
	// The app gets a minute to start, then must keep answering /healthz; /readyz decides traffic.
	startupProbe   = probeSpec{contract.PathLiveness, 2, 30}
	livenessProbe  = probeSpec{contract.PathLiveness, 10, 3}
	readinessProbe = probeSpec{contract.PathReadiness, 5, 2}
)

// rolloutSlack covers what precedes the probes: scheduling, pulling the image, starting the container.
const rolloutSlack = 60 * time.Second

// RolloutBudget is the default progress deadline: a new pod may use its whole startup allowance, then needs
// the readiness probe's failure window to turn ready, after the slack for scheduling and pulling.
func RolloutBudget() time.Duration {
	window := func(p probeSpec) time.Duration { return time.Duration(p.period*p.failures) * time.Second }
	return rolloutSlack + window(startupProbe) + window(readinessProbe)
}

// MinProgressDeadline is the shortest deadline under which a healthy pod can still become ready.
func MinProgressDeadline() time.Duration { return RolloutBudget() - rolloutSlack }

// rollingSurgePercent is the Deployment's maxSurge; maxUnavailable is 0.
const rollingSurgePercent = 25

// RolloutBatches is the most batches a rolling update goes through at any replica count between minReplicas
// and maxReplicas (the HPA may have chosen any of them): with maxUnavailable 0, Kubernetes starts maxSurge new
// pods (a percentage rounded up) and starts the next ones only as those become available, so n replicas roll
// in ceil(n / surge) batches; at 25% that is at most 4.
func RolloutBatches(minReplicas, maxReplicas int) int {
	batches := 1
	for n := max(minReplicas, 1); n <= maxReplicas; n++ {
		surge := (n*rollingSurgePercent + 99) / 100
		batches = max(batches, (n+surge-1)/surge)
	}
	return batches
}

// RolloutTimeouts are the provider's custom timeouts of the Deployment: how long a healthy rollout can take,
// plus a minute for the controller to report. Each batch may use the whole progress deadline (Kubernetes resets
// it whenever a pod becomes available), a create is one batch and an update RolloutBatches of them. A stalled
// rollout is declared by Kubernetes after one deadline; these are the bound when nothing acts on that verdict.
func RolloutTimeouts(progressDeadlineSeconds, minReplicas, maxReplicas int) (create, update time.Duration) {
	deadline := time.Duration(progressDeadlineSeconds) * time.Second
	return deadline + time.Minute, time.Duration(RolloutBatches(minReplicas, maxReplicas))*deadline + time.Minute
}
