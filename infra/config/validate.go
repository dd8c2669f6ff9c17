package config

import (
	"encoding/json"
	"fmt"
	"maps"
	"net/netip"
	"net/url"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/wechat-deploy/wechat-deploy/app/contract"
	alic "github.com/wechat-deploy/wechat-deploy/components/alicloud"
	awsc "github.com/wechat-deploy/wechat-deploy/components/aws"
	"github.com/wechat-deploy/wechat-deploy/components/incluster"
	"github.com/wechat-deploy/wechat-deploy/components/netplan"
	"github.com/wechat-deploy/wechat-deploy/components/workload"
	"github.com/wechat-deploy/wechat-deploy/policy/rules"
)

var (
	dnsLabel       = workload.DNSLabel
	k8sVersion     = regexp.MustCompile(`^1\.([0-9]{2})(\.[0-9]+(-aliyun\.[0-9]+)?)?$`)
	envName        = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
	imageDigest    = regexp.MustCompile(`@sha256:[0-9a-f]{64}$`)
	iamRoleARN     = regexp.MustCompile(`^arn:aws(-cn|-us-gov)?:iam::[0-9]{12}:role/[\w+=,.@/-]+$`)
	acmARN         = regexp.MustCompile(`^arn:aws(-cn|-us-gov)?:acm:[a-z0-9-]+:[0-9]{12}:certificate/[0-9a-f-]+$`)
	registryHost   = regexp.MustCompile(`^[a-z0-9]([-a-z0-9.]*[a-z0-9])?(:[0-9]{1,5})?$`)
	durationLike   = regexp.MustCompile(`^[0-9]+(ns|us|ms|s|m|h)([0-9]+(ns|us|ms|s|m|h))*$`)
	repositoryName = regexp.MustCompile(`^[a-z0-9]+([._-][a-z0-9]+)*(/[a-z0-9]+([._-][a-z0-9]+)*)*$`)
	imageTag       = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$`)
)

// Supported Kubernetes minor versions (EKS and ACK standard support windows).
const (
	MinKubernetesMinor = 30
	MaxKubernetesMinor = 34
)

// ReservedEnv are the environment variables the workload sets itself (the app's contract); app.env may not
// override them.
var ReservedEnv = func() []string {
	names := []string{
		contract.EnvHTTPAddr, contract.EnvLogLevel, contract.EnvWeChatAPIBase, contract.EnvTokenTTL,
		contract.EnvShutdownTimeout, contract.EnvSecretsDir, contract.EnvEnvironment,
	}
	for _, env := range contract.SecretEnv {
		names = append(names, env)
	}
	slices.Sort(names)
	return names
}()

func validate(c *Config, p *problems) {
	prof := profileOf(c.Cloud)
	switch {
	case c.Cloud == "":
		p.add("cloud", "is required; allowed: %s", joinClouds())
		return
	case prof == nil:
		p.add("cloud", "%q is not a supported cloud; allowed: %s", c.Cloud, joinClouds())
		return
	}
	if !dnsLabel.MatchString(c.Environment) || len(c.Environment) > 20 {
		p.add("environment", "%q is not a DNS label of at most 20 characters (lower-case letters, digits, '-')", c.Environment)
	}
	if LooksProduction(c.Stack, c.Environment) && !c.Production {
		p.add("production", "is false but stack %q (environment %q) looks like production; set production: true (or rename the stack and environment)", c.Stack, c.Environment)
	}
	validateApp(c, p)
	validateObservability(c, p)
	validateDatabase(c, p)
	validateTags(c, prof, p)
	if prof.provisions {
		validateRegion(c, prof, p)
		validateNetwork(c, prof, p)
		validateCluster(c, prof, p)
		validateRegistry(c, prof, p)
		if c.IsProduction() && !c.Protect {
			p.add("protect", "is false, but a production stack must protect its VPC, cluster, KMS key and registry; set protect: true")
		}
	}
	prof.validate(c, p)
}

// LooksProduction reports whether a stack or environment is named like a production one (prod, prod-cn,
// eu-prod, ...): such a stack is production whatever its production setting says. It is the policy pack's own
// test, so the two cannot disagree.
func LooksProduction(stack, environment string) bool {
	return rules.LooksProduction(stack) || rules.LooksProduction(environment)
}

// systemNamespaces belong to the cluster: the app's restricted-PSS labels, default-deny policy and deletion on
// destroy would break or remove what runs there.
var systemNamespaces = []string{"default", "kube-system", "kube-public", "kube-node-lease"}

// awsNetworkingAddons are the addons an EKS cluster created without its self-managed addons needs before any
// node is Ready (pod networking, Service routing, DNS).
var awsNetworkingAddons = []string{"vpc-cni", "kube-proxy", "coredns"}

func joinClouds() string {
	s := make([]string, len(Clouds))
	for i, c := range Clouds {
		s[i] = string(c)
	}
	return strings.Join(s, ", ")
}

func validateRegion(c *Config, prof *cloudProfile, p *problems) {
	if c.Region == "" {
		p.add("region", "is required for cloud %s; e.g. %s", c.Cloud, prof.exampleRegion)
	} else if _, ok := prof.regions[c.Region]; !ok {
		p.add("region", "%q is not %s%s; known regions (facts/%s-regions.tsv): %s",
			c.Region, prof.title, didYouMean(c.Region, slices.Sorted(maps.Keys(prof.regions))), c.Cloud, strings.Join(slices.Sorted(maps.Keys(prof.regions)), ", "))
	}
}

func prefixBits(cidr string) (int, bool) {
	pfx, err := netip.ParsePrefix(cidr)
	if err != nil {
		return 0, false
	}
	return pfx.Bits(), true
}

func isPrivate(p netip.Prefix) bool {
	for _, s := range contract.PrivateIPv4Ranges {
		if r := netip.MustParsePrefix(s); r.Contains(p.Addr()) && p.Bits() >= r.Bits() {
			return true
		}
	}
	return false
}

func validateNetwork(c *Config, prof *cloudProfile, p *problems) {
	n := &c.Network
	vpc, err := netip.ParsePrefix(n.CIDR)
	switch {
	case err != nil || !vpc.Addr().Is4():
		p.add("network.cidr", "%q is not an IPv4 CIDR; want e.g. 10.0.0.0/16", n.CIDR)
		return
	case vpc.Masked() != vpc:
		p.add("network.cidr", "%q has host bits set; use %s", n.CIDR, vpc.Masked())
		return
	case !isPrivate(vpc):
		p.add("network.cidr", "%q is not inside a private range; allowed: %s", n.CIDR, strings.Join(contract.PrivateIPv4Ranges, ", "))
		return
	case vpc.Bits() < 16 || vpc.Bits() > 24:
		p.add("network.cidr", "%q has prefix /%d; allowed: /16 to /24", n.CIDR, vpc.Bits())
		return
	}
	minZones := prof.minZones
	if c.IsProduction() {
		// Production must survive the loss of one zone.
		minZones = max(minZones, 2)
	}
	if n.Zones < minZones || n.Zones > 6 {
		p.add("network.zones", "%d is out of range; allowed: %d to 6 for this stack", n.Zones, minZones)
		return
	}
	if have, ok := prof.regions[c.Region]; ok && n.Zones > have {
		p.add("network.zones", "%d zones requested, but %s has %d usable ones; use at most %d", n.Zones, c.Region, have, have)
	}
	if len(n.AvailabilityZones) > 0 {
		if len(n.AvailabilityZones) != n.Zones {
			p.add("network.availabilityZones", "lists %d zone(s) but network.zones is %d; list exactly one per zone", len(n.AvailabilityZones), n.Zones)
		}
		seen := map[string]bool{}
		for _, z := range n.AvailabilityZones {
			if !strings.HasPrefix(z, c.Region) || len(z) == len(c.Region) {
				p.add("network.availabilityZones", "%q is not a zone of region %s (want e.g. %s)", z, c.Region, prof.exampleZone(c.Region))
			}
			if seen[z] {
				p.add("network.availabilityZones", "lists %q twice", z)
			}
			seen[z] = true
		}
	}
	if n.NATMode != NATSingle && n.NATMode != NATPerZone {
		p.add("network.natMode", "%q is not a NAT mode; allowed: %s, %s", n.NATMode, NATSingle, NATPerZone)
	}
	if c.IsProduction() && n.NATMode != NATPerZone {
		p.add("network.natMode", "is %q, but production needs %s so that losing a zone does not cut egress", n.NATMode, NATPerZone)
	}
	validateRetention("network.flowLogRetentionDays", n.FlowLogRetentionDays, prof.logRetentionDays, defaultRetentionBounds, p)
	if c.IsProduction() && n.FlowLogRetentionDays < rules.MinFlowLogDays {
		p.add("network.flowLogRetentionDays", "%d days: production keeps flow logs at least %d (intrusions are found months later)", n.FlowLogRetentionDays, rules.MinFlowLogDays)
	}
	if _, err := netplan.Plan(vpc, n.Zones, prof.subnetTiers(c), prof.maxSubnetPrefix); err != nil {
		p.add("network.cidr", "cannot hold the subnets: %v; use a larger CIDR, fewer zones or other subnet prefixes", err)
	}
	lo, hi := prof.serviceCIDRPrefix[0], prof.serviceCIDRPrefix[1]
	switch svc, err := netip.ParsePrefix(c.Cluster.ServiceCIDR); {
	case err != nil || svc.Masked() != svc || !svc.Addr().Is4():
		p.add("cluster.serviceCidr", "%q is not an IPv4 CIDR; want e.g. 172.20.0.0/16", c.Cluster.ServiceCIDR)
	case !isPrivate(svc):
		p.add("cluster.serviceCidr", "%q is not inside a private range; %s takes one of %s", c.Cluster.ServiceCIDR, c.Cloud, strings.Join(contract.PrivateIPv4Ranges, ", "))
	case svc.Bits() < lo || svc.Bits() > hi:
		p.add("cluster.serviceCidr", "%q has prefix /%d; %s takes /%d to /%d", c.Cluster.ServiceCIDR, svc.Bits(), c.Cloud, lo, hi)
	case svc.Overlaps(vpc):
		p.add("cluster.serviceCidr", "%s overlaps the VPC %s; pick a range outside it", svc, vpc)
	}
	if c.Cluster.PodCIDR != "" {
		if !prof.podCIDR {
			p.add("cluster.podCidr", "is only used on alicloud (flannel); aws pods take VPC addresses")
		} else if pod, err := netip.ParsePrefix(c.Cluster.PodCIDR); err != nil || pod.Masked() != pod {
			p.add("cluster.podCidr", "%q is not a CIDR; want e.g. 172.20.0.0/16", c.Cluster.PodCIDR)
		} else if pod.Overlaps(vpc) {
			p.add("cluster.podCidr", "%s overlaps the VPC %s; pick a range outside it", pod, vpc)
		} else if !isPrivate(pod) {
			// The node security group admits the pod range on every port: a public range would open the nodes.
			p.add("cluster.podCidr", "%s is not inside a private range; allowed: %s", pod, strings.Join(contract.PrivateIPv4Ranges, ", "))
		}
	}
}

func validateCluster(c *Config, prof *cloudProfile, p *problems) {
	k := &c.Cluster
	if m := k8sVersion.FindStringSubmatch(k.Version); m == nil {
		p.add("cluster.version", "%q is not a Kubernetes version; want e.g. 1.33", k.Version)
	} else if minor, _ := strconv.Atoi(m[1]); minor < MinKubernetesMinor || minor > MaxKubernetesMinor {
		p.add("cluster.version", "%q is not supported; allowed: 1.%d to 1.%d", k.Version, MinKubernetesMinor, MaxKubernetesMinor)
	} else if !prof.fullVersion && m[2] != "" {
		p.add("cluster.version", "%q: EKS takes a minor version only, e.g. 1.%s", k.Version, m[1])
	} else if prof.fullVersion && m[3] == "" {
		p.add("cluster.version", "%q: ACK takes a full version, e.g. 1.%s.3-aliyun.1", k.Version, m[1])
	}
	if len(k.InstanceTypes) == 0 {
		p.add("cluster.instanceTypes", "is empty; list at least one instance type")
	}
	validateInstanceTypes(c, prof, p)
	switch {
	case k.MinNodes < 1:
		p.add("cluster.minNodes", "%d is too small; allowed: at least 1", k.MinNodes)
	case k.MaxNodes > 100:
		p.add("cluster.maxNodes", "%d is too large; allowed: at most 100", k.MaxNodes)
	case k.MinNodes > k.MaxNodes:
		p.add("cluster.minNodes", "%d is greater than cluster.maxNodes %d", k.MinNodes, k.MaxNodes)
	case k.DesiredNodes < k.MinNodes || k.DesiredNodes > k.MaxNodes:
		p.add("cluster.desiredNodes", "%d is outside [minNodes %d, maxNodes %d]", k.DesiredNodes, k.MinNodes, k.MaxNodes)
	}
	if c.IsProduction() && k.MinNodes < 2 {
		p.add("cluster.minNodes", "%d: production needs at least 2 nodes", k.MinNodes)
	}
	if k.DiskSizeGiB < 20 || k.DiskSizeGiB > 2048 {
		p.add("cluster.diskSizeGiB", "%d is out of range; allowed: 20 to 2048", k.DiskSizeGiB)
	}
	validateRetention("cluster.logRetentionDays", k.LogRetentionDays, prof.logRetentionDays, prof.controlPlaneLogBounds(), p)
	if c.IsProduction() && k.LogRetentionDays < rules.MinAuditLogDays {
		p.add("cluster.logRetentionDays", "%d days: production keeps control-plane and audit logs at least %d (six months, China's Cybersecurity Law Art. 21)", k.LogRetentionDays, rules.MinAuditLogDays)
	}
	validateEndpoint(c, p)
	seen := map[string]bool{}
	for i, a := range k.Addons {
		key := fmt.Sprintf("cluster.addons[%d]", i)
		switch {
		case !dnsLabel.MatchString(a.Name):
			p.add(key+".name", "%q is not an addon name", a.Name)
		case seen[a.Name]:
			p.add(key+".name", "%q is listed twice", a.Name)
		case prof.pinnedAddons && a.Version == "":
			p.add(key+".version", "is empty; EKS addons must be pinned (e.g. v1.19.5-eksbuild.1 for vpc-cni)")
		}
		seen[a.Name] = true
		if a.Config != "" && !json.Valid([]byte(a.Config)) {
			p.add(key+".config", "is not valid JSON")
		}
	}
	for i, admin := range k.Admins {
		key := fmt.Sprintf("cluster.admins[%d]", i)
		switch {
		case prof.adminARN != nil && !prof.adminARN.MatchString(admin):
			p.add(key, "%q is not an IAM role or user ARN", admin)
		case slices.Contains(k.Admins[:i], admin):
			// EKS allows one access entry per principal: the second would fail after the first was created.
			p.add(key, "%q is listed twice", admin)
		}
	}
	if prof.pinnedAddons {
		for _, want := range awsNetworkingAddons {
			if !slices.ContainsFunc(k.Addons, func(a Addon) bool { return a.Name == want }) {
				p.add("cluster.addons", "lacks %s: the cluster is created without self-managed addons, so without it nodes never become Ready (list it with a pinned version, e.g. from the default list)", want)
			}
		}
	}
	if k.KubeconfigRoleARN != "" && !iamRoleARN.MatchString(k.KubeconfigRoleARN) {
		p.add("cluster.kubeconfigRoleArn", "%q is not an IAM role ARN", k.KubeconfigRoleARN)
	}
}

// validateInstanceTypes checks each instance type against the cloud's known families, that the node group
// has one CPU architecture, and that a built image is for that architecture.
func validateInstanceTypes(c *Config, prof *cloudProfile, p *problems) {
	archs := map[string][]string{}
	for _, it := range c.Cluster.InstanceTypes {
		family, ok := prof.instanceFamily(it)
		arch, known := instanceFamilies[c.Cloud][family]
		switch {
		case strings.TrimSpace(it) == "" || strings.ContainsAny(it, " /") || !ok:
			p.add("cluster.instanceTypes", "%q is not an instance type; want e.g. %s", it, prof.instanceTypes[0])
		case !known:
			p.add("cluster.instanceTypes", "%q is not of an instance family this program knows for %s (facts/instance-families.tsv)", it, c.Cloud)
		default:
			archs[arch] = append(archs[arch], it)
		}
	}
	if len(archs) > 1 {
		p.add("cluster.instanceTypes", "mixes CPU architectures (amd64: %s; arm64: %s); a node group runs one node image, so pick one architecture",
			strings.Join(archs[ArchAMD64], ", "), strings.Join(archs[ArchARM64], ", "))
		return
	}
	if want := "linux/" + c.NodeArch(); len(archs) == 1 && c.App.Image == "" && c.App.Build.Platform != want {
		p.add("app.build.platform", "is %q, but the nodes (%s) are %s; the image would not start: set app.build.platform: %s",
			c.App.Build.Platform, strings.Join(c.Cluster.InstanceTypes, ", "), c.NodeArch(), want)
	}
}

// defaultRetentionBounds are the retention days accepted where the cloud names no other bounds.
var defaultRetentionBounds = [2]int{1, 3653}

// validateRetention checks a log retention against the cloud's accepted periods (when it has a list) and the
// bounds.
func validateRetention(key string, days int, accepted []int, bounds [2]int, p *problems) {
	switch {
	case len(accepted) > 0 && !slices.Contains(accepted, days):
		p.add(key, "%d is not a retention the log service accepts; allowed: %s", days, joinInts(accepted))
	case days < bounds[0] || days > bounds[1]:
		p.add(key, "%d is out of range; allowed: %d to %d", days, bounds[0], bounds[1])
	}
}

func joinInts(v []int) string {
	s := make([]string, len(v))
	for i, n := range v {
		s[i] = strconv.Itoa(n)
	}
	return strings.Join(s, ", ")
}

func validateEndpoint(c *Config, p *problems) {
	e := &c.Cluster.Endpoint
	if !e.Public && !e.Private {
		p.add("cluster.endpoint", "has neither public nor private access; enable at least one")
	}
	if e.Public && len(e.PublicAccessCIDRs) == 0 {
		p.add("cluster.endpoint.publicAccessCidrs", "is empty while the endpoint is public; list the CIDRs allowed to reach the API")
	}
	if !e.Public && len(e.PublicAccessCIDRs) > 0 {
		p.add("cluster.endpoint.publicAccessCidrs", "is set but the endpoint is not public")
	}
	validateCIDRList("cluster.endpoint.publicAccessCidrs", e.PublicAccessCIDRs, c.IsProduction(), "the production API server", p)
}

// validateCIDRList checks a list of IPv4 network CIDRs; when strict (production) it refuses any that, alone or
// together, admit the whole internet to what.
func validateCIDRList(key string, cidrs []string, strict bool, what string, p *problems) {
	for i, s := range cidrs {
		pfx, err := netip.ParsePrefix(s)
		k := fmt.Sprintf("%s[%d]", key, i)
		switch {
		case err != nil || !pfx.Addr().Is4() || pfx.Masked() != pfx:
			p.add(k, "%q is not an IPv4 CIDR", s)
		case pfx.Bits() == 0 && strict:
			p.add(k, "%q opens %s to the whole internet; list your office, VPN or CI egress ranges", s, what)
		}
	}
	if open, ok := rules.OpenToInternet(cidrs); ok && strict && !slices.Contains(cidrs, "0.0.0.0/0") {
		// However it is split (0.0.0.0/1 + 128.0.0.0/1), it is not for the whole internet.
		p.add(key, "admit the internet: %s; list your office, VPN or CI egress ranges", open)
	}
}

func validateRegistry(c *Config, prof *cloudProfile, p *problems) {
	g := &c.Registry
	if !repositoryName.MatchString(g.Name) || len(g.Name) > 64 {
		p.add("registry.name", "%q is not a repository name (lower-case letters, digits, '.', '_', '-', '/')", g.Name)
	}
	if g.KeepImages < rules.MinKeptImages || g.KeepImages > 1000 {
		// Fewer and a few pushes expire the releases a rollback needs (the pack's aws-ecr-keeps-rollback-images).
		p.add("registry.keepImages", "%d is out of range; allowed: %d to 1000 (enough images to roll back)", g.KeepImages, rules.MinKeptImages)
	}
	if !prof.existingRegistry && g.ExistingInstanceID != "" {
		p.add("registry.existingInstanceId", "is only used on alicloud")
	}
}

func validateApp(c *Config, p *problems) {
	a := &c.App
	if !dnsLabel.MatchString(a.Name) || len(a.Name) > 40 {
		p.add("app.name", "%q is not a DNS label of at most 40 characters (lower-case letters, digits, '-')", a.Name)
	}
	switch {
	case !dnsLabel.MatchString(a.Namespace):
		p.add("app.namespace", "%q is not a namespace name (DNS label)", a.Namespace)
	case slices.Contains(systemNamespaces, a.Namespace) || strings.HasPrefix(a.Namespace, "kube-"):
		p.add("app.namespace", "%q is a system namespace; the app gets a namespace of its own (its restricted Pod Security labels, default-deny NetworkPolicy and deletion on destroy would hit everything there)", a.Namespace)
	}
	validateBuildPath("app.build.context", a.Build.Context, p)
	validateBuildPath("app.build.dockerfile", a.Build.Dockerfile, p)
	switch a.Build.Builder {
	case BuilderGo, BuilderDocker:
	default:
		p.add("app.build.builder", "%q is not a builder; allowed: go (daemonless, the default), docker", a.Build.Builder)
	}
	if pkg := filepath.ToSlash(filepath.Clean(a.Build.Package)); !strings.HasPrefix(a.Build.Package, "./") || pkg == ".." || strings.HasPrefix(pkg, "../") {
		p.add("app.build.package", "%q is not a package path inside the build context; give it as go build takes it, e.g. ./app/cmd/server", a.Build.Package)
	}
	if a.Image != "" {
		validateImage(a.Image, p)
	}
	if a.Build.Tag != "" {
		if a.Build.Tag == "latest" || !imageTag.MatchString(a.Build.Tag) {
			p.add("app.build.tag", "%q is not allowed; use an immutable tag such as a git commit (never latest)", a.Build.Tag)
		}
	}
	if a.Build.Platform != "linux/amd64" && a.Build.Platform != "linux/arm64" {
		p.add("app.build.platform", "%q is not supported; allowed: linux/amd64, linux/arm64", a.Build.Platform)
	}
	minReplicas := 1
	if c.IsProduction() {
		minReplicas = 2
		if *a.Autoscaling && a.MinReplicas == a.MaxReplicas {
			// With min = max the workload gets no HorizontalPodAutoscaler at all.
			p.add("app.maxReplicas", "%d equals app.minReplicas, which turns autoscaling off; production scales with load: raise app.maxReplicas, or set app.autoscaling: false to run a fixed count on purpose", a.MaxReplicas)
		}
	}
	switch {
	case a.Replicas < minReplicas:
		p.add("app.replicas", "%d is too few for this stack; allowed: at least %d (production keeps serving during a rollout or node loss)", a.Replicas, minReplicas)
	case a.Replicas > rules.MaxReplicas:
		p.add("app.replicas", "%d is too many; allowed: at most %d", a.Replicas, rules.MaxReplicas)
	}
	if !*a.Autoscaling && (a.MinReplicas != a.MaxReplicas || a.Replicas != a.MinReplicas) {
		p.add("app.autoscaling", "is false, so the app runs a fixed count: set app.minReplicas and app.maxReplicas to app.replicas (%d)", a.Replicas)
	}
	if a.MaxReplicas > rules.MaxReplicas {
		// Every replica holds database connections: beyond this a flood scales into the database's limits.
		p.add("app.maxReplicas", "%d is too many; allowed: at most %d", a.MaxReplicas, rules.MaxReplicas)
	}
	switch {
	case a.MinReplicas < minReplicas:
		p.add("app.minReplicas", "%d is too few for this stack; allowed: at least %d", a.MinReplicas, minReplicas)
	case a.MinReplicas > a.MaxReplicas:
		p.add("app.minReplicas", "%d is greater than app.maxReplicas %d", a.MinReplicas, a.MaxReplicas)
	case a.Replicas < a.MinReplicas || a.Replicas > a.MaxReplicas:
		p.add("app.replicas", "%d is outside [minReplicas %d, maxReplicas %d]", a.Replicas, a.MinReplicas, a.MaxReplicas)
	}
	if a.CPUTarget < 10 || a.CPUTarget > 100 {
		p.add("app.cpuTargetPercent", "%d is out of range; allowed: 10 to 100", a.CPUTarget)
	}
	if a.MemoryTarget < 10 || a.MemoryTarget > 100 {
		p.add("app.memoryTargetPercent", "%d is out of range; allowed: 10 to 100", a.MemoryTarget)
	}
	validateResources(a.Resources, p)
	if a.Port < 1024 || a.Port > 65535 {
		p.add("app.port", "%d is out of range; allowed: 1024 to 65535 (the container runs as non-root)", a.Port)
	}
	if _, err := netip.ParseAddr(a.Domain); err == nil {
		p.add("app.domain", "%q is an IP address; an Ingress host is a DNS name (Kubernetes rejects IPs there): want e.g. api.example.com", a.Domain)
	} else if a.Domain != "" && !isHostname(a.Domain) {
		p.add("app.domain", "%q is not a host name; want e.g. api.example.com", a.Domain)
	}
	if d := a.ProgressDeadline; d != 0 && (time.Duration(d)*time.Second < workload.MinProgressDeadline() || d > 3600) {
		p.add("app.progressDeadlineSeconds", "%d is outside %d..3600: a healthy pod needs its startup and readiness windows (%s) to become ready",
			d, int(workload.MinProgressDeadline().Seconds()), workload.MinProgressDeadline())
	}
	if a.TLS.Enabled && a.Domain == "" {
		p.add("app.tls.enabled", "is true but app.domain is empty; TLS needs a host name")
	}
	if a.TLS.Enabled && a.TLS.SecretName != "" && !dnsLabel.MatchString(a.TLS.SecretName) {
		p.add("app.tls.secretName", "%q is not a Secret name", a.TLS.SecretName)
	}
	if a.TLS.CertificateARN != "" && !acmARN.MatchString(a.TLS.CertificateARN) {
		p.add("app.tls.certificateArn", "%q is not an ACM certificate ARN", a.TLS.CertificateARN)
	}
	if c.IsProduction() && a.Domain != "" && !a.TLS.Enabled {
		p.add("app.tls.enabled", "is false, but production serves %s over HTTPS only; set app.tls.enabled: true", a.Domain)
	}
	if a.Domain != "" && a.IngressClass == "" {
		p.add("app.ingressClass", "is empty but app.domain is set; name the cluster's ingress class (or existing.ingressClass)")
	}
	if a.IngressClass != "" && !dnsLabel.MatchString(a.IngressClass) {
		p.add("app.ingressClass", "%q is not an ingress class name", a.IngressClass)
	}
	for _, name := range slices.Sorted(maps.Keys(a.Env)) {
		switch {
		case !envName.MatchString(name):
			p.add("app.env."+name, "is not an environment variable name (letters, digits, '_', not starting with a digit)")
		case slices.Contains(ReservedEnv, name):
			p.add("app.env."+name, "is set by the workload itself; use the matching setting (e.g. app.logLevel) or secret instead")
		default:
			if why := rules.SecretInSetting(name, a.Env[name], contract.LooksSecret); why != "" {
				p.add("app.env."+name, "looks like a secret (%s); app.env lands in a ConfigMap in plain text, so use a config secret instead", why)
			}
		}
	}
	if a.ShutdownGraceSeconds < 1 || a.ShutdownGraceSeconds > 300 {
		p.add("app.shutdownGraceSeconds", "%d is out of range; allowed: 1 to 300", a.ShutdownGraceSeconds)
	}
	if !strings.HasPrefix(a.WeChatAPIBase, "https://") && !strings.HasPrefix(a.WeChatAPIBase, "http://") {
		p.add("app.wechatApiBase", "%q is not an http(s) URL", a.WeChatAPIBase)
	} else if problem := rules.WeChatBaseProblem(a.WeChatAPIBase); problem != "" {
		// The app sends the AppSecret there: WeChat's own hosts over HTTPS only (the pack's k8s-wechat-api-base).
		p.add("app.wechatApiBase", "%q: %s", a.WeChatAPIBase, problem)
	}
	if d, err := time.ParseDuration(a.TokenTTL); err != nil || !durationLike.MatchString(a.TokenTTL) || d < time.Minute || d > 30*24*time.Hour {
		p.add("app.tokenTtl", "%q is not a duration between 1m and 720h (e.g. 2h)", a.TokenTTL)
	}
	switch a.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		p.add("app.logLevel", "%q is not a log level; allowed: debug, info, warn, error", a.LogLevel)
	}
}

// validateBuildPath keeps build paths inside the repository: relative, and not climbing out of it.
func validateBuildPath(key, path string, p *problems) {
	clean := filepath.ToSlash(filepath.Clean(path))
	if filepath.IsAbs(path) || clean == ".." || strings.HasPrefix(clean, "../") {
		p.add(key, "%q leaves the repository; give a path relative to the project root, e.g. app/Dockerfile", path)
	}
}

func validateImage(ref string, p *problems) {
	name := ref
	if i := strings.Index(ref, "@"); i >= 0 {
		name = ref[:i]
	}
	lastSlash := strings.LastIndex(name, "/")
	if colon := strings.LastIndex(name, ":"); colon > lastSlash && name[colon+1:] == "latest" {
		p.add("app.image", "%q uses the mutable tag latest; pin the image by digest (name@sha256:...)", ref)
		return
	}
	if !imageDigest.MatchString(ref) {
		p.add("app.image", "%q is not pinned by digest; use name@sha256:<64 hex digits> (tags can be moved, digests cannot)", ref)
	}
	if strings.ContainsAny(name, " \t") || name == "" {
		p.add("app.image", "%q is not an image reference", ref)
	}
}

func validateResources(r Resources, p *problems) {
	cpuReq, okCR := ParseQuantity(r.CPURequest)
	cpuLim, okCL := ParseQuantity(r.CPULimit)
	memReq, okMR := ParseQuantity(r.MemoryRequest)
	memLim, okML := ParseQuantity(r.MemoryLimit)
	for _, q := range []struct {
		key, v string
		ok     bool
	}{
		{"app.resources.cpuRequest", r.CPURequest, okCR}, {"app.resources.cpuLimit", r.CPULimit, okCL},
		{"app.resources.memoryRequest", r.MemoryRequest, okMR}, {"app.resources.memoryLimit", r.MemoryLimit, okML},
	} {
		if !q.ok {
			p.add(q.key, "%q is not a Kubernetes quantity; want e.g. 250m or 0.5 (CPU), 256Mi or 1Gi (memory)", q.v)
		}
	}
	if okCR && okCL && cpuReq > cpuLim {
		p.add("app.resources.cpuRequest", "%s is above the limit %s", r.CPURequest, r.CPULimit)
	}
	if okMR && okML && memReq > memLim {
		p.add("app.resources.memoryRequest", "%s is above the limit %s", r.MemoryRequest, r.MemoryLimit)
	}
	if okCL && cpuLim > rules.MaxContainerCPU {
		p.add("app.resources.cpuLimit", "%s is more than %g cores, more than a limit can mean on the nodes; scale out instead", r.CPULimit, rules.MaxContainerCPU)
	}
	if okML && memLim > rules.MaxContainerMemory {
		p.add("app.resources.memoryLimit", "%s is more than %dGi; scale out instead", r.MemoryLimit, rules.MaxContainerMemory>>30)
	}
	if okMR && memReq < 32*(1<<20) {
		p.add("app.resources.memoryRequest", "%s is below 32Mi, too little for the Go runtime", r.MemoryRequest)
	}
}

var quantity = regexp.MustCompile(`^([0-9]+(\.[0-9]+)?)(m|k|M|G|T|Ki|Mi|Gi|Ti)?$`)

// ParseQuantity parses a Kubernetes resource quantity (the subset used for CPU and memory) into a number of
// base units (cores or bytes). It reports false for anything else.
func ParseQuantity(s string) (float64, bool) {
	m := quantity.FindStringSubmatch(s)
	if m == nil {
		return 0, false
	}
	v, err := strconv.ParseFloat(m[1], 64)
	if err != nil || v <= 0 {
		return 0, false
	}
	mult := map[string]float64{
		"": 1, "m": 1e-3, "k": 1e3, "M": 1e6, "G": 1e9, "T": 1e12,
		"Ki": 1 << 10, "Mi": 1 << 20, "Gi": 1 << 30, "Ti": 1 << 40,
	}[m[3]]
	return v * mult, true
}

func isHostname(s string) bool {
	if len(s) > 253 || !strings.Contains(s, ".") {
		return false
	}
	for _, label := range strings.Split(s, ".") {
		if !dnsLabel.MatchString(label) {
			return false
		}
	}
	return true
}

func validateTags(c *Config, prof *cloudProfile, p *problems) {
	lim := prof.tagLimits
	if lim.maxTags == 0 {
		return // nothing of the stack is tagged (an existing cluster)
	}
	if room := lim.maxTags - prof.programTags; len(c.Tags) > room {
		p.add("tags", "has %d tags; %s allows %d per resource and the program adds %d of its own: at most %d", len(c.Tags), c.Cloud, lim.maxTags, prof.programTags, room)
	}
	for _, k := range slices.Sorted(maps.Keys(c.Tags)) {
		v := c.Tags[k]
		lower := strings.ToLower(k)
		switch {
		case k == "" || len(k) > lim.maxKey:
			p.add("tags", "key %q must be 1 to %d characters on %s", k, lim.maxKey, c.Cloud)
		case slices.ContainsFunc(lim.reserved, func(r string) bool { return strings.HasPrefix(lower, r) }):
			p.add("tags."+k, "uses a prefix reserved by %s (%s)", c.Cloud, strings.Join(lim.reserved, ", "))
		case len(v) > lim.maxValue:
			p.add("tags."+k, "value is %d characters; %s allows at most %d", len(v), c.Cloud, lim.maxValue)
		case slices.ContainsFunc(lim.forbidden, func(f string) bool { return strings.Contains(lower, f) || strings.Contains(strings.ToLower(v), f) }):
			p.add("tags."+k, "contains %s, which %s refuses in tags", strings.Join(lim.forbidden, " or "), c.Cloud)
		}
	}
}

// Kubernetes label syntax (apimachinery's IsQualifiedName and IsValidLabelValue): an optional DNS-subdomain
// prefix and a name of at most 63 characters; values of at most 63 characters.
var (
	labelName = regexp.MustCompile(`^[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$`)
	dnsPrefix = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$`)
)

