package config

import (
	"encoding/json"
	"errors"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"
)

const digest = "@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

// validSecrets are well-formed fake secrets; tests never print them.
var validSecrets = map[string]string{
	"wechatAppId":     "wx0123456789abcdef",
	"wechatAppSecret": "0123456789abcdef0123456789abcdef",
	"jwtSigningKey":   "k3Q9vX2mZ7pL4rT8wN1yB6cF0hJ5sDaEuGq",
	"databaseUrl":     "postgres://app:pw@db.internal:5432/app?sslmode=require",
}

// dbSecrets are the secrets of a stack that provisions its database: its password instead of a URL.
var dbSecrets = with(without(validSecrets, "databaseUrl"), "databasePassword", "k3Q9vX2mZ7pL4rT8wN1yB6cF0hJ5sDaE")

func baseAWSProd() map[string]any {
	return map[string]any{
		"cloud":      "aws",
		"region":     "us-east-1",
		"protect":    true,
		"production": "true",
		"network":    map[string]any{"cidr": "10.10.0.0/16", "zones": 3, "natMode": "per-zone", "flowLogRetentionDays": 90},
		"cluster": map[string]any{
			"minNodes": 3, "maxNodes": 6, "logRetentionDays": 180,
			"endpoint": map[string]any{"public": true, "private": true, "publicAccessCidrs": []any{"203.0.113.0/24"}},
		},
		"app": map[string]any{"replicas": 3, "domain": "api.example.com", "hostedZone": "example.com", "tls": map[string]any{"enabled": true}},
	}
}

func baseAlicloudDev() map[string]any {
	return map[string]any{
		"cloud":   "alicloud",
		"region":  "cn-hangzhou",
		"network": map[string]any{"cidr": "10.20.0.0/16", "zones": 2},
		"cluster": map[string]any{"endpoint": map[string]any{"public": true, "publicAccessCidrs": []any{"0.0.0.0/0"}}},
	}
}

func baseAlicloudProd() map[string]any {
	m := baseAlicloudDev()
	m["protect"] = true
	m["production"] = "true"
	set(m, "network.natMode", "per-zone")
	set(m, "network.zones", 3)
	set(m, "network.flowLogRetentionDays", 90)
	set(m, "cluster.endpoint", map[string]any{"public": false})
	set(m, "cluster.minNodes", 3)
	set(m, "cluster.maxNodes", 6)
	set(m, "cluster.logRetentionDays", 180)
	set(m, "registry.pushCidrs", []any{"203.0.113.0/24"})
	set(m, "app.replicas", 3)
	set(m, "app.domain", "api.example.cn")
	set(m, "app.tls", map[string]any{"enabled": true, "acmeEmail": "ops@example.cn"})
	return m
}

func baseLocal() map[string]any {
	return map[string]any{"cloud": "existing", "app": map[string]any{"replicas": 1, "image": "registry.local/wechat-api" + digest}}
}

// source turns a YAML-like map into the strings the engine hands to a program: scalars as text, objects and
// lists as JSON.
func source(t *testing.T, cfg map[string]any, secrets map[string]string, plainSecrets ...string) MapSource {
	t.Helper()
	s := MapSource{Values: map[string]string{}, Secrets: map[string]bool{}}
	for k, v := range cfg {
		switch v := v.(type) {
		case string:
			s.Values[qualify(k)] = v
		default:
			b, err := json.Marshal(v)
			if err != nil {
				t.Fatal(err)
			}
			s.Values[qualify(k)] = string(b)
		}
	}
	for k, v := range secrets {
		s.Values[qualify(k)] = v
		s.Secrets[qualify(k)] = !slices.Contains(plainSecrets, k)
	}
	return s
}

// set assigns a dotted path in a nested map, creating objects on the way.
func set(m map[string]any, path string, v any) {
	parts := strings.Split(path, ".")
	for _, p := range parts[:len(parts)-1] {
		next, ok := m[p].(map[string]any)
		if !ok {
			next = map[string]any{}
			m[p] = next
		}
		m = next
	}
	m[parts[len(parts)-1]] = v
}

func TestParseValidStacks(t *testing.T) {
	tests := []struct {
		name, stack string
		cfg         map[string]any
	}{
		{"aws prod", "prod", baseAWSProd()},
		{"alicloud dev", "dev-cn", baseAlicloudDev()},
		{"local", "local", baseLocal()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Parse(Namespace, tt.stack, source(t, tt.cfg, validSecrets))
			if err != nil {
				t.Fatalf("Parse() error = %v", err)
			}
			if c.App.Name != DefaultAppName || c.App.Namespace != DefaultAppName {
				t.Errorf("app name defaults = %q/%q", c.App.Name, c.App.Namespace)
			}
			if !c.Secrets.HasDatabaseURL {
				t.Error("database URL not read")
			}
		})
	}
}

func TestDefaults(t *testing.T) {
	c, err := Parse(Namespace, "dev-cn", source(t, baseAlicloudDev(), validSecrets))
	if err != nil {
		t.Fatal(err)
	}
	checks := []struct {
		name      string
		got, want any
	}{
		{"environment", c.Environment, "dev-cn"},
		{"production", c.IsProduction(), false},
		{"natMode", c.Network.NATMode, NATSingle},
		{"private prefix", c.Network.PrivateSubnetPrefix, 18},
		{"public prefix", c.Network.PublicSubnetPrefix, 19},
		{"version", c.Cluster.Version, alicloudProfile.kubernetesVersion},
		{"instance types", strings.Join(c.Cluster.InstanceTypes, ","), "ecs.g7.xlarge,ecs.g6.xlarge"},
		{"desired", c.Cluster.DesiredNodes, DefaultMinNodes},
		{"spec", c.Cluster.Spec, "ack.pro.small"},
		{"service cidr", c.Cluster.ServiceCIDR, "172.21.0.0/20"},
		{"addons", len(c.Cluster.Addons), len(alicloudProfile.addons(c.Cluster.Version))},
		{"max replicas", c.App.MaxReplicas, 3 * DefaultReplicas},
		{"ingress class", c.App.IngressClass, "nginx"},
		{"registry name", c.Registry.Name, DefaultAppName},
		{"registry namespace", c.Registry.Namespace, Namespace},
		{"acr spec", c.Registry.InstanceSpec, "Basic"},
		{"terway", c.UsesTerway(), true},
	}
	for _, ch := range checks {
		if ch.got != ch.want {
			t.Errorf("%s = %v, want %v", ch.name, ch.got, ch.want)
		}
	}
	prod, err := Parse(Namespace, "prod", source(t, baseAWSProd(), validSecrets))
	if err != nil {
		t.Fatal(err)
	}
	// On AWS the ALB serves ACM certificates only: no Secret name is made up.
	if !prod.IsProduction() || prod.App.TLS.SecretName != "" {
		t.Errorf("prod defaults: production=%v tls secret=%q", prod.IsProduction(), prod.App.TLS.SecretName)
	}
	k := prod.Cluster
	if k.UpgradePolicy != "EXTENDED" || k.DeliveryRoles == nil || !*k.DeliveryRoles {
		t.Errorf("aws cluster defaults: upgradePolicy %q, deliveryRoles %v", k.UpgradePolicy, k.DeliveryRoles)
	}
	if i := slices.IndexFunc(k.Addons, func(a Addon) bool { return a.Name == "vpc-cni" }); i < 0 || !strings.Contains(k.Addons[i].Config, `"enableNetworkPolicy":"true"`) {
		t.Errorf("aws addons %+v: vpc-cni without network policy", k.Addons)
	}
}

