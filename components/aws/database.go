package aws

import (
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ec2"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/iam"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/kms"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/rds"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/wechat-deploy/wechat-deploy/components/platform"
)

// DatabaseType is the type token of the Database component.
const DatabaseType = "wechat-deploy:aws:Database"

// RDSPostgres is the PostgreSQL release the program runs on RDS, pinned like the cluster's addons: the engine
// version and its parameter group family (testdata/upstream/rds-facts.md).
var RDSPostgres = struct{ Version, Family string }{Version: "17.7", Family: "postgres17"}

// Limits of RDS for PostgreSQL (testdata/upstream/rds-facts.md): the component checks them before registering
// anything, and the stack configuration names the key that breaks one.
var (
	rdsIdentifier = regexp.MustCompile(`^[a-z](?:[0-9a-z]|-[0-9a-z])*$`) // the provider's validIdentifier
	// RDSName is the form of a database name and of the master user's.
	RDSName = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_]{0,62}$`)
	// RDSReservedUsers cannot be the master user (compared in lower case).
	RDSReservedUsers = []string{"rdsadmin", "rdsrepladmin", "postgres", "admin"}
	// RDSMonitoringIntervals are the enhanced monitoring intervals RDS offers, in seconds (0 is off).
	RDSMonitoringIntervals = []int{0, 1, 5, 10, 15, 30, 60}
)

// Storage (gp3, GiB) and automated backup retention (days) bounds of an RDS instance.
const (
	RDSMinStorageGiB = 20
	RDSMaxStorageGiB = 65536
	RDSMaxBackupDays = 35
)

// DatabaseArgs configure RDS for PostgreSQL for the app.
type DatabaseArgs struct {
	// Identifier names the instance (and, with suffixes, its subnet group, parameter group and key alias).
	Identifier string
	// VpcID, SubnetIDs (the database subnets) and ClientSecurityGroupID (the cluster security group its nodes
	// and pods use): the only clients the security group admits.
	VpcID                 pulumi.StringInput
	SubnetIDs             pulumi.StringArrayInput
	ClientSecurityGroupID pulumi.StringInput
	// InstanceClass (db.m6g.large), StorageGiB (gp3; storage grows up to 4x by itself), DatabaseName and Username.
	InstanceClass string
	StorageGiB    int
	DatabaseName  string
	Username      string
	// Password is the master password (a secret Output; RDS keeps it, and so does the state, encrypted).
	Password pulumi.StringInput
	// BackupRetentionDays of automated backups; MultiAZ keeps a standby in another zone; DeletionProtection
	// refuses deletion and keeps a final snapshot.
	BackupRetentionDays int
	MultiAZ             bool
	DeletionProtection  bool
	// PerformanceInsights and MonitoringInterval (enhanced monitoring, seconds; 0 is off).
	PerformanceInsights bool
	MonitoringInterval  int
	// LogConnections records every connection and disconnection in the PostgreSQL log (production).
	LogConnections bool
	// Partition locates managed policies; Protect protects the instance and its key from deletion by Pulumi.
	Partition string
	Protect   bool
}

// Database is RDS for PostgreSQL: encrypted with its own KMS key, TLS enforced, reachable from the cluster only.
type Database struct {
	pulumi.ResourceState

	// Endpoint is where the app connects (host, port, database, user, secret password).
	Endpoint *platform.Database `pulumi:"-"`
	// Address and ARN identify the instance.
	Address pulumi.StringOutput `pulumi:"address"`
	ARN     pulumi.StringOutput `pulumi:"arn"`
}

func (a *DatabaseArgs) validate() error {
	if a.VpcID == nil || a.SubnetIDs == nil || a.ClientSecurityGroupID == nil || a.Partition == "" {
		return fmt.Errorf("%w: the VPC, database subnets, client security group and partition are required", ErrInvalidArgs)
	}
	return a.validateSettings()
}

// validateSettings checks what the stack decides (not what the platform wires in), so that the platform can
// refuse bad settings before it registers anything.
func (a *DatabaseArgs) validateSettings() error {
	var problems []string
	add := func(format string, v ...any) { problems = append(problems, fmt.Sprintf(format, v...)) }
	if len(a.Identifier) > 63 || !rdsIdentifier.MatchString(a.Identifier) {
		add("identifier %q is not an RDS identifier (1-63 lower-case letters, digits and single hyphens, a letter first)", a.Identifier)
	}
	if a.Password == nil {
		add("a password is required")
	}
	if !strings.HasPrefix(a.InstanceClass, "db.") {
		add("instance class %q is not an RDS class (db.m6g.large)", a.InstanceClass)
	}
	if a.StorageGiB < RDSMinStorageGiB || a.StorageGiB > RDSMaxStorageGiB {
		add("storage %d GiB is outside gp3's %d-%d", a.StorageGiB, RDSMinStorageGiB, RDSMaxStorageGiB)
	}
	if !RDSName.MatchString(a.DatabaseName) {
		add("database name %q is not a PostgreSQL name RDS accepts (a letter, then letters, digits, '_'; at most 63)", a.DatabaseName)
	}
	if !RDSName.MatchString(a.Username) || slices.Contains(RDSReservedUsers, strings.ToLower(a.Username)) {
		add("master user %q is reserved or not a name RDS accepts", a.Username)
	}
	if a.BackupRetentionDays < 0 || a.BackupRetentionDays > RDSMaxBackupDays {
		add("backup retention %d is outside 0-%d days", a.BackupRetentionDays, RDSMaxBackupDays)
	}
	if !slices.Contains(RDSMonitoringIntervals, a.MonitoringInterval) {
		add("monitoring interval %d is not one of %v", a.MonitoringInterval, RDSMonitoringIntervals)
	}
	if len(problems) > 0 {
		return fmt.Errorf("%w: %s", ErrInvalidArgs, strings.Join(problems, "; "))
	}
	return nil
}

// NewDatabase registers the database through the AWS provider in opts.
func NewDatabase(ctx *pulumi.Context, name string, args *DatabaseArgs, opts ...pulumi.ResourceOption) (*Database, error) {
	if args == nil {
		args = &DatabaseArgs{}
	}
	if err := args.validate(); err != nil {
		return nil, fmt.Errorf("creating RDS database %s: %w", name, err)
	}
	d := &Database{}
	if err := ctx.RegisterComponentResource(DatabaseType, name, d, opts...); err != nil {
		return nil, fmt.Errorf("registering RDS database %s: %w", name, err)
	}
	if err := d.build(ctx, name, args, pulumi.Parent(d)); err != nil {
		return nil, fmt.Errorf("creating RDS database %s: %w", name, err)
	}
	if err := ctx.RegisterResourceOutputs(d, pulumi.Map{"address": d.Address, "arn": d.ARN}); err != nil {
		return nil, fmt.Errorf("registering outputs of RDS database %s: %w", name, err)
	}
	return d, nil
}

func (d *Database) build(ctx *pulumi.Context, name string, a *DatabaseArgs, parent pulumi.ResourceOption) error {
	protect := pulumi.Protect(a.Protect)
	key, err := kms.NewKey(ctx, name+"-db-key", &kms.KeyArgs{
		Description:       pulumi.String("Storage, snapshots and Performance Insights of RDS instance " + a.Identifier),
		EnableKeyRotation: pulumi.Bool(true), DeletionWindowInDays: pulumi.Int(30),
	}, parent, protect)
	if err != nil {
		return fmt.Errorf("KMS key: %w", err)
	}
	if _, err := kms.NewAlias(ctx, name+"-db-key", &kms.AliasArgs{
		Name: pulumi.String("alias/rds/" + a.Identifier), TargetKeyId: key.KeyId,
	}, parent); err != nil {
		return fmt.Errorf("KMS alias: %w", err)
	}
	subnets, err := rds.NewSubnetGroup(ctx, name+"-db", &rds.SubnetGroupArgs{
		Name: pulumi.String(a.Identifier), SubnetIds: a.SubnetIDs,
		Description: pulumi.String("Database subnets of " + a.Identifier),
	}, parent)
	if err != nil {
		return fmt.Errorf("subnet group: %w", err)
	}
	sg, err := ec2.NewSecurityGroup(ctx, name+"-db", &ec2.SecurityGroupArgs{
		VpcId: a.VpcID, Description: pulumi.String("PostgreSQL of " + a.Identifier + " from the cluster only"),
		Ingress: ec2.SecurityGroupIngressArray{ec2.SecurityGroupIngressArgs{
			Description: pulumi.String("PostgreSQL from the cluster nodes and pods"),
			Protocol:    pulumi.String("tcp"), FromPort: pulumi.Int(platform.PostgresPort), ToPort: pulumi.Int(platform.PostgresPort),
			SecurityGroups: pulumi.StringArray{a.ClientSecurityGroupID},
		}},
		Tags: pulumi.StringMap{"Name": pulumi.String(a.Identifier + "-db")},
	}, parent)
	if err != nil {
		return fmt.Errorf("security group: %w", err)
	}
	params, err := rds.NewParameterGroup(ctx, name+"-db", &rds.ParameterGroupArgs{
		Name: pulumi.String(a.Identifier + "-" + RDSPostgres.Family), Family: pulumi.String(RDSPostgres.Family),
		Description: pulumi.String("PostgreSQL settings of " + a.Identifier),
		Parameters:  databaseParameters(a.LogConnections),
	}, parent)
	if err != nil {
		return fmt.Errorf("parameter group: %w", err)
	}
	var monitoringRole pulumi.StringPtrInput
	if a.MonitoringInterval > 0 {
		role, err := iam.NewRole(ctx, name+"-db-monitoring", &iam.RoleArgs{
			Description:      pulumi.String("Enhanced monitoring of RDS instance " + a.Identifier),
			AssumeRolePolicy: pulumi.String(serviceTrust("monitoring.rds.amazonaws.com")),
		}, parent)
		if err != nil {
			return fmt.Errorf("monitoring role: %w", err)
		}
		if _, err := iam.NewRolePolicyAttachment(ctx, name+"-db-monitoring", &iam.RolePolicyAttachmentArgs{
			Role: role.Name, PolicyArn: pulumi.String(managedPolicy(a.Partition, "service-role/AmazonRDSEnhancedMonitoringRole")),
		}, parent); err != nil {
			return fmt.Errorf("monitoring policy: %w", err)
		}
		monitoringRole = role.Arn
	}
	args := &rds.InstanceArgs{
		Identifier: pulumi.String(a.Identifier), Engine: pulumi.String("postgres"), EngineVersion: pulumi.String(RDSPostgres.Version),
		InstanceClass: pulumi.String(a.InstanceClass), StorageType: pulumi.String("gp3"),
		AllocatedStorage: pulumi.Int(a.StorageGiB), MaxAllocatedStorage: pulumi.Int(4 * a.StorageGiB),
		StorageEncrypted: pulumi.Bool(true), KmsKeyId: key.Arn,
		DbName: pulumi.String(a.DatabaseName), Username: pulumi.String(a.Username), Password: a.Password,
		DbSubnetGroupName: subnets.Name, VpcSecurityGroupIds: pulumi.StringArray{sg.ID()}, ParameterGroupName: params.Name,
		PubliclyAccessible: pulumi.Bool(false), MultiAz: pulumi.Bool(a.MultiAZ),
		BackupRetentionPeriod: pulumi.Int(a.BackupRetentionDays), CopyTagsToSnapshot: pulumi.Bool(true),
		DeletionProtection: pulumi.Bool(a.DeletionProtection), SkipFinalSnapshot: pulumi.Bool(!a.DeletionProtection),
		AutoMinorVersionUpgrade: pulumi.Bool(true), EnabledCloudwatchLogsExports: pulumi.StringArray{pulumi.String("postgresql")},
		MonitoringInterval: pulumi.Int(a.MonitoringInterval), MonitoringRoleArn: monitoringRole,
		PerformanceInsightsEnabled: pulumi.Bool(a.PerformanceInsights),
	}
	if a.DeletionProtection {
		args.FinalSnapshotIdentifier = pulumi.String(a.Identifier + "-final")
	}
	if a.PerformanceInsights {
		args.PerformanceInsightsKmsKeyId = key.Arn
		args.PerformanceInsightsRetentionPeriod = pulumi.Int(7) // the free tier
	}
	db, err := rds.NewInstance(ctx, name+"-db", args, parent, protect)
	if err != nil {
		return fmt.Errorf("instance: %w", err)
	}
	d.Address, d.ARN = db.Address, db.Arn
	d.Endpoint = &platform.Database{
		Host: db.Address, Port: platform.PostgresPort, Name: db.DbName, User: db.Username,
		Password: pulumi.ToSecret(a.Password.ToStringOutput()).(pulumi.StringOutput),
		CABundle: pulumi.String("").ToStringOutput(),
	}
	return nil
}

// databaseParameters are the parameter group's settings: TLS required of every client (rds.force_ssl, already the
// default from PostgreSQL 15, pinned here; pending-reboot, which RDS takes for static and dynamic parameters
// alike), and in production every connection and disconnection logged.
func databaseParameters(logConnections bool) rds.ParameterGroupParameterArray {
	params := rds.ParameterGroupParameterArray{rds.ParameterGroupParameterArgs{
		Name: pulumi.String("rds.force_ssl"), Value: pulumi.String("1"), ApplyMethod: pulumi.String("pending-reboot"),
	}}
	if logConnections {
		for _, p := range []string{"log_connections", "log_disconnections"} {
			params = append(params, rds.ParameterGroupParameterArgs{Name: pulumi.String(p), Value: pulumi.String("1"), ApplyMethod: pulumi.String("immediate")})
		}
	}
	return params
}
