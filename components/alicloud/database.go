package alicloud

import (
	"fmt"
	"net/netip"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/wechat-deploy/wechat-deploy/components/alicloud/sdk/rds"
	"github.com/wechat-deploy/wechat-deploy/components/platform"
)

// DatabaseType is the type token of the Database component.
const DatabaseType = "wechat-deploy:alicloud:Database"

// ApsaraPostgres is the PostgreSQL release the program runs on ApsaraDB RDS, pinned like the cluster's addons:
// the engine name and major version as the RDS API spells them (testdata/upstream/apsaradb-facts.md).
var ApsaraPostgres = struct{ Engine, Version string }{Engine: "PostgreSQL", Version: "17.0"}

// Limits of ApsaraDB RDS for PostgreSQL on cloud disks (testdata/upstream/apsaradb-facts.md): the component
// checks them before registering anything, and the stack configuration names the key that breaks one.
var (
	// ApsaraDBInstanceClass is the form of a primary instance class on cloud disks: pg.<family>.<size>.<edition>,
	// for example pg.n2.2c.1m (Basic, general-purpose), pg.n2.2c.2m or pg.x4.medium.2c (High-availability).
	ApsaraDBInstanceClass = regexp.MustCompile(`^pg\.[nx][0-9]+e?\.(?:[0-9]+c|small|medium|large|[0-9]*xlarge)\.[0-9]+[cm]?$`)
	// ApsaraDBAccountName is the provider's rule for account names: 2-63 lower-case letters, digits and '_', a
	// letter first and a letter or digit last.
	ApsaraDBAccountName = regexp.MustCompile(`^[a-z][a-z0-9_]{0,61}[a-z0-9]$`)
	// ApsaraDBDatabaseName is the provider's rule for database names (lower-case letters, digits, '_' and '-', a
	// letter first and a letter or digit last), held to PostgreSQL's 63-byte identifiers.
	ApsaraDBDatabaseName = regexp.MustCompile(`^[a-z][a-z0-9_-]{0,61}[a-z0-9]$`)
	// ApsaraDBReservedUsers cannot be the app's account: the instance's system accounts and PostgreSQL's bootstrap
	// superuser. Names starting with "pg" are refused as well (PostgreSQL reserves pg_ roles, and ApsaraDB runs a
	// pg… system account).
	ApsaraDBReservedUsers = []string{"alicloud_rds_admin", "aurora", "replicator", "postgres"}
	// ApsaraDBReservedDatabases exist on every instance.
	ApsaraDBReservedDatabases = []string{"postgres", "template0", "template1"}
	// PostgresReservedWords are PostgreSQL's reserved key words (also those that can only be function or type
	// names): ApsaraDB refuses them as account and database names.
	PostgresReservedWords = []string{
		"all", "analyse", "analyze", "and", "any", "array", "as", "asc", "asymmetric", "authorization", "binary", "both",
		"case", "cast", "check", "collate", "collation", "column", "concurrently", "constraint", "create", "cross",
		"current_catalog", "current_date", "current_role", "current_schema", "current_time", "current_timestamp",
		"current_user", "default", "deferrable", "desc", "distinct", "do", "else", "end", "except", "false", "fetch",
		"for", "foreign", "freeze", "from", "full", "grant", "group", "having", "ilike", "in", "initially", "inner",
		"intersect", "into", "is", "isnull", "join", "lateral", "leading", "left", "like", "limit", "localtime",
		"localtimestamp", "natural", "not", "notnull", "null", "offset", "on", "only", "or", "order", "outer",
		"overlaps", "placing", "primary", "references", "returning", "right", "select", "session_user", "similar",
		"some", "symmetric", "system_user", "table", "tablesample", "then", "to", "trailing", "true", "union", "unique",
		"user", "using", "variadic", "verbose", "when", "where", "window", "with",
	}
	// ApsaraDBMonitoringPeriods are the monitoring frequencies the provider accepts, in seconds (300 is the
	// service's default).
	ApsaraDBMonitoringPeriods = []int{5, 10, 60, 300}
)

