package sdk_test

import (
	"bufio"
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/wechat-deploy/wechat-deploy/components/alicloud/sdk/alicloud"
	"github.com/wechat-deploy/wechat-deploy/components/alicloud/sdk/cr"
	"github.com/wechat-deploy/wechat-deploy/components/alicloud/sdk/cs"
	"github.com/wechat-deploy/wechat-deploy/components/alicloud/sdk/ecs"
	"github.com/wechat-deploy/wechat-deploy/components/alicloud/sdk/internal"
	"github.com/wechat-deploy/wechat-deploy/components/alicloud/sdk/kms"
	"github.com/wechat-deploy/wechat-deploy/components/alicloud/sdk/log"
	"github.com/wechat-deploy/wechat-deploy/components/alicloud/sdk/ram"
	"github.com/wechat-deploy/wechat-deploy/components/alicloud/sdk/rds"
	"github.com/wechat-deploy/wechat-deploy/components/alicloud/sdk/vpc"
	"github.com/wechat-deploy/wechat-deploy/components/componenttest"
)

// schema reads testdata/schema-<version>.txt: token (or type:<pkg>.<Type>) to its property names.
func schema(t *testing.T) map[string]map[string]bool {
	t.Helper()
	f, err := os.Open("testdata/schema-" + internal.ProviderVersion + ".txt")
	if err != nil {
		t.Fatalf("no property list for provider %s: %v", internal.ProviderVersion, err)
	}
	defer func() { _ = f.Close() }() // read-only: a close error loses nothing
	out := map[string]map[string]bool{}
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) == 0 || strings.HasPrefix(fields[0], "#") {
			continue
		}
		props := map[string]bool{}
		for _, p := range fields[1:] {
			props[p] = true
		}
		out[fields[0]] = props
	}
	return out
}

// tags lists the pulumi tags of a struct type (pointers followed).
func tags(t reflect.Type) []string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	var out []string
	for i := range t.NumField() {
		if tag := strings.Split(t.Field(i).Tag.Get("pulumi"), ",")[0]; tag != "" {
			out = append(out, tag)
		}
	}
	return out
}

type binding struct {
	resource any                             // pointer to the resource struct (outputs)
	args     pulumi.Input                    // the Args (its element type carries the input names)
	create   func(ctx *pulumi.Context) error // registers it with minimal arguments
}