// TestParseBadConfig is the catalogue of bad input: every case must fail with a problem on the named key
// whose message contains the hint, the rendered error must name the stack file, and nothing may panic.
func TestParseBadConfig(t *testing.T) {
	tests := []struct {
		name    string
		stack   string
		base    func() map[string]any
		mutate  func(m map[string]any)
		secrets map[string]string
		plain   []string
		key     string
		hint    string
	}{
		{name: "cloud missing", base: baseLocal, mutate: func(m map[string]any) { delete(m, "cloud") }, key: "cloud", hint: "allowed: aws, alicloud, existing"},
		{name: "unknown cloud", base: baseLocal, mutate: func(m map[string]any) { m["cloud"] = "gcp" }, key: "cloud", hint: `"gcp" is not a supported cloud`},
		{name: "bad environment", base: baseLocal, mutate: func(m map[string]any) { m["environment"] = "Prod_EU" }, key: "environment", hint: "DNS label"},
		{name: "production not a bool", base: baseLocal, mutate: func(m map[string]any) { m["production"] = "yes" }, key: "production", hint: "true or false"},
		{name: "region missing", base: baseAWSProd, mutate: func(m map[string]any) { delete(m, "region") }, key: "region", hint: "e.g. us-east-1"},
		{name: "aws region malformed", base: baseAWSProd, mutate: func(m map[string]any) { m["region"] = "us-east" }, key: "region", hint: "not an AWS region"},
		{name: "alicloud region unknown", base: baseAlicloudDev, mutate: func(m map[string]any) { m["region"] = "cn-atlantis" }, key: "region", hint: "cn-hangzhou"},
		{name: "cidr not a cidr", base: baseAWSProd, mutate: func(m map[string]any) { set(m, "network.cidr", "10.0.0.0/33") }, key: "network.cidr", hint: "not an IPv4 CIDR"},
		{name: "cidr host bits", base: baseAWSProd, mutate: func(m map[string]any) { set(m, "network.cidr", "10.0.0.1/16") }, key: "network.cidr", hint: "use 10.0.0.0/16"},
		{name: "cidr public range", base: baseAWSProd, mutate: func(m map[string]any) { set(m, "network.cidr", "8.8.0.0/16") }, key: "network.cidr", hint: "private range"},
		{name: "cidr too large", base: baseAWSProd, mutate: func(m map[string]any) { set(m, "network.cidr", "10.0.0.0/8") }, key: "network.cidr", hint: "/16 to /24"},
		{name: "subnets do not fit", base: baseAWSProd, mutate: func(m map[string]any) {
			set(m, "network.cidr", "10.0.0.0/24")
			set(m, "network.zones", 6)
			set(m, "network.privateSubnetPrefix", 26)
			set(m, "network.publicSubnetPrefix", 27)
		}, key: "network.cidr", hint: "do not fit"},
		{name: "default prefixes below cloud minimum", base: baseAWSProd, mutate: func(m map[string]any) {
			set(m, "network.cidr", "10.0.0.0/24")
			set(m, "network.zones", 6)
		}, key: "network.cidr", hint: "at most /28"},
		{name: "zones zero on aws", base: baseAWSProd, mutate: func(m map[string]any) { set(m, "network.zones", -1) }, key: "network.zones", hint: "allowed: 2 to 6"},
		{name: "zones too many", base: baseAWSProd, mutate: func(m map[string]any) { set(m, "network.zones", 7) }, key: "network.zones", hint: "out of range"},
		{name: "zones wrong type", base: baseAWSProd, mutate: func(m map[string]any) { set(m, "network.zones", "three") }, key: "network.zones", hint: "want a whole number"},
		{name: "unknown network field", base: baseAWSProd, mutate: func(m map[string]any) { set(m, "network.zone", 3) }, key: "network.zone", hint: "known settings here: availabilityZones, cidr"},
		{name: "unknown nested field", base: baseAWSProd, mutate: func(m map[string]any) { set(m, "cluster.endpoint.publc", true) }, key: "cluster.endpoint.publc", hint: "private, public, publicAccessCidrs"},
		{name: "zone list length", base: baseAWSProd, mutate: func(m map[string]any) { set(m, "network.availabilityZones", []any{"us-east-1a", "us-east-1b"}) }, key: "network.availabilityZones", hint: "one per zone"},
		{name: "zone of another region", base: baseAWSProd, mutate: func(m map[string]any) {
			set(m, "network.availabilityZones", []any{"us-east-1a", "us-east-1b", "us-west-2a"})
		}, key: "network.availabilityZones", hint: "not a zone of region us-east-1"},
		{name: "nat mode unknown", base: baseAlicloudDev, mutate: func(m map[string]any) { set(m, "network.natMode", "double") }, key: "network.natMode", hint: "allowed: single, per-zone"},
		{name: "production single nat", base: baseAWSProd, mutate: func(m map[string]any) { set(m, "network.natMode", "single") }, key: "network.natMode", hint: "per-zone"},
		{name: "service cidr overlaps vpc", base: baseAWSProd, mutate: func(m map[string]any) { set(m, "cluster.serviceCidr", "10.10.128.0/20") }, key: "cluster.serviceCidr", hint: "overlaps the VPC"},
		{name: "pod cidr on aws", base: baseAWSProd, mutate: func(m map[string]any) { set(m, "cluster.podCidr", "172.30.0.0/16") }, key: "cluster.podCidr", hint: "only used on alicloud"},
		{name: "ack control-plane log ttl", base: baseAlicloudDev, mutate: func(m map[string]any) { set(m, "cluster.logRetentionDays", 3200) }, key: "cluster.logRetentionDays", hint: "1 to 3000"},
		{name: "version malformed", base: baseAWSProd, mutate: func(m map[string]any) { set(m, "cluster.version", "1.x") }, key: "cluster.version", hint: "not a Kubernetes version"},
		{name: "version unsupported", base: baseAWSProd, mutate: func(m map[string]any) { set(m, "cluster.version", "1.21") }, key: "cluster.version", hint: "not supported"},
		{name: "eks patch version", base: baseAWSProd, mutate: func(m map[string]any) { set(m, "cluster.version", "1.33.2") }, key: "cluster.version", hint: "minor version only"},
		{name: "instance type blank", base: baseAWSProd, mutate: func(m map[string]any) { set(m, "cluster.instanceTypes", []any{" "}) }, key: "cluster.instanceTypes", hint: "not an instance type"},
		{name: "min above max nodes", base: baseAWSProd, mutate: func(m map[string]any) {
			set(m, "cluster.minNodes", 5)
			set(m, "cluster.maxNodes", 3)
		}, key: "cluster.minNodes", hint: "greater than cluster.maxNodes"},
		{name: "desired outside range", base: baseAWSProd, mutate: func(m map[string]any) { set(m, "cluster.desiredNodes", 9) }, key: "cluster.desiredNodes", hint: "outside"},
		{name: "too many nodes", base: baseAWSProd, mutate: func(m map[string]any) { set(m, "cluster.maxNodes", 500) }, key: "cluster.maxNodes", hint: "at most 100"},
		{name: "disk too small", base: baseAWSProd, mutate: func(m map[string]any) { set(m, "cluster.diskSizeGiB", 8) }, key: "cluster.diskSizeGiB", hint: "20 to 2048"},
		{name: "no endpoint", base: baseAWSProd, mutate: func(m map[string]any) {
			set(m, "cluster.endpoint", map[string]any{"public": false, "private": false})
		}, key: "cluster.endpoint", hint: "neither public nor private"},
		{name: "public endpoint without cidrs", base: baseAWSProd, mutate: func(m map[string]any) {
			set(m, "cluster.endpoint.publicAccessCidrs", []any{})
		}, key: "cluster.endpoint.publicAccessCidrs", hint: "list the CIDRs"},
		{name: "production open endpoint", base: baseAWSProd, mutate: func(m map[string]any) {
			set(m, "cluster.endpoint.publicAccessCidrs", []any{"0.0.0.0/0"})
		}, key: "cluster.endpoint.publicAccessCidrs[0]", hint: "whole internet"},
		{name: "bad access cidr", base: baseAWSProd, mutate: func(m map[string]any) {
			set(m, "cluster.endpoint.publicAccessCidrs", []any{"203.0.113.7/24"})
		}, key: "cluster.endpoint.publicAccessCidrs[0]", hint: "not an IPv4 CIDR"},
		{name: "eks addon unpinned", base: baseAWSProd, mutate: func(m map[string]any) {
			set(m, "cluster.addons", []any{map[string]any{"name": "vpc-cni"}})
		}, key: "cluster.addons[0].version", hint: "must be pinned"},
		{name: "addon twice", base: baseAlicloudDev, mutate: func(m map[string]any) {
			set(m, "cluster.addons", []any{map[string]any{"name": "csi-plugin"}, map[string]any{"name": "csi-plugin"}})
		}, key: "cluster.addons[1].name", hint: "listed twice"},
		{name: "addon config not json", base: baseAlicloudDev, mutate: func(m map[string]any) {
			set(m, "cluster.addons", []any{map[string]any{"name": "logtail-ds", "config": "{oops"}})
		}, key: "cluster.addons[0].config", hint: "not valid JSON"},
		{name: "aws tls without a certificate source", base: baseAWSProd, mutate: func(m map[string]any) { delete(m["app"].(map[string]any), "hostedZone") },
			key: "app.tls.enabled", hint: "set app.hostedZone"},
		{name: "cert-manager issuer on aws", base: baseAWSProd, mutate: func(m map[string]any) { set(m, "app.tls.clusterIssuer", "letsencrypt") },
			key: "app.tls.clusterIssuer", hint: "ACM certificates only"},
		{name: "tls secret on aws", base: baseAWSProd, mutate: func(m map[string]any) { set(m, "app.tls.secretName", "api-tls") },
			key: "app.tls.secretName", hint: "never a Kubernetes Secret"},
		{name: "hosted zone not holding the domain", base: baseAWSProd, mutate: func(m map[string]any) { set(m, "app.hostedZone", "example.org") },
			key: "app.hostedZone", hint: "does not hold app.domain"},
		{name: "hosted zone suffix is not a parent", base: baseAWSProd, mutate: func(m map[string]any) { set(m, "app.hostedZone", "ample.com") },
			key: "app.hostedZone", hint: "does not hold app.domain"},
		{name: "eks version without a table row", base: baseAWSProd, mutate: func(m map[string]any) { set(m, "cluster.version", "1.30") },
			key: "cluster.version", hint: "not in the EKS release table"},
		{name: "eks upgrade policy unknown", base: baseAWSProd, mutate: func(m map[string]any) { set(m, "cluster.upgradePolicy", "LTS") },
			key: "cluster.upgradePolicy", hint: "not an EKS upgrade policy"},
		{name: "addon version off the table", base: baseAWSProd, mutate: func(m map[string]any) {
			set(m, "cluster.addons", []any{
				map[string]any{"name": "vpc-cni", "version": "v1.19.5-eksbuild.1", "config": `{"enableNetworkPolicy":"true"}`},
				map[string]any{"name": "kube-proxy", "version": "v1.32.0-eksbuild.2"},
				map[string]any{"name": "coredns", "version": "v1.12.1-eksbuild.2"},
			})
		}, key: "cluster.addons[1].version", hint: "differs from v1.33.0-eksbuild.2"},
		{name: "vpc-cni without network policy", base: baseAWSProd, mutate: func(m map[string]any) {
			set(m, "cluster.addons", []any{
				map[string]any{"name": "vpc-cni", "version": "v1.19.5-eksbuild.1", "config": `{"enableNetworkPolicy":true}`},
				map[string]any{"name": "kube-proxy", "version": "v1.33.0-eksbuild.2"},
				map[string]any{"name": "coredns", "version": "v1.12.1-eksbuild.2"},
			})
		}, key: "cluster.addons[0].config", hint: "enableNetworkPolicy"},
		{name: "nobody can administer the cluster", base: baseAWSProd, mutate: func(m map[string]any) { set(m, "cluster.deliveryRoles", false) },
			key: "cluster.admins", hint: "nobody could reach the cluster"},
		{name: "admin not an arn", base: baseAWSProd, mutate: func(m map[string]any) { set(m, "cluster.admins", []any{"alice"}) }, key: "cluster.admins[0]", hint: "not an IAM role or user ARN"},
		{name: "prod environment without production rules", stack: "prod-eu", base: baseLocal, key: "production", hint: "looks like production"},
		{name: "ack standard in production", stack: "prod-cn", base: baseAlicloudDev, mutate: func(m map[string]any) {
			m["protect"] = true
			m["production"] = "true"
			set(m, "network.natMode", "per-zone")
			set(m, "cluster.spec", "ack.standard")
			set(m, "cluster.endpoint.publicAccessCidrs", []any{"203.0.113.0/24"})
		}, key: "cluster.spec", hint: "needs ack.pro.small"},
		{name: "ack api server published in production", stack: "prod-cn", base: baseAlicloudProd, mutate: func(m map[string]any) {
			set(m, "cluster.endpoint", map[string]any{"public": true, "publicAccessCidrs": []any{"203.0.113.0/24"}})
		}, key: "cluster.endpoint.public", hint: "production never publishes it"},
		{name: "ack public endpoint pretending to be restricted", base: baseAlicloudDev, mutate: func(m map[string]any) {
			set(m, "cluster.endpoint.publicAccessCidrs", []any{"203.0.113.0/24"})
		}, key: "cluster.endpoint.publicAccessCidrs", hint: "would not restrict anything"},
		{name: "registry push open to the internet in production", stack: "prod-cn", base: baseAlicloudProd, mutate: func(m map[string]any) {
			set(m, "registry.pushCidrs", []any{"0.0.0.0/1", "128.0.0.0/1"})
		}, key: "registry.pushCidrs", hint: "admit the internet"},
		{name: "registry push cidr malformed", base: baseAlicloudDev, mutate: func(m map[string]any) { set(m, "registry.pushCidrs", []any{"10.0.0.1/8"}) },
			key: "registry.pushCidrs[0]", hint: "not an IPv4 CIDR"},
		{name: "terway without network policy", base: baseAlicloudDev, mutate: func(m map[string]any) {
			set(m, "cluster.addons", []any{map[string]any{"name": "terway-eniip"}})
		}, key: "cluster.addons[0].config", hint: "NetworkPolicy"},
		{name: "ack tls without a source", base: baseAlicloudDev, mutate: func(m map[string]any) {
			set(m, "app.domain", "api-dev.example.cn")
			set(m, "app.tls.enabled", true)
		}, key: "app.tls.enabled", hint: "set app.tls.acmeEmail"},
		{name: "ack issuer nobody installs", base: baseAlicloudDev, mutate: func(m map[string]any) {
			set(m, "app.domain", "api-dev.example.cn")
			set(m, "app.tls", map[string]any{"enabled": true, "clusterIssuer": "letsencrypt"})
		}, key: "app.tls.clusterIssuer", hint: "nothing installs cert-manager"},
		{name: "acme contact not an address", base: baseAlicloudDev, mutate: func(m map[string]any) {
			set(m, "app.domain", "api-dev.example.cn")
			set(m, "app.tls", map[string]any{"enabled": true, "acmeEmail": "Ops <ops@example.cn>"})
		}, key: "app.tls.acmeEmail", hint: "not a bare e-mail address"},
		{name: "progress deadline shorter than the probes", base: baseLocal, mutate: func(m map[string]any) { set(m, "app.progressDeadlineSeconds", 20) },
			key: "app.progressDeadlineSeconds", hint: "outside 70..3600"},
		{name: "scraper namespace not a name", base: baseLocal, mutate: func(m map[string]any) { set(m, "observability.scraperNamespace", "Monitoring!") },
			key: "observability.scraperNamespace", hint: "not a namespace name"},
		{name: "monitor labels without the operator", base: baseLocal, mutate: func(m map[string]any) {
			set(m, "observability.monitorLabels", map[string]any{"release": "kps"})
		}, key: "observability.monitorLabels", hint: "prometheusOperator: true"},
		{name: "monitor label key malformed", base: baseLocal, mutate: func(m map[string]any) {
			set(m, "observability.prometheusOperator", true)
			set(m, "observability.monitorLabels", map[string]any{"-release": "kps"})
		}, key: "observability.monitorLabels.-release", hint: "not a Kubernetes label key"},
		{name: "error rate above 100%", base: baseLocal, mutate: func(m map[string]any) { set(m, "observability.alerts.errorRatePercent", 150) },
			key: "observability.alerts.errorRatePercent", hint: "outside 1..100"},
		{name: "collector endpoint without a scheme", base: baseLocal, mutate: func(m map[string]any) { set(m, "observability.tracing.endpoint", "otel-collector:4318") },
			key: "observability.tracing.endpoint", hint: "not an http(s) URL"},
		{name: "collector endpoint with credentials", base: baseLocal, mutate: func(m map[string]any) {
			set(m, "observability.tracing.endpoint", "https://user:pass@collector.example.com")
		}, key: "observability.tracing.endpoint", hint: "must not carry credentials"},
		{name: "managed metrics on an existing cluster", base: baseLocal, mutate: func(m map[string]any) { set(m, "observability.managed.metrics", true) },
			key: "observability.managed.metrics", hint: "belong to aws and alicloud"},
		{name: "aws scraper without a private endpoint", base: baseAWSProd, mutate: func(m map[string]any) {
			set(m, "cluster.endpoint.private", false)
			set(m, "observability.managed.metrics", true)
		}, key: "observability.managed.metrics", hint: "cluster.endpoint.private: true"},
		{name: "aws logs without the addon that ships them", base: baseAWSProd, mutate: func(m map[string]any) { set(m, "observability.managed.logs", true) },
			key: "observability.managed.logs", hint: "containerInsights: true"},
		{name: "aws log retention CloudWatch does not offer", base: baseAWSProd, mutate: func(m map[string]any) {
			set(m, "observability.managed", map[string]any{"containerInsights": true, "logs": true, "logRetentionDays": 45})
		}, key: "observability.managed.logRetentionDays", hint: "not a period CloudWatch Logs offers"},
		{name: "container insights on alicloud", base: baseAlicloudDev, mutate: func(m map[string]any) { set(m, "observability.managed.containerInsights", true) },
			key: "observability.managed.containerInsights", hint: "an AWS service"},
		{name: "sls retention over ten years", base: baseAlicloudDev, mutate: func(m map[string]any) {
			set(m, "observability.managed", map[string]any{"logs": true, "logRetentionDays": 4000})
		}, key: "observability.managed.logRetentionDays", hint: "outside the 1..3650 days"},
		{name: "sample share above 100%", base: baseLocal, mutate: func(m map[string]any) { set(m, "observability.tracing.samplePercent", 101) },
			key: "observability.tracing.samplePercent", hint: "outside 1..100"},
		{name: "production unprotected", base: baseAWSProd, mutate: func(m map[string]any) { m["protect"] = "false" }, key: "protect", hint: "must protect"},
		{name: "replicas below 2 in production", base: baseAWSProd, mutate: func(m map[string]any) { set(m, "app.replicas", 1) }, key: "app.replicas", hint: "at least 2"},
		{name: "min above max replicas", base: baseLocal, mutate: func(m map[string]any) {
			set(m, "app.minReplicas", 4)
			set(m, "app.maxReplicas", 2)
		}, key: "app.minReplicas", hint: "greater than app.maxReplicas"},
		{name: "request above limit", base: baseLocal, mutate: func(m map[string]any) {
			set(m, "app.resources", map[string]any{"cpuRequest": "1", "cpuLimit": "500m"})
		}, key: "app.resources.cpuRequest", hint: "above the limit"},
		{name: "bad quantity", base: baseLocal, mutate: func(m map[string]any) { set(m, "app.resources.memoryLimit", "1 gig") }, key: "app.resources.memoryLimit", hint: "not a Kubernetes quantity"},
		{name: "malformed domain", base: baseLocal, mutate: func(m map[string]any) { set(m, "app.domain", "bad_domain..com") }, key: "app.domain", hint: "not a host name"},
		{name: "tls without domain", base: baseLocal, mutate: func(m map[string]any) { set(m, "app.tls.enabled", true) }, key: "app.tls.enabled", hint: "needs a host name"},
		{name: "production without tls", base: baseAWSProd, mutate: func(m map[string]any) { set(m, "app.tls.enabled", false) }, key: "app.tls.enabled", hint: "HTTPS only"},
		{name: "image latest", base: baseLocal, mutate: func(m map[string]any) { set(m, "app.image", "nginx:latest") }, key: "app.image", hint: "mutable tag latest"},
		{name: "image without digest", base: baseLocal, mutate: func(m map[string]any) { set(m, "app.image", "registry.local/app:v1") }, key: "app.image", hint: "not pinned by digest"},
		{name: "build tag latest", base: baseAWSProd, mutate: func(m map[string]any) { set(m, "app.build.tag", "latest") }, key: "app.build.tag", hint: "never latest"},
		{name: "app name invalid", base: baseLocal, mutate: func(m map[string]any) { set(m, "app.name", "My_App") }, key: "app.name", hint: "DNS label"},
		{name: "port privileged", base: baseLocal, mutate: func(m map[string]any) { set(m, "app.port", 80) }, key: "app.port", hint: "non-root"},
		{name: "env reserved", base: baseLocal, mutate: func(m map[string]any) { set(m, "app.env", map[string]any{"DATABASE_URL": "x"}) }, key: "app.env.DATABASE_URL", hint: "set by the workload"},
		{name: "env secret looking", base: baseLocal, mutate: func(m map[string]any) { set(m, "app.env", map[string]any{"REDIS_PASSWORD": "x"}) }, key: "app.env.REDIS_PASSWORD", hint: "looks like a secret"},
		{name: "env bad name", base: baseLocal, mutate: func(m map[string]any) { set(m, "app.env", map[string]any{"1FOO": "x"}) }, key: "app.env.1FOO", hint: "not an environment variable name"},
		{name: "token ttl", base: baseLocal, mutate: func(m map[string]any) { set(m, "app.tokenTtl", "forever") }, key: "app.tokenTtl", hint: "between 1m and 720h"},
		{name: "log level", base: baseLocal, mutate: func(m map[string]any) { set(m, "app.logLevel", "verbose") }, key: "app.logLevel", hint: "debug, info, warn, error"},
		{name: "existing without registry", base: baseLocal, mutate: func(m map[string]any) { delete(m["app"].(map[string]any), "image") }, key: "existing.registryServer", hint: "required when app.image is empty"},
		{name: "registry keep images", base: baseAWSProd, mutate: func(m map[string]any) { set(m, "registry.keepImages", -1) }, key: "registry.keepImages", hint: "10 to 1000"},
		{name: "acr edition", base: baseAlicloudDev, mutate: func(m map[string]any) { set(m, "registry.instanceSpec", "Ultimate") }, key: "registry.instanceSpec", hint: "Basic, Standard, Advanced"},
		{name: "reserved tag prefix", base: baseAWSProd, mutate: func(m map[string]any) { m["tags"] = map[string]any{"aws:owner": "me"} }, key: "tags.aws:owner", hint: "reserved"},
		{name: "tags wrong type", base: baseAWSProd, mutate: func(m map[string]any) { m["tags"] = []any{"a"} }, key: "tags", hint: "want a map of string values"},
		{name: "missing app secret", base: baseLocal, secrets: without(validSecrets, "wechatAppSecret"), key: "wechatAppSecret",
			hint: "pulumi config set --secret --stack dev wechat-deploy:wechatAppSecret"},
		{name: "missing database url in production", base: baseAWSProd, secrets: without(validSecrets, "databaseUrl"), key: "databaseUrl",
			hint: "pulumi config set --secret --stack dev wechat-deploy:databaseUrl"},
		{name: "secret stored in plain text", base: baseLocal, secrets: validSecrets, plain: []string{"jwtSigningKey"}, key: "jwtSigningKey", hint: "plain text"},
		{name: "short jwt key", base: baseLocal, secrets: with(validSecrets, "jwtSigningKey", "short"), key: "jwtSigningKey", hint: "at least 32"},
		{name: "bad app id", base: baseLocal, secrets: with(validSecrets, "wechatAppId", "app123"), key: "wechatAppId", hint: "not a WeChat AppID"},
		{name: "database url not postgres", base: baseLocal, secrets: with(validSecrets, "databaseUrl", "mysql://x@y/z"), key: "databaseUrl", hint: "not a PostgreSQL URL"},
		{name: "production database without tls", base: baseAWSProd, secrets: with(validSecrets, "databaseUrl", "postgres://a:b@h:5432/d?sslmode=disable"), key: "databaseUrl", hint: "sslmode to disable"},
		{name: "database settings without provision", base: baseAWSProd, mutate: func(m map[string]any) { set(m, "database.instanceClass", "db.m6g.large") },
			key: "database.instanceClass", hint: "database.provision is false"},
		// alicloud: ApsaraDB's rules.
		{name: "apsaradb class of the other edition", base: baseAlicloudProd, secrets: dbSecrets, mutate: func(m map[string]any) {
			set(m, "database", map[string]any{"provision": true, "instanceClass": "pg.n2.2c.1m"})
		}, key: "database.instanceClass", hint: "Basic Edition class"},
		{name: "rds class on alicloud", base: baseAlicloudDev, secrets: dbSecrets, mutate: func(m map[string]any) {
			set(m, "database", map[string]any{"provision": true, "instanceClass": "db.m6g.large"})
		}, key: "database.instanceClass", hint: "not an ApsaraDB for PostgreSQL class"},
		{name: "apsaradb backups below its minimum", base: baseAlicloudDev, secrets: dbSecrets, mutate: func(m map[string]any) {
			set(m, "database", map[string]any{"provision": true, "backupRetentionDays": 3})
		}, key: "database.backupRetentionDays", hint: "outside ApsaraDB's 7..730"},
		{name: "apsaradb account starting with pg", base: baseAlicloudDev, secrets: dbSecrets, mutate: func(m map[string]any) {
			set(m, "database", map[string]any{"provision": true, "username": "pgapp"})
		}, key: "database.username", hint: "not pg"},
		{name: "apsaradb upper-case database name", base: baseAlicloudDev, secrets: dbSecrets, mutate: func(m map[string]any) {
			set(m, "database", map[string]any{"provision": true, "name": "WechatApi"})
		}, key: "database.name", hint: "ApsaraDB accepts"},
		{name: "performance insights on alicloud", base: baseAlicloudDev, secrets: dbSecrets, mutate: func(m map[string]any) {
			set(m, "database", map[string]any{"provision": true, "performanceInsights": true})
		}, key: "database.performanceInsights", hint: "ApsaraDB has none"},
		{name: "apsaradb monitoring period", base: baseAlicloudDev, secrets: dbSecrets, mutate: func(m map[string]any) {
			set(m, "database", map[string]any{"provision": true, "monitoringInterval": 30})
		}, key: "database.monitoringInterval", hint: "one ApsaraDB offers"},
		{name: "apsaradb production without protection", base: baseAlicloudProd, secrets: dbSecrets, mutate: func(m map[string]any) {
			set(m, "database", map[string]any{"provision": true, "deletionProtection": false})
		}, key: "database.deletionProtection", hint: "refuses to delete"},
		{name: "apsaradb password over 32", base: baseAlicloudDev, secrets: with(dbSecrets, "databasePassword", "k3Q9vX2mZ7pL4rT8wN1yB6cF0hJ5sDaEx9"),
			mutate: func(m map[string]any) { set(m, "database.provision", true) }, key: "databasePassword", hint: "ApsaraDB takes 16 to 32"},
		{name: "apsaradb password with a slash", base: baseAlicloudDev, secrets: with(dbSecrets, "databasePassword", "k3Q9vX2mZ7pL4r/8wN1yB6cF"),
			mutate: func(m map[string]any) { set(m, "database.provision", true) }, key: "databasePassword", hint: "ApsaraDB refuses"},
		{name: "apsaradb password of two kinds", base: baseAlicloudDev, secrets: with(dbSecrets, "databasePassword", "k3q9vx2mz7pl4rt8wn1yb6cf"),
			mutate: func(m map[string]any) { set(m, "database.provision", true) }, key: "databasePassword", hint: "three of"},
		// existing: the in-cluster database.
		{name: "in-cluster database without an image", base: baseLocal, secrets: dbSecrets, mutate: func(m map[string]any) { set(m, "database.provision", true) },
			key: "database.image", hint: "is required"},
		{name: "in-cluster database image by tag", base: baseLocal, secrets: dbSecrets, mutate: func(m map[string]any) {
			set(m, "database", map[string]any{"provision": true, "image": "postgres:17"})
		}, key: "database.image", hint: "not pinned by digest"},
		{name: "in-cluster database with an rds class", base: baseLocal, secrets: dbSecrets, mutate: func(m map[string]any) {
			set(m, "database", map[string]any{"provision": true, "image": "registry.local/wechat-postgres" + digest, "instanceClass": "db.t4g.medium"})
		}, key: "database.instanceClass", hint: "managed database"},
		{name: "in-cluster database too large", base: baseLocal, secrets: dbSecrets, mutate: func(m map[string]any) {
			set(m, "database", map[string]any{"provision": true, "image": "registry.local/wechat-postgres" + digest, "storageGiB": 5000})
		}, key: "database.storageGiB", hint: "outside the in-cluster database's 1..1024"},
		{name: "in-cluster database user postgres", base: baseLocal, secrets: dbSecrets, mutate: func(m map[string]any) {
			set(m, "database", map[string]any{"provision": true, "image": "registry.local/wechat-postgres" + digest, "username": "postgres"})
		}, key: "database.username", hint: "reserved"},
		{name: "in-cluster database storage class", base: baseLocal, secrets: dbSecrets, mutate: func(m map[string]any) {
			set(m, "database", map[string]any{"provision": true, "image": "registry.local/wechat-postgres" + digest, "storageClass": "Fast SSD"})
		}, key: "database.storageClass", hint: "not a storage class name"},
		{name: "in-cluster database in production", stack: "prod", base: func() map[string]any {
			m := baseLocal()
			m["production"] = "true"
			set(m, "app.replicas", 3)
			set(m, "database", map[string]any{"provision": true, "image": "registry.local/wechat-postgres" + digest})
			return m
		}, secrets: dbSecrets, key: "database.provision", hint: "production needs a managed database"},
		{name: "in-cluster image on aws", base: baseAWSProd, secrets: dbSecrets, mutate: func(m map[string]any) {
			set(m, "database", map[string]any{"provision": true, "image": "registry.local/wechat-postgres" + digest})
		}, key: "database.image", hint: "in-cluster database of cloud existing"},
		{name: "burstable database in production", base: baseAWSProd, secrets: dbSecrets, mutate: func(m map[string]any) {
			set(m, "database", map[string]any{"provision": true, "instanceClass": "db.t4g.medium"})
		}, key: "database.instanceClass", hint: "burstable"},
		{name: "database class of no RDS family", base: baseAWSProd, secrets: dbSecrets, mutate: func(m map[string]any) {
			set(m, "database", map[string]any{"provision": true, "instanceClass": "db.x9.large"})
		}, key: "database.instanceClass", hint: "not an RDS class"},
		{name: "database storage below gp3's minimum", base: baseAWSProd, secrets: dbSecrets, mutate: func(m map[string]any) {
			set(m, "database", map[string]any{"provision": true, "storageGiB": 10})
		}, key: "database.storageGiB", hint: "outside gp3's 20..65536"},
		{name: "reserved master user", base: baseAWSProd, secrets: dbSecrets, mutate: func(m map[string]any) {
			set(m, "database", map[string]any{"provision": true, "username": "postgres"})
		}, key: "database.username", hint: "reserved"},
		{name: "production backups for three days", base: baseAWSProd, secrets: dbSecrets, mutate: func(m map[string]any) {
			set(m, "database", map[string]any{"provision": true, "backupRetentionDays": 3})
		}, key: "database.backupRetentionDays", hint: "at least 7 days"},
		{name: "monitoring interval RDS lacks", base: baseAWSProd, secrets: dbSecrets, mutate: func(m map[string]any) {
			set(m, "database", map[string]any{"provision": true, "monitoringInterval": 20})
		}, key: "database.monitoringInterval", hint: "not one RDS offers"},
		{name: "production database without a standby", base: baseAWSProd, secrets: dbSecrets, mutate: func(m map[string]any) {
			set(m, "database", map[string]any{"provision": true, "multiAz": false})
		}, key: "database.multiAz", hint: "standby in another zone"},
		{name: "provisioned database and an external url", base: baseAWSProd, secrets: with(validSecrets, "databasePassword", dbSecrets["databasePassword"]),
			mutate: func(m map[string]any) { set(m, "database.provision", true) }, key: "databaseUrl", hint: "one database only"},
		{name: "database password without a database", base: baseLocal, secrets: with(validSecrets, "databasePassword", dbSecrets["databasePassword"]),
			key: "databasePassword", hint: "provisions no database"},
		{name: "short database password", base: baseAWSProd, secrets: with(dbSecrets, "databasePassword", "short-pass"),
			mutate: func(m map[string]any) { set(m, "database.provision", true) }, key: "databasePassword", hint: "use 16 to 128"},
		{name: "database password with an at sign", base: baseAWSProd, secrets: with(dbSecrets, "databasePassword", "k3Q9vX2mZ7pL4@T8wN1yB6cF"),
			mutate: func(m map[string]any) { set(m, "database.provision", true) }, key: "databasePassword", hint: "RDS refuses"},
	}
	if len(tests) < 30 {
		t.Fatalf("only %d bad-config cases", len(tests))
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			stack := tt.stack
			if stack == "" {
				stack = "dev"
			}
			cfg := tt.base()
			if tt.mutate != nil {
				tt.mutate(cfg)
			}
			secrets := tt.secrets
			if secrets == nil {
				secrets = validSecrets
			}
			_, err := Parse(Namespace, stack, source(t, cfg, secrets, tt.plain...))
			var cerr *Error
			if !errors.As(err, &cerr) {
				t.Fatalf("Parse() error = %v, want a config error on %s", err, tt.key)
			}
			if !cerr.Has(tt.key) {
				t.Fatalf("no problem on key %q; got:\n%v", tt.key, err)
			}
			msg := err.Error()
			if !strings.Contains(msg, "stacks/Pulumi."+stack+".yaml: wechat-deploy:"+tt.key) {
				t.Errorf("error does not name file and key:\n%s", msg)
			}
			if !strings.Contains(msg, tt.hint) {
				t.Errorf("error lacks %q:\n%s", tt.hint, msg)
			}
			for k, v := range secrets {
				if len(v) > 4 && strings.Contains(msg, v) {
					t.Errorf("error message reveals secret %s", k)
				}
			}
		})
	}
}

