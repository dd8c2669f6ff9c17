package aws

import (
	"encoding/json"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/wechat-deploy/wechat-deploy/components/componenttest"
	"github.com/wechat-deploy/wechat-deploy/components/netplan"
)

const fakeDBPassword = "fake-master-password-0cc175b9c0f1b6a8"

func databaseArgs(production bool) PlatformArgs {
	a := prodArgs()
	a.Database = &DatabaseArgs{
		Identifier: "wechat-deploy-prod", InstanceClass: "db.m6g.large", StorageGiB: 100, DatabaseName: "wechat_api", Username: "wechat",
		Password:            pulumi.ToSecret(pulumi.String(fakeDBPassword)).(pulumi.StringOutput),
		BackupRetentionDays: 14, MultiAZ: production, DeletionProtection: production, PerformanceInsights: production,
		LogConnections: production, Protect: production,
	}
	if production {
		a.Database.MonitoringInterval = 60
	}
	return a
}

// TestDatabase: RDS for PostgreSQL in database subnets of its own (added after the private and public ones, which
// keep their addresses), admitting PostgreSQL from the cluster security group only, encrypted with its own key,
// TLS enforced by its parameter group, never public; production's standby, protection, final snapshot,
// connection logging and monitoring; the password only ever as a secret; the app bound to it.
func TestDatabase(t *testing.T) {
	res, p := run(t, databaseArgs(true))
	db := res.MustOne(t, "aws:rds/instance:Instance", "prod-db")
	for path, want := range map[string]any{
		"engine": "postgres", "engineVersion": RDSPostgres.Version, "instanceClass": "db.m6g.large", "storageType": "gp3",
		"allocatedStorage": 100.0, "maxAllocatedStorage": 400.0, "storageEncrypted": true, "publiclyAccessible": false,
		"multiAz": true, "deletionProtection": true, "skipFinalSnapshot": false, "finalSnapshotIdentifier": "wechat-deploy-prod-final",
		"backupRetentionPeriod": 14.0, "dbName": "wechat_api", "username": "wechat", "monitoringInterval": 60.0,
		"performanceInsightsEnabled": true, "copyTagsToSnapshot": true,
	} {
		got, ok := db.Input(path)
		if !ok || got.V != want {
			t.Errorf("%s = %v, want %v", path, got.V, want)
		}
	}
	if !db.IsSecret("password") || db.Str("password") != fakeDBPassword || db.Has("manageMasterUserPassword") {
		t.Errorf("password secret %v", db.IsSecret("password"))
	}
	key := res.MustOne(t, "aws:kms/key:Key", "prod-db-key")
	if db.Str("kmsKeyId") != key.Outputs["arn"].StringValue() || db.Str("performanceInsightsKmsKeyId") != key.Outputs["arn"].StringValue() || !key.Bool("enableKeyRotation") {
		t.Errorf("storage key %s, PI key %s, want the database's own rotated key", db.Str("kmsKeyId"), db.Str("performanceInsightsKmsKeyId"))
	}

	// The subnets: a database tier after the others; the private and public subnets stay where they were.
	_, plain := run(t, prodArgs())
	for _, tier := range []string{"private", "public"} {
		if got, want := netplan.CIDRsOf(p.Network.Plan, tier), netplan.CIDRsOf(plain.Network.Plan, tier); !slices.Equal(got, want) {
			t.Errorf("%s subnets moved: %v, were %v", tier, got, want)
		}
	}
	dbCIDRs := netplan.CIDRsOf(p.Network.Plan, netplan.AWSDatabaseTier)
	var dbSubnets []string
	for _, s := range res.Find("aws:ec2/subnet:Subnet") {
		if strings.Contains(s.Name, "-database-") {
			dbSubnets = append(dbSubnets, s.ID)
			if !slices.Contains(dbCIDRs, s.Str("cidrBlock")) {
				t.Errorf("database subnet %s at %s, not in the plan's %v", s.Name, s.Str("cidrBlock"), dbCIDRs)
			}
		}
	}
	group := res.MustOne(t, "aws:rds/subnetGroup:SubnetGroup", "prod-db")
	if got := group.Strings("subnetIds"); len(dbSubnets) != 3 || !slices.Equal(slices.Sorted(slices.Values(got)), slices.Sorted(slices.Values(dbSubnets))) {
		t.Errorf("subnet group %v, want the database subnets %v", got, dbSubnets)
	}
	if db.Str("dbSubnetGroupName") != group.Outputs["name"].StringValue() {
		t.Errorf("instance in subnet group %q", db.Str("dbSubnetGroupName"))
	}
	rt := res.MustOne(t, "aws:ec2/routeTable:RouteTable", "prod-database-rt")
	if rt.Has("routes[0]") {
		t.Errorf("the database route table leads out of the VPC: %v", rt.Inputs["routes"])
	}

	// Who may connect: the cluster security group, on 5432, nothing else.
	sg := res.MustOne(t, "aws:ec2/securityGroup:SecurityGroup", "prod-db")
	cluster := res.MustOne(t, "aws:eks/cluster:Cluster", "prod")
	clusterSG := cluster.Outputs["vpcConfig"].ObjectValue()["clusterSecurityGroupId"].StringValue()
	if sg.Num("ingress[0].fromPort") != 5432 || sg.Num("ingress[0].toPort") != 5432 || !slices.Equal(sg.Strings("ingress[0].securityGroups"), []string{clusterSG}) ||
		sg.Has("ingress[0].cidrBlocks[0]") || sg.Has("ingress[1]") {
		t.Errorf("database security group ingress %v", sg.Inputs["ingress"])
	}
	if !slices.Equal(db.Strings("vpcSecurityGroupIds"), []string{sg.ID}) {
		t.Errorf("instance security groups %v", db.Strings("vpcSecurityGroupIds"))
	}

	// TLS enforced; production logs connections.
	pg := res.MustOne(t, "aws:rds/parameterGroup:ParameterGroup", "prod-db")
	params := map[string]string{}
	for i := 0; pg.Has("parameters[" + strconv.Itoa(i) + "]"); i++ {
		params[pg.Str("parameters["+strconv.Itoa(i)+"].name")] = pg.Str("parameters[" + strconv.Itoa(i) + "].value")
	}
	if pg.Str("family") != RDSPostgres.Family || params["rds.force_ssl"] != "1" || params["log_connections"] != "1" || params["log_disconnections"] != "1" {
		t.Errorf("parameter group %s: %v", pg.Str("family"), params)
	}
	if db.Str("parameterGroupName") != pg.Outputs["name"].StringValue() {
		t.Errorf("instance parameter group %q", db.Str("parameterGroupName"))
	}
	role := res.MustOne(t, "aws:iam/role:Role", "prod-db-monitoring")
	var trust struct {
		Statement []struct{ Principal map[string]string }
	}
	if err := json.Unmarshal([]byte(role.Str("assumeRolePolicy")), &trust); err != nil || trust.Statement[0].Principal["Service"] != "monitoring.rds.amazonaws.com" ||
		db.Str("monitoringRoleArn") != role.Outputs["arn"].StringValue() {
		t.Errorf("monitoring role %s -> %s", role.Str("assumeRolePolicy"), db.Str("monitoringRoleArn"))
	}

	// The app's binding: host from the instance, the password secret.
	if p.Outputs.Data.Database == nil {
		t.Fatal("the platform provisions no database for the app")
	}
	u, err := componenttest.Await(p.Outputs.Data.Database.URL())
	if err != nil || !u.Secret || !strings.Contains(u.Value.(string), db.Outputs["address"].StringValue()+":5432/wechat_api") ||
		!strings.Contains(u.Value.(string), "sslmode=require") {
		t.Errorf("database URL secret %v (%v)", u.Secret, err)
	}
	if leaks := res.FindLeaks(map[string]string{"databasePassword": fakeDBPassword}, nil); len(leaks) > 0 {
		t.Errorf("the password leaks: %v", leaks)
	}
}

