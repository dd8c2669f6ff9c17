package incluster

import (
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/wechat-deploy/wechat-deploy/components/componenttest"
	"github.com/wechat-deploy/wechat-deploy/components/image"
	"github.com/wechat-deploy/wechat-deploy/components/workload"
)

const fakePassword = "fake-db-password-9b2e7c4a1f6d"

func args() *PostgresArgs {
	return &PostgresArgs{
		Namespace: "wechat-api-db", Image: "registry.local/wechat-postgres@sha256:" + strings.Repeat("ab", 32),
		DatabaseName: "wechat_api", Username: "wechat", Password: pulumi.ToSecret(pulumi.String(fakePassword)).(pulumi.StringOutput),
		StorageGiB: 1, ClientNamespace: "wechat-api", ClientLabels: map[string]string{"app.kubernetes.io/name": "wechat-api", "app.kubernetes.io/instance": "local"},
	}
}

func run(t *testing.T, a *PostgresArgs) (*componenttest.Result, *Postgres) {
	t.Helper()
	return componenttest.Component(t, componenttest.Options{Project: "wechat-deploy", Stack: "local"}, func(ctx *pulumi.Context) (*Postgres, error) {
		return NewPostgres(ctx, "local-postgres", a)
	})
}

// TestPostgres: its own restricted namespace; the password only as a secret (the Secret, and a hash on the pod
// template); one hardened non-root replica on a ReadWriteOnce claim that outlives it; a NetworkPolicy admitting
// the app's pods on 5432 and allowing no egress; the endpoint the workload binds, with the password secret.
func TestPostgres(t *testing.T) {
	res, pg := run(t, args())
	if bad := res.NotNamedAfter("local-postgres"); len(bad) > 0 {
		t.Errorf("not named after the component: %v", bad)
	}
	ns := res.MustOne(t, "kubernetes:core/v1:Namespace", "local-postgres-ns")
	if ns.Str("metadata.name") != "wechat-api-db" || ns.StringMap("metadata.labels")["pod-security.kubernetes.io/enforce"] != "restricted" {
		t.Errorf("namespace %v", ns.Inputs["metadata"])
	}
	secret := res.MustOne(t, "kubernetes:core/v1:Secret", "local-postgres-password")
	if !secret.IsSecret("stringData") || secret.Str("stringData.password") != fakePassword {
		t.Errorf("password secret: secret=%v", secret.IsSecret("stringData"))
	}
	sts := res.MustOne(t, "kubernetes:apps/v1:StatefulSet", "local-postgres-sts")
	for path, want := range map[string]any{
		"spec.replicas": 1.0, "spec.template.spec.automountServiceAccountToken": false,
		"spec.template.spec.securityContext.runAsNonRoot": true, "spec.template.spec.securityContext.runAsUser": float64(image.NonRootUID),
		"spec.template.spec.securityContext.seccompProfile.type":                    "RuntimeDefault",
		"spec.template.spec.containers[0].image":                                    args().Image,
		"spec.template.spec.containers[0].securityContext.readOnlyRootFilesystem":   true,
		"spec.template.spec.containers[0].securityContext.allowPrivilegeEscalation": false,
		"spec.template.spec.containers[0].securityContext.capabilities.drop[0]":     "ALL",
		"spec.template.spec.containers[0].readinessProbe.exec.command[0]":           image.PostgresEntrypoint,
		"spec.volumeClaimTemplates[0].spec.accessModes[0]":                          "ReadWriteOnce",
		"spec.volumeClaimTemplates[0].spec.resources.requests.storage":              "1Gi",
		"spec.persistentVolumeClaimRetentionPolicy.whenDeleted":                     "Retain",
		"spec.template.spec.volumes[0].secret.defaultMode":                          float64(0o440),
		"spec.template.spec.containers[0].volumeMounts[0].mountPath":                dataMount,
		"spec.template.spec.containers[0].volumeMounts[1].readOnly":                 true,
		"spec.template.spec.containers[0].ports[0].containerPort":                   5432.0,
		"spec.template.spec.containers[0].resources.limits.memory":                  "512Mi",
		// The environment, sorted by name: the image contract's variables.
		"spec.template.spec.containers[0].env[0].value": pgdata,
		"spec.template.spec.containers[0].env[1].value": "wechat_api",
		"spec.template.spec.containers[0].env[2].value": passwordFile,
		"spec.template.spec.containers[0].env[3].value": "wechat",
	} {
		if got, ok := sts.Input(path); !ok || got.V != want {
			t.Errorf("%s = %v, want %v", path, got.V, want)
		}
	}
	if sts.Has("spec.volumeClaimTemplates[0].spec.storageClassName") {
		t.Error("a storage class is set although none was given: the cluster's default should apply")
	}
	if !sts.IsSecret("spec.template.metadata.annotations.wechat-deploy/password-checksum") || strings.Contains(sts.StringMap("spec.template.metadata.annotations")["wechat-deploy/password-checksum"], fakePassword) {
		t.Error("the password checksum annotation is not a secret, or holds the password")
	}
	if paths := sts.SecretPaths(); len(paths) == 0 {
		t.Error("no secret in the StatefulSet's inputs")
	}
	np := res.MustOne(t, "kubernetes:networking.k8s.io/v1:NetworkPolicy", "local-postgres-netpol")
	if got := np.Strings("spec.policyTypes"); strings.Join(got, ",") != "Ingress,Egress" || np.Has("spec.egress") {
		t.Errorf("policy types %v, egress %v: want ingress and egress restricted, no egress rule", got, np.Has("spec.egress"))
	}
	from := np.StringMap("spec.ingress[0].from[0].namespaceSelector.matchLabels")["kubernetes.io/metadata.name"]
	pods := np.StringMap("spec.ingress[0].from[0].podSelector.matchLabels")
	if from != "wechat-api" || pods["app.kubernetes.io/name"] != "wechat-api" || pods["app.kubernetes.io/instance"] != "local" {
		t.Errorf("admits namespace %q pods %v, want the app's", from, pods)
	}
	if np.Has("spec.ingress[1]") || np.Has("spec.ingress[0].from[1]") || np.Num("spec.ingress[0].ports[0].port") != 5432 {
		t.Errorf("ingress %v", np.Inputs["spec"])
	}

	svc := res.MustOne(t, "kubernetes:core/v1:Service", "local-postgres-svc")
	// Not awaited (the StatefulSet's wait proves the pod ready), so the selector must pick its pods.
	if svc.StringMap("metadata.annotations")[workload.SkipAwaitAnnotation] != "true" {
		t.Error("the database's Service is awaited (a fixed 10 s settle on every create)")
	}
	for _, p := range svc.SelectorProblems(&sts) {
		t.Error(p)
	}
	host, err := componenttest.Await(pg.Endpoint.Host)
	if err != nil || !host.Known || host.Value != svc.Outputs["spec"].ObjectValue()["clusterIP"].StringValue() {
		t.Errorf("host %+v (%v), want the Service's cluster IP", host, err)
	}
	pw, _ := componenttest.Await(pg.Endpoint.Password)
	url, _ := componenttest.Await(pg.Endpoint.URL())
	if !pw.Secret || !url.Secret || !strings.HasSuffix(url.Value.(string), "/wechat_api?sslmode=require") {
		t.Errorf("password secret %v, URL secret %v %v", pw.Secret, url.Secret, url.Value)
	}

	a := args()
	a.StorageClass, a.Protect = "fast-ssd", true
	res, _ = run(t, a)
	sts = res.MustOne(t, "kubernetes:apps/v1:StatefulSet", "local-postgres-sts")
	if sts.Str("spec.volumeClaimTemplates[0].spec.storageClassName") != "fast-ssd" || !sts.Protect {
		t.Errorf("storage class %q, protect %v", sts.Str("spec.volumeClaimTemplates[0].spec.storageClassName"), sts.Protect)
	}
}

