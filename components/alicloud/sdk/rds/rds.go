// Package rds mirrors github.com/pulumi/pulumi-alicloud/sdk/v3/go/alicloud/rds (ApsaraDB RDS) for the resources
// wechat-deploy uses: a PostgreSQL instance, its account, database, the account's privilege on the database and
// the instance's backup policy.
package rds

import (
	"reflect"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/wechat-deploy/wechat-deploy/components/alicloud/sdk/internal"
)

// Instance is an ApsaraDB RDS instance (alicloud:rds/instance:Instance).
type Instance struct {
	pulumi.CustomResourceState

	// ConnectionString is the instance's private endpoint (a host name); Port its private port, as a string.
	ConnectionString pulumi.StringOutput `pulumi:"connectionString"`
	Port             pulumi.StringOutput `pulumi:"port"`
	// SslStatus is "Yes" once SSL is on; ZoneId the primary's zone.
	SslStatus pulumi.StringOutput `pulumi:"sslStatus"`
	ZoneId    pulumi.StringOutput `pulumi:"zoneId"`
}

type instanceArgs struct {
	AutoUpgradeMinorVersion *string             `pulumi:"autoUpgradeMinorVersion"`
	CaType                  *string             `pulumi:"caType"`
	Category                *string             `pulumi:"category"`
	DbInstanceStorageType   *string             `pulumi:"dbInstanceStorageType"`
	DeletionProtection      *bool               `pulumi:"deletionProtection"`
	EncryptionKey           *string             `pulumi:"encryptionKey"`
	Engine                  string              `pulumi:"engine"`
	EngineVersion           string              `pulumi:"engineVersion"`
	InstanceChargeType      *string             `pulumi:"instanceChargeType"`
	InstanceName            *string             `pulumi:"instanceName"`
	InstanceStorage         int                 `pulumi:"instanceStorage"`
	InstanceType            string              `pulumi:"instanceType"`
	MonitoringPeriod        *int                `pulumi:"monitoringPeriod"`
	Parameters              []InstanceParameter `pulumi:"parameters"`
	SecurityIps             []string            `pulumi:"securityIps"`
	SslAction               *string             `pulumi:"sslAction"`
	Tags                    map[string]string   `pulumi:"tags"`
	VswitchId               *string             `pulumi:"vswitchId"`
	ZoneId                  *string             `pulumi:"zoneId"`
	ZoneIdSlaveA            *string             `pulumi:"zoneIdSlaveA"`
}

// InstanceArgs configure an instance. Engine, EngineVersion, InstanceStorage (GB) and InstanceType are
// required. VswitchId lists the VSwitches of the primary and secondary zones, comma-separated, in the order of
// ZoneId and ZoneIdSlaveA. SecurityIps is the whitelist: without one the provider sends 127.0.0.1. SslAction
// "Open" turns SSL on; EncryptionKey (a KMS key id) encrypts the cloud disks from creation.
type InstanceArgs struct {
	AutoUpgradeMinorVersion pulumi.StringPtrInput
	CaType                  pulumi.StringPtrInput
	Category                pulumi.StringPtrInput
	DbInstanceStorageType   pulumi.StringPtrInput
	DeletionProtection      pulumi.BoolPtrInput
	EncryptionKey           pulumi.StringPtrInput
	Engine                  pulumi.StringInput
	EngineVersion           pulumi.StringInput
	InstanceChargeType      pulumi.StringPtrInput
	InstanceName            pulumi.StringPtrInput
	InstanceStorage         pulumi.IntInput
	InstanceType            pulumi.StringInput
	MonitoringPeriod        pulumi.IntPtrInput
	Parameters              InstanceParameterArray
	SecurityIps             pulumi.StringArrayInput
	SslAction               pulumi.StringPtrInput
	Tags                    pulumi.StringMapInput
	VswitchId               pulumi.StringPtrInput
	ZoneId                  pulumi.StringPtrInput
	ZoneIdSlaveA            pulumi.StringPtrInput
}

// ElementType implements pulumi.Input.
func (InstanceArgs) ElementType() reflect.Type { return reflect.TypeOf((*instanceArgs)(nil)).Elem() }

