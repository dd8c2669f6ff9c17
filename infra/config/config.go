// Package config is the typed stack configuration of wechat-deploy: one Load that reads every key of a
// stack file, applies defaults field by field and validates the result before any resource is registered.
//
// Every field carries a `json` tag (its name in the stack file) and a `doc` tag (its one-line description);
// the README's configuration reference and the declarations in Pulumi.yaml are checked against them.
package config

import (
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/wechat-deploy/wechat-deploy/components/observability/signals"
)

// Project is the Pulumi project name (Pulumi.yaml's name).
const Project = "wechat-deploy"

// Namespace is the configuration namespace of every key: the project name.
const Namespace = Project

// Cloud selects the platform a stack deploys to.
type Cloud string

// The supported clouds.
const (
	CloudAWS      Cloud = "aws"
	CloudAlicloud Cloud = "alicloud"
	CloudExisting Cloud = "existing"
)

// Clouds lists the supported values of the cloud key, in the order error messages show them.
var Clouds = []Cloud{CloudAWS, CloudAlicloud, CloudExisting}

// NAT modes of the network.
const (
	NATSingle  = "single"
	NATPerZone = "per-zone"
)

// Config is the whole typed configuration of one stack.
type Config struct {
	// Project and Stack identify the stack; File is the stack file that error messages name.
	Project string `json:"-"`
	Stack   string `json:"-"`
	File    string `json:"-"`

	Cloud         Cloud             `json:"cloud" doc:"Target platform: aws (EKS), alicloud (ACK) or existing (any cluster in a kubeconfig)."`
	Environment   string            `json:"environment" doc:"Environment name used in resource names and tags; defaults to the stack name."`
	Production    bool              `json:"production" doc:"Apply production rules: replicas, zones, NAT per zone, protection, restricted API endpoint, TLS, a database."`
	Region        string            `json:"region" doc:"Cloud region (aws: us-east-1 style; alicloud: cn-hangzhou style). Required for aws and alicloud."`
	Network       Network           `json:"network" doc:"VPC layout."`
	Cluster       Cluster           `json:"cluster" doc:"Kubernetes cluster (EKS or ACK)."`
	Registry      Registry          `json:"registry" doc:"Container registry (ECR or ACR)."`
	Existing      Existing          `json:"existing" doc:"Existing cluster and registry (cloud: existing)."`
	App           App               `json:"app" doc:"The deployed WeChat backend."`
	Database      Database          `json:"database" doc:"The app's PostgreSQL when the stack provisions it (otherwise the databaseUrl secret names one)."`
	Observability Observability     `json:"observability" doc:"Metrics scraping, alerts, dashboard and tracing."`
	Protect       bool              `json:"protect" doc:"Protect stateful resources (VPC, cluster, KMS key, registry) from deletion."`
	Tags          map[string]string `json:"tags" doc:"Extra tags on every cloud resource (project, stack and environment tags are always added)."`

	// Secrets are read with the secret getters; they never leave Pulumi's secret handling.
	Secrets Secrets `json:"-"`
}

// IsProduction reports whether production rules apply.
func (c *Config) IsProduction() bool { return c.Production }

// Network is the VPC layout.
type Network struct {
	CIDR                 string   `json:"cidr" doc:"VPC IPv4 CIDR, a private range from /16 to /24."`
	Zones                int      `json:"zones" doc:"Number of availability zones (1-6; aws needs at least 2)."`
	AvailabilityZones    []string `json:"availabilityZones" doc:"Explicit zone names; empty means the first zones of the region."`
	NATMode              string   `json:"natMode" doc:"NAT gateways: single (one shared) or per-zone (one per zone, no cross-zone dependency)."`
	PrivateSubnetPrefix  int      `json:"privateSubnetPrefix" doc:"Prefix length of each private (worker) subnet; 0 plans it from the VPC size."`
	PublicSubnetPrefix   int      `json:"publicSubnetPrefix" doc:"Prefix length of each public subnet (pod VSwitch on alicloud Terway); 0 plans it from the VPC size."`
	FlowLogRetentionDays int      `json:"flowLogRetentionDays" doc:"Retention of VPC flow logs in days."`
}