func validLabelKey(k string) bool {
	prefix, name, found := strings.Cut(k, "/")
	if !found {
		return labelName.MatchString(k)
	}
	return len(prefix) <= 253 && dnsPrefix.MatchString(prefix) && labelName.MatchString(name)
}

func validateObservability(c *Config, p *problems) {
	o := &c.Observability
	if !dnsLabel.MatchString(o.ScraperNamespace) {
		p.add("observability.scraperNamespace", "%q is not a namespace name", o.ScraperNamespace)
	}
	for _, k := range slices.Sorted(maps.Keys(o.MonitorLabels)) {
		key := "observability.monitorLabels." + k
		switch v := o.MonitorLabels[k]; {
		case !validLabelKey(k):
			p.add(key, "is not a Kubernetes label key")
		case v != "" && !labelName.MatchString(v): // a value is a label name, or empty
			p.add(key, "%q is not a Kubernetes label value (at most 63 letters, digits, '-', '_', '.')", v)
		}
	}
	if len(o.MonitorLabels) > 0 && !o.PrometheusOperator {
		p.add("observability.monitorLabels", "label a ServiceMonitor and PrometheusRule that are not created; set observability.prometheusOperator: true")
	}
	th := o.Alerts
	for _, b := range []struct {
		key       string
		v, lo, hi int
	}{
		{"errorRatePercent", th.ErrorRatePercent, 1, 100}, {"latencyP99Millis", th.LatencyP99Millis, 10, 60000},
		{"restartsPerHour", th.RestartsPerHour, 1, 1000}, {"hpaAtMaxMinutes", th.HPAAtMaxMinutes, 1, 1440},
		{"rolloutStuckMinutes", th.RolloutStuckMinutes, 1, 1440},
	} {
		if b.v < b.lo || b.v > b.hi {
			p.add("observability.alerts."+b.key, "%d is outside %d..%d", b.v, b.lo, b.hi)
		}
	}
	validateManaged(c, p)
	t := o.Tracing
	if t.SamplePercent < 1 || t.SamplePercent > 100 {
		p.add("observability.tracing.samplePercent", "%d is outside 1..100", t.SamplePercent)
	}
	if t.Endpoint != "" {
		u, err := url.Parse(t.Endpoint)
		switch {
		case err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Hostname() == "":
			p.add("observability.tracing.endpoint", "%q is not an http(s) URL of an OTLP/HTTP collector (http://otel-collector.monitoring:4318)", t.Endpoint)
		case u.User != nil || u.RawQuery != "":
			p.add("observability.tracing.endpoint", "must not carry credentials or a query; put collector credentials in the collector, not in a setting")
		}
	}
}

