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
	addons            []Addon
	ingressClass      func(c *Config) string
	// exampleRegion shows the region format in messages; regionProblem says what is wrong with a region.
	exampleRegion string
	regionProblem func(region string) string
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
	// pinnedAddons is true when every addon needs a version.
	pinnedAddons bool
	// adminARN, when set, is the form of cluster.admins entries.
	adminARN *regexp.Regexp
	// applyDefaults fills the cloud's other defaults; validate checks its own keys.
	applyDefaults func(c *Config)
	validate      func(c *Config, p *problems)
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

// MaxSubnetPrefix is the smallest subnet the configured cloud accepts.
func (c *Config) MaxSubnetPrefix() int {
	if prof := profileOf(c.Cloud); prof != nil {
		return prof.maxSubnetPrefix
	}
	return 0
}

func noCloudDefaults(*Config)         {}
func noCloudRules(*Config, *problems) {}