// Cluster is the Kubernetes cluster.
type Cluster struct {
	Version           string   `json:"version" doc:"Kubernetes version: a minor version on EKS (1.33), a full one on ACK (1.33.3-aliyun.1)."`
	InstanceTypes     []string `json:"instanceTypes" doc:"Node instance types, preferred first."`
	MinNodes          int      `json:"minNodes" doc:"Minimum nodes of the node group."`
	DesiredNodes      int      `json:"desiredNodes" doc:"Initial nodes; afterwards the autoscaler owns the count (aws: ACK node pools scale between min and max)."`
	MaxNodes          int      `json:"maxNodes" doc:"Maximum nodes of the node group."`
	DiskSizeGiB       int      `json:"diskSizeGiB" doc:"Encrypted system disk size per node in GiB."`
	Endpoint          Endpoint `json:"endpoint" doc:"API server endpoint access."`
	Addons            []Addon  `json:"addons" doc:"Managed addons with pinned versions (EKS) or names and config (ACK)."`
	LogRetentionDays  int      `json:"logRetentionDays" doc:"Retention of control-plane logs in days."`
	Admins            []string `json:"admins" doc:"Principals (IAM role/user ARNs) granted cluster-admin through access entries; whoever runs pulumi up outside the deploy role must be listed (the creator gets no access)."`
	DeliveryRoles     *bool    `json:"deliveryRoles" doc:"Grant the stack's delivery roles from infra/bootstrap (<project>-<stack>-deploy: admin, -preview: read-only without Secrets) access entries; false when the account has no such roles."`
	UpgradePolicy     string   `json:"upgradePolicy" doc:"EKS support type: EXTENDED keeps the pinned version until extended support ends (billed extra after standard support); STANDARD lets AWS upgrade the cluster when standard support ends, which validation refuses once that date has passed."`
	KubeconfigProfile string   `json:"kubeconfigProfile" doc:"AWS profile the generated kubeconfig passes to aws eks get-token."`
	KubeconfigRoleARN string   `json:"kubeconfigRoleArn" doc:"IAM role the generated kubeconfig assumes in aws eks get-token."`
	ServiceCIDR       string   `json:"serviceCidr" doc:"Kubernetes Service CIDR; must not overlap the VPC."`
	PodCIDR           string   `json:"podCidr" doc:"Pod CIDR for flannel on alicloud; empty uses Terway with pod VSwitches."`
	Spec              string   `json:"spec" doc:"ACK cluster spec: ack.standard or ack.pro.small (production needs Pro)."`
}

// Endpoint is the API server endpoint access.
type Endpoint struct {
	Public            bool     `json:"public" doc:"Expose a public API endpoint."`
	Private           bool     `json:"private" doc:"Expose a private API endpoint inside the VPC (aws: ACK always has one)."`
	PublicAccessCIDRs []string `json:"publicAccessCidrs" doc:"CIDRs allowed to reach the public endpoint (never 0.0.0.0/0 in production)."`
}

// Addon is one managed cluster addon.
type Addon struct {
	Name    string `json:"name" doc:"Addon name, e.g. vpc-cni or csi-plugin."`
	Version string `json:"version" doc:"Pinned addon version; required on aws."`
	Config  string `json:"config" doc:"Addon configuration JSON, passed through."`
}

// Registry is the container registry.
type Registry struct {
	Name               string   `json:"name" doc:"Repository name; defaults to the app name."`
	Namespace          string   `json:"namespace" doc:"ACR namespace; defaults to the project name."`
	KeepImages         int      `json:"keepImages" doc:"Images kept by the lifecycle policy."`
	ExistingInstanceID string   `json:"existingInstanceId" doc:"Use this ACR Enterprise instance instead of creating one (alicloud)."`
	InstanceSpec       string   `json:"instanceSpec" doc:"ACR Enterprise edition: Basic, Standard or Advanced."`
	PushCIDRs          []string `json:"pushCidrs" doc:"CIDRs allowed to push images to the ACR internet endpoint (your CI's egress); empty admits nobody from the internet."`
}

