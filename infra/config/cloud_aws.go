package config

import (
	"regexp"
	"strings"

	"github.com/wechat-deploy/wechat-deploy/components/netplan"
)

var iamPrincipalARN = regexp.MustCompile(`^arn:aws(-cn|-us-gov)?:(iam|sts)::[0-9]{12}:(role|user|assumed-role)/[\w+=,.@/-]+$`)

// awsProfile is AWS: EKS on a VPC with private and public subnets in at least two zones, ECR, and the AWS Load
// Balancer Controller serving the alb ingress class (its chart's default class name).
var awsProfile = cloudProfile{
	provisions:        true,
	kubernetesVersion: "1.33",
	instanceTypes:     []string{"m6i.large", "m5.large"},
	serviceCIDR:       "172.20.0.0/16",
	// Versions pinned for Kubernetes 1.33.
	addons: []Addon{
		{Name: "vpc-cni", Version: "v1.19.5-eksbuild.1"},
		{Name: "coredns", Version: "v1.12.1-eksbuild.2"},
		{Name: "kube-proxy", Version: "v1.33.0-eksbuild.2"},
		{Name: "eks-pod-identity-agent", Version: "v1.3.7-eksbuild.2"},
	},
	ingressClass:  func(*Config) string { return "alb" },
	title:         "an AWS region with EKS",
	exampleRegion: "us-east-1",
	regions:       regionZones("aws-regions.tsv"),
	instanceFamily: func(it string) (string, bool) {
		family, size, ok := strings.Cut(it, ".")
		return family, ok && size != ""
	},
	nodeImage: func(arch string) string {
		return limit(CloudAWS, map[string]string{ArchAMD64: "eks_node_ami_type_default_x86_64", ArchARM64: "eks_node_ami_type_default_arm64"}[arch])
	},
	exampleZone: func(region string) string { return region + "a" },
	// EKS needs subnets in two zones.
	minZones: 2,
	subnetTiers: func(c *Config) []netplan.Tier {
		return netplan.AWSTiers(c.Network.PrivateSubnetPrefix, c.Network.PublicSubnetPrefix)
	},
	maxSubnetPrefix: netplan.MaxPrefixAWS,
	pinnedAddons:    true,
	// Tagging rules (facts/limits.tsv). Subnets carry 3 tags of the program's besides the 4 identifying ones.
	tagLimits: tagLimits{
		maxTags: limitInt(CloudAWS, "max_tags_per_resource"), maxKey: limitInt(CloudAWS, "tag_key_max_length"),
		maxValue: limitInt(CloudAWS, "tag_value_max_length"), reserved: limitList(CloudAWS, "reserved_tag_prefix"),
	},
	programTags: 7,
	// The periods CloudWatch Logs PutRetentionPolicy accepts (0, never expire, is not offered here).
	logRetentionDays: limitInts(CloudAWS, "cloudwatch_log_retention_days_api"),
	// EKS serviceIpv4Cidr: inside the private ranges, prefix length in this range, not overlapping the VPC.
	serviceCIDRPrefix: limitRange(CloudAWS, "eks_service_ipv4_cidr_prefix_length"),
	adminARN:          iamPrincipalARN,
	applyDefaults:     noCloudDefaults,
	validate:          noCloudRules,
}
