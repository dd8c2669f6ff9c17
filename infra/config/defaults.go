package config

import (
	"github.com/wechat-deploy/wechat-deploy/components/netplan"
)

// Static defaults, shared with Pulumi.yaml's declarations (a test keeps the two equal).
const (
	DefaultVPCCIDR              = "10.0.0.0/16"
	DefaultZones                = 2
	DefaultFlowLogRetentionDays = 30
	DefaultMinNodes             = 2
	DefaultMaxNodes             = 4
	DefaultDiskSizeGiB          = 50
	DefaultLogRetentionDays     = 90
	DefaultKeepImages           = 30
	DefaultAppName              = "wechat-api"
	DefaultReplicas             = 2
	DefaultPort                 = 8080
	DefaultCPUTarget            = 70
	DefaultMemoryTarget         = 80
	DefaultShutdownGraceSeconds = 20
	DefaultWeChatAPIBase        = "https://api.weixin.qq.com"
	DefaultTokenTTL             = "2h"
	DefaultLogLevel             = "info"
	DefaultCPURequest           = "100m"
	DefaultMemoryRequest        = "128Mi"
	DefaultCPULimit             = "500m"
	DefaultMemoryLimit          = "256Mi"
	DefaultBuildContext         = "."
	DefaultDockerfile           = "app/Dockerfile"
	DefaultPlatform             = "linux/amd64"
)

// Per-cloud defaults.
var (
	defaultInstanceTypes = map[Cloud][]string{
		CloudAWS:      {"m6i.large", "m5.large"},
		CloudAlicloud: {"ecs.g7.xlarge", "ecs.g6.xlarge"},
	}
	// DefaultKubernetesVersion per cloud: EKS takes a minor version, ACK a full one.
	DefaultKubernetesVersion = map[Cloud]string{CloudAWS: "1.33", CloudAlicloud: "1.33.3-aliyun.1"}
	defaultServiceCIDR       = map[Cloud]string{CloudAWS: "172.20.0.0/16", CloudAlicloud: "172.21.0.0/20"}
	// DefaultAddons are the managed addons each cloud installs, with versions pinned for Kubernetes 1.33.
	DefaultAddons = map[Cloud][]Addon{
		CloudAWS: {
			{Name: "vpc-cni", Version: "v1.19.5-eksbuild.1"},
			{Name: "coredns", Version: "v1.12.1-eksbuild.2"},
			{Name: "kube-proxy", Version: "v1.33.0-eksbuild.2"},
			{Name: "eks-pod-identity-agent", Version: "v1.3.7-eksbuild.2"},
		},
		CloudAlicloud: {
			{Name: "terway-eniip"},
			{Name: "ack-pod-identity-webhook"},
			{Name: "csi-plugin"},
			{Name: "csi-provisioner"},
			{Name: "nginx-ingress-controller", Config: `{"IngressSlbNetworkType":"internet"}`},
			{Name: "logtail-ds", Config: `{"IngressDashboardEnabled":"true"}`},
		},
	}
	defaultIngressClass = map[Cloud]string{CloudAWS: "alb", CloudAlicloud: "nginx"}
)