// Existing is the cluster and registry used by the existing cloud.
type Existing struct {
	KubeconfigPath   string `json:"kubeconfigPath" doc:"Kubeconfig file; empty means $KUBECONFIG, then ~/.kube/config. The kubeconfig secret wins when set."`
	Context          string `json:"context" doc:"Kubeconfig context; empty means the current context."`
	RegistryServer   string `json:"registryServer" doc:"Registry host that built images are pushed to."`
	RegistryUsername string `json:"registryUsername" doc:"Registry user (password in the registryPassword secret)."`
	IngressClass     string `json:"ingressClass" doc:"Ingress class of the cluster's ingress controller."`

	// kubeconfigData is the kubeconfig secret's raw value, which the platform must parse at program time.
	kubeconfigData []byte
}

// KubeconfigData is the raw value of the kubeconfig secret (nil when unset). It is a secret: hand it only to
// code that wraps what it derives in secret Outputs.
func (e *Existing) KubeconfigData() []byte { return e.kubeconfigData }

// App is the deployed backend.
type App struct {
	Name                 string            `json:"name" doc:"App name (DNS label): names the Deployment, Service and friends."`
	Namespace            string            `json:"namespace" doc:"Kubernetes namespace; defaults to the app name."`
	Image                string            `json:"image" doc:"Prebuilt image reference with @sha256 digest; empty builds app/ and pushes it."`
	Build                Build             `json:"build" doc:"Image build settings (when image is empty)."`
	Replicas             int               `json:"replicas" doc:"Replicas before the autoscaler takes over (production: at least 2)."`
	MinReplicas          int               `json:"minReplicas" doc:"Autoscaler minimum; defaults to replicas."`
	MaxReplicas          int               `json:"maxReplicas" doc:"Autoscaler maximum; defaults to 3 x replicas."`
	Autoscaling          *bool             `json:"autoscaling" doc:"Scale between minReplicas and maxReplicas with a HorizontalPodAutoscaler; false runs exactly replicas pods (then minReplicas = maxReplicas = replicas)."`
	CPUTarget            int               `json:"cpuTargetPercent" doc:"Autoscaler CPU utilisation target in percent."`
	MemoryTarget         int               `json:"memoryTargetPercent" doc:"Autoscaler memory utilisation target in percent."`
	Resources            Resources         `json:"resources" doc:"Container requests and limits."`
	Port                 int               `json:"port" doc:"Container port of the HTTP server."`
	Domain               string            `json:"domain" doc:"Public host name of the Ingress; empty means no Ingress."`
	HostedZone           string            `json:"hostedZone" doc:"Public Route 53 zone holding app.domain: the program points the domain at the load balancer and issues a DNS-validated ACM certificate unless app.tls.certificateArn is set."`
	TLS                  TLS               `json:"tls" doc:"TLS on the Ingress."`
	IngressClass         string            `json:"ingressClass" doc:"Ingress class; defaults to the class served by the ingress controller the platform installs (Default column), or existing.ingressClass."`
	SkipIngressAwait     bool              `json:"skipIngressAwait" doc:"Do not wait for the Ingress to get an address (controllers that never write status)."`
	Env                  map[string]string `json:"env" doc:"Extra non-secret environment variables."`
	ShutdownGraceSeconds int               `json:"shutdownGraceSeconds" doc:"Seconds the app drains on SIGTERM; the pod grace period adds a margin."`
	ProgressDeadline     int               `json:"progressDeadlineSeconds" doc:"Seconds a rollout may make no progress before it fails (and up with it, the old pods still serving); 0 derives it from the probes (130)."`
	WeChatAPIBase        string            `json:"wechatApiBase" doc:"Base URL of the WeChat API."`
	TokenTTL             string            `json:"tokenTtl" doc:"Lifetime of issued JWTs (Go duration)."`
	LogLevel             string            `json:"logLevel" doc:"App log level: debug, info, warn or error."`
}

