package alicloud

import (
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/wechat-deploy/wechat-deploy/components/componenttest"
)

const (
	fakeApsaraPassword = "Fake-Db-Passw0rd-0cc175b9"
	fakeApsaraKey      = "key-shh6f1d2e3c4b5a69788"
)

// apsaraArgs are prod-cn's database (production) or dev-cn's: the worker and pod VSwitch CIDRs of the cluster as
// the whitelist, a VSwitch per zone.
func apsaraArgs(production bool) DatabaseArgs {
	a := DatabaseArgs{
		InstanceName:  "wechat-deploy-dev-cn",
		VSwitchIDs:    pulumi.ToStringArray([]string{"vsw-a1", "vsw-b2", "vsw-c3"}),
		ZoneIDs:       []string{"cn-shanghai-a", "cn-shanghai-b", "cn-shanghai-c"},
		ClientCIDRs:   []string{"10.50.0.0/18", "10.50.64.0/18", "10.50.128.0/18", "10.50.192.0/20", "10.50.208.0/20", "10.50.224.0/20"},
		InstanceClass: "pg.n2.2c.1m", StorageGiB: 20, DatabaseName: "wechat_api", Username: "wechat",
		Password:            pulumi.ToSecret(pulumi.String(fakeApsaraPassword)).(pulumi.StringOutput),
		BackupRetentionDays: 7,
		Tags:                map[string]string{"stack": "dev-cn"},
	}
	if production {
		a.InstanceName, a.InstanceClass, a.StorageGiB, a.BackupRetentionDays = "wechat-deploy-prod-cn", "pg.n2.2c.2m", 100, 14
		a.HighAvailability, a.DeletionProtection, a.LogConnections, a.Protect = true, true, true, true
		a.MonitoringPeriod, a.KMSKeyID, a.Tags = 60, pulumi.String(fakeApsaraKey), map[string]string{"stack": "prod-cn"}
	}
	return a
}

func runDatabase(t *testing.T, args DatabaseArgs) (*componenttest.Result, *Database) {
	t.Helper()
	opts := componenttest.Options{Project: "wechat-deploy", Stack: "t"}
	return componenttest.Component(t, opts, func(ctx *pulumi.Context) (*Database, error) { return NewDatabase(ctx, "cn", &args) })
}

// parameters reads an instance's parameters list as name to value.
func parameters(r componenttest.Resource) map[string]string {
	out := map[string]string{}
	for i := 0; r.Has("parameters[" + strconv.Itoa(i) + "]"); i++ {
		p := "parameters[" + strconv.Itoa(i) + "]"
		out[r.Str(p+".name")] = r.Str(p + ".value")
	}
	return out
}

