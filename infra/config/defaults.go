package config

import (
	"github.com/wechat-deploy/wechat-deploy/components/observability/signals"
	"slices"
	"strings"

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
	DefaultScraperNamespace     = "monitoring"
	DefaultTraceSamplePercent   = 10
	DefaultManagedLogRetention  = 30
	DefaultDatabaseClass        = "db.t4g.medium"
	DefaultDatabaseClassProd    = "db.m6g.large"
	DefaultDatabaseUser         = "wechat"
	// DefaultApsaraDBClass (Basic Edition, 2 cores 4 GB) and DefaultApsaraDBClassHA (High-availability Edition)
	// are ApsaraDB RDS for PostgreSQL's classes on alicloud.
	DefaultApsaraDBClass   = "pg.n2.2c.1m"
	DefaultApsaraDBClassHA = "pg.n2.2c.2m"
	// DefaultInClusterDatabaseGiB sizes the in-cluster database's volume claim.
	DefaultInClusterDatabaseGiB = 1
	DefaultCPURequest           = "100m"
	DefaultMemoryRequest        = "128Mi"
	DefaultCPULimit             = "500m"
	DefaultMemoryLimit          = "256Mi"
	DefaultBuilder              = BuilderGo
	DefaultBuildContext         = "."
	DefaultBuildPackage         = "./app/cmd/server"
	DefaultDockerfile           = "app/Dockerfile"
	DefaultPlatform             = "linux/amd64"
)

// applyDefaults fills every unset field. Defaults may depend on the cloud and on other fields, never on the
// environment of the machine running the program.
func applyDefaults(c *Config) {
	prof := profileOf(c.Cloud)
	if prof == nil {
		prof = &cloudProfile{applyDefaults: noCloudDefaults, ingressClass: func(*Config) string { return "" }}
	}
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
	k.Version = orDefault(k.Version, prof.kubernetesVersion)
	if len(k.InstanceTypes) == 0 {
		k.InstanceTypes = slices.Clone(prof.instanceTypes)
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
	if k.Addons == nil && prof.addons != nil {
		k.Addons = prof.addons(k.Version)
	}
	k.ServiceCIDR = orDefault(k.ServiceCIDR, prof.serviceCIDR)

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
	if a.Autoscaling == nil {
		on := true
		a.Autoscaling = &on
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
	if a.TLS.Enabled && a.TLS.SecretName == "" && !prof.certificatesFromCloud {
		a.TLS.SecretName = a.Name + "-tls"
	}
	a.IngressClass = orDefault(a.IngressClass, prof.ingressClass(c))
	if a.ShutdownGraceSeconds == 0 {
		a.ShutdownGraceSeconds = DefaultShutdownGraceSeconds
	}
	a.WeChatAPIBase = orDefault(a.WeChatAPIBase, DefaultWeChatAPIBase)
	a.TokenTTL = orDefault(a.TokenTTL, DefaultTokenTTL)
	a.LogLevel = orDefault(a.LogLevel, DefaultLogLevel)
	a.Build.Builder = orDefault(a.Build.Builder, DefaultBuilder)
	a.Build.Context = orDefault(a.Build.Context, DefaultBuildContext)
	a.Build.Package = orDefault(a.Build.Package, DefaultBuildPackage)
	a.Build.Dockerfile = orDefault(a.Build.Dockerfile, DefaultDockerfile)
	a.Build.Platform = orDefault(a.Build.Platform, DefaultPlatform)

	g := &c.Registry
	g.Name = orDefault(g.Name, a.Name)
	g.Namespace = orDefault(g.Namespace, c.Project)
	if g.KeepImages == 0 {
		g.KeepImages = DefaultKeepImages
	}
	if d := &c.Database; d.Provision && c.Cloud == CloudExisting {
		if d.StorageGiB == 0 {
			d.StorageGiB = DefaultInClusterDatabaseGiB
		}
		d.Name = orDefault(d.Name, strings.ReplaceAll(a.Name, "-", "_"))
		d.Username = orDefault(d.Username, DefaultDatabaseUser)
	} else if d.Provision {
		prod := c.IsProduction()
		for _, b := range []**bool{&d.MultiAZ, &d.DeletionProtection} {
			if *b == nil {
				v := prod
				*b = &v
			}
		}
		if c.Cloud == CloudAlicloud {
			// The edition follows multiAz: a High-availability class with a standby, a Basic one without.
			d.InstanceClass = orDefault(d.InstanceClass, map[bool]string{true: DefaultApsaraDBClassHA, false: DefaultApsaraDBClass}[*d.MultiAZ])
		} else {
			d.InstanceClass = orDefault(d.InstanceClass, map[bool]string{true: DefaultDatabaseClassProd, false: DefaultDatabaseClass}[prod])
		}
		if d.StorageGiB == 0 {
			d.StorageGiB = map[bool]int{true: 100, false: 20}[prod]
		}
		d.Name = orDefault(d.Name, strings.ReplaceAll(a.Name, "-", "_"))
		d.Username = orDefault(d.Username, DefaultDatabaseUser)
		if d.BackupRetentionDays == 0 {
			d.BackupRetentionDays = map[bool]int{true: 14, false: 7}[prod]
		}
		if d.PerformanceInsights == nil && c.Cloud == CloudAWS {
			d.PerformanceInsights = &prod
		}
		if d.MonitoringInterval == nil {
			v := map[bool]int{true: 60, false: 0}[prod]
			d.MonitoringInterval = &v
		}
	}
	o := &c.Observability
	o.ScraperNamespace = orDefault(o.ScraperNamespace, DefaultScraperNamespace)
	if o.Dashboard == nil {
		on := true
		o.Dashboard = &on
	}
	th := &o.Alerts
	for _, f := range []struct {
		v   *int
		def int
	}{
		{&th.ErrorRatePercent, signals.DefaultThresholds.ErrorRatePercent}, {&th.LatencyP99Millis, signals.DefaultThresholds.LatencyP99Millis},
		{&th.RestartsPerHour, signals.DefaultThresholds.RestartsPerHour}, {&th.HPAAtMaxMinutes, signals.DefaultThresholds.HPAAtMaxMinutes},
		{&th.RolloutStuckMinutes, signals.DefaultThresholds.RolloutStuckMinutes},
	} {
		if *f.v == 0 {
			*f.v = f.def
		}
	}
	if o.Managed.LogRetentionDays == 0 {
		o.Managed.LogRetentionDays = DefaultManagedLogRetention
	}
	if o.Tracing.SamplePercent == 0 {
		o.Tracing.SamplePercent = DefaultTraceSamplePercent
	}
	prof.applyDefaults(c)
}

func orDefault(v, def string) string {
	if v == "" {
		return def
	}
	return v
}