// validateManaged checks that the managed services asked for exist on the stack's cloud and fit together.
func validateManaged(c *Config, p *problems) {
	m := c.Observability.Managed
	const key = "observability.managed."
	switch c.Cloud {
	case CloudAWS:
		if m.Metrics && !c.Cluster.Endpoint.Private {
			p.add(key+"metrics", "is true, but the managed Prometheus scraper reaches the cluster through its private API endpoint: set cluster.endpoint.private: true")
		}
		if m.Logs && !m.ContainerInsights {
			p.add(key+"logs", "is true, but on aws the logs are shipped by the Container Insights addon's Fluent Bit: set observability.managed.containerInsights: true as well")
		}
		if days := limitInts(CloudAWS, "cloudwatch_log_retention_days_api"); m.Logs && !slices.Contains(days, m.LogRetentionDays) {
			p.add(key+"logRetentionDays", "%d is not a period CloudWatch Logs offers; allowed: %v", m.LogRetentionDays, days)
		}
	case CloudAlicloud:
		if m.ContainerInsights {
			p.add(key+"containerInsights", "is CloudWatch Container Insights, an AWS service; on alicloud, observability.managed.metrics turns on ARMS Prometheus")
		}
		if r := limitRange(CloudAlicloud, "sls_logstore_retention_days"); m.Logs && (m.LogRetentionDays < r[0] || m.LogRetentionDays > r[1]) {
			p.add(key+"logRetentionDays", "%d is outside the %d..%d days a Simple Log Service logstore keeps logs", m.LogRetentionDays, r[0], r[1])
		}
	default:
		for _, f := range []struct {
			name string
			on   bool
		}{{"metrics", m.Metrics}, {"containerInsights", m.ContainerInsights}, {"logs", m.Logs}} {
			if f.on {
				p.add(key+f.name, "is true, but the stack's cloud is %s: the managed services belong to aws and alicloud; point your own agents at an existing cluster", c.Cloud)
			}
		}
	}
}

