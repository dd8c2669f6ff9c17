package alicloud

import (
	"slices"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/wechat-deploy/wechat-deploy/components/componenttest"
	"github.com/wechat-deploy/wechat-deploy/components/platform"
)

func devCN() PlatformArgs {
	return PlatformArgs{
		Region: "cn-hangzhou", ZoneCount: 2,
		Network: NetworkArgs{CIDR: "10.40.0.0/16", WorkerPrefix: 18, PodPrefix: 19, Tags: map[string]string{"stack": "dev-cn"}},
		Cluster: ClusterArgs{
			ClusterName: "wechat-deploy-dev-cn", Spec: "ack.pro.small", Version: "1.33.3-aliyun.1", ServiceCIDR: "172.21.0.0/20",
			PublicEndpoint: true, Addons: []platform.Addon{{Name: "terway-eniip"}, {Name: "csi-plugin"}, {Name: "logtail-ds", Config: `{"a":"b"}`}},
			LogRetentionDays: 90, InstanceTypes: []string{"ecs.g7.large"}, MinNodes: 1, MaxNodes: 3, DiskSizeGiB: 50,
			AppNamespace: "wechat-api", AppServiceAccount: "wechat-api",
		},
		Registry: RegistryArgs{InstanceName: "wechat-deploy-dev-cn", InstanceSpec: "Basic", Namespace: "wechat-deploy", Repository: "wechat-api",
			PushCIDRs: []string{"0.0.0.0/0"}},
	}
}

func prodCN() PlatformArgs {
	a := devCN()
	a.Region, a.ZoneCount = "cn-shanghai", 3
	a.Network = NetworkArgs{CIDR: "10.50.0.0/16", WorkerPrefix: 18, PodPrefix: 20, NATPerZone: true, Protect: true, DeletionProtection: true}
	a.Cluster.ClusterName = "wechat-deploy-prod-cn"
	a.Cluster.MinNodes, a.Cluster.MaxNodes = 3, 9
	a.Cluster.DeletionProtection, a.Cluster.Protect = true, true
	a.Registry.Protect, a.Registry.InstanceSpec, a.Registry.PushCIDRs = true, "Standard", []string{"203.0.113.0/24"}
	return a
}

func run(t *testing.T, args PlatformArgs) (*componenttest.Result, *Platform) {
	t.Helper()
	opts := componenttest.Options{Project: "wechat-deploy", Stack: "t", Config: map[string]string{"wechat-deploy:region": args.Region}}
	return componenttest.Component(t, opts, func(ctx *pulumi.Context) (*Platform, error) { return NewPlatform(ctx, "cn", &args) })
}