// Storage (GB of ESSD PL1), automated backup retention (days) and whitelist bounds of an instance, the storage
// type, and the daily backup window (UTC: 02:00-03:00 China Standard Time).
const (
	ApsaraDBStorageType   = "cloud_essd"
	ApsaraDBMinStorageGB  = 20
	ApsaraDBMaxStorageGB  = 64000
	ApsaraDBMinBackupDays = 7
	ApsaraDBMaxBackupDays = 730
	ApsaraDBMaxWhitelist  = 1000
	ApsaraDBBackupWindow  = "18:00Z-19:00Z"
	// ApsaraDBMaxPassword is the longest account password ApsaraDB takes (8-32 characters, three of upper case,
	// lower case, digits and ApsaraDBPasswordSymbols: the SDK's RdsAccount documentation).
	ApsaraDBMaxPassword = 32
	// ApsaraDBPasswordSymbols are the symbols an account password may hold.
	ApsaraDBPasswordSymbols = "!@#$%^&*()_+-="
)

// The editions (the instance's category) and the server certificate type (ApsaraDB's own, "cloud certificate").
const (
	apsaraDBEditionBasic   = "Basic"
	apsaraDBEditionHA      = "HighAvailability"
	apsaraDBServerCertType = "aliyun"
)

// apsaraDBInstanceName is the form the component asks of an instance name (the provider takes any 2-256
// characters; this keeps to what every console and API field accepts).
var apsaraDBInstanceName = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_-]{1,255}$`)

// DatabaseArgs configure ApsaraDB RDS for PostgreSQL for the app.
type DatabaseArgs struct {
	// InstanceName names the instance in the console (2-256 letters, digits, '_' and '-', a letter first).
	InstanceName string
	// VSwitchIDs place the instance, ZoneIDs naming their zones in the same order: the primary in the first;
	// with HighAvailability the secondary in the second when there are two (another zone), else beside the
	// primary. Further VSwitches are not used.
	VSwitchIDs pulumi.StringArrayInput
	ZoneIDs    []string
	// ClientCIDRs are the whitelist: the cluster's node and pod VSwitch CIDRs, the only clients admitted (private
	// IPv4 networks; never 0.0.0.0/0, and never empty, which would leave the provider's 127.0.0.1).
	ClientCIDRs []string
	// InstanceClass (pg.n2.2c.2m), StorageGiB (ESSD PL1, in the GB ApsaraDB counts), DatabaseName and Username
	// (a standard account that owns the database).
	InstanceClass string
	StorageGiB    int
	DatabaseName  string
	Username      string
	// Password is the account's password (a secret Output; ApsaraDB keeps it, and so does the state, encrypted):
	// 8-32 characters, three of upper case, lower case, digits and !@#$%^&*()_+-=, which ApsaraDB checks.
	Password pulumi.StringInput
	// BackupRetentionDays of automated backups; HighAvailability keeps a standby (and log backups for
	// point-in-time recovery); DeletionProtection refuses deletion of the instance.
	BackupRetentionDays int
	HighAvailability    bool
	DeletionProtection  bool
	// LogConnections records every connection and disconnection in the PostgreSQL log (production).
	LogConnections bool
	// MonitoringPeriod is the monitoring frequency in seconds (0 keeps the service's default).
	MonitoringPeriod int
	// KMSKeyID, when set, encrypts the cloud disks with that KMS key from creation (the stack's key; the
	// cluster's is Cluster.KMSKeyID).
	KMSKeyID pulumi.StringInput
	// Tags go on the instance; Protect protects the instance and the database from deletion by Pulumi.
	Tags    map[string]string
	Protect bool
}

// Database is ApsaraDB RDS for PostgreSQL: reachable from the whitelisted cluster networks only, SSL on, disks
// encrypted with the stack's key when one is given, the app's account owning its database.
type Database struct {
	pulumi.ResourceState

	// Endpoint is where the app connects (host, port, database, user, secret password).
	Endpoint *platform.Database `pulumi:"-"`
	// ConnectionString (the private endpoint) and InstanceID identify the instance.
	ConnectionString pulumi.StringOutput `pulumi:"connectionString"`
	InstanceID       pulumi.StringOutput `pulumi:"instanceId"`
}

func (a *DatabaseArgs) validate() error {
	if a.VSwitchIDs == nil || a.Password == nil {
		return fmt.Errorf("%w: VSwitchIDs and Password are required", ErrInvalidArgs)
	}
	// What the platform wires in: the zones of the VSwitches and the whitelist.
	if len(a.ZoneIDs) == 0 || slices.Contains(a.ZoneIDs, "") {
		return fmt.Errorf("%w: ZoneIDs %q must name the zone of each VSwitch", ErrInvalidArgs, a.ZoneIDs)
	}
	if p := whitelistProblem(a.ClientCIDRs); p != "" {
		return fmt.Errorf("%w: %s", ErrInvalidArgs, p)
	}
	return a.validateSettings()
}

// ApsaraDBUsernameOK reports whether ApsaraDB takes u as the app's account: its name rule, not pg…, not reserved.
func ApsaraDBUsernameOK(u string) bool {
	return ApsaraDBAccountName.MatchString(u) && !strings.HasPrefix(u, "pg") && !slices.Contains(ApsaraDBReservedUsers, u) &&
		!slices.Contains(PostgresReservedWords, u)
}

// ApsaraDBDatabaseNameOK reports whether ApsaraDB takes n as the app's database: its name rule, not reserved.
func ApsaraDBDatabaseNameOK(n string) bool {
	return ApsaraDBDatabaseName.MatchString(n) && !slices.Contains(ApsaraDBReservedDatabases, n) && !slices.Contains(PostgresReservedWords, n)
}

// validateSettings checks what the stack decides (not what the platform wires in: validate checks that), so that
// the platform can refuse bad settings before it registers anything.
func (a *DatabaseArgs) validateSettings() error {
	var problems []string
	add := func(format string, v ...any) { problems = append(problems, fmt.Sprintf(format, v...)) }
	if !apsaraDBInstanceName.MatchString(a.InstanceName) {
		add("InstanceName %q is not an instance name (2-256 letters, digits, '_', '-', a letter first)", a.InstanceName)
	}
	if p := ApsaraDBClassProblem(a.InstanceClass, a.HighAvailability); p != "" {
		problems = append(problems, p)
	}
	if a.StorageGiB < ApsaraDBMinStorageGB || a.StorageGiB > ApsaraDBMaxStorageGB {
		add("StorageGiB %d is outside ESSD PL1's %d-%d GB", a.StorageGiB, ApsaraDBMinStorageGB, ApsaraDBMaxStorageGB)
	}
	if !ApsaraDBDatabaseNameOK(a.DatabaseName) {
		add("DatabaseName %q is reserved or not a name ApsaraDB accepts (2-63 lower-case letters, digits, '_', '-', a letter first)", a.DatabaseName)
	}
	if u := a.Username; !ApsaraDBUsernameOK(u) {
		add("Username %q is reserved or not an account name ApsaraDB accepts (2-63 lower-case letters, digits, '_', a letter first, not pg…)", u)
	}
	if a.BackupRetentionDays < ApsaraDBMinBackupDays || a.BackupRetentionDays > ApsaraDBMaxBackupDays {
		add("BackupRetentionDays %d is outside %d-%d days", a.BackupRetentionDays, ApsaraDBMinBackupDays, ApsaraDBMaxBackupDays)
	}
	if a.MonitoringPeriod != 0 && !slices.Contains(ApsaraDBMonitoringPeriods, a.MonitoringPeriod) {
		add("MonitoringPeriod %d is not 0 or one of %v seconds", a.MonitoringPeriod, ApsaraDBMonitoringPeriods)
	}
	if len(problems) > 0 {
		return fmt.Errorf("%w: %s", ErrInvalidArgs, strings.Join(problems, "; "))
	}
	return nil
}

// whitelistProblem is what is wrong with a whitelist, or "": it must list private IPv4 networks (the cluster's
// VSwitch CIDRs), at most ApsaraDBMaxWhitelist of them.
func whitelistProblem(cidrs []string) string {
	if len(cidrs) == 0 {
		return "ClientCIDRs is empty: give the cluster's node and pod VSwitch CIDRs (ApsaraDB would whitelist 127.0.0.1 only)"
	}
	if len(cidrs) > ApsaraDBMaxWhitelist {
		return fmt.Sprintf("ClientCIDRs has %d entries, over ApsaraDB's %d", len(cidrs), ApsaraDBMaxWhitelist)
	}
	var bad []string
	for _, c := range cidrs {
		p, err := netip.ParsePrefix(c)
		if err != nil || !p.Addr().Is4() || p.Masked() != p || p.Bits() < 8 || !p.Addr().IsPrivate() {
			bad = append(bad, strconv.Quote(c))
		}
	}
	if len(bad) > 0 {
		return "ClientCIDRs " + strings.Join(bad, ", ") + " are not private IPv4 networks (10/8, 172.16/12, 192.168/16, a network address, /8 or narrower)"
	}
	return ""
}

// ApsaraDBClassProblem is what is wrong with an instance class for the edition, or "". Basic Edition classes end in .1m
// or .1, High-availability ones in .2m or .2c; other endings are left to the API.
func ApsaraDBClassProblem(class string, highAvailability bool) string {
	if !ApsaraDBInstanceClass.MatchString(class) {
		return fmt.Sprintf("InstanceClass %q is not an ApsaraDB for PostgreSQL class on cloud disks (pg.n2.2c.2m)", class)
	}
	suffix := class[strings.LastIndex(class, ".")+1:]
	switch {
	case highAvailability && (suffix == "1m" || suffix == "1"):
		return fmt.Sprintf("InstanceClass %q is a Basic Edition class, but HighAvailability is on", class)
	case !highAvailability && (suffix == "2m" || suffix == "2c"):
		return fmt.Sprintf("InstanceClass %q is a High-availability Edition class, but HighAvailability is off", class)
	}
	return ""
}

// NewDatabase registers the database through the alicloud provider in opts.
func NewDatabase(ctx *pulumi.Context, name string, args *DatabaseArgs, opts ...pulumi.ResourceOption) (*Database, error) {
	if args == nil {
		args = &DatabaseArgs{}
	}
	if err := args.validate(); err != nil {
		return nil, fmt.Errorf("creating ApsaraDB database %s: %w", name, err)
	}
	d := &Database{}
	if err := ctx.RegisterComponentResource(DatabaseType, name, d, opts...); err != nil {
		return nil, fmt.Errorf("registering ApsaraDB database %s: %w", name, err)
	}
	if err := d.build(ctx, name, args, pulumi.Parent(d)); err != nil {
		return nil, fmt.Errorf("creating ApsaraDB database %s: %w", name, err)
	}
	if err := ctx.RegisterResourceOutputs(d, pulumi.Map{"connectionString": d.ConnectionString, "instanceId": d.InstanceID}); err != nil {
		return nil, fmt.Errorf("registering outputs of ApsaraDB database %s: %w", name, err)
	}
	return d, nil
}

func (d *Database) build(ctx *pulumi.Context, name string, a *DatabaseArgs, parent pulumi.ResourceOption) error {
	protect := pulumi.Protect(a.Protect)
	instance, err := rds.NewInstance(ctx, name+"-db", databaseInstanceArgs(a), parent, protect)
	if err != nil {
		return fmt.Errorf("instance: %w", err)
	}
	instanceID := instance.ID().ToStringOutput()
	account, err := rds.NewRdsAccount(ctx, name+"-db-account", &rds.RdsAccountArgs{
		DbInstanceId: instanceID, AccountName: pulumi.String(a.Username), AccountPassword: a.Password,
		AccountType: pulumi.String("Normal"),
	}, parent)
	if err != nil {
		return fmt.Errorf("account: %w", err)
	}
	db, err := rds.NewDatabase(ctx, name+"-db-database", &rds.DatabaseArgs{
		InstanceId: instanceID, DataBaseName: pulumi.String(a.DatabaseName), CharacterSet: pulumi.String("UTF8"),
	}, parent, protect)
	if err != nil {
		return fmt.Errorf("database: %w", err)
	}
	grant, err := rds.NewAccountPrivilege(ctx, name+"-db-owner", &rds.AccountPrivilegeArgs{
		InstanceId: instanceID, AccountName: account.AccountName, DbNames: pulumi.StringArray{db.DataBaseName},
		Privilege: pulumi.String("DBOwner"),
	}, parent)
	if err != nil {
		return fmt.Errorf("account privilege: %w", err)
	}
	backups := &rds.BackupPolicyArgs{
		InstanceId: instanceID, BackupRetentionPeriod: pulumi.Int(a.BackupRetentionDays),
		PreferredBackupPeriods: pulumi.ToStringArray([]string{"Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"}),
		PreferredBackupTime:    pulumi.String(ApsaraDBBackupWindow),
	}
	if a.HighAvailability {
		// Log backups (point-in-time recovery), kept as long as the data backups; Basic Edition has none.
		backups.EnableBackupLog, backups.LogBackupRetentionPeriod = pulumi.Bool(true), pulumi.Int(a.BackupRetentionDays)
	}
	if _, err := rds.NewBackupPolicy(ctx, name+"-db-backups", backups, parent); err != nil {
		return fmt.Errorf("backup policy: %w", err)
	}
	d.ConnectionString, d.InstanceID = instance.ConnectionString, instanceID
	d.Endpoint = &platform.Database{
		// The user comes from the grant, so that whatever reads the endpoint waits until the account owns the
		// database.
		Host: instance.ConnectionString, Port: platform.PostgresPort, Name: db.DataBaseName, User: grant.AccountName,
		Password: pulumi.ToSecret(a.Password.ToStringOutput()).(pulumi.StringOutput),
		// ApsaraDB's cloud certificate (caType aliyun) is signed by a CA this program has no copy of: the app
		// encrypts (sslmode=require) without verifying the server.
		CABundle: pulumi.String("").ToStringOutput(),
	}
	return nil
}

// databaseInstanceArgs are the instance's inputs: PostgreSQL on ESSD in the VPC, the whitelist, SSL on with
// ApsaraDB's certificate, the edition and its zones, pay-as-you-go (deletion protection applies to nothing else),
// disks encrypted when a key is given, minor versions upgraded by ApsaraDB.
func databaseInstanceArgs(a *DatabaseArgs) *rds.InstanceArgs {
	zones := a.ZoneIDs[:1]
	category := apsaraDBEditionBasic
	if a.HighAvailability {
		category = apsaraDBEditionHA
		zones = a.ZoneIDs[:min(2, len(a.ZoneIDs))]
	}
	args := &rds.InstanceArgs{
		Engine: pulumi.String(ApsaraPostgres.Engine), EngineVersion: pulumi.String(ApsaraPostgres.Version),
		InstanceType: pulumi.String(a.InstanceClass), InstanceStorage: pulumi.Int(a.StorageGiB),
		DbInstanceStorageType: pulumi.String(ApsaraDBStorageType), InstanceChargeType: pulumi.String("Postpaid"),
		InstanceName: pulumi.String(a.InstanceName), Category: pulumi.String(category),
		ZoneId: pulumi.String(zones[0]), VswitchId: placement(a.VSwitchIDs, len(zones)),
		SecurityIps: pulumi.ToStringArray(a.ClientCIDRs),
		SslAction:   pulumi.String("Open"), CaType: pulumi.String(apsaraDBServerCertType),
		DeletionProtection: pulumi.Bool(a.DeletionProtection), AutoUpgradeMinorVersion: pulumi.String("Auto"),
		Parameters: databaseParameters(a.LogConnections),
		Tags:       pulumi.ToStringMap(a.Tags),
	}
	if a.HighAvailability {
		// The secondary's zone: the second VSwitch's, or the primary's when there is one.
		args.ZoneIdSlaveA = pulumi.String(zones[len(zones)-1])
	}
	if a.KMSKeyID != nil {
		args.EncryptionKey = a.KMSKeyID.ToStringOutput().ToStringPtrOutput()
	}
	if a.MonitoringPeriod != 0 {
		args.MonitoringPeriod = pulumi.Int(a.MonitoringPeriod)
	}
	return args
}

// placement is the instance's vswitchId: the first n VSwitches, comma-separated in zone order (primary, then
// secondary); fewer VSwitches than zones is an error.
func placement(vswitches pulumi.StringArrayInput, n int) pulumi.StringPtrOutput {
	return vswitches.ToStringArrayOutput().ApplyT(func(ids []string) (*string, error) {
		if len(ids) < n || slices.Contains(ids[:n], "") {
			return nil, fmt.Errorf("%w: %d VSwitches for %d zones", ErrInvalidArgs, len(ids), n)
		}
		s := strings.Join(ids[:n], ",")
		return &s, nil
	}).(pulumi.StringPtrOutput)
}

// databaseParameters are the instance's PostgreSQL settings: connection and disconnection logging, on in
// production and pinned off elsewhere (so turning it off is a change ApsaraDB applies, not a dropped setting).
func databaseParameters(logConnections bool) rds.InstanceParameterArray {
	value := map[bool]string{true: "on", false: "off"}[logConnections]
	return rds.InstanceParameterArray{
		{Name: pulumi.String("log_connections"), Value: pulumi.String(value)},
		{Name: pulumi.String("log_disconnections"), Value: pulumi.String(value)},
	}
}