// NewInstance registers an instance. As in the official SDK, the certificate and key outputs the provider reads
// back (serverCert once SSL is on, and the TDE and client CA material) are stored as secrets.
func NewInstance(ctx *pulumi.Context, name string, args *InstanceArgs, opts ...pulumi.ResourceOption) (*Instance, error) {
	opts = append(opts, pulumi.AdditionalSecretOutputs([]string{
		"clientCaCert", "serverCert", "sslCertificate", "sslPassword", "tdeCertificate", "tdePassword", "tdePrivateKey",
	}))
	return internal.Register[Instance](ctx, "alicloud:rds/instance:Instance", name, args, opts)
}

// InstanceParameter is one engine parameter set on an instance.
type InstanceParameter struct {
	Name  string `pulumi:"name"`
	Value string `pulumi:"value"`
}

// InstanceParameterArgs is the input form of InstanceParameter.
type InstanceParameterArgs struct {
	Name  pulumi.StringInput
	Value pulumi.StringInput
}

// ElementType implements pulumi.Input.
func (InstanceParameterArgs) ElementType() reflect.Type {
	return reflect.TypeOf((*InstanceParameter)(nil)).Elem()
}

// InstanceParameterArray is a list of parameters.
type InstanceParameterArray []InstanceParameterArgs

// ElementType implements pulumi.Input.
func (InstanceParameterArray) ElementType() reflect.Type {
	return reflect.TypeOf((*[]InstanceParameter)(nil)).Elem()
}

// RdsAccount is a database account of an instance (alicloud:rds/rdsAccount:RdsAccount).
type RdsAccount struct {
	pulumi.CustomResourceState

	AccountName  pulumi.StringOutput `pulumi:"accountName"`
	DbInstanceId pulumi.StringOutput `pulumi:"dbInstanceId"`
}

type rdsAccountArgs struct {
	AccountDescription *string `pulumi:"accountDescription"`
	AccountName        *string `pulumi:"accountName"`
	AccountPassword    *string `pulumi:"accountPassword"`
	AccountType        *string `pulumi:"accountType"`
	DbInstanceId       *string `pulumi:"dbInstanceId"`
}

// RdsAccountArgs configure an account: its instance, name, password and type (Normal or Super).
type RdsAccountArgs struct {
	AccountDescription pulumi.StringPtrInput
	AccountName        pulumi.StringPtrInput
	// AccountPassword is sent and stored as a secret, as in the official SDK.
	AccountPassword pulumi.StringPtrInput
	AccountType     pulumi.StringPtrInput
	DbInstanceId    pulumi.StringPtrInput
}

// ElementType implements pulumi.Input.
func (RdsAccountArgs) ElementType() reflect.Type {
	return reflect.TypeOf((*rdsAccountArgs)(nil)).Elem()
}

// NewRdsAccount registers an account; its password is sent and stored as a secret.
func NewRdsAccount(ctx *pulumi.Context, name string, args *RdsAccountArgs, opts ...pulumi.ResourceOption) (*RdsAccount, error) {
	if args != nil && args.AccountPassword != nil {
		args.AccountPassword = pulumi.ToSecret(args.AccountPassword).(pulumi.StringPtrInput)
	}
	opts = append(opts, pulumi.AdditionalSecretOutputs([]string{"accountPassword", "password"}))
	return internal.Register[RdsAccount](ctx, "alicloud:rds/rdsAccount:RdsAccount", name, args, opts)
}

// Database is a database of an instance (alicloud:rds/database:Database).
type Database struct {
	pulumi.CustomResourceState

	DataBaseName pulumi.StringOutput `pulumi:"dataBaseName"`
	InstanceId   pulumi.StringOutput `pulumi:"instanceId"`
}

type databaseArgs struct {
	CharacterSet *string `pulumi:"characterSet"`
	DataBaseName *string `pulumi:"dataBaseName"`
	Description  *string `pulumi:"description"`
	InstanceId   string  `pulumi:"instanceId"`
}

// DatabaseArgs configure a database: its instance (required), name and character set (PostgreSQL: the encoding,
// optionally followed by ",<collate>,<ctype>").
type DatabaseArgs struct {
	CharacterSet pulumi.StringPtrInput
	DataBaseName pulumi.StringPtrInput
	Description  pulumi.StringPtrInput
	InstanceId   pulumi.StringInput
}

