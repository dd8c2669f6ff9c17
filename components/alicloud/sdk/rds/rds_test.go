package rds_test

import (
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/wechat-deploy/wechat-deploy/components/alicloud/sdk/rds"
	"github.com/wechat-deploy/wechat-deploy/components/componenttest"
)

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