// applyDefaults fills every unset field. Defaults may depend on the cloud and on other fields, never on the
// environment of the machine running the program.
func applyDefaults(c *Config) {
	if c.Environment == "" {
		c.Environment = c.Stack
	}
	if c.Tags == nil {
		c.Tags = map[string]string{}
	}
	if c.App.Env == nil {
		c.App.Env = map[string]string{}
	}

	n := &c.Network
	if n.CIDR == "" {
		n.CIDR = DefaultVPCCIDR
	}
	if n.Zones == 0 {
		n.Zones = DefaultZones
		if len(n.AvailabilityZones) > 0 {
			n.Zones = len(n.AvailabilityZones)
		}
	}
	if n.NATMode == "" {
		n.NATMode = NATSingle
	}
	if n.FlowLogRetentionDays == 0 {
		n.FlowLogRetentionDays = DefaultFlowLogRetentionDays
	}
	if bits, ok := prefixBits(n.CIDR); ok {
		large, small := netplan.DefaultPrefixes(bits, n.Zones)
		if n.PrivateSubnetPrefix == 0 {
			n.PrivateSubnetPrefix = large
		}
		if n.PublicSubnetPrefix == 0 {
			n.PublicSubnetPrefix = small
		}
	}

	k := &c.Cluster
	if k.Version == "" {
		k.Version = DefaultKubernetesVersion[c.Cloud]
	}
	if len(k.InstanceTypes) == 0 {
		k.InstanceTypes = append([]string(nil), defaultInstanceTypes[c.Cloud]...)
	}
	if k.MinNodes == 0 {
		k.MinNodes = DefaultMinNodes
	}
	if k.MaxNodes == 0 {
		k.MaxNodes = max(DefaultMaxNodes, k.MinNodes)
	}
	if k.DesiredNodes == 0 {
		k.DesiredNodes = k.MinNodes
	}
	if k.DiskSizeGiB == 0 {
		k.DiskSizeGiB = DefaultDiskSizeGiB
	}
	if k.LogRetentionDays == 0 {
		k.LogRetentionDays = DefaultLogRetentionDays
	}
	if k.Addons == nil {
		k.Addons = append([]Addon(nil), DefaultAddons[c.Cloud]...)
	}
	if k.ServiceCIDR == "" {
		k.ServiceCIDR = defaultServiceCIDR[c.Cloud]
	}
	if k.Spec == "" && c.Cloud == CloudAlicloud {
		k.Spec = "ack.pro.small"
	}

	a := &c.App
	if a.Name == "" {
		a.Name = DefaultAppName
	}
	if a.Namespace == "" {
		a.Namespace = a.Name
	}
	if a.Replicas == 0 {
		a.Replicas = DefaultReplicas
	}
	if a.MinReplicas == 0 {
		a.MinReplicas = a.Replicas
	}
	if a.MaxReplicas == 0 {
		a.MaxReplicas = max(3*a.Replicas, a.MinReplicas)
	}
	if a.CPUTarget == 0 {
		a.CPUTarget = DefaultCPUTarget
	}
	if a.MemoryTarget == 0 {
		a.MemoryTarget = DefaultMemoryTarget
	}
	r := &a.Resources
	r.CPURequest = orDefault(r.CPURequest, DefaultCPURequest)
	r.MemoryRequest = orDefault(r.MemoryRequest, DefaultMemoryRequest)
	r.CPULimit = orDefault(r.CPULimit, DefaultCPULimit)
	r.MemoryLimit = orDefault(r.MemoryLimit, DefaultMemoryLimit)
	if a.Port == 0 {
		a.Port = DefaultPort
	}
	if a.TLS.Enabled && a.TLS.SecretName == "" {
		a.TLS.SecretName = a.Name + "-tls"
	}
	if a.IngressClass == "" {
		a.IngressClass = defaultIngressClass[c.Cloud]
		if c.Cloud == CloudExisting {
			a.IngressClass = c.Existing.IngressClass
		}
	}
	if a.ShutdownGraceSeconds == 0 {
		a.ShutdownGraceSeconds = DefaultShutdownGraceSeconds
	}
	a.WeChatAPIBase = orDefault(a.WeChatAPIBase, DefaultWeChatAPIBase)
	a.TokenTTL = orDefault(a.TokenTTL, DefaultTokenTTL)
	a.LogLevel = orDefault(a.LogLevel, DefaultLogLevel)
	a.Build.Context = orDefault(a.Build.Context, DefaultBuildContext)
	a.Build.Dockerfile = orDefault(a.Build.Dockerfile, DefaultDockerfile)
	a.Build.Platform = orDefault(a.Build.Platform, DefaultPlatform)

	g := &c.Registry
	g.Name = orDefault(g.Name, a.Name)
	g.Namespace = orDefault(g.Namespace, c.Project)
	if g.KeepImages == 0 {
		g.KeepImages = DefaultKeepImages
	}
	if g.InstanceSpec == "" && c.Cloud == CloudAlicloud {
		g.InstanceSpec = "Basic"
	}
}

func orDefault(v, def string) string {
	if v == "" {
		return def
	}
	return v
}
