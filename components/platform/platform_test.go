package platform

import (
	"errors"
	"net/url"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/internals"

	"github.com/wechat-deploy/wechat-deploy/app/contract"
)

func await(t *testing.T, o pulumi.Output) (any, bool) {
	t.Helper()
	r, err := internals.UnsafeAwaitOutput(t.Context(), o)
	if err != nil {
		t.Fatal(err)
	}
	return r.Value, r.Secret
}

// The database URL is what pgx parses: TLS required, the password escaped, and secret.
func TestDatabaseBinding(t *testing.T) {
	db := &Database{
		Host: pulumi.String("db.internal").ToStringOutput(), Port: PostgresPort,
		Name: pulumi.String("app").ToStringOutput(), User: pulumi.String("app").ToStringOutput(),
		Password: pulumi.ToSecret(pulumi.String("p@ss/w:rd")).(pulumi.StringOutput),
	}
	b := db.Binding()
	if len(b.EgressPorts) != 1 || b.EgressPorts[0] != 5432 {
		t.Errorf("egress ports %v", b.EgressPorts)
	}
	v, secret := await(t, b.Secrets[contract.SecretDatabaseURL].ToStringOutput())
	if !secret {
		t.Error("database URL is not secret")
	}
	u, err := url.Parse(v.(string))
	if err != nil {
		t.Fatal(err)
	}
	pass, _ := u.User.Password()
	if u.Scheme != "postgres" || u.Host != "db.internal:5432" || u.Path != "/app" || pass != "p@ss/w:rd" || u.Query().Get("sslmode") != "require" {
		t.Errorf("database URL %s", v)
	}
}

func TestIngressAnnotationsWithoutController(t *testing.T) {
	if got := (Outputs{}).IngressAnnotations(IngressTLS{Enabled: true}); got == nil || len(got) != 0 {
		t.Errorf("annotations %v, want an empty map", got)
	}
}

func TestPickZones(t *testing.T) {
	listed := func() ([]string, error) { return []string{"a", "b", "c"}, nil }
	if z, err := PickZones([]string{"x"}, 3, "r", nil); err != nil || len(z) != 1 || z[0] != "x" {
		t.Errorf("explicit zones: %v, %v", z, err)
	}
	if z, err := PickZones(nil, 2, "r", listed); err != nil || len(z) != 2 || z[1] != "b" {
		t.Errorf("first two: %v, %v", z, err)
	}
	if _, err := PickZones(nil, 4, "r", listed); !errors.Is(err, ErrTooFewZones) {
		t.Errorf("four of three: %v", err)
	}
}