func TestNetworkShapes(t *testing.T) {
	tests := []struct {
		name          string
		args          PlatformArgs
		zones, nats   int
		workers, pods []string
	}{
		{"dev-cn: two zones, one NAT", devCN(), 2, 1, []string{"10.40.0.0/18", "10.40.64.0/18"}, []string{"10.40.128.0/19", "10.40.160.0/19"}},
		{"prod-cn: three zones, NAT per zone", prodCN(), 3, 3, []string{"10.50.0.0/18", "10.50.64.0/18", "10.50.128.0/18"},
			[]string{"10.50.192.0/20", "10.50.208.0/20", "10.50.224.0/20"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, _ := run(t, tt.args)
			vpc := res.MustOne(t, "alicloud:vpc/network:Network", "cn-vpc")
			if vpc.Str("cidrBlock") != tt.args.Network.CIDR || vpc.Protect != tt.args.Network.Protect {
				t.Errorf("VPC cidr %s protect %v", vpc.Str("cidrBlock"), vpc.Protect)
			}
			var workers, pods []string
			for _, s := range res.Find("alicloud:vpc/switch:Switch") {
				if !strings.HasPrefix(s.Str("zoneId"), tt.args.Region+"-") || s.Str("vpcId") != vpc.ID {
					t.Errorf("VSwitch %s in zone %q vpc %q", s.Name, s.Str("zoneId"), s.Str("vpcId"))
				}
				if strings.Contains(s.Name, "-pod-") {
					pods = append(pods, s.Str("cidrBlock"))
				} else {
					workers = append(workers, s.Str("cidrBlock"))
				}
			}
			if !slices.Equal(workers, tt.workers) || !slices.Equal(pods, tt.pods) {
				t.Errorf("VSwitches workers %v pods %v", workers, pods)
			}
			nats := res.Find("alicloud:vpc/natGateway:NatGateway")
			if len(nats) != tt.nats || len(res.Find("alicloud:ecs/eipAddress:EipAddress")) != tt.nats || len(res.Find("alicloud:ecs/eipAssociation:EipAssociation")) != tt.nats {
				t.Fatalf("%d NAT gateways, want %d with an EIP each", len(nats), tt.nats)
			}
			for _, n := range nats {
				if n.Str("natType") != "Enhanced" || n.Bool("deletionProtection") != tt.args.Network.DeletionProtection {
					t.Errorf("NAT %s type %s deletion protection %v", n.Name, n.Str("natType"), n.Bool("deletionProtection"))
				}
			}
			// SNAT for every VSwitch through its zone's NAT, and a route table per zone sending 0.0.0.0/0 there.
			if n := len(res.Find("alicloud:vpc/snatEntry:SnatEntry")); n != 2*tt.zones {
				t.Errorf("%d SNAT entries, want %d", n, 2*tt.zones)
			}
			for z := range tt.zones {
				s := string(rune('0' + z))
				g := "0"
				if tt.nats > 1 {
					g = s
				}
				nat := res.MustOne(t, "alicloud:vpc/natGateway:NatGateway", "cn-nat-"+g)
				eip := res.MustOne(t, "alicloud:ecs/eipAddress:EipAddress", "cn-nat-"+g)
				snat := res.MustOne(t, "alicloud:vpc/snatEntry:SnatEntry", "cn-snat-worker-"+s)
				if snat.Str("snatTableId") != nat.Outputs["snatTableIds"].StringValue() || snat.Str("snatIp") != eip.Outputs["ipAddress"].StringValue() {
					t.Errorf("zone %d SNAT via table %q ip %q", z, snat.Str("snatTableId"), snat.Str("snatIp"))
				}
				route := res.MustOne(t, "alicloud:vpc/routeEntry:RouteEntry", "cn-default-route-"+s)
				if route.Str("nexthopId") != nat.ID || route.Str("destinationCidrblock") != "0.0.0.0/0" || route.Str("nexthopType") != "NatGateway" {
					t.Errorf("zone %d default route %v", z, route.Inputs)
				}
			}
			for _, r := range res.Find("alicloud:ecs/securityGroupRule:SecurityGroupRule") {
				if r.Str("cidrIp") == "0.0.0.0/0" && r.Str("type") == "ingress" {
					t.Errorf("security group rule %s is open to the internet", r.Name)
				}
			}
		})
	}
}