// rdsPostgresFamilies are the RDS instance class families the program accepts for PostgreSQL: those of the
// pinned SDK's rds.InstanceType enum (pulumi-aws v6.83.4) in current generations; burstable ones (t) not in
// production.
var rdsPostgresFamilies = []string{"t3", "t4g", "m5", "m6g", "r5", "r6g"}

// validateDatabase checks the provisioned database's settings against RDS's rules, and production's.
func validateDatabase(c *Config, p *problems) {
	d := c.Database
	// managed are the keys of a cloud's managed database, inCluster those of the in-cluster one.
	managed := []setKey{{"instanceClass", d.InstanceClass != ""}, {"backupRetentionDays", d.BackupRetentionDays != 0},
		{"multiAz", d.MultiAZ != nil}, {"deletionProtection", d.DeletionProtection != nil},
		{"performanceInsights", d.PerformanceInsights != nil}, {"monitoringInterval", d.MonitoringInterval != nil}}
	inCluster := []setKey{{"image", d.Image != ""}, {"storageClass", d.StorageClass != ""}}
	if !d.Provision {
		common := []setKey{{"storageGiB", d.StorageGiB != 0}, {"name", d.Name != ""}, {"username", d.Username != ""}}
		for _, f := range slices.Concat(common, managed, inCluster) {
			if f.set {
				p.add("database."+f.key, "is set, but database.provision is false: nothing would use it")
			}
		}
		return
	}
	if c.Cloud == CloudExisting {
		validateInClusterDatabase(c, managed, p)
		return
	}
	for _, f := range inCluster {
		if f.set {
			p.add("database."+f.key, "is set, but it configures the in-cluster database of cloud existing; %s runs a managed one", c.Cloud)
		}
	}
	if c.IsProduction() {
		if !*d.MultiAZ {
			p.add("database.multiAz", "is false, but production keeps a standby in another zone")
		}
		if !*d.DeletionProtection {
			p.add("database.deletionProtection", "is false, but production refuses to delete its database")
		}
	}
	if c.Cloud == CloudAlicloud {
		validateApsaraDB(c, p)
		return
	}
	family, size, ok := strings.Cut(strings.TrimPrefix(d.InstanceClass, "db."), ".")
	switch {
	case !strings.HasPrefix(d.InstanceClass, "db.") || !ok || size == "" || !slices.Contains(rdsPostgresFamilies, family):
		p.add("database.instanceClass", "%q is not an RDS class of a family the program runs PostgreSQL on (db.<family>.<size>; families %v)", d.InstanceClass, rdsPostgresFamilies)
	case c.IsProduction() && strings.HasPrefix(family, "t"):
		p.add("database.instanceClass", "%q is burstable: production runs on a fixed-performance class (db.m6g.large)", d.InstanceClass)
	}
	if d.StorageGiB < awsc.RDSMinStorageGiB || d.StorageGiB > awsc.RDSMaxStorageGiB {
		p.add("database.storageGiB", "%d is outside gp3's %d..%d GiB", d.StorageGiB, awsc.RDSMinStorageGiB, awsc.RDSMaxStorageGiB)
	}
	if !awsc.RDSName.MatchString(d.Name) {
		p.add("database.name", "%q is not a database name RDS accepts (a letter, then letters, digits or '_'; at most 63)", d.Name)
	}
	if !awsc.RDSName.MatchString(d.Username) || slices.Contains(awsc.RDSReservedUsers, strings.ToLower(d.Username)) {
		p.add("database.username", "%q is reserved or not a user name RDS accepts (a letter, then letters, digits or '_')", d.Username)
	}
	if d.BackupRetentionDays < 0 || d.BackupRetentionDays > awsc.RDSMaxBackupDays {
		p.add("database.backupRetentionDays", "%d is outside RDS's 0..%d", d.BackupRetentionDays, awsc.RDSMaxBackupDays)
	} else if c.IsProduction() && d.BackupRetentionDays < 7 {
		p.add("database.backupRetentionDays", "is %d, but production keeps at least 7 days of backups", d.BackupRetentionDays)
	}
	if m := *d.MonitoringInterval; !slices.Contains(awsc.RDSMonitoringIntervals, m) {
		p.add("database.monitoringInterval", "%d is not one RDS offers %v", m, awsc.RDSMonitoringIntervals)
	}
}

