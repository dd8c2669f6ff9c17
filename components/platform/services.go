package platform

import (
	"net/url"
	"strconv"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/wechat-deploy/wechat-deploy/app/contract"
)

// DataServices are the backing services a platform provisions for the app. A nil member is not provisioned:
// the stack either needs none or names an external one in its config. A new kind of service (a cache, a queue)
// is a new typed member here with a Binding method, and the program hands its Binding to the workload.
type DataServices struct {
	// Database is the app's PostgreSQL database.
	Database *Database
}

// Binding is what the workload needs to use one backing service: files in the app's Secret and the TCP ports
// its NetworkPolicy must open towards private address ranges.
type Binding struct {
	// Secrets maps a file name under the app's secrets mount to its value; the workload keeps every value secret.
	Secrets map[string]pulumi.StringInput
	// EgressPorts are the TCP ports the app reaches the service on.
	EgressPorts []int
}

// PostgresPort is PostgreSQL's port.
const PostgresPort = 5432

// Database is a PostgreSQL database: where it is, who the app is, and the CA that signs its server certificate.
type Database struct {
	Host pulumi.StringOutput
	Port int
	Name pulumi.StringOutput
	User pulumi.StringOutput
	// Password is always a secret.
	Password pulumi.StringOutput
	// CABundle is the PEM bundle that verifies the server (empty when the system roots do).
	CABundle pulumi.StringOutput
}

// URL is the connection URL the app reads (a secret: it carries the password). TLS is always required.
func (d *Database) URL() pulumi.StringOutput {
	u := pulumi.All(d.Host, d.Name, d.User, d.Password).ApplyT(func(v []any) string {
		return (&url.URL{
			Scheme:   "postgres",
			User:     url.UserPassword(v[2].(string), v[3].(string)),
			Host:     v[0].(string) + ":" + strconv.Itoa(d.Port),
			Path:     "/" + v[1].(string),
			RawQuery: "sslmode=require",
		}).String()
	}).(pulumi.StringOutput)
	return pulumi.ToSecret(u).(pulumi.StringOutput)
}

// Binding hands the database to the workload: its URL as the app's database secret, its port opened.
func (d *Database) Binding() Binding {
	return ExternalDatabase(d.URL(), d.Port)
}

// ExternalDatabase binds a database the stack names by URL (a secret) instead of provisioning one.
func ExternalDatabase(databaseURL pulumi.StringInput, port int) Binding {
	return Binding{
		Secrets:     map[string]pulumi.StringInput{contract.SecretDatabaseURL: databaseURL},
		EgressPorts: []int{port},
	}
}