// Database is the app's PostgreSQL provisioned by the stack (aws: RDS for PostgreSQL; existing: in the cluster).
type Database struct {
	Provision           bool   `json:"provision" doc:"Create the app's PostgreSQL with the stack (aws: RDS for PostgreSQL in database subnets of its own, encrypted, TLS enforced, reachable from the cluster only; existing: a StatefulSet on a persistent volume in the namespace <app namespace>-db, TLS and SCRAM only, reachable from the app's pods only, not for production); the password is the databasePassword secret. false: set the databaseUrl secret (production needs one of the two)."`
	InstanceClass       string `json:"instanceClass" doc:"Instance class (aws: db.m6g.large); default db.m6g.large in production, db.t4g.medium otherwise (production refuses burstable classes). Managed databases only."`
	StorageGiB          int    `json:"storageGiB" doc:"Storage in GiB. aws: allocated gp3 (20-65536; it grows by itself up to four times this), default 100 in production, 20 otherwise. existing: the data volume claim (1-1024), default 1."`
	Image               string `json:"image" doc:"existing: the in-cluster database image pinned by digest (name@sha256:...), built by image.PostgresBuild; make up into the sandbox builds it from the machine's Debian PostgreSQL and sets it."`
	StorageClass        string `json:"storageClass" doc:"existing: storage class of the data volume; default: the cluster's default class."`
	Name                string `json:"name" doc:"Database name; defaults to the app name with '_' for '-'."`
	Username            string `json:"username" doc:"Master user the app connects as."`
	BackupRetentionDays int    `json:"backupRetentionDays" doc:"Days of automated backups (0-35; production at least 7); default 14 in production, 7 otherwise."`
	MultiAZ             *bool  `json:"multiAz" doc:"Keep a standby in another zone; default: production."`
	DeletionProtection  *bool  `json:"deletionProtection" doc:"Refuse deletion and keep a final snapshot; default: production."`
	PerformanceInsights *bool  `json:"performanceInsights" doc:"Performance Insights (7 days, encrypted with the database's key); default: production."`
	MonitoringInterval  *int   `json:"monitoringInterval" doc:"Enhanced monitoring interval in seconds (0, 1, 5, 10, 15, 30 or 60; 0 is off); default 60 in production, 0 otherwise."`
}

// Observability is how the app is watched: scraped by Prometheus, alerted on, charted, traced.
type Observability struct {
	PrometheusOperator bool               `json:"prometheusOperator" doc:"Create a ServiceMonitor and a PrometheusRule with the golden-signal alerts (the cluster runs the Prometheus Operator and kube-state-metrics)."`
	MonitorLabels      map[string]string  `json:"monitorLabels" doc:"Labels on the ServiceMonitor and PrometheusRule that your Prometheus selects them by (kube-prometheus-stack: release: <its release name>)."`
	ScraperNamespace   string             `json:"scraperNamespace" doc:"Namespace of the Prometheus that scrapes the app: only its pods may reach the metrics port."`
	Dashboard          *bool              `json:"dashboard" doc:"Create the Grafana dashboard as a ConfigMap labelled grafana_dashboard: \"1\" for Grafana's sidecar."`
	Alerts             signals.Thresholds `json:"alerts" doc:"Alert thresholds."`
	Tracing            Tracing            `json:"tracing" doc:"OpenTelemetry tracing; off unless an endpoint is set."`
	Managed            Managed            `json:"managed" doc:"The cloud's own metrics and log services (aws and alicloud; all off by default: they are billed)."`
}

// Managed turns on the cloud's own monitoring and log shipping for the cluster and the app.
type Managed struct {
	Metrics           bool `json:"metrics" doc:"aws: an Amazon Managed Service for Prometheus workspace and an agentless AMP scraper of the app's metrics port (the app's NetworkPolicy admits the scraper from the private subnets); alicloud: ARMS Prometheus (the ACK arms-prometheus addon) scraping through a ServiceMonitor (the NetworkPolicy admits its namespace, arms-prom)."`
	ContainerInsights bool `json:"containerInsights" doc:"aws: CloudWatch Container Insights, the amazon-cloudwatch-observability EKS addon with an IRSA role of its own: node, pod and container metrics."`
	Logs              bool `json:"logs" doc:"Ship container logs: aws to CloudWatch Logs (/aws/containerinsights/<cluster>/application, by the Container Insights addon's Fluent Bit: needs containerInsights); alicloud to a Simple Log Service logstore (the logtail-ds addon collecting the app namespace's stdout and stderr)."`
	LogRetentionDays  int  `json:"logRetentionDays" doc:"Retention of the shipped container logs in days (aws: a period CloudWatch Logs offers; alicloud: 1-3650)."`
}