// TestDatabase: production's ApsaraDB for PostgreSQL, pinned input by input: the engine release, ESSD storage,
// pay-as-you-go with deletion protection, High-availability across the first two zones, SSL on, the whitelist
// exactly the cluster's CIDRs, disks encrypted with the stack's key, connection logging; the app's standard
// account (its password only ever a secret) owning a UTF8 database; backups kept 14 days with log backups; the
// endpoint the app binds to.
func TestDatabase(t *testing.T) {
	args := apsaraArgs(true)
	res, d := runDatabase(t, args)
	inst := res.MustOne(t, "alicloud:rds/instance:Instance", "cn-db")
	for path, want := range map[string]any{
		"engine": "PostgreSQL", "engineVersion": ApsaraPostgres.Version, "instanceType": "pg.n2.2c.2m", "instanceStorage": 100.0,
		"dbInstanceStorageType": "cloud_essd", "instanceChargeType": "Postpaid", "instanceName": "wechat-deploy-prod-cn",
		"category": "HighAvailability", "zoneId": "cn-shanghai-a", "zoneIdSlaveA": "cn-shanghai-b", "vswitchId": "vsw-a1,vsw-b2",
		"sslAction": "Open", "caType": "aliyun", "deletionProtection": true, "autoUpgradeMinorVersion": "Auto",
		"monitoringPeriod": 60.0, "encryptionKey": fakeApsaraKey, "tags.stack": "prod-cn",
	} {
		got, ok := inst.Input(path)
		if !ok || got.V != want {
			t.Errorf("instance %s = %v, want %v", path, got.V, want)
		}
	}
	if got := inst.Strings("securityIps"); !slices.Equal(got, args.ClientCIDRs) {
		t.Errorf("whitelist %v, want exactly the cluster's CIDRs %v", got, args.ClientCIDRs)
	}
	if got := parameters(inst); len(got) != 2 || got["log_connections"] != "on" || got["log_disconnections"] != "on" {
		t.Errorf("parameters %v", got)
	}
	if !inst.Protect || !slices.Contains(inst.AdditionalSecrets, "serverCert") {
		t.Errorf("instance protect %v, secret outputs %v", inst.Protect, inst.AdditionalSecrets)
	}

	account := res.MustOne(t, "alicloud:rds/rdsAccount:RdsAccount", "cn-db-account")
	if account.Str("dbInstanceId") != inst.ID || account.Str("accountName") != "wechat" || account.Str("accountType") != "Normal" {
		t.Errorf("account %v", account.Inputs)
	}
	if !account.IsSecret("accountPassword") || account.Str("accountPassword") != fakeApsaraPassword || account.Has("password") {
		t.Errorf("account password secret %v", account.IsSecret("accountPassword"))
	}
	db := res.MustOne(t, "alicloud:rds/database:Database", "cn-db-database")
	if db.Str("instanceId") != inst.ID || db.Str("dataBaseName") != "wechat_api" || db.Str("characterSet") != "UTF8" || db.Has("name") || !db.Protect {
		t.Errorf("database %v (protect %v)", db.Inputs, db.Protect)
	}
	grant := res.MustOne(t, "alicloud:rds/accountPrivilege:AccountPrivilege", "cn-db-owner")
	if grant.Str("instanceId") != inst.ID || grant.Str("privilege") != "DBOwner" || grant.Str("accountName") != account.Outputs["accountName"].StringValue() ||
		!slices.Equal(grant.Strings("dbNames"), []string{db.Outputs["dataBaseName"].StringValue()}) {
		t.Errorf("privilege %v", grant.Inputs)
	}
	backups := res.MustOne(t, "alicloud:rds/backupPolicy:BackupPolicy", "cn-db-backups")
	if backups.Str("instanceId") != inst.ID || backups.Num("backupRetentionPeriod") != 14 || !backups.Bool("enableBackupLog") ||
		backups.Num("logBackupRetentionPeriod") != 14 || backups.Str("preferredBackupTime") != ApsaraDBBackupWindow ||
		len(backups.Strings("preferredBackupPeriods")) != 7 {
		t.Errorf("backup policy %v", backups.Inputs)
	}

	// The app's binding: the private endpoint, PostgreSQL's port, the database and account, the password secret.
	u, err := componenttest.Await(d.Endpoint.URL())
	if err != nil || !u.Secret || !strings.Contains(u.Value.(string), "@"+inst.Outputs["connectionString"].StringValue()+":5432/wechat_api?sslmode=require") ||
		!strings.HasPrefix(u.Value.(string), "postgres://wechat:") {
		t.Errorf("database URL secret %v (%v)", u.Secret, err)
	}
	if pw, _ := componenttest.Await(d.Endpoint.Password); !pw.Secret || pw.Value != fakeApsaraPassword {
		t.Errorf("endpoint password secret %v", pw.Secret)
	}
	if ca, _ := componenttest.Await(d.Endpoint.CABundle); ca.Value != "" {
		t.Errorf("CA bundle %v, want none (the ApsaraDB CA is not known to the program)", ca.Value)
	}
	if id, _ := componenttest.Await(d.InstanceID); id.Value != inst.ID {
		t.Errorf("instance id output %v", id.Value)
	}
	if leaks := res.FindLeaks(map[string]string{"databasePassword": fakeApsaraPassword}, nil); len(leaks) > 0 {
		t.Errorf("the password leaks: %v", leaks)
	}
	if stray := res.NotNamedAfter("cn"); len(stray) > 0 {
		t.Errorf("not named after the component: %v", stray)
	}
}