// ElementType implements pulumi.Input.
func (DatabaseArgs) ElementType() reflect.Type { return reflect.TypeOf((*databaseArgs)(nil)).Elem() }

// NewDatabase registers a database.
func NewDatabase(ctx *pulumi.Context, name string, args *DatabaseArgs, opts ...pulumi.ResourceOption) (*Database, error) {
	return internal.Register[Database](ctx, "alicloud:rds/database:Database", name, args, opts)
}

// AccountPrivilege grants an account a privilege on databases (alicloud:rds/accountPrivilege:AccountPrivilege).
type AccountPrivilege struct {
	pulumi.CustomResourceState

	AccountName pulumi.StringOutput      `pulumi:"accountName"`
	DbNames     pulumi.StringArrayOutput `pulumi:"dbNames"`
	Privilege   pulumi.StringPtrOutput   `pulumi:"privilege"`
}

type accountPrivilegeArgs struct {
	AccountName string   `pulumi:"accountName"`
	DbNames     []string `pulumi:"dbNames"`
	InstanceId  string   `pulumi:"instanceId"`
	Privilege   *string  `pulumi:"privilege"`
}

// AccountPrivilegeArgs configure a grant: the instance, account and databases (required) and the privilege
// (the provider's default is ReadOnly; PostgreSQL takes DBOwner).
type AccountPrivilegeArgs struct {
	AccountName pulumi.StringInput
	DbNames     pulumi.StringArrayInput
	InstanceId  pulumi.StringInput
	Privilege   pulumi.StringPtrInput
}

// ElementType implements pulumi.Input.
func (AccountPrivilegeArgs) ElementType() reflect.Type {
	return reflect.TypeOf((*accountPrivilegeArgs)(nil)).Elem()
}

// NewAccountPrivilege registers a grant.
func NewAccountPrivilege(ctx *pulumi.Context, name string, args *AccountPrivilegeArgs, opts ...pulumi.ResourceOption) (*AccountPrivilege, error) {
	return internal.Register[AccountPrivilege](ctx, "alicloud:rds/accountPrivilege:AccountPrivilege", name, args, opts)
}

// BackupPolicy is the backup policy of an instance (alicloud:rds/backupPolicy:BackupPolicy); deleting it restores
// the provider's defaults rather than removing backups.
type BackupPolicy struct {
	pulumi.CustomResourceState

	BackupRetentionPeriod pulumi.IntPtrOutput `pulumi:"backupRetentionPeriod"`
	InstanceId            pulumi.StringOutput `pulumi:"instanceId"`
}

type backupPolicyArgs struct {
	BackupRetentionPeriod    *int     `pulumi:"backupRetentionPeriod"`
	EnableBackupLog          *bool    `pulumi:"enableBackupLog"`
	InstanceId               string   `pulumi:"instanceId"`
	LogBackupRetentionPeriod *int     `pulumi:"logBackupRetentionPeriod"`
	PreferredBackupPeriods   []string `pulumi:"preferredBackupPeriods"`
	PreferredBackupTime      *string  `pulumi:"preferredBackupTime"`
}

// BackupPolicyArgs configure the policy: the instance (required), days data backups are kept, the weekdays and
// the hour (UTC, "HH:00Z-HH:00Z") they run, and log backups (kept no longer than data backups).
type BackupPolicyArgs struct {
	BackupRetentionPeriod    pulumi.IntPtrInput
	EnableBackupLog          pulumi.BoolPtrInput
	InstanceId               pulumi.StringInput
	LogBackupRetentionPeriod pulumi.IntPtrInput
	PreferredBackupPeriods   pulumi.StringArrayInput
	PreferredBackupTime      pulumi.StringPtrInput
}

// ElementType implements pulumi.Input.
func (BackupPolicyArgs) ElementType() reflect.Type {
	return reflect.TypeOf((*backupPolicyArgs)(nil)).Elem()
}

// NewBackupPolicy registers a backup policy.
func NewBackupPolicy(ctx *pulumi.Context, name string, args *BackupPolicyArgs, opts ...pulumi.ResourceOption) (*BackupPolicy, error) {
	return internal.Register[BackupPolicy](ctx, "alicloud:rds/backupPolicy:BackupPolicy", name, args, opts)
}
