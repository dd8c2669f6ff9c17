package config

import (
	"slices"
	"strings"

	"github.com/wechat-deploy/wechat-deploy/components/netplan"
)

// AlicloudRegions are the Alibaba Cloud regions that offer ACK managed clusters.
var AlicloudRegions = []string{
	"cn-qingdao", "cn-beijing", "cn-zhangjiakou", "cn-huhehaote", "cn-wulanchabu", "cn-hangzhou", "cn-shanghai",
	"cn-nanjing", "cn-fuzhou", "cn-shenzhen", "cn-heyuan", "cn-guangzhou", "cn-chengdu", "cn-hongkong",
	"ap-northeast-1", "ap-northeast-2", "ap-southeast-1", "ap-southeast-3", "ap-southeast-5", "ap-southeast-6",
	"ap-southeast-7", "us-east-1", "us-west-1", "eu-west-1", "eu-central-1", "me-east-1", "me-central-1",
}

// ACK cluster specs; production needs Pro (SLA-backed control plane).
const (
	ackStandard = "ack.standard"
	ackPro      = "ack.pro.small"
)

// alicloudProfile is Alibaba Cloud: ACK on VSwitches (Terway pod VSwitches, or a flannel pod CIDR), ACR
// Enterprise, and ACK's nginx-ingress-controller addon serving the nginx ingress class.
var alicloudProfile = cloudProfile{
	provisions:        true,
	kubernetesVersion: "1.33.3-aliyun.1",
	instanceTypes:     []string{"ecs.g7.xlarge", "ecs.g6.xlarge"},
	serviceCIDR:       "172.21.0.0/20",
	addons: []Addon{
		{Name: "terway-eniip"},
		{Name: "ack-pod-identity-webhook"},
		{Name: "csi-plugin"},
		{Name: "csi-provisioner"},
		{Name: "nginx-ingress-controller", Config: `{"IngressSlbNetworkType":"internet"}`},
		{Name: "logtail-ds", Config: `{"IngressDashboardEnabled":"true"}`},
	},
	ingressClass:  func(*Config) string { return "nginx" },
	exampleRegion: "cn-hangzhou",
	regionProblem: func(region string) string {
		if slices.Contains(AlicloudRegions, region) {
			return ""
		}
		return "is not an Alibaba Cloud region with ACK; allowed: " + strings.Join(AlicloudRegions, ", ")
	},
	exampleZone: func(region string) string { return region + "-h" },
	minZones:    1,
	subnetTiers: func(c *Config) []netplan.Tier {
		podPrefix := 0
		if c.UsesTerway() {
			podPrefix = c.Network.PublicSubnetPrefix
		}
		return netplan.AlicloudTiers(c.Network.PrivateSubnetPrefix, podPrefix)
	},
	maxSubnetPrefix:  netplan.MaxPrefixAlicloud,
	fullVersion:      true,
	podCIDR:          true,
	existingRegistry: true,
	applyDefaults: func(c *Config) {
		c.Cluster.Spec = orDefault(c.Cluster.Spec, ackPro)
		c.Registry.InstanceSpec = orDefault(c.Registry.InstanceSpec, "Basic")
	},
	validate: validateAlicloud,
}

// UsesTerway reports whether an ACK cluster uses Terway (pod VSwitches) rather than flannel (a pod CIDR).
func (c *Config) UsesTerway() bool { return c.Cluster.PodCIDR == "" }

func validateAlicloud(c *Config, p *problems) {
	k, g := &c.Cluster, &c.Registry
	switch k.Spec {
	case ackStandard, ackPro:
	default:
		p.add("cluster.spec", "%q is not an ACK spec; allowed: %s, %s", k.Spec, ackStandard, ackPro)
	}
	if c.IsProduction() && k.Spec != ackPro {
		p.add("cluster.spec", "is %q, but production needs %s (SLA-backed control plane)", k.Spec, ackPro)
	}
	if !dnsLabel.MatchString(g.Namespace) || len(g.Namespace) < 2 || len(g.Namespace) > 30 {
		p.add("registry.namespace", "%q is not an ACR namespace (2-30 lower-case letters, digits, '-')", g.Namespace)
	}
	switch g.InstanceSpec {
	case "Basic", "Standard", "Advanced":
	default:
		p.add("registry.instanceSpec", "%q is not an ACR Enterprise edition; allowed: Basic, Standard, Advanced", g.InstanceSpec)
	}
	if g.ExistingInstanceID != "" && !strings.HasPrefix(g.ExistingInstanceID, "cri-") {
		p.add("registry.existingInstanceId", "%q is not an ACR instance id (cri-...)", g.ExistingInstanceID)
	}
}