func without(m map[string]string, key string) map[string]string {
	c := maps.Clone(m)
	delete(c, key)
	return c
}

func with(m map[string]string, key, v string) map[string]string {
	c := maps.Clone(m)
	c[key] = v
	return c
}

func TestErrorsAreCollected(t *testing.T) {
	cfg := baseAWSProd()
	set(cfg, "app.replicas", 1)
	set(cfg, "cluster.version", "1.x")
	_, err := Parse(Namespace, "dev", source(t, cfg, without(validSecrets, "jwtSigningKey")))
	var cerr *Error
	if !errors.As(err, &cerr) {
		t.Fatalf("error = %v", err)
	}
	for _, k := range []string{"app.replicas", "cluster.version", "jwtSigningKey"} {
		if !cerr.Has(k) {
			t.Errorf("missing problem on %s in:\n%v", k, err)
		}
	}
}

func TestParseQuantity(t *testing.T) {
	tests := []struct {
		in   string
		want float64
		ok   bool
	}{
		{"100m", 0.1, true}, {"2", 2, true}, {"0.5", 0.5, true}, {"256Mi", 256 << 20, true}, {"1Gi", 1 << 30, true},
		{"1G", 1e9, true}, {"", 0, false}, {"1 Gi", 0, false}, {"-1", 0, false}, {"0", 0, false}, {"1Pi", 0, false},
	}
	for _, tt := range tests {
		got, ok := ParseQuantity(tt.in)
		if ok != tt.ok || (ok && got != tt.want) {
			t.Errorf("ParseQuantity(%q) = %v, %v; want %v, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

func TestResourceTags(t *testing.T) {
	c := Config{Project: "p", Stack: "s", Environment: "e", Tags: map[string]string{"team": "x", "stack": "spoofed"}}
	got := c.ResourceTags()
	want := map[string]string{"team": "x", "project": "p", "stack": "s", "environment": "e", "managed-by": "pulumi"}
	if !maps.Equal(got, want) {
		t.Errorf("ResourceTags() = %v, want %v", got, want)
	}
}

// FuzzParse feeds arbitrary values to every key: Parse may reject them but must never panic, and whatever it
// accepts must be internally consistent.
func FuzzParse(f *testing.F) {
	f.Add("aws", `{"cidr":"10.0.0.0/16","zones":2}`, `{"minNodes":1}`, `{"replicas":2}`, "us-east-1")
	f.Add("existing", `{}`, `null`, `{"image":"x@sha256:00"}`, "")
	f.Add("alicloud", `{"cidr":"10.0.0.0/24","zones":6,"privateSubnetPrefix":99}`, `{"endpoint":{"public":true}}`, `[]`, "cn-beijing")
	f.Fuzz(func(t *testing.T, cloud, network, cluster, app, region string) {
		src := MapSource{Values: map[string]string{
			qualify("cloud"): cloud, qualify("network"): network, qualify("cluster"): cluster,
			qualify("app"): app, qualify("region"): region,
		}, Secrets: map[string]bool{}}
		for k, v := range validSecrets {
			src.Values[qualify(k)], src.Secrets[qualify(k)] = v, true
		}
		c, err := Parse(Namespace, "fuzz", src)
		if err != nil {
			return
		}
		if c.App.MinReplicas > c.App.MaxReplicas || c.Cluster.MinNodes > c.Cluster.MaxNodes && c.Cloud != CloudExisting {
			t.Fatalf("accepted inconsistent config: %+v", c)
		}
	})
}

// A production stack may run a fixed replica count, but only by saying so.
func TestFixedReplicaCountIsExplicit(t *testing.T) {
	fixed := baseAWSProd()
	set(fixed, "app.minReplicas", 3)
	set(fixed, "app.maxReplicas", 3)
	if _, err := Parse(Namespace, "prod", source(t, fixed, validSecrets)); err == nil || !strings.Contains(err.Error(), "app.autoscaling: false") {
		t.Fatalf("min = max in production without app.autoscaling: false: %v", err)
	}
	set(fixed, "app.autoscaling", false)
	c, err := Parse(Namespace, "prod", source(t, fixed, validSecrets))
	if err != nil || *c.App.Autoscaling {
		t.Fatalf("a declared fixed count: %v", err)
	}
}

// TestEKSSupportCalendar: a pinned version is refused once AWS would have upgraded the cluster past it, which
// depends on the upgrade policy (the dates are the EKS release calendar's, in components/aws/versions.go).
func TestEKSSupportCalendar(t *testing.T) {
	tests := []struct {
		policy, date string
		refused      bool
	}{
		{"STANDARD", "2026-07-28", false},
		{"STANDARD", "2026-07-29", true},
		{"EXTENDED", "2026-07-29", false},
		{"EXTENDED", "2027-07-28", false},
		{"EXTENDED", "2027-07-29", true},
	}
	saved := today
	t.Cleanup(func() { today = saved })
	for _, tt := range tests {
		t.Run(tt.policy+"@"+tt.date, func(t *testing.T) {
			day, err := time.Parse(time.DateOnly, tt.date)
			if err != nil {
				t.Fatal(err)
			}
			today = func() time.Time { return day }
			m := baseAWSProd()
			set(m, "cluster.version", "1.33")
			set(m, "cluster.upgradePolicy", tt.policy)
			_, err = Parse(Namespace, "prod", source(t, m, validSecrets))
			if got := err != nil && strings.Contains(err.Error(), "wechat-deploy:cluster.version Kubernetes 1.33 left EKS"); got != tt.refused {
				t.Errorf("refused = %v, want %v (err: %v)", got, tt.refused, err)
			}
		})
	}
}

// TestAlicloudProductionBase: the production base the alicloud cases mutate is itself valid, so each case's
// problem is the one it names.
func TestAlicloudProductionBase(t *testing.T) {
	c, err := Parse(Namespace, "prod-cn", source(t, baseAlicloudProd(), with(validSecrets, "databaseUrl", "postgres://a:b@db.internal:5432/d?sslmode=verify-full")))
	if err != nil {
		t.Fatal(err)
	}
	if c.App.TLS.ClusterIssuer != DefaultClusterIssuer || !c.Cluster.Endpoint.Private {
		t.Errorf("alicloud defaults: issuer %q, private endpoint %v", c.App.TLS.ClusterIssuer, c.Cluster.Endpoint.Private)
	}
	if i := slices.IndexFunc(c.Cluster.Addons, func(a Addon) bool { return a.Name == TerwayAddon }); i < 0 || c.Cluster.Addons[i].Config != TerwayNetworkPolicy {
		t.Errorf("terway addon %+v", c.Cluster.Addons)
	}
}
