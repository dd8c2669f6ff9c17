// Package incluster runs the app's backing services inside the cluster, for stacks with no cloud account (the
// local stack): PostgreSQL as a StatefulSet on a persistent volume, reachable from the app's pods only.
package incluster

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"

	appsv1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/apps/v1"
	corev1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/core/v1"
	metav1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/meta/v1"
	networkingv1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/networking/v1"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/wechat-deploy/wechat-deploy/components/image"
	"github.com/wechat-deploy/wechat-deploy/components/platform"
	"github.com/wechat-deploy/wechat-deploy/components/workload"
)

// PostgresType is the type token of the Postgres component.
const PostgresType = "wechat-deploy:kubernetes:Postgres"

// Limits of the in-cluster database, checked before anything is registered (the stack configuration names the
// key that breaks one).
var (
	// PostgresName is the form of the database and user names the image's entrypoint accepts.
	PostgresName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]{0,62}$`)
	// PostgresReservedUsers cannot be the app's user: the image's entrypoint makes it the cluster's owner, and
	// these are PostgreSQL's own roles or the official image's default.
	PostgresReservedUsers = []string{"postgres", "public", "pg_monitor", "pg_read_all_data", "pg_write_all_data"}
	// imageDigest: the image is pinned by digest, like the app's.
	imageDigest = regexp.MustCompile(`^[a-z0-9][a-z0-9._/:-]*@sha256:[0-9a-f]{64}$`)
)

// PostgresUserOK reports whether u can be the app's user: the entrypoint's name form, not a reserved role, not
// pg_ (PostgreSQL keeps that prefix for its own roles).
func PostgresUserOK(u string) bool {
	return PostgresName.MatchString(u) && !slices.Contains(PostgresReservedUsers, u) && !strings.HasPrefix(u, "pg_")
}

// Storage bounds of the data volume, GiB.
const (
	PostgresMinStorageGiB = 1
	PostgresMaxStorageGiB = 1024
)

// Container paths the image contract fixes (image.PostgresBuild; the official image uses the same variables).
const (
	dataMount    = "/var/lib/postgresql/data"
	pgdata       = dataMount + "/pgdata"
	passwordFile = "/run/secrets/postgres/password"
)

// PostgresArgs configure the in-cluster PostgreSQL.
type PostgresArgs struct {
	// Namespace is the database's own namespace (created; restricted Pod Security): deleting the app's namespace
	// leaves the data alone.
	Namespace string
	// Image is the database image, pinned by digest: one built by image.PostgresBuild (its entrypoint sets up the
	// user, the database, TLS and SCRAM authentication).
	Image string
	// DatabaseName and Username are the app's database and the user that owns it.
	DatabaseName string
	Username     string
	// Password is the user's password (a secret Output; it reaches the pod as a mounted file).
	Password pulumi.StringInput
	// StorageGiB sizes the data volume; StorageClass picks its class (empty: the cluster's default).
	StorageGiB   int
	StorageClass string
	// ClientNamespace and ClientLabels select the only pods the NetworkPolicy admits: the app's.
	ClientNamespace string
	ClientLabels    map[string]string
	// Protect protects the StatefulSet (and so its volume claim) from deletion by Pulumi.
	Protect bool
}

// validate checks the arguments before anything is registered.
func (a *PostgresArgs) validate() error {
	switch {
	case !workload.DNSLabel.MatchString(a.Namespace):
		return fmt.Errorf("namespace %q is not a DNS label", a.Namespace)
	case !imageDigest.MatchString(a.Image):
		return fmt.Errorf("image %q is not pinned by digest (name@sha256:<64 hex>)", a.Image)
	case !PostgresName.MatchString(a.DatabaseName):
		return fmt.Errorf("database name %q is not a letter or '_' then up to 62 letters, digits or '_'", a.DatabaseName)
	case !PostgresUserOK(a.Username):
		return fmt.Errorf("user %q is reserved or not a letter or '_' then up to 62 letters, digits or '_'", a.Username)
	case a.Password == nil:
		return fmt.Errorf("a password is required")
	case a.StorageGiB < PostgresMinStorageGiB || a.StorageGiB > PostgresMaxStorageGiB:
		return fmt.Errorf("storage %d GiB is outside %d..%d", a.StorageGiB, PostgresMinStorageGiB, PostgresMaxStorageGiB)
	case a.StorageClass != "" && !workload.DNSLabel.MatchString(a.StorageClass):
		return fmt.Errorf("storage class %q is not a DNS label", a.StorageClass)
	case !workload.DNSLabel.MatchString(a.ClientNamespace) || len(a.ClientLabels) == 0:
		return fmt.Errorf("the client namespace (%q) and pod labels are required: the NetworkPolicy admits those pods only", a.ClientNamespace)
	}
	return nil
}

// Postgres is PostgreSQL in the cluster: one pod of a StatefulSet on a persistent volume, TLS and SCRAM passwords
// only, no egress, reachable on 5432 from the app's pods only.
type Postgres struct {
	pulumi.ResourceState

	// Endpoint is where the app connects (host, port, database, user, secret password).
	Endpoint *platform.Database `pulumi:"-"`
	// StatefulSet runs the server; Service is its stable address.
	StatefulSet *appsv1.StatefulSet `pulumi:"-"`
	Service     *corev1.Service     `pulumi:"-"`
}

// postgresName names the database's objects in its namespace.
const postgresName = "postgres"

// NewPostgres registers the namespace, the password Secret, the StatefulSet, its Service and the NetworkPolicy.
func NewPostgres(ctx *pulumi.Context, name string, args *PostgresArgs, opts ...pulumi.ResourceOption) (*Postgres, error) {
	if args == nil {
		return nil, fmt.Errorf("creating in-cluster PostgreSQL %s: args are required", name)
	}
	if err := args.validate(); err != nil {
		return nil, fmt.Errorf("creating in-cluster PostgreSQL %s: %w", name, err)
	}
	p := &Postgres{}
	if err := ctx.RegisterComponentResource(PostgresType, name, p, opts...); err != nil {
		return nil, fmt.Errorf("registering in-cluster PostgreSQL %s: %w", name, err)
	}
	parent := pulumi.Parent(p)
	labels := pulumi.StringMap{
		"app.kubernetes.io/name":       pulumi.String(postgresName),
		"app.kubernetes.io/component":  pulumi.String("database"),
		"app.kubernetes.io/managed-by": pulumi.String("pulumi"),
	}
	selector := pulumi.StringMap{"app.kubernetes.io/name": pulumi.String(postgresName), "app.kubernetes.io/component": pulumi.String("database")}
	ns, err := corev1.NewNamespace(ctx, name+"-ns", &corev1.NamespaceArgs{Metadata: &metav1.ObjectMetaArgs{
		Name: pulumi.String(args.Namespace),
		Labels: pulumi.StringMap{
			"pod-security.kubernetes.io/enforce": pulumi.String("restricted"),
			"pod-security.kubernetes.io/audit":   pulumi.String("restricted"),
			"pod-security.kubernetes.io/warn":    pulumi.String("restricted"),
		},
	}}, parent)
	if err != nil {
		return nil, fmt.Errorf("creating namespace of in-cluster PostgreSQL %s: %w", name, err)
	}
	meta := func(n string) *metav1.ObjectMetaArgs {
		return &metav1.ObjectMetaArgs{Name: pulumi.String(n), Namespace: ns.Metadata.Name().Elem(), Labels: labels}
	}
	password := pulumi.ToSecret(args.Password).(pulumi.StringOutput)
	secret, err := corev1.NewSecret(ctx, name+"-password", &corev1.SecretArgs{
		Metadata:   meta(postgresName + "-password"),
		Type:       pulumi.String("Opaque"),
		StringData: pulumi.StringMap{"password": password},
	}, parent)
	if err != nil {
		return nil, fmt.Errorf("creating password secret of in-cluster PostgreSQL %s: %w", name, err)
	}
	// Not awaited: the provider's Service wait is for endpoints plus a fixed 10 s settle, and the StatefulSet's
	// own wait already proves the pod ready; the selector is the pod template's labels by construction.
	svcMeta := meta(postgresName)
	svcMeta.Annotations = pulumi.StringMap{workload.SkipAwaitAnnotation: pulumi.String("true")}
	svc, err := corev1.NewService(ctx, name+"-svc", &corev1.ServiceArgs{
		Metadata: svcMeta,
		Spec: &corev1.ServiceSpecArgs{
			Type:     pulumi.String("ClusterIP"),
			Selector: selector,
			Ports: corev1.ServicePortArray{corev1.ServicePortArgs{Name: pulumi.String("postgres"), Port: pulumi.Int(platform.PostgresPort),
				TargetPort: pulumi.String("postgres"), Protocol: pulumi.String("TCP")}},
		},
	}, parent)
	if err != nil {
		return nil, fmt.Errorf("creating service of in-cluster PostgreSQL %s: %w", name, err)
	}
	if _, err := networkingv1.NewNetworkPolicy(ctx, name+"-netpol", &networkingv1.NetworkPolicyArgs{
		Metadata: meta(postgresName),
		Spec: &networkingv1.NetworkPolicySpecArgs{
			PodSelector: &metav1.LabelSelectorArgs{MatchLabels: selector},
			// Egress listed with no rule: the server reaches nothing.
			PolicyTypes: pulumi.StringArray{pulumi.String("Ingress"), pulumi.String("Egress")},
			Ingress: networkingv1.NetworkPolicyIngressRuleArray{networkingv1.NetworkPolicyIngressRuleArgs{
				From: networkingv1.NetworkPolicyPeerArray{networkingv1.NetworkPolicyPeerArgs{
					NamespaceSelector: &metav1.LabelSelectorArgs{MatchLabels: pulumi.StringMap{"kubernetes.io/metadata.name": pulumi.String(args.ClientNamespace)}},
					PodSelector:       &metav1.LabelSelectorArgs{MatchLabels: pulumi.ToStringMap(args.ClientLabels)},
				}},
				Ports: networkingv1.NetworkPolicyPortArray{networkingv1.NetworkPolicyPortArgs{
					Port: pulumi.Int(platform.PostgresPort), Protocol: pulumi.String("TCP")}},
			}},
		},
	}, parent); err != nil {
		return nil, fmt.Errorf("creating network policy of in-cluster PostgreSQL %s: %w", name, err)
	}
	sts, err := appsv1.NewStatefulSet(ctx, name+"-sts", &appsv1.StatefulSetArgs{
		Metadata: meta(postgresName),
		Spec:     statefulSetSpec(args, svc, secret, labels, selector, password),
	}, parent, pulumi.Protect(args.Protect))
	if err != nil {
		return nil, fmt.Errorf("creating statefulset of in-cluster PostgreSQL %s: %w", name, err)
	}
	p.StatefulSet, p.Service = sts, svc
	// The host is the Service's cluster IP rather than its DNS name: it needs no cluster DNS (the sandbox runs
	// none), and it stays the Service's for the Service's life. It is read through the StatefulSet, so that
	// whatever uses it waits for the server to be ready.
	host := pulumi.All(svc.Spec.ClusterIP(), sts.Metadata.Name().Elem()).ApplyT(func(v []any) (string, error) {
		ip, _ := v[0].(*string)
		if ip == nil || *ip == "" || *ip == "None" {
			return "", fmt.Errorf("in-cluster PostgreSQL %s: its Service has no cluster IP", name)
		}
		return *ip, nil
	}).(pulumi.StringOutput)
	p.Endpoint = &platform.Database{
		Host:     host,
		Port:     platform.PostgresPort,
		Name:     pulumi.String(args.DatabaseName).ToStringOutput(),
		User:     pulumi.String(args.Username).ToStringOutput(),
		Password: password,
		CABundle: pulumi.String("").ToStringOutput(),
	}
	if err := ctx.RegisterResourceOutputs(p, pulumi.Map{"host": host, "port": pulumi.Int(platform.PostgresPort)}); err != nil {
		return nil, fmt.Errorf("registering outputs of in-cluster PostgreSQL %s: %w", name, err)
	}
	return p, nil
}

// statefulSetSpec is one replica of the image as the non-root user, hardened like the app's pods, on a
// ReadWriteOnce claim that outlives the pod and the StatefulSet.
func statefulSetSpec(a *PostgresArgs, svc *corev1.Service, secret *corev1.Secret, labels, selector pulumi.StringMap,
	password pulumi.StringOutput) *appsv1.StatefulSetSpecArgs {
	uid := pulumi.Int(image.NonRootUID)
	// A changed password restarts the pod (the entrypoint sets it on start); the hash is of the secret value and
	// never shows it.
	checksum := pulumi.ToSecret(password.ApplyT(func(pw string) string {
		s := sha256.Sum256([]byte(pw))
		return hex.EncodeToString(s[:])
	})).(pulumi.StringOutput)
	readyProbe := func(period, failures int) *corev1.ProbeArgs {
		return &corev1.ProbeArgs{
			Exec:             &corev1.ExecActionArgs{Command: pulumi.StringArray{pulumi.String(image.PostgresEntrypoint), pulumi.String("ready")}},
			PeriodSeconds:    pulumi.Int(period),
			FailureThreshold: pulumi.Int(failures),
			TimeoutSeconds:   pulumi.Int(2),
		}
	}
	claim := &corev1.PersistentVolumeClaimSpecArgs{
		AccessModes: pulumi.StringArray{pulumi.String("ReadWriteOnce")},
		Resources: &corev1.VolumeResourceRequirementsArgs{
			Requests: pulumi.StringMap{"storage": pulumi.String(strconv.Itoa(a.StorageGiB) + "Gi")},
		},
	}
	if a.StorageClass != "" {
		claim.StorageClassName = pulumi.String(a.StorageClass)
	}
	env := map[string]string{"PGDATA": pgdata, "POSTGRES_USER": a.Username, "POSTGRES_DB": a.DatabaseName, "POSTGRES_PASSWORD_FILE": passwordFile}
	var envs corev1.EnvVarArray
	for _, k := range slices.Sorted(maps.Keys(env)) {
		envs = append(envs, corev1.EnvVarArgs{Name: pulumi.String(k), Value: pulumi.String(env[k])})
	}
	return &appsv1.StatefulSetSpecArgs{
		Replicas:    pulumi.Int(1),
		ServiceName: svc.Metadata.Name().Elem(),
		Selector:    &metav1.LabelSelectorArgs{MatchLabels: selector},
		PersistentVolumeClaimRetentionPolicy: &appsv1.StatefulSetPersistentVolumeClaimRetentionPolicyArgs{
			WhenDeleted: pulumi.String("Retain"), WhenScaled: pulumi.String("Retain"),
		},
		Template: &corev1.PodTemplateSpecArgs{
			Metadata: &metav1.ObjectMetaArgs{Labels: labels, Annotations: pulumi.StringMap{"wechat-deploy/password-checksum": checksum}},
			Spec: &corev1.PodSpecArgs{
				AutomountServiceAccountToken: pulumi.Bool(false),
				EnableServiceLinks:           pulumi.Bool(false),
				// A fast shutdown (the entrypoint turns SIGTERM into it) checkpoints; this is its margin.
				TerminationGracePeriodSeconds: pulumi.Int(60),
				SecurityContext: &corev1.PodSecurityContextArgs{
					RunAsNonRoot:        pulumi.Bool(true),
					RunAsUser:           uid,
					RunAsGroup:          uid,
					FsGroup:             uid,
					FsGroupChangePolicy: pulumi.String("OnRootMismatch"),
					SeccompProfile:      &corev1.SeccompProfileArgs{Type: pulumi.String("RuntimeDefault")},
				},
				Containers: corev1.ContainerArray{corev1.ContainerArgs{
					Name:            pulumi.String("postgres"),
					Image:           pulumi.String(a.Image),
					ImagePullPolicy: pulumi.String("IfNotPresent"),
					Args:            pulumi.StringArray{pulumi.String("-c"), pulumi.String("shared_buffers=64MB")},
					Env:             envs,
					Ports: corev1.ContainerPortArray{corev1.ContainerPortArgs{Name: pulumi.String("postgres"),
						ContainerPort: pulumi.Int(platform.PostgresPort), Protocol: pulumi.String("TCP")}},
					Resources: &corev1.ResourceRequirementsArgs{
						Requests: pulumi.StringMap{"cpu": pulumi.String("100m"), "memory": pulumi.String("128Mi")},
						Limits:   pulumi.StringMap{"cpu": pulumi.String("1"), "memory": pulumi.String("512Mi")},
					},
					// initdb on a new volume takes a few seconds: the startup probe allows two minutes.
					StartupProbe:    readyProbe(2, 60),
					ReadinessProbe:  readyProbe(5, 2),
					LivenessProbe:   readyProbe(10, 6),
					SecurityContext: workload.RestrictedContainer(image.NonRootUID),
					VolumeMounts: corev1.VolumeMountArray{
						corev1.VolumeMountArgs{Name: pulumi.String("data"), MountPath: pulumi.String(dataMount)},
						corev1.VolumeMountArgs{Name: pulumi.String("password"), MountPath: pulumi.String("/run/secrets/postgres"), ReadOnly: pulumi.Bool(true)},
						corev1.VolumeMountArgs{Name: pulumi.String("tmp"), MountPath: pulumi.String("/tmp")},
					},
				}},
				Volumes: corev1.VolumeArray{
					corev1.VolumeArgs{Name: pulumi.String("password"), Secret: &corev1.SecretVolumeSourceArgs{
						SecretName: secret.Metadata.Name().Elem(), DefaultMode: pulumi.Int(0o440)}},
					corev1.VolumeArgs{Name: pulumi.String("tmp"), EmptyDir: &corev1.EmptyDirVolumeSourceArgs{SizeLimit: pulumi.String("64Mi")}},
				},
			},
		},
		VolumeClaimTemplates: corev1.PersistentVolumeClaimTypeArray{corev1.PersistentVolumeClaimTypeArgs{
			Metadata: &metav1.ObjectMetaArgs{Name: pulumi.String("data"), Labels: labels},
			Spec:     claim,
		}},
	}
}