// setKey is a key of a config block and whether the stack sets it.
type setKey struct {
	key string
	set bool
}

// validateInClusterDatabase checks the in-cluster database (cloud existing): not for production, none of the
// managed database's keys, an image pinned by digest, a volume size and names the image accepts.
func validateInClusterDatabase(c *Config, managed []setKey, p *problems) {
	d := c.Database
	if c.IsProduction() {
		p.add("database.provision", "is true on cloud existing, where it runs PostgreSQL in the cluster (one pod, no standby, no automated backups); production needs a managed database: set database.provision: false and the databaseUrl secret")
	}
	for _, f := range managed {
		if f.set {
			p.add("database."+f.key, "is set, but it configures a managed database (aws); the in-cluster database of cloud existing has no such setting")
		}
	}
	switch {
	case d.Image == "":
		p.add("database.image", "is required with database.provision on cloud existing: the in-cluster database image pinned by digest (name@sha256:...); make up into the sandbox builds one from the machine's PostgreSQL")
	case !imageDigest.MatchString(d.Image):
		p.add("database.image", "%q is not pinned by digest; use name@sha256:<64 hex digits>", d.Image)
	}
	if d.StorageGiB < incluster.PostgresMinStorageGiB || d.StorageGiB > incluster.PostgresMaxStorageGiB {
		p.add("database.storageGiB", "%d is outside the in-cluster database's %d..%d GiB", d.StorageGiB, incluster.PostgresMinStorageGiB, incluster.PostgresMaxStorageGiB)
	}
	if d.StorageClass != "" && !workload.DNSLabel.MatchString(d.StorageClass) {
		p.add("database.storageClass", "%q is not a storage class name (lower-case letters, digits and '-')", d.StorageClass)
	}
	if !incluster.PostgresName.MatchString(d.Name) {
		p.add("database.name", "%q is not a database name the in-cluster database accepts (a letter or '_', then letters, digits or '_'; at most 63)", d.Name)
	}
	if !incluster.PostgresUserOK(d.Username) {
		p.add("database.username", "%q is reserved or not a user name the in-cluster database accepts (a letter or '_', then letters, digits or '_')", d.Username)
	}
	if ns := DatabaseNamespace(c); len(ns) > 63 {
		p.add("app.namespace", "%q is too long for the database's namespace %q (at most 63 characters)", c.App.Namespace, ns)
	}
}