// TestDatabaseShapes: the edition decides the zones and VSwitches, log backups and what production turns on.
func TestDatabaseShapes(t *testing.T) {
	tests := []struct {
		name                 string
		args                 func() DatabaseArgs
		category, vswitch    string
		slaveZone            string // "" when there is no secondary
		protected, logBackup bool
		logging              string
		encrypted            bool
	}{
		{"production: High-availability across two zones", func() DatabaseArgs { return apsaraArgs(true) },
			"HighAvailability", "vsw-a1,vsw-b2", "cn-shanghai-b", true, true, "on", true},
		{"High-availability in one zone: the standby beside the primary", func() DatabaseArgs {
			a := apsaraArgs(true)
			a.VSwitchIDs, a.ZoneIDs = pulumi.ToStringArray([]string{"vsw-a1"}), []string{"cn-shanghai-a"}
			return a
		}, "HighAvailability", "vsw-a1", "cn-shanghai-a", true, true, "on", true},
		{"development: Basic in the first zone, nothing else on", func() DatabaseArgs { return apsaraArgs(false) },
			"Basic", "vsw-a1", "", false, false, "off", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, _ := runDatabase(t, tt.args())
			inst := res.MustOne(t, "alicloud:rds/instance:Instance", "cn-db")
			if inst.Str("category") != tt.category || inst.Str("vswitchId") != tt.vswitch || inst.Str("zoneId") != "cn-shanghai-a" ||
				inst.Str("zoneIdSlaveA") != tt.slaveZone || inst.Has("zoneIdSlaveA") != (tt.slaveZone != "") {
				t.Errorf("placement: %s in %s (%s, secondary %q)", inst.Str("category"), inst.Str("vswitchId"), inst.Str("zoneId"), inst.Str("zoneIdSlaveA"))
			}
			if inst.Bool("deletionProtection") != tt.protected || inst.Protect != tt.protected || inst.Has("encryptionKey") != tt.encrypted {
				t.Errorf("deletion protection %v, protect %v, encryption key %v", inst.Bool("deletionProtection"), inst.Protect, inst.Has("encryptionKey"))
			}
			if got := parameters(inst); got["log_connections"] != tt.logging || got["log_disconnections"] != tt.logging {
				t.Errorf("connection logging %v, want %s", got, tt.logging)
			}
			backups := res.MustOne(t, "alicloud:rds/backupPolicy:BackupPolicy", "cn-db-backups")
			if backups.Bool("enableBackupLog") != tt.logBackup || backups.Has("logBackupRetentionPeriod") != tt.logBackup {
				t.Errorf("log backups %v", backups.Inputs)
			}
			if inst.Str("sslAction") != "Open" || inst.Str("instanceChargeType") != "Postpaid" || len(inst.Strings("securityIps")) != 6 {
				t.Errorf("SSL %s, charge type %s, whitelist %v", inst.Str("sslAction"), inst.Str("instanceChargeType"), inst.Strings("securityIps"))
			}
		})
	}
}

// TestDatabasePassesTheProviderRules: everything the component registers is judged by the provider's own
// validation rules, in an update and in a preview; every type it registers has rules.
func TestDatabasePassesTheProviderRules(t *testing.T) {
	rules, err := componenttest.LoadProviderRules("testdata/provider-rules.tsv")
	if err != nil {
		t.Fatal(err)
	}
	covered := map[string]bool{}
	for _, r := range rules {
		covered[r.Type] = true
	}
	for _, production := range []bool{true, false} {
		for _, preview := range []bool{true, false} {
			args := apsaraArgs(production)
			opts := componenttest.Options{Project: "wechat-deploy", Stack: "t", Preview: preview}
			res, _ := componenttest.Component(t, opts, func(ctx *pulumi.Context) (*Database, error) { return NewDatabase(ctx, "cn", &args) })
			var judged []componenttest.Resource
			for _, r := range res.Resources {
				if r.Custom && !r.IsProvider() {
					if !covered[r.Type] {
						t.Errorf("%s has no provider rules", r.Type)
					}
					judged = append(judged, r)
				}
			}
			if len(judged) != 5 {
				t.Errorf("production %v preview %v: %d resources judged, want 5", production, preview, len(judged))
			}
			for _, v := range componenttest.CheckProviderRules(rules, judged) {
				t.Errorf("production %v preview %v: %s", production, preview, v)
			}
		}
	}
}

