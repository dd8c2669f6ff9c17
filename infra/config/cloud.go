package config

import (
	"regexp"

	"github.com/wechat-deploy/wechat-deploy/components/netplan"
)

// cloudProfile is everything the configuration knows about one cloud: its defaults, the facts its validation
// needs and its own rules. Each cloud has one, in cloud_<cloud>.go; profileOf is the one switch over clouds in
// this package, and infra/program's newPlatform the one in the program.
type cloudProfile struct {
	// provisions is true for clouds whose platform creates the network, cluster and registry (false for an
	// existing cluster): only those validate region, network, cluster and registry.
	provisions bool
	// kubernetesVersion, instanceTypes, serviceCIDR, addons and ingressClass are the defaults of the
	// corresponding keys; ingressClass is the class of the ingress controller the platform installs.
	kubernetesVersion string
	instanceTypes     []string
	serviceCIDR       string
	addons            func(version string) []Addon
	ingressClass      func(c *Config) string
	// title names the cloud and its Kubernetes service in messages.
	title string
	// exampleRegion shows the region format in messages; regions are the cloud's regions (that offer its
	// Kubernetes service) with their zone counts (facts/<cloud>-regions.tsv).
	exampleRegion string
	regions       map[string]int
	// instanceFamily extracts the family of an instance type (m6i of m6i.large, g7 of ecs.g7.xlarge).
	instanceFamily func(instanceType string) (string, bool)
	// nodeImage is the node OS image (EKS AMI type, ACK image type) for a CPU architecture.
	nodeImage func(arch string) string
	// exampleZone shows a zone of the region in messages.
	exampleZone func(region string) string
	// minZones is the fewest zones the cloud's cluster accepts (production always needs two).
	minZones int
	// subnetTiers are the per-zone subnet tiers, large tier first; maxSubnetPrefix the smallest subnet.
	subnetTiers     func(c *Config) []netplan.Tier
	maxSubnetPrefix int
	// fullVersion is true when the cluster takes a full Kubernetes version (1.33.3-aliyun.1), not a minor.
	fullVersion bool
	// podCIDR is true when the cluster can take a pod CIDR outside the VPC (flannel).
	podCIDR bool
	// existingRegistry is true when registry.existingInstanceId can name a registry instance to reuse.
	existingRegistry bool
	// certificatesFromCloud is true when the cloud's load balancer serves certificates from the cloud's
	// certificate service only, never from a Kubernetes Secret (app.tls.secretName and clusterIssuer do not apply).
	certificatesFromCloud bool
	// pinnedAddons is true when every addon needs a version.
	pinnedAddons bool
	// adminARN, when set, is the form of cluster.admins entries.
	adminARN *regexp.Regexp
	// tagLimits are the cloud's limits on resource tags; programTags is how many tags the program adds to the
	// stack's own on a resource (the identifying four, plus Name and Kubernetes discovery tags on subnets).
	tagLimits   tagLimits
	programTags int
	// logRetentionDays, when set, are the only retention periods the cloud's log service accepts; else
	// logRetentionRange bounds control-plane log retention.
	logRetentionDays  []int
	logRetentionRange [2]int
	// serviceCIDR bounds the Kubernetes Service range: inside the private ranges, with a prefix length between
	// the two values.
	serviceCIDRPrefix [2]int
	// applyDefaults fills the cloud's other defaults; validate checks its own keys.
	applyDefaults func(c *Config)
	validate      func(c *Config, p *problems)
}

// tagLimits are a cloud's rules for resource tags.
type tagLimits struct {
	maxTags, maxKey, maxValue int
	// reserved are prefixes (lower case) a tag key may not start with; forbidden are strings a key or value may
	// not contain.
	reserved, forbidden []string
}

// controlPlaneLogBounds are the retention days the cluster's control-plane logs accept.
func (prof *cloudProfile) controlPlaneLogBounds() [2]int {
	if prof.logRetentionRange[1] > 0 {
		return prof.logRetentionRange
	}
	return defaultRetentionBounds
}

// profileOf returns the profile of a supported cloud, nil for anything else.
func profileOf(cloud Cloud) *cloudProfile {
	switch cloud {
	case CloudAWS:
		return &awsProfile
	case CloudAlicloud:
		return &alicloudProfile
	case CloudExisting:
		return &existingProfile
	}
	return nil
}

// SubnetTiers are the per-zone subnet tiers of the configured cloud, large tier first.
func (c *Config) SubnetTiers() []netplan.Tier {
	if prof := profileOf(c.Cloud); prof != nil && prof.subnetTiers != nil {
		return prof.subnetTiers(c)
	}
	return nil
}

// NodeArch is the CPU architecture of the cluster's nodes (every instance type of a node group shares one;
// validation makes sure of it), amd64 when unknown.
func (c *Config) NodeArch() string {
	prof := profileOf(c.Cloud)
	if prof == nil || prof.instanceFamily == nil || len(c.Cluster.InstanceTypes) == 0 {
		return ArchAMD64
	}
	if family, ok := prof.instanceFamily(c.Cluster.InstanceTypes[0]); ok && instanceFamilies[c.Cloud][family] == ArchARM64 {
		return ArchARM64
	}
	return ArchAMD64
}

// NodeImage is the node OS image of the cluster's architecture: an EKS AMI type or an ACK image type.
func (c *Config) NodeImage() string {
	if prof := profileOf(c.Cloud); prof != nil && prof.nodeImage != nil {
		return prof.nodeImage(c.NodeArch())
	}
	return ""
}

// MaxSubnetPrefix is the smallest subnet the configured cloud accepts.
func (c *Config) MaxSubnetPrefix() int {
	if prof := profileOf(c.Cloud); prof != nil {
		return prof.maxSubnetPrefix
	}
	return 0
}

func noCloudDefaults(*Config) {}
