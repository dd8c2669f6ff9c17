package config

import (
	"encoding/json"
	"fmt"
	"net/netip"
	"slices"
	"strings"

	"github.com/wechat-deploy/wechat-deploy/components/certmanager"
	"github.com/wechat-deploy/wechat-deploy/components/netplan"
)

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
	addons: func(string) []Addon {
		return []Addon{
			// NetworkPolicy on: without it Terway accepts NetworkPolicies and enforces none.
			{Name: TerwayAddon, Config: TerwayNetworkPolicy},
			{Name: "ack-pod-identity-webhook"},
			{Name: "csi-plugin"},
			{Name: "csi-provisioner"},
			{Name: "nginx-ingress-controller", Config: `{"IngressSlbNetworkType":"internet"}`},
			{Name: "logtail-ds", Config: `{"IngressDashboardEnabled":"true"}`},
		}
	},
	ingressClass:  func(*Config) string { return "nginx" },
	title:         "an Alibaba Cloud region with ACK",
	exampleRegion: "cn-hangzhou",
	regions:       regionZones("alicloud-regions.tsv"),
	instanceFamily: func(it string) (string, bool) {
		parts := strings.Split(it, ".")
		return parts[min(1, len(parts)-1)], len(parts) == 3 && parts[0] == "ecs" && parts[2] != ""
	},
	nodeImage: func(arch string) string {
		return limitList(CloudAlicloud, map[string]string{ArchAMD64: "ack_nodepool_image_types_x86_64", ArchARM64: "ack_nodepool_image_types_arm64"}[arch])[0]
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
	maxSubnetPrefix: netplan.MaxPrefixAlicloud,
	// Tagging rules (facts/limits.tsv).
	tagLimits: tagLimits{
		maxTags: limitInt(CloudAlicloud, "max_tags_per_resource"), maxKey: limitInt(CloudAlicloud, "tag_key_max_length"),
		maxValue: limitInt(CloudAlicloud, "tag_value_max_length"), reserved: limitList(CloudAlicloud, "reserved_tag_prefixes"),
		forbidden: limitList(CloudAlicloud, "forbidden_tag_substrings"),
	},
	programTags:       4,
	serviceCIDRPrefix: limitRange(CloudAlicloud, "ack_service_cidr_prefix_length"),
	logRetentionRange: limitRange(CloudAlicloud, "ack_control_plane_log_ttl_days"),
	fullVersion:       true,
	podCIDR:           true,
	existingRegistry:  true,
	applyDefaults: func(c *Config) {
		c.Cluster.Spec = orDefault(c.Cluster.Spec, ackPro)
		c.Registry.InstanceSpec = orDefault(c.Registry.InstanceSpec, "Basic")
		// ACK always serves the API server on the VPC (cluster.endpoint.private is not an alicloud key).
		c.Cluster.Endpoint.Private = true
		if t := &c.App.TLS; t.ACMEEmail != "" {
			t.ClusterIssuer = orDefault(t.ClusterIssuer, DefaultClusterIssuer)
		}
	},
	validate: validateAlicloud,
}

// TerwayAddon is ACK's Terway CNI in shared-ENI mode; TerwayNetworkPolicy the configuration that makes it
// enforce NetworkPolicies.
const (
	TerwayAddon         = "terway-eniip"
	TerwayNetworkPolicy = `{"NetworkPolicy":"true"}`
)

// UsesTerway reports whether an ACK cluster uses Terway (pod VSwitches) rather than flannel (a pod CIDR).
func (c *Config) UsesTerway() bool { return c.Cluster.PodCIDR == "" }

// ACR and RAM name limits (facts/limits.tsv).
var (
	acrInstanceNameMax = limitRange(CloudAlicloud, "acr_ee_instance_name_length")[1]
	ramRoleNameMax     = limitInt(CloudAlicloud, "ram_role_name_max_length")
)

func validateAlicloud(c *Config, p *problems) {
	k, g := &c.Cluster, &c.Registry
	// The program names the ACR instance after the cluster and the app's RAM role <cluster>-<app>.
	cluster := c.Project + "-" + c.Environment
	if len(cluster) > acrInstanceNameMax && g.ExistingInstanceID == "" {
		p.add("environment", "%q makes the ACR instance name %s-%s %d characters long; ACR allows %d: shorten the environment (or set registry.existingInstanceId)",
			c.Environment, c.Project, c.Environment, len(cluster), acrInstanceNameMax)
	}
	if role := cluster + "-" + c.App.Name; len(role) > ramRoleNameMax {
		p.add("app.name", "%q makes the app's RAM role name %d characters long; RAM allows %d: shorten app.name or the environment", c.App.Name, len(role), ramRoleNameMax)
	}
	if k.PodCIDR != "" {
		if pod, err := netip.ParsePrefix(k.PodCIDR); err == nil {
			if svc, err := netip.ParsePrefix(k.ServiceCIDR); err == nil && pod.Overlaps(svc) {
				p.add("cluster.podCidr", "%s overlaps the Service range %s; pick a range outside it", pod, svc)
			}
		}
	}
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
	for i, ad := range k.Addons {
		if ad.Name != TerwayAddon {
			continue
		}
		var cfg map[string]any
		if err := json.Unmarshal([]byte(ad.Config), &cfg); err != nil || cfg["NetworkPolicy"] != "true" {
			p.add(fmt.Sprintf("cluster.addons[%d].config", i), "must set \"NetworkPolicy\": \"true\" (a string): without it Terway stores NetworkPolicies and enforces none, so the app's default-deny would not hold")
		}
	}
	if t := c.App.TLS; t.Enabled {
		switch {
		case t.ACMEEmail == "" && t.ClusterIssuer != "":
			p.add("app.tls.clusterIssuer", "names an issuer, but nothing installs cert-manager on ACK unless app.tls.acmeEmail is set (then the program installs it with this issuer)")
		case t.ACMEEmail == "":
			p.add("app.tls.enabled", "is true but nothing would issue the certificate nginx serves: set app.tls.acmeEmail (cert-manager and a Let's Encrypt ClusterIssuer are installed)")
		case !certmanager.ValidEmail(t.ACMEEmail):
			p.add("app.tls.acmeEmail", "%q is not a bare e-mail address", t.ACMEEmail)
		}
	}
	validateCIDRList("registry.pushCidrs", g.PushCIDRs, c.IsProduction(), "the production registry's push endpoint", p)
	// ACK's API server load balancer takes no access list through the provider (ACK's own API access list is
	// retired): whatever publicAccessCidrs says, a public endpoint answers every address.
	if e := k.Endpoint; e.Public {
		if c.IsProduction() {
			p.add("cluster.endpoint.public", "is true, but ACK cannot restrict its API server load balancer from here and production never publishes it: set false and deploy from inside the VPC (README: Reaching a private ACK API server)")
		} else if len(e.PublicAccessCIDRs) > 0 && !slices.Equal(e.PublicAccessCIDRs, []string{"0.0.0.0/0"}) {
			p.add("cluster.endpoint.publicAccessCidrs", "%v would not restrict anything: ACK's public API endpoint takes no access list, so it answers every address; write [\"0.0.0.0/0\"] to say so, or set cluster.endpoint.public: false", e.PublicAccessCIDRs)
		}
	}
}

// DefaultClusterIssuer names the ClusterIssuer the program installs with cert-manager.
const DefaultClusterIssuer = "letsencrypt"