func bindings() []binding {
	s := pulumi.String("x")
	return []binding{
		{&vpc.Network{}, vpc.NetworkArgs{}, func(c *pulumi.Context) error { _, e := vpc.NewNetwork(c, "n", &vpc.NetworkArgs{}); return e }},
		{&vpc.Switch{}, vpc.SwitchArgs{}, func(c *pulumi.Context) error { _, e := vpc.NewSwitch(c, "s", &vpc.SwitchArgs{}); return e }},
		{&vpc.NatGateway{}, vpc.NatGatewayArgs{}, func(c *pulumi.Context) error {
			_, e := vpc.NewNatGateway(c, "g", &vpc.NatGatewayArgs{VpcId: s})
			return e
		}},
		{&vpc.SnatEntry{}, vpc.SnatEntryArgs{}, func(c *pulumi.Context) error {
			_, e := vpc.NewSnatEntry(c, "e", &vpc.SnatEntryArgs{SnatIp: s, SnatTableId: s})
			return e
		}},
		{&vpc.RouteTable{}, vpc.RouteTableArgs{}, func(c *pulumi.Context) error {
			_, e := vpc.NewRouteTable(c, "r", &vpc.RouteTableArgs{VpcId: s})
			return e
		}},
		{&vpc.RouteTableAttachment{}, vpc.RouteTableAttachmentArgs{}, func(c *pulumi.Context) error {
			_, e := vpc.NewRouteTableAttachment(c, "a", &vpc.RouteTableAttachmentArgs{RouteTableId: s, VswitchId: s})
			return e
		}},
		{&vpc.RouteEntry{}, vpc.RouteEntryArgs{}, func(c *pulumi.Context) error {
			_, e := vpc.NewRouteEntry(c, "e", &vpc.RouteEntryArgs{RouteTableId: s})
			return e
		}},
		{&ecs.EipAddress{}, ecs.EipAddressArgs{}, func(c *pulumi.Context) error { _, e := ecs.NewEipAddress(c, "i", &ecs.EipAddressArgs{}); return e }},
		{&ecs.EipAssociation{}, ecs.EipAssociationArgs{}, func(c *pulumi.Context) error {
			_, e := ecs.NewEipAssociation(c, "a", &ecs.EipAssociationArgs{AllocationId: s, InstanceId: s})
			return e
		}},
		{&ecs.SecurityGroup{}, ecs.SecurityGroupArgs{}, func(c *pulumi.Context) error {
			_, e := ecs.NewSecurityGroup(c, "g", &ecs.SecurityGroupArgs{})
			return e
		}},
		{&ecs.SecurityGroupRule{}, ecs.SecurityGroupRuleArgs{}, func(c *pulumi.Context) error {
			_, e := ecs.NewSecurityGroupRule(c, "r", &ecs.SecurityGroupRuleArgs{IpProtocol: s, SecurityGroupId: s, Type: s})
			return e
		}},
		{&kms.Key{}, kms.KeyArgs{}, func(c *pulumi.Context) error { _, e := kms.NewKey(c, "k", &kms.KeyArgs{}); return e }},
		{&ram.Role{}, ram.RoleArgs{}, func(c *pulumi.Context) error { _, e := ram.NewRole(c, "r", &ram.RoleArgs{}); return e }},
		{&cs.ManagedKubernetes{}, cs.ManagedKubernetesArgs{}, func(c *pulumi.Context) error {
			_, e := cs.NewManagedKubernetes(c, "k", &cs.ManagedKubernetesArgs{})
			return e
		}},
		{&cs.NodePool{}, cs.NodePoolArgs{}, func(c *pulumi.Context) error {
			_, e := cs.NewNodePool(c, "p", &cs.NodePoolArgs{ClusterId: s})
			return e
		}},
		{&cs.RegistryEnterpriseNamespace{}, cs.RegistryEnterpriseNamespaceArgs{}, func(c *pulumi.Context) error {
			_, e := cs.NewRegistryEnterpriseNamespace(c, "n", &cs.RegistryEnterpriseNamespaceArgs{InstanceId: s})
			return e
		}},
		{&cs.RegistryEnterpriseRepo{}, cs.RegistryEnterpriseRepoArgs{}, func(c *pulumi.Context) error {
			_, e := cs.NewRegistryEnterpriseRepo(c, "r", &cs.RegistryEnterpriseRepoArgs{InstanceId: s, Namespace: s, RepoType: s, Summary: s})
			return e
		}},
		{&cs.KubernetesAddon{}, cs.KubernetesAddonArgs{}, func(c *pulumi.Context) error {
			_, e := cs.NewKubernetesAddon(c, "a", &cs.KubernetesAddonArgs{ClusterId: s, Name: s})
			return e
		}},
		{&log.Project{}, log.ProjectArgs{}, func(c *pulumi.Context) error { _, e := log.NewProject(c, "p", &log.ProjectArgs{}); return e }},
		{&log.Store{}, log.StoreArgs{}, func(c *pulumi.Context) error { _, e := log.NewStore(c, "s", &log.StoreArgs{}); return e }},
		{&cr.RegistryEnterpriseInstance{}, cr.RegistryEnterpriseInstanceArgs{}, func(c *pulumi.Context) error {
			_, e := cr.NewRegistryEnterpriseInstance(c, "i", &cr.RegistryEnterpriseInstanceArgs{InstanceName: s, InstanceType: s, PaymentType: s, Password: s})
			return e
		}},
		{&cr.VpcEndpointLinkedVpc{}, cr.VpcEndpointLinkedVpcArgs{}, func(c *pulumi.Context) error {
			_, e := cr.NewVpcEndpointLinkedVpc(c, "l", &cr.VpcEndpointLinkedVpcArgs{InstanceId: s, ModuleName: s, VpcId: s, VswitchId: s})
			return e
		}},
		{&cr.EndpointAclPolicy{}, cr.EndpointAclPolicyArgs{}, func(c *pulumi.Context) error {
			_, e := cr.NewEndpointAclPolicy(c, "p", &cr.EndpointAclPolicyArgs{EndpointType: s, Entry: s, InstanceId: s})
			return e
		}},
		{&alicloud.Provider{}, alicloud.ProviderArgs{}, func(c *pulumi.Context) error {
			_, e := alicloud.NewProvider(c, "p", &alicloud.ProviderArgs{Region: s})
			return e
		}},
		{&rds.Instance{}, rds.InstanceArgs{}, func(c *pulumi.Context) error {
			_, e := rds.NewInstance(c, "i", &rds.InstanceArgs{Engine: s, EngineVersion: s, InstanceStorage: pulumi.Int(20), InstanceType: s})
			return e
		}},
		{&rds.RdsAccount{}, rds.RdsAccountArgs{}, func(c *pulumi.Context) error { _, e := rds.NewRdsAccount(c, "a", &rds.RdsAccountArgs{}); return e }},
		{&rds.Database{}, rds.DatabaseArgs{}, func(c *pulumi.Context) error {
			_, e := rds.NewDatabase(c, "d", &rds.DatabaseArgs{InstanceId: s})
			return e
		}},
		{&rds.AccountPrivilege{}, rds.AccountPrivilegeArgs{}, func(c *pulumi.Context) error {
			_, e := rds.NewAccountPrivilege(c, "p", &rds.AccountPrivilegeArgs{AccountName: s, DbNames: pulumi.StringArray{s}, InstanceId: s})
			return e
		}},
		{&rds.BackupPolicy{}, rds.BackupPolicyArgs{}, func(c *pulumi.Context) error {
			_, e := rds.NewBackupPolicy(c, "b", &rds.BackupPolicyArgs{InstanceId: s})
			return e
		}},
	}
}

