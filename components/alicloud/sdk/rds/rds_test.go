package rds_test

import (
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/wechat-deploy/wechat-deploy/components/alicloud/sdk/internal"
	"github.com/wechat-deploy/wechat-deploy/components/alicloud/sdk/rds"
	"github.com/wechat-deploy/wechat-deploy/components/componenttest"
)

// schema reads ../testdata/schema-<version>.txt (the list the sdk package's own test checks against): token, or
// type:<pkg>.<Type>, to its property names.
func schema(t *testing.T) map[string]map[string]bool {
	t.Helper()
	raw, err := os.ReadFile("../testdata/schema-" + internal.ProviderVersion + ".txt")
	if err != nil {
		t.Fatalf("no property list for provider %s: %v", internal.ProviderVersion, err)
	}
	out := map[string]map[string]bool{}
	for _, line := range strings.Split(string(raw), "\n") {
		fields := strings.Fields(line)
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

// TestResourceTokensAndProperties registers every binding under mocks with its required arguments and checks
// the type token it registers, every input and output name (the official SDK's, v3.105.0) and the plugin pin.
func TestResourceTokensAndProperties(t *testing.T) {
	known := schema(t)
	s := pulumi.String("x")
	for _, b := range []struct {
		token    string
		resource any
		args     pulumi.Input
		create   func(c *pulumi.Context) error
	}{
		{"alicloud:rds/instance:Instance", &rds.Instance{}, rds.InstanceArgs{}, func(c *pulumi.Context) error {
			_, e := rds.NewInstance(c, "i", &rds.InstanceArgs{Engine: s, EngineVersion: s, InstanceStorage: pulumi.Int(20), InstanceType: s})
			return e
		}},
		{"alicloud:rds/rdsAccount:RdsAccount", &rds.RdsAccount{}, rds.RdsAccountArgs{}, func(c *pulumi.Context) error {
			_, e := rds.NewRdsAccount(c, "a", &rds.RdsAccountArgs{})
			return e
		}},
		{"alicloud:rds/database:Database", &rds.Database{}, rds.DatabaseArgs{}, func(c *pulumi.Context) error {
			_, e := rds.NewDatabase(c, "d", &rds.DatabaseArgs{InstanceId: s})
			return e
		}},
		{"alicloud:rds/accountPrivilege:AccountPrivilege", &rds.AccountPrivilege{}, rds.AccountPrivilegeArgs{}, func(c *pulumi.Context) error {
			_, e := rds.NewAccountPrivilege(c, "p", &rds.AccountPrivilegeArgs{AccountName: s, DbNames: pulumi.StringArray{s}, InstanceId: s})
			return e
		}},
		{"alicloud:rds/backupPolicy:BackupPolicy", &rds.BackupPolicy{}, rds.BackupPolicyArgs{}, func(c *pulumi.Context) error {
			_, e := rds.NewBackupPolicy(c, "b", &rds.BackupPolicyArgs{InstanceId: s})
			return e
		}},
	} {
		res, err := componenttest.Run(componenttest.Options{Project: "p", Stack: "s"}, b.create)
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Resources) != 1 {
			t.Fatalf("%T registered %d resources", b.resource, len(res.Resources))
		}
		r := res.Resources[0]
		if r.Type != b.token {
			t.Errorf("%T registers %q, want %q", b.resource, r.Type, b.token)
		}
		props, ok := known[r.Type]
		if !ok {
			t.Errorf("%T registers %q, which the official SDK does not have", b.resource, r.Type)
			continue
		}
		if r.Version != internal.ProviderVersion {
			t.Errorf("%s asks for plugin version %q, want %s", r.Type, r.Version, internal.ProviderVersion)
		}
		for _, n := range append(tags(reflect.TypeOf(b.resource)), tags(b.args.ElementType())...) {
			if !props[n] {
				t.Errorf("%s: property %q is not in the official SDK", r.Type, n)
			}
		}
	}
	for _, n := range tags(reflect.TypeOf(rds.InstanceParameter{})) {
		if !known["type:rds.InstanceParameter"][n] {
			t.Errorf("type:rds.InstanceParameter: property %q is not in the official SDK", n)
		}
	}
}

// TestSecretsAreMarked: the account password goes to the engine as a secret and comes back as one; the
// instance's certificate outputs are stored as secrets.
func TestSecretsAreMarked(t *testing.T) {
	res, err := componenttest.Run(componenttest.Options{Project: "p", Stack: "s"}, func(c *pulumi.Context) error {
		if _, err := rds.NewRdsAccount(c, "a", &rds.RdsAccountArgs{
			DbInstanceId: pulumi.String("pgm-1"), AccountName: pulumi.String("app"), AccountPassword: pulumi.String("hunter2-Database"),
		}); err != nil {
			return err
		}
		_, err := rds.NewInstance(c, "i", &rds.InstanceArgs{
			Engine: pulumi.String("PostgreSQL"), EngineVersion: pulumi.String("17.0"), InstanceStorage: pulumi.Int(20), InstanceType: pulumi.String("pg.n2.2c.1m"),
		})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	account := res.MustOne(t, "alicloud:rds/rdsAccount:RdsAccount", "a")
	if !account.IsSecret("accountPassword") || account.Str("accountPassword") != "hunter2-Database" || !strings.Contains(strings.Join(account.AdditionalSecrets, ","), "accountPassword") {
		t.Errorf("account password secret=%v additional secret outputs %v", account.IsSecret("accountPassword"), account.AdditionalSecrets)
	}
	instance := res.MustOne(t, "alicloud:rds/instance:Instance", "i")
	if !strings.Contains(strings.Join(instance.AdditionalSecrets, ","), "serverCert") {
		t.Errorf("instance additional secret outputs %v", instance.AdditionalSecrets)
	}
}