// TestPostgresRefusesBadArgs: each mistake is named, and nothing is registered.
func TestPostgresRefusesBadArgs(t *testing.T) {
	for _, tc := range []struct {
		name string
		edit func(a *PostgresArgs)
		want string
	}{
		{"tag", func(a *PostgresArgs) { a.Image = "postgres:17" }, "pinned by digest"},
		{"reserved user", func(a *PostgresArgs) { a.Username = "postgres" }, "reserved"},
		{"pg_ user", func(a *PostgresArgs) { a.Username = "pg_app" }, "reserved"},
		{"db name", func(a *PostgresArgs) { a.DatabaseName = "wechat-api" }, "database name"},
		{"no storage", func(a *PostgresArgs) { a.StorageGiB = 0 }, "storage"},
		{"too much storage", func(a *PostgresArgs) { a.StorageGiB = 4096 }, "storage"},
		{"namespace", func(a *PostgresArgs) { a.Namespace = "Wechat_DB" }, "namespace"},
		{"storage class", func(a *PostgresArgs) { a.StorageClass = "Fast SSD" }, "storage class"},
		{"no client", func(a *PostgresArgs) { a.ClientLabels = nil }, "client"},
		{"no password", func(a *PostgresArgs) { a.Password = nil }, "password"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := args()
			tc.edit(a)
			res, err := componenttest.Run(componenttest.Options{Project: "wechat-deploy", Stack: "local"}, func(ctx *pulumi.Context) error {
				_, err := NewPostgres(ctx, "local-postgres", a)
				return err
			})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want one about %s", err, tc.want)
			}
			if res != nil && len(res.Resources) > 0 {
				t.Errorf("registered %v before refusing", res.List())
			}
		})
	}
}