func TestCluster(t *testing.T) {
	res, p := run(t, prodCN())
	c := res.MustOne(t, "alicloud:cs/managedKubernetes:ManagedKubernetes", "cn")
	key := res.MustOne(t, "alicloud:kms/key:Key", "cn-secrets-key")
	net := p.Network
	workers, _ := componenttest.Await(net.WorkerVSwitchIDs)
	pods, _ := componenttest.Await(net.PodVSwitchIDs)
	if c.Str("clusterSpec") != "ack.pro.small" || c.Str("version") != "1.33.3-aliyun.1" || c.Str("encryptionProviderKey") != key.ID ||
		c.Bool("disableEncryption") || !c.Bool("enableRrsa") || !c.Bool("deletionProtection") || !c.Protect || c.Bool("newNatGateway") {
		t.Errorf("cluster inputs %v", c.Inputs)
	}
	if !slices.Equal(c.Strings("vswitchIds"), toStrings(workers.Value)) || !slices.Equal(c.Strings("podVswitchIds"), toStrings(pods.Value)) {
		t.Errorf("cluster VSwitches %v pods %v", c.Strings("vswitchIds"), c.Strings("podVswitchIds"))
	}
	if !slices.Equal(c.Strings("controlPlaneLogComponents"), ControlPlaneLogComponents) || c.Str("controlPlaneLogTtl") != "90" || !c.Bool("auditLogConfig.enabled") {
		t.Errorf("logs %v ttl %q audit %v", c.Strings("controlPlaneLogComponents"), c.Str("controlPlaneLogTtl"), c.Bool("auditLogConfig.enabled"))
	}
	if !c.Bool("operationPolicy.clusterAutoUpgrade.enabled") || !c.Bool("maintenanceWindow.enable") || !slices.Equal(c.IgnoreChanges, []string{"version"}) {
		t.Errorf("managed upgrades %v window %v ignore %v", c.Inputs["operationPolicy"], c.Inputs["maintenanceWindow"], c.IgnoreChanges)
	}
	var addons []string
	helperConfig := ""
	for i := range 10 {
		name := c.Str("addons[" + string(rune('0'+i)) + "].name")
		if name == "" {
			break
		}
		addons = append(addons, name)
		if name == ACRCredentialHelper {
			helperConfig = c.Str("addons[" + string(rune('0'+i)) + "].config")
		}
	}
	instance := res.MustOne(t, "alicloud:cr/registryEnterpriseInstance:RegistryEnterpriseInstance", "cn-instance")
	if !slices.Contains(addons, "terway-eniip") || !strings.Contains(helperConfig, instance.ID) {
		t.Errorf("addons %v, credential helper config %q", addons, helperConfig)
	}
	if key.Str("automaticRotation") != "Enabled" || key.Str("deletionProtection") != "Enabled" || !key.Protect {
		t.Errorf("KMS key %v", key.Inputs)
	}
	pool := res.MustOne(t, "alicloud:cs/nodePool:NodePool", "cn-nodes")
	if pool.Str("clusterId") != c.ID || !pool.Bool("systemDiskEncrypted") || pool.Str("systemDiskKmsKey") != key.ID ||
		pool.Num("scalingConfig.minSize") != 3 || pool.Num("scalingConfig.maxSize") != 9 || !pool.Bool("scalingConfig.enable") ||
		!pool.Bool("management.autoUpgrade") || !pool.Bool("management.autoRepair") || pool.Str("instanceMetadataOptions.httpTokens") != "required" ||
		!slices.Equal(pool.Strings("vswitchIds"), c.Strings("vswitchIds")) {
		t.Errorf("node pool %v", pool.Inputs)
	}
	role := res.MustOne(t, "alicloud:ram/role:Role", "cn-app")
	if doc := role.Str("assumeRolePolicyDocument"); !strings.Contains(doc, `"oidc:sub":"system:serviceaccount:wechat-api:wechat-api"`) || !strings.Contains(doc, "ack-rrsa-") {
		t.Errorf("RRSA trust %s", doc)
	}
	kc, _ := componenttest.Await(p.Outputs.Kubeconfig)
	if !kc.Secret || !strings.Contains(kc.Value.(string), "server:") {
		t.Errorf("kubeconfig secret=%v", kc.Secret)
	}
	if arn, _ := componenttest.Await(p.Outputs.OIDCProviderARN); !strings.Contains(arn.Value.(string), "oidc-provider/ack-rrsa-") {
		t.Errorf("platform OIDC provider output %v", arn.Value)
	}
	sa, _ := componenttest.Await(p.Outputs.ServiceAccountAnnotations)
	if sa.Value.(map[string]string)["pod-identity.alibabacloud.com/role-name"] != "wechat-deploy-prod-cn-wechat-api" {
		t.Errorf("service account annotations %v", sa.Value)
	}
}

func toStrings(v any) []string {
	switch l := v.(type) {
	case []string:
		return l
	case []any:
		out := make([]string, len(l))
		for i, e := range l {
			out[i], _ = e.(string)
		}
		return out
	}
	return nil
}

func TestRegistry(t *testing.T) {
	res, p := run(t, prodCN())
	inst := res.MustOne(t, "alicloud:cr/registryEnterpriseInstance:RegistryEnterpriseInstance", "cn-instance")
	ns := res.MustOne(t, "alicloud:cs/registryEnterpriseNamespace:RegistryEnterpriseNamespace", "cn-namespace")
	repo := res.MustOne(t, "alicloud:cs/registryEnterpriseRepo:RegistryEnterpriseRepo", "cn-repo")
	if inst.Str("instanceType") != "Standard" || !inst.Protect || ns.Str("defaultVisibility") != "PRIVATE" || ns.Bool("autoCreate") ||
		repo.Str("repoType") != "PRIVATE" || !repo.Bool("tagImmutability") || repo.Str("instanceId") != inst.ID {
		t.Errorf("registry: instance %v namespace %v repo %v", inst.Inputs, ns.Inputs, repo.Inputs)
	}
	acl := res.Find("alicloud:cr/endpointAclPolicy:EndpointAclPolicy")
	if len(acl) != 1 || acl[0].Str("entry") != "203.0.113.0/24" || acl[0].Str("endpointType") != "internet" {
		t.Errorf("push ACL %v", acl)
	}
	link := res.MustOne(t, "alicloud:cr/vpcEndpointLinkedVpc:VpcEndpointLinkedVpc", "cn-vpc-link")
	if link.Str("moduleName") != "Registry" || !link.Bool("enableCreateDnsRecordInPvzt") {
		t.Errorf("VPC link %v", link.Inputs)
	}
	pass, _ := componenttest.Await(p.Outputs.Registry.Password)
	user, _ := componenttest.Await(p.Outputs.Registry.Username)
	url, _ := componenttest.Await(p.Outputs.RepositoryURL)
	if !pass.Secret || user.Secret || url.Secret || user.Value != "cr_temp_user" ||
		!strings.HasSuffix(url.Value.(string), "-registry.cn-shanghai.cr.aliyuncs.com/wechat-deploy/wechat-api") {
		t.Errorf("credentials user %v (secret %v) url %v (secret %v) password secret %v", user.Value, user.Secret, url.Value, url.Secret, pass.Secret)
	}
	pull, _ := componenttest.Await(p.Outputs.PullReference(pulumi.Sprintf("%s@sha256:abc", p.Outputs.RepositoryURL)))
	if !strings.Contains(pull.Value.(string), "-registry-vpc.cn-shanghai.cr.aliyuncs.com/wechat-deploy/wechat-api@sha256:abc") {
		t.Errorf("pull reference %v", pull.Value)
	}
}

