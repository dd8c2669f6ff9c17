package aws

import (
	"slices"
	"time"

	"github.com/wechat-deploy/wechat-deploy/components/platform"
)

// EKSRelease is one Kubernetes minor version as this program runs it on EKS: the support calendar AWS publishes
// for it and the managed addons pinned for it. Cluster version and addon versions live in this one table, so a
// version bump is one row and a version without a row is refused by the stack's configuration.
type EKSRelease struct {
	// Version is the Kubernetes minor version (1.33).
	Version string
	// StandardSupportEnd and ExtendedSupportEnd are the dates (UTC) on which EKS standard and extended support
	// of this version end: after the first, a cluster with upgrade policy STANDARD is upgraded by AWS; after the
	// second, every cluster is.
	StandardSupportEnd, ExtendedSupportEnd string
	// Addons are the managed addons installed on a cluster of this version, pinned.
	Addons []platform.Addon
	// CloudWatchObservability is the amazon-cloudwatch-observability addon (CloudWatch Container Insights and
	// its Fluent Bit log shipping), installed when the stack asks for Container Insights.
	CloudWatchObservability platform.Addon
	// MetricsServerChart is the metrics-server Helm chart (kubernetes-sigs.github.io/metrics-server) whose
	// app version supports this Kubernetes version: the HorizontalPodAutoscaler reads pod CPU and memory from it.
	MetricsServerChart string
}

// Upgrade policies of an EKS cluster (upgradePolicy.supportType).
const (
	// UpgradeStandard lets AWS upgrade the cluster when standard support of its version ends.
	UpgradeStandard = "STANDARD"
	// UpgradeExtended keeps the cluster on its version through extended support (billed per cluster-hour
	// above standard support once that ends).
	UpgradeExtended = "EXTENDED"
)

// vpcCNINetworkPolicy is the vpc-cni configuration that starts its network policy agent: without it EKS
// accepts NetworkPolicy objects and enforces none of them.
const vpcCNINetworkPolicy = `{"enableNetworkPolicy":"true"}`

// EKSReleases are the versions this program supports on EKS, oldest first. Support dates: the Amazon EKS
// Kubernetes release calendar (docs.aws.amazon.com/eks/latest/userguide/kubernetes-versions.html).
var EKSReleases = []EKSRelease{
	{
		Version:            "1.33",
		StandardSupportEnd: "2026-07-29", ExtendedSupportEnd: "2027-07-29",
		Addons: []platform.Addon{
			{Name: "vpc-cni", Version: "v1.19.5-eksbuild.1", Config: vpcCNINetworkPolicy},
			{Name: "coredns", Version: "v1.12.1-eksbuild.2"},
			{Name: "kube-proxy", Version: "v1.33.0-eksbuild.2"},
			{Name: "eks-pod-identity-agent", Version: "v1.3.7-eksbuild.2"},
		},
		// Chart 4.5.0 of aws-observability/helm-charts, the addon's source; Pod Identity since 3.1.0
		// (testdata/upstream/eks-observability-facts.md).
		CloudWatchObservability: platform.Addon{Name: CloudWatchObservabilityAddon, Version: "v4.5.0-eksbuild.1"},
		// Chart 3.12.2 is metrics-server 0.7.2, which supports Kubernetes 1.27 and later.
		MetricsServerChart: "3.12.2",
	},
}

// EKSReleaseOf returns the table's row for a Kubernetes minor version.
func EKSReleaseOf(version string) (EKSRelease, bool) {
	i := slices.IndexFunc(EKSReleases, func(r EKSRelease) bool { return r.Version == version })
	if i < 0 {
		return EKSRelease{}, false
	}
	return EKSReleases[i], true
}

// SupportedEKSVersions lists the table's versions.
func SupportedEKSVersions() []string {
	out := make([]string, len(EKSReleases))
	for i, r := range EKSReleases {
		out[i] = r.Version
	}
	return out
}

// UpgradedByAWSAfter returns the date after which AWS upgrades a cluster of this release running with the
// given upgrade policy past the pinned version (the end of standard or extended support).
func (r EKSRelease) UpgradedByAWSAfter(policy string) time.Time {
	end := r.ExtendedSupportEnd
	if policy == UpgradeStandard {
		end = r.StandardSupportEnd
	}
	t, err := time.Parse(time.DateOnly, end)
	if err != nil {
		panic("EKS release table: bad date " + end) // a test parses every row
	}
	return t
}