// TestDatabaseValidation: each setting ApsaraDB (or the whitelist's purpose) refuses is refused before anything
// is registered, with the field named.
func TestDatabaseValidation(t *testing.T) {
	tests := []struct {
		name, field string
		mutate      func(a *DatabaseArgs)
	}{
		{"not an ApsaraDB class", "InstanceClass", func(a *DatabaseArgs) { a.InstanceClass = "db.m6g.large" }},
		{"a MySQL class", "InstanceClass", func(a *DatabaseArgs) { a.InstanceClass = "mysql.n2.medium.2c" }},
		{"a Basic class for High-availability", "InstanceClass", func(a *DatabaseArgs) { a.InstanceClass = "pg.n2.2c.1m" }},
		{"storage below ESSD PL1's minimum", "StorageGiB", func(a *DatabaseArgs) { a.StorageGiB = 10 }},
		{"storage above the maximum", "StorageGiB", func(a *DatabaseArgs) { a.StorageGiB = 64001 }},
		{"an ApsaraDB system account", "Username", func(a *DatabaseArgs) { a.Username = "aurora" }},
		{"PostgreSQL's superuser", "Username", func(a *DatabaseArgs) { a.Username = "postgres" }},
		{"a pg-prefixed account", "Username", func(a *DatabaseArgs) { a.Username = "pg_app" }},
		{"a reserved word as account", "Username", func(a *DatabaseArgs) { a.Username = "user" }},
		{"an account with a capital", "Username", func(a *DatabaseArgs) { a.Username = "Wechat" }},
		{"a database name with a capital", "DatabaseName", func(a *DatabaseArgs) { a.DatabaseName = "Wechat_api" }},
		{"a database name ending in '_'", "DatabaseName", func(a *DatabaseArgs) { a.DatabaseName = "wechat_" }},
		{"the postgres database", "DatabaseName", func(a *DatabaseArgs) { a.DatabaseName = "postgres" }},
		{"a 64-character database name", "DatabaseName", func(a *DatabaseArgs) { a.DatabaseName = "w" + strings.Repeat("x", 63) }},
		{"an empty whitelist", "ClientCIDRs", func(a *DatabaseArgs) { a.ClientCIDRs = nil }},
		{"the internet in the whitelist", "ClientCIDRs", func(a *DatabaseArgs) { a.ClientCIDRs = append(a.ClientCIDRs, "0.0.0.0/0") }},
		{"the provider's loopback default", "ClientCIDRs", func(a *DatabaseArgs) { a.ClientCIDRs = []string{"127.0.0.1/32"} }},
		{"a public network", "ClientCIDRs", func(a *DatabaseArgs) { a.ClientCIDRs = []string{"47.100.0.0/16"} }},
		{"a host address, not a network", "ClientCIDRs", func(a *DatabaseArgs) { a.ClientCIDRs = []string{"10.50.0.1/18"} }},
		{"a bare address", "ClientCIDRs", func(a *DatabaseArgs) { a.ClientCIDRs = []string{"10.50.0.1"} }},
		{"backups kept under a week", "BackupRetentionDays", func(a *DatabaseArgs) { a.BackupRetentionDays = 3 }},
		{"backups kept over two years", "BackupRetentionDays", func(a *DatabaseArgs) { a.BackupRetentionDays = 731 }},
		{"a monitoring period ApsaraDB lacks", "MonitoringPeriod", func(a *DatabaseArgs) { a.MonitoringPeriod = 30 }},
		{"an instance name with a space", "InstanceName", func(a *DatabaseArgs) { a.InstanceName = "wechat prod" }},
		{"no zones", "ZoneIDs", func(a *DatabaseArgs) { a.ZoneIDs = nil }},
		{"no password", "Password", func(a *DatabaseArgs) { a.Password = nil }},
		{"no VSwitches", "VSwitchIDs", func(a *DatabaseArgs) { a.VSwitchIDs = nil }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := apsaraArgs(true)
			tt.mutate(&args)
			res, err := componenttest.Run(componenttest.Options{Project: "wechat-deploy", Stack: "t"}, func(ctx *pulumi.Context) error {
				_, err := NewDatabase(ctx, "cn", &args)
				return err
			})
			if err == nil || !strings.Contains(err.Error(), "invalid arguments") || !strings.Contains(err.Error(), tt.field) {
				t.Errorf("error %v, want invalid arguments naming %s", err, tt.field)
			}
			if len(res.Resources) != 0 {
				t.Errorf("%d resources registered before the error", len(res.Resources))
			}
		})
	}
	// And a class of either edition family passes when the edition matches.
	for class, ha := range map[string]bool{"pg.n2.2c.1m": false, "pg.x8.medium.1": false, "pg.n2.2c.2m": true, "pg.x4.medium.2c": true, "pg.x4.large.4c": true} {
		if p := ApsaraDBClassProblem(class, ha); p != "" {
			t.Errorf("%s (high availability %v): %s", class, ha, p)
		}
	}
}

// TestDatabaseNeedsAVSwitchPerZone: High-availability across two zones with a single VSwitch fails when the
// VSwitches are known, naming the shortfall, instead of sending the provider a placement it would refuse.
func TestDatabaseNeedsAVSwitchPerZone(t *testing.T) {
	args := apsaraArgs(true)
	args.VSwitchIDs = pulumi.ToStringArray([]string{"vsw-a1"})
	_, err := componenttest.Run(componenttest.Options{Project: "wechat-deploy", Stack: "t"},
		func(ctx *pulumi.Context) error {
			_, err := NewDatabase(ctx, "cn", &args)
			return err
		})
	if err == nil || !strings.Contains(err.Error(), "1 VSwitches for 2 zones") {
		t.Errorf("error %v", err)
	}
}