// TestResourceTokensAndProperties registers every bound resource under mocks and checks its type token, and every
// input and output name, against the list taken from the official SDK; and that each asks for the pinned plugin.
func TestResourceTokensAndProperties(t *testing.T) {
	known := schema(t)
	for _, b := range bindings() {
		res, err := componenttest.Run(componenttest.Options{Project: "p", Stack: "s"}, b.create)
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Resources) != 1 {
			t.Fatalf("%T registered %d resources", b.resource, len(res.Resources))
		}
		r := res.Resources[0]
		props, ok := known[r.Type]
		if !ok {
			t.Errorf("%T registers %q, which the official SDK does not have", b.resource, r.Type)
			continue
		}
		if r.Version != internal.ProviderVersion {
			t.Errorf("%s asks for plugin version %q, want %s", r.Type, r.Version, internal.ProviderVersion)
		}
		names := append(tags(reflect.TypeOf(b.resource)), tags(b.args.ElementType())...)
		for _, n := range names {
			if !props[n] {
				t.Errorf("%s: property %q is not in the official SDK", r.Type, n)
			}
		}
	}
}

func TestSecretsAreMarked(t *testing.T) {
	for name, create := range map[string]func(c *pulumi.Context) error{
		"registry password": func(c *pulumi.Context) error {
			_, e := cr.NewRegistryEnterpriseInstance(c, "i", &cr.RegistryEnterpriseInstanceArgs{
				InstanceName: pulumi.String("i"), InstanceType: pulumi.String("Basic"), PaymentType: pulumi.String("Subscription"),
				Password: pulumi.String("hunter2-registry"),
			})
			return e
		},
		"node password": func(c *pulumi.Context) error {
			_, e := cs.NewNodePool(c, "p", &cs.NodePoolArgs{ClusterId: pulumi.String("c"), Password: pulumi.String("hunter2-node")})
			return e
		},
	} {
		res, err := componenttest.Run(componenttest.Options{Project: "p", Stack: "s"}, create)
		if err != nil {
			t.Fatal(err)
		}
		r := res.Resources[0]
		if !r.IsSecret("password") || len(r.AdditionalSecrets) == 0 {
			t.Errorf("%s: password secret=%v additional secret outputs %v", name, r.IsSecret("password"), r.AdditionalSecrets)
		}
	}
}

