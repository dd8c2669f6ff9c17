package config

import (
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	awsc "github.com/wechat-deploy/wechat-deploy/components/aws"
	"github.com/wechat-deploy/wechat-deploy/components/netplan"
	"github.com/wechat-deploy/wechat-deploy/components/platform"
)

var iamPrincipalARN = regexp.MustCompile(`^arn:aws(-cn|-us-gov)?:(iam|sts)::[0-9]{12}:(role|user|assumed-role)/[\w+=,.@/-]+$`)

// awsProfile is AWS: EKS on a VPC with private and public subnets in at least two zones, ECR, and the AWS Load
// Balancer Controller serving the alb ingress class (its chart's default class name).
var awsProfile = cloudProfile{
	provisions:        true,
	kubernetesVersion: "1.33",
	instanceTypes:     []string{"m6i.large", "m5.large"},
	serviceCIDR:       "172.20.0.0/16",
	// The addons pinned for the cluster's version in the EKS release table (none for a version it lacks,
	// which validation reports).
	addons: func(version string) []Addon {
		release, _ := awsc.EKSReleaseOf(version)
		out := make([]Addon, len(release.Addons))
		for i, a := range release.Addons {
			out[i] = Addon(a)
		}
		return out
	},
	certificatesFromCloud: true,
	ingressClass:          func(*Config) string { return "alb" },
	title:                 "an AWS region with EKS",
	exampleRegion:         "us-east-1",
	regions:               regionZones("aws-regions.tsv"),
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
		tiers := netplan.AWSTiers(c.Network.PrivateSubnetPrefix, c.Network.PublicSubnetPrefix)
		if c.Database.Provision {
			tiers = append(tiers, netplan.Tier{Name: netplan.AWSDatabaseTier, Prefix: netplan.DatabasePrefix(c.Network.PublicSubnetPrefix, netplan.MaxPrefixAWS)})
		}
		return tiers
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
	applyDefaults: func(c *Config) {
		k := &c.Cluster
		if k.DeliveryRoles == nil {
			on := true
			k.DeliveryRoles = &on
		}
		k.UpgradePolicy = orDefault(k.UpgradePolicy, awsc.UpgradeExtended)
	},
	validate: validateAWS,
}

// today is the date support-calendar rules are judged on; tests move it.
var today = func() time.Time { return time.Now().UTC() }

// validateAWS checks the cluster version against the EKS release table (addons, support calendar), that
// someone can administer the cluster, and where the load balancer's certificate comes from.
func validateAWS(c *Config, p *problems) {
	k, a := &c.Cluster, &c.App
	release, known := awsc.EKSReleaseOf(k.Version)
	if !known {
		p.add("cluster.version", "%q is not in the EKS release table (components/aws/versions.go), which pins the addons per version; use one of %s",
			k.Version, strings.Join(awsc.SupportedEKSVersions(), ", "))
	}
	switch k.UpgradePolicy {
	case awsc.UpgradeStandard, awsc.UpgradeExtended:
		if known {
			if end := release.UpgradedByAWSAfter(k.UpgradePolicy); !today().Before(end) {
				p.add("cluster.version", "Kubernetes %s left EKS %s support on %s: AWS upgrades such clusters itself and the next up would try to downgrade; move to a newer version of the table (%s)",
					k.Version, strings.ToLower(k.UpgradePolicy), end.Format(time.DateOnly), strings.Join(awsc.SupportedEKSVersions(), ", "))
			}
		}
	default:
		p.add("cluster.upgradePolicy", "%q is not an EKS upgrade policy; allowed: %s, %s", k.UpgradePolicy, awsc.UpgradeExtended, awsc.UpgradeStandard)
	}
	for i, ad := range k.Addons {
		key := fmt.Sprintf("cluster.addons[%d]", i)
		if j := slices.IndexFunc(release.Addons, func(r platform.Addon) bool { return r.Name == ad.Name }); j >= 0 && release.Addons[j].Version != ad.Version {
			p.add(key+".version", "%q differs from %s, the version the EKS release table pins for Kubernetes %s; change the table (components/aws/versions.go), not the stack", ad.Version, release.Addons[j].Version, k.Version)
		}
		if ad.Name == "vpc-cni" {
			var cfg map[string]any
			if err := json.Unmarshal([]byte(ad.Config), &cfg); err != nil || cfg["enableNetworkPolicy"] != "true" {
				p.add(key+".config", "must set \"enableNetworkPolicy\": \"true\" (a string): without it EKS stores NetworkPolicies and enforces none, so the app's default-deny would not hold")
			}
		}
	}
	if len(k.Admins) == 0 && k.DeliveryRoles != nil && !*k.DeliveryRoles {
		p.add("cluster.admins", "is empty and cluster.deliveryRoles is false: nobody could reach the cluster (the creator gets no access entry); list the IAM roles that run pulumi up")
	}
	if a.HostedZone != "" {
		switch {
		case a.Domain == "":
			p.add("app.hostedZone", "is set but app.domain is empty: name the host to publish in %s", a.HostedZone)
		case !awsc.InZone(a.Domain, a.HostedZone):
			p.add("app.hostedZone", "%q does not hold app.domain %q: name the zone the domain is in (e.g. %s)", a.HostedZone, a.Domain, parentZone(a.Domain))
		}
	}
	if !a.TLS.Enabled {
		return
	}
	if a.TLS.ClusterIssuer != "" {
		p.add("app.tls.clusterIssuer", "does not apply on aws: the ALB serves ACM certificates only; remove it and set app.hostedZone (a DNS-validated certificate is issued) or app.tls.certificateArn")
	}
	if a.TLS.SecretName != "" {
		p.add("app.tls.secretName", "does not apply on aws: the ALB serves ACM certificates only, never a Kubernetes Secret")
	}
	if a.TLS.CertificateARN == "" && a.HostedZone == "" {
		p.add("app.tls.enabled", "is true but the ALB has no certificate: set app.hostedZone (the Route 53 zone of %s; a DNS-validated ACM certificate is issued) or app.tls.certificateArn", orDefault(a.Domain, "app.domain"))
	}
}

// parentZone is the zone a host most likely lives in (api.example.com → example.com).
func parentZone(host string) string {
	if _, rest, ok := strings.Cut(host, "."); ok && strings.Contains(rest, ".") {
		return rest
	}
	return host
}