// Any reports whether any managed service is on.
func (m Managed) Any() bool { return m.Metrics || m.ContainerInsights || m.Logs }

// Tracing configures OpenTelemetry export.
type Tracing struct {
	Endpoint      string `json:"endpoint" doc:"OTLP/HTTP endpoint of your collector (http://otel-collector.monitoring:4318); empty keeps tracing off at no cost."`
	SamplePercent int    `json:"samplePercent" doc:"Share of traces started by the app that are kept; a sampled caller's trace is always followed."`
}

// Builders of app.build.builder.
const (
	// BuilderGo compiles the app and assembles its image in process, without a Docker daemon.
	BuilderGo = "go"
	// BuilderDocker runs docker build through the docker provider.
	BuilderDocker = "docker"
)

// Build is how the image is built when no prebuilt image is given.
type Build struct {
	Builder    string `json:"builder" doc:"go: compile app.build.package and assemble the image in process (go-containerregistry), pushed by digest with the registry's credentials; no Docker daemon, so it runs in Pulumi Deployments' executor. docker: docker build of app.build.dockerfile (needs a Docker daemon and the docker provider plugin)."`
	Context    string `json:"context" doc:"Build context relative to the project root (the root: the app shares its go.mod); the go builder runs go build there."`
	Package    string `json:"package" doc:"Main package the go builder compiles, relative to app.build.context."`
	Dockerfile string `json:"dockerfile" doc:"Dockerfile relative to the project root (docker builder)."`
	Platform   string `json:"platform" doc:"Target platform of the image."`
	Tag        string `json:"tag" doc:"Image tag; empty derives it from the git commit or the content hash (never latest)."`
}

// Resources are container requests and limits.
type Resources struct {
	CPURequest    string `json:"cpuRequest" doc:"CPU request (Kubernetes quantity)."`
	MemoryRequest string `json:"memoryRequest" doc:"Memory request (Kubernetes quantity)."`
	CPULimit      string `json:"cpuLimit" doc:"CPU limit (Kubernetes quantity)."`
	MemoryLimit   string `json:"memoryLimit" doc:"Memory limit (Kubernetes quantity)."`
}

// TLS is TLS on the Ingress.
type TLS struct {
	Enabled        bool   `json:"enabled" doc:"Terminate TLS at the Ingress."`
	SecretName     string `json:"secretName" doc:"Secret holding the certificate; defaults to <app>-tls (not on aws: the load balancer serves ACM certificates only)."`
	ClusterIssuer  string `json:"clusterIssuer" doc:"cert-manager ClusterIssuer that issues the certificate; empty means the secret is provided."`
	CertificateARN string `json:"certificateArn" doc:"ACM certificate the load balancer serves; without it, app.hostedZone issues one."`
	ACMEEmail      string `json:"acmeEmail" doc:"Contact of the ACME account: the program installs cert-manager (pinned) with a Let's Encrypt ClusterIssuer named app.tls.clusterIssuer (default letsencrypt) that issues app.tls.secretName; required for TLS on alicloud."`
}

// Secrets are the config secrets as secret Outputs. An optional secret that is not set is a zero Output and
// its Has flag is false.
type Secrets struct {
	WeChatAppID         pulumi.StringOutput
	WeChatAppSecret     pulumi.StringOutput
	JWTSigningKey       pulumi.StringOutput
	DatabaseURL         pulumi.StringOutput
	HasDatabaseURL      bool
	DatabasePassword    pulumi.StringOutput
	HasDatabasePassword bool
	RegistryPassword    pulumi.StringOutput
	HasRegistryPassword bool
	Kubeconfig          pulumi.StringOutput
	HasKubeconfig       bool
}

// ResourceTags are the tags put on every cloud resource: the stack's own tags plus the identifying ones, which
// win so that cost reports and policies can rely on them.
func (c *Config) ResourceTags() map[string]string {
	tags := make(map[string]string, len(c.Tags)+4)
	for k, v := range c.Tags {
		tags[k] = v
	}
	tags["project"] = c.Project
	tags["stack"] = c.Stack
	tags["environment"] = c.Environment
	tags["managed-by"] = "pulumi"
	return tags
}