// TestInvokesAndNestedTypes checks invoke tokens (by calling them under mocks) and the names of every nested type.
func TestInvokesAndNestedTypes(t *testing.T) {
	known := schema(t)
	res, err := componenttest.Run(componenttest.Options{Project: "p", Stack: "s"}, func(ctx *pulumi.Context) error {
		if _, err := alicloud.GetZones(ctx, &alicloud.GetZonesArgs{}); err != nil {
			return err
		}
		if _, err := ram.GetRoles(ctx, &ram.GetRolesArgs{}); err != nil {
			return err
		}
		// Output-form invokes run when their result is needed; await them as a resource input would.
		for _, o := range []pulumi.Output{
			cs.GetClusterCredentialOutput(ctx, cs.GetClusterCredentialOutputArgs{ClusterId: pulumi.String("c")}),
			cs.GetRegistryEnterpriseInstancesOutput(ctx, cs.GetRegistryEnterpriseInstancesOutputArgs{Ids: pulumi.StringArray{pulumi.String("cri-1")}}),
			cr.GetEndpointAclServiceOutput(ctx, cr.GetEndpointAclServiceOutputArgs{
				Enable: pulumi.Bool(true), EndpointType: pulumi.String("internet"), InstanceId: pulumi.String("cri-1"), ModuleName: pulumi.String("Registry"),
			}),
		} {
			if _, err := componenttest.Await(o); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	structs := map[string][]any{
		"alicloud:index/getZones:getZones":                                          {alicloud.GetZonesArgs{}, alicloud.GetZonesResult{}},
		"alicloud:cs/getClusterCredential:getClusterCredential":                     {cs.GetClusterCredentialArgs{}, cs.GetClusterCredentialResult{}},
		"alicloud:cs/getRegistryEnterpriseInstances:getRegistryEnterpriseInstances": {cs.GetRegistryEnterpriseInstancesArgs{}, cs.GetRegistryEnterpriseInstancesResult{}},
		"alicloud:cr/getEndpointAclService:getEndpointAclService":                   {cr.GetEndpointAclServiceArgs{}, cr.GetEndpointAclServiceResult{}},
		"alicloud:ram/getRoles:getRoles":                                            {ram.GetRolesArgs{}, ram.GetRolesResult{}},
	}
	called := map[string]bool{}
	for _, inv := range res.Invokes {
		called[inv.Token] = true
		if _, ok := known[inv.Token]; !ok {
			t.Errorf("invoke %q is not in the official SDK", inv.Token)
		}
	}
	for tok, ss := range structs {
		if !called[tok] {
			t.Errorf("invoke %s was not called", tok)
		}
		for _, s := range ss {
			for _, n := range tags(reflect.TypeOf(s)) {
				if !known[tok][n] {
					t.Errorf("%s: %T property %q is not in the official SDK", tok, s, n)
				}
			}
		}
	}
	nested := map[string]any{
		"type:cs.ManagedKubernetesAddon": cs.ManagedKubernetesAddon{}, "type:cs.ManagedKubernetesOperationPolicy": cs.ManagedKubernetesOperationPolicy{},
		"type:cs.ManagedKubernetesOperationPolicyClusterAutoUpgrade": cs.ManagedKubernetesOperationPolicyClusterAutoUpgrade{},
		"type:cs.ManagedKubernetesMaintenanceWindow":                 cs.ManagedKubernetesMaintenanceWindow{},
		"type:cs.ManagedKubernetesAuditLogConfig":                    cs.ManagedKubernetesAuditLogConfig{},
		"type:cs.ManagedKubernetesConnections":                       cs.ManagedKubernetesConnections{},
		"type:cs.ManagedKubernetesRrsaMetadata":                      cs.ManagedKubernetesRrsaMetadata{},
		"type:cs.NodePoolScalingConfig":                              cs.NodePoolScalingConfig{}, "type:cs.NodePoolManagement": cs.NodePoolManagement{},
		"type:cs.NodePoolLabel": cs.NodePoolLabel{}, "type:cs.NodePoolInstanceMetadataOptions": cs.NodePoolInstanceMetadataOptions{},
		"type:cs.GetRegistryEnterpriseInstancesInstance": cs.GetRegistryEnterpriseInstancesInstance{},
		"type:alicloud.GetZonesZone":                     alicloud.GetZonesZone{},
		"type:alicloud.ProviderAssumeRoleWithOidc":       alicloud.ProviderAssumeRoleWithOidc{},
		"type:ram.GetRolesRole":                          ram.GetRolesRole{},
		"type:rds.InstanceParameter":                     rds.InstanceParameter{},
	}
	for key, s := range nested {
		for _, n := range tags(reflect.TypeOf(s)) {
			if !known[key][n] {
				t.Errorf("%s: property %q is not in the official SDK", key, n)
			}
		}
	}
}
