package config

import (
	"regexp"

	"github.com/wechat-deploy/wechat-deploy/components/netplan"
)

var (
	awsRegion       = regexp.MustCompile(`^(us|eu|ap|sa|ca|me|af|il|mx)(-gov)?-[a-z]+-[0-9]$`)
	awsChinaRegion  = regexp.MustCompile(`^cn-(north|northwest)-1$`)
	iamPrincipalARN = regexp.MustCompile(`^arn:aws(-cn|-us-gov)?:(iam|sts)::[0-9]{12}:(role|user|assumed-role)/[\w+=,.@/-]+$`)
)

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
	exampleRegion: "us-east-1",
	regionProblem: func(region string) string {
		if awsRegion.MatchString(region) || awsChinaRegion.MatchString(region) {
			return ""
		}
		return "is not an AWS region; want e.g. us-east-1, eu-west-2 or cn-north-1"
	},
	exampleZone: func(region string) string { return region + "a" },
	// EKS needs subnets in two zones.
	minZones: 2,
	subnetTiers: func(c *Config) []netplan.Tier {
		return netplan.AWSTiers(c.Network.PrivateSubnetPrefix, c.Network.PublicSubnetPrefix)
	},
	maxSubnetPrefix: netplan.MaxPrefixAWS,
	pinnedAddons:    true,
	adminARN:        iamPrincipalARN,
	applyDefaults:   noCloudDefaults,
	validate:        noCloudRules,
}