// DatabaseNamespace is the namespace of the in-cluster database: the app's, with -db.
func DatabaseNamespace(c *Config) string { return c.App.Namespace + "-db" }

// validateApsaraDB checks the database of cloud alicloud against ApsaraDB RDS for PostgreSQL's rules (the limits
// components/alicloud exports, from the provider's source and the API's documentation).
func validateApsaraDB(c *Config, p *problems) {
	d := c.Database
	if d.PerformanceInsights != nil {
		p.add("database.performanceInsights", "is set, but Performance Insights is an RDS (aws) feature; ApsaraDB has none")
	}
	if problem := alic.ApsaraDBClassProblem(d.InstanceClass, *d.MultiAZ); problem != "" {
		p.add("database.instanceClass", "%q does not fit: %s (Basic Edition classes end in .1m, High-availability ones, with multiAz, in .2m or .2c; e.g. %s, %s)",
			d.InstanceClass, problem, DefaultApsaraDBClass, DefaultApsaraDBClassHA)
	}
	if d.StorageGiB < alic.ApsaraDBMinStorageGB || d.StorageGiB > alic.ApsaraDBMaxStorageGB {
		p.add("database.storageGiB", "%d is outside ESSD's %d..%d GB", d.StorageGiB, alic.ApsaraDBMinStorageGB, alic.ApsaraDBMaxStorageGB)
	}
	if !alic.ApsaraDBDatabaseNameOK(d.Name) {
		p.add("database.name", "%q is reserved or not a database name ApsaraDB accepts (2-63 lower-case letters, digits, '_' or '-', a letter first)", d.Name)
	}
	if u := d.Username; !alic.ApsaraDBUsernameOK(u) {
		p.add("database.username", "%q is reserved or not an account name ApsaraDB accepts (2-63 lower-case letters, digits or '_', a letter first, not pg...)", u)
	}
	if d.BackupRetentionDays < alic.ApsaraDBMinBackupDays || d.BackupRetentionDays > alic.ApsaraDBMaxBackupDays {
		p.add("database.backupRetentionDays", "%d is outside ApsaraDB's %d..%d days", d.BackupRetentionDays, alic.ApsaraDBMinBackupDays, alic.ApsaraDBMaxBackupDays)
	}
	if m := *d.MonitoringInterval; m != 0 && !slices.Contains(alic.ApsaraDBMonitoringPeriods, m) {
		p.add("database.monitoringInterval", "%d is not 0 (the service's default) or one ApsaraDB offers %v", m, alic.ApsaraDBMonitoringPeriods)
	}
}