func TestExistingRegistryInstance(t *testing.T) {
	a := devCN()
	a.Registry.ExistingInstanceID = "cri-existing123"
	res, _ := run(t, a)
	if n := len(res.Find("alicloud:cr/registryEnterpriseInstance:RegistryEnterpriseInstance")); n != 0 {
		t.Fatalf("created %d instances despite an existing one", n)
	}
	ns := res.MustOne(t, "alicloud:cs/registryEnterpriseNamespace:RegistryEnterpriseNamespace", "cn-namespace")
	if ns.Str("instanceId") != "cri-existing123" {
		t.Errorf("namespace on %q", ns.Str("instanceId"))
	}
}

func TestParentsAndNames(t *testing.T) {
	res, _ := run(t, devCN())
	if o := res.Orphans(); len(o) > 0 {
		t.Errorf("orphans: %v", o)
	}
	if bad := res.NotNamedAfter("cn"); len(bad) > 0 {
		t.Errorf("not named after their component: %v", bad)
	}
	for _, r := range res.Resources {
		if strings.HasPrefix(r.Type, "alicloud:") && r.Version != "3.105.0" {
			t.Errorf("%s %s pins plugin %q", r.Type, r.Name, r.Version)
		}
	}
}

// replacementInputs are the ACK inputs whose change makes the provider replace the resource.
var replacementInputs = map[string][]string{
	"alicloud:cs/managedKubernetes:ManagedKubernetes": {"name", "serviceCidr", "podCidr", "podVswitchIds", "newNatGateway", "proxyMode",
		"securityGroupId", "isEnterpriseSecurityGroup", "encryptionProviderKey", "timezone"},
	"alicloud:cs/nodePool:NodePool": {"clusterId", "imageType", "runtimeName"},
}

func TestScalingAndVersionDoNotReplace(t *testing.T) {
	before, _ := run(t, prodCN())
	changed := prodCN()
	changed.Cluster.Version = "1.34.1-aliyun.1"
	changed.Cluster.MinNodes, changed.Cluster.MaxNodes = 4, 12
	after, _ := run(t, changed)
	for typ, paths := range replacementInputs {
		name := "cn"
		if strings.HasSuffix(typ, "NodePool") {
			name = "cn-nodes"
		}
		if changed := componenttest.ChangedInputs(t, before, after, typ, name, paths); len(changed) > 0 {
			t.Errorf("%s changed %v (would replace)", typ, changed)
		}
	}
	if pool := after.MustOne(t, "alicloud:cs/nodePool:NodePool", "cn-nodes"); pool.Num("scalingConfig.maxSize") != 12 {
		t.Fatal("the scaling change did not reach the node pool")
	}
	if c := after.MustOne(t, "alicloud:cs/managedKubernetes:ManagedKubernetes", "cn"); c.Str("version") != "1.34.1-aliyun.1" {
		t.Fatal("the version change did not reach the cluster")
	}
}

func TestValidation(t *testing.T) {
	tests := map[string]func(a *PlatformArgs){
		"bad spec":         func(a *PlatformArgs) { a.Cluster.Spec = "ack.huge" },
		"min above max":    func(a *PlatformArgs) { a.Cluster.MinNodes = 9 },
		"no registry name": func(a *PlatformArgs) { a.Registry.InstanceName = "" },
		"does not fit": func(a *PlatformArgs) {
			a.Network.CIDR, a.Network.WorkerPrefix, a.Network.PodPrefix = "10.0.0.0/24", 25, 25
		},
	}
	for name, edit := range tests {
		t.Run(name, func(t *testing.T) {
			a := devCN()
			edit(&a)
			_, err := componenttest.Run(componenttest.Options{Project: "wechat-deploy", Stack: "t"}, func(ctx *pulumi.Context) error {
				_, err := NewPlatform(ctx, "cn", &a)
				return err
			})
			if err == nil || !strings.Contains(err.Error(), "invalid arguments") {
				t.Fatalf("error = %v", err)
			}
		})
	}
}