// TestDatabaseOutsideProduction: no standby, protection or monitoring role, and no connection logging.
func TestDatabaseOutsideProduction(t *testing.T) {
	res, _ := run(t, databaseArgs(false))
	db := res.MustOne(t, "aws:rds/instance:Instance", "prod-db")
	if db.Bool("multiAz") || db.Bool("deletionProtection") || !db.Bool("skipFinalSnapshot") || db.Has("finalSnapshotIdentifier") || db.Has("monitoringRoleArn") {
		t.Errorf("non-production instance %v", db.Inputs)
	}
	if slices.ContainsFunc(res.Find("aws:iam/role:Role"), func(r componenttest.Resource) bool { return r.Name == "prod-db-monitoring" }) {
		t.Error("a monitoring role without monitoring")
	}
	pg := res.MustOne(t, "aws:rds/parameterGroup:ParameterGroup", "prod-db")
	if pg.Has("parameters[1]") || pg.Str("parameters[0].name") != "rds.force_ssl" {
		t.Errorf("parameters %v", pg.Inputs["parameters"])
	}
}

func TestDatabaseValidation(t *testing.T) {
	for name, mutate := range map[string]func(d *DatabaseArgs){
		"identifier with a double hyphen": func(d *DatabaseArgs) { d.Identifier = "wechat--prod" },
		"not an RDS class":                func(d *DatabaseArgs) { d.InstanceClass = "m6g.large" },
		"storage below gp3's minimum":     func(d *DatabaseArgs) { d.StorageGiB = 10 },
		"reserved master user":            func(d *DatabaseArgs) { d.Username = "rdsadmin" },
		"backups beyond 35 days":          func(d *DatabaseArgs) { d.BackupRetentionDays = 36 },
		"monitoring interval RDS lacks":   func(d *DatabaseArgs) { d.MonitoringInterval = 20 },
		"no password":                     func(d *DatabaseArgs) { d.Password = nil },
	} {
		args := databaseArgs(true)
		mutate(args.Database)
		res, err := componenttest.Run(componenttest.Options{Project: "wechat-deploy", Stack: "test"}, func(ctx *pulumi.Context) error {
			_, err := NewPlatform(ctx, "prod", &args)
			return err
		})
		if err == nil || !strings.Contains(err.Error(), "invalid arguments") {
			t.Errorf("%s: %v", name, err)
		}
		if len(res.Resources) != 0 {
			t.Errorf("%s: %d resources registered before the error", name, len(res.Resources))
		}
	}
}
