package alicloud

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/wechat-deploy/wechat-deploy/components/alicloud/sdk/cs"
	"github.com/wechat-deploy/wechat-deploy/components/alicloud/sdk/kms"
	"github.com/wechat-deploy/wechat-deploy/components/alicloud/sdk/ram"
	"github.com/wechat-deploy/wechat-deploy/components/kube"
	"github.com/wechat-deploy/wechat-deploy/components/platform"
)

// ClusterType is the type token of the Cluster component.
const ClusterType = "wechat-deploy:alicloud:Cluster"

// ControlPlaneLogComponents are the ACK control-plane logs shipped to SLS.
var ControlPlaneLogComponents = []string{"apiserver", "kcm", "scheduler", "ccm", "controlplane-events"}

// ClusterArgs configure the ACK cluster.
type ClusterArgs struct {
	ClusterName string
	// Spec is ack.pro.small (production) or ack.standard.
	Spec    string
	Version string
	// WorkerVSwitchIDs carry the nodes; PodVSwitchIDs (Terway) the pods, or PodCIDR (flannel).
	WorkerVSwitchIDs pulumi.StringArrayInput
	PodVSwitchIDs    pulumi.StringArrayInput
	PodCIDR          string
	ServiceCIDR      string
	SecurityGroupID  pulumi.StringInput
	// PublicEndpoint exposes the API server through an internet SLB.
	PublicEndpoint bool
	Addons         []platform.Addon
	// ExtraAddons are addons whose configuration is only known at deploy time (e.g. the ACR credential helper).
	ExtraAddons cs.ManagedKubernetesAddonArray
	// LogRetentionDays of control-plane logs.
	LogRetentionDays int
	// InstanceTypes, MinNodes, MaxNodes and DiskSizeGiB shape the auto-scaling node pool; ImageType is the node
	// image of the instance types' architecture (default AliyunLinux3).
	InstanceTypes      []string
	ImageType          string
	MinNodes, MaxNodes int
	DiskSizeGiB        int
	// AppNamespace and AppServiceAccount name the workload's service account for its RRSA role.
	AppNamespace, AppServiceAccount string
	// DeletionProtection turns on ACK's own deletion protection (production).
	DeletionProtection bool
	// DependsOn are what the cluster needs before it is created: the network's egress (SNAT, routes).
	DependsOn []pulumi.Resource
	Protect   bool
	Tags      map[string]string
}

// Cluster is an ACK managed cluster with KMS Secret encryption, RRSA, control-plane and audit logs, managed
// upgrades and an auto-scaling node pool with encrypted disks.
type Cluster struct {
	pulumi.ResourceState

	ClusterID   pulumi.StringOutput `pulumi:"clusterId"`
	ClusterName pulumi.StringOutput `pulumi:"clusterName"`
	Endpoint    pulumi.StringOutput `pulumi:"endpoint"`
	// Kubeconfig comes from the cluster credential invoke; it is a secret.
	Kubeconfig pulumi.StringOutput `pulumi:"kubeconfig"`
	// AppRoleName is the RRSA role of the app's service account (no policies attached: add what it needs).
	AppRoleName pulumi.StringOutput `pulumi:"appRoleName"`
	KMSKeyID    pulumi.StringOutput `pulumi:"kmsKeyId"`
	// OIDCProviderARN is the RAM OIDC provider of the cluster's RRSA.
	OIDCProviderARN pulumi.StringOutput `pulumi:"oidcProviderArn"`
	// Ready are the resources after which the cluster runs pods (the node pool).
	Ready []pulumi.Resource `pulumi:"-"`
}

func (a *ClusterArgs) validate() error {
	switch {
	case a.ClusterName == "" || a.Version == "" || a.ServiceCIDR == "":
		return fmt.Errorf("%w: cluster name, version and service CIDR are required", ErrInvalidArgs)
	case a.Spec != "ack.pro.small" && a.Spec != "ack.standard":
		return fmt.Errorf("%w: cluster spec %q is not ack.pro.small or ack.standard", ErrInvalidArgs, a.Spec)
	case a.WorkerVSwitchIDs == nil || a.SecurityGroupID == nil:
		return fmt.Errorf("%w: worker VSwitches and a security group are required", ErrInvalidArgs)
	case (a.PodVSwitchIDs == nil) == (a.PodCIDR == ""):
		return fmt.Errorf("%w: give either pod VSwitches (Terway) or a pod CIDR (flannel)", ErrInvalidArgs)
	case a.MinNodes < 1 || a.MinNodes > a.MaxNodes:
		return fmt.Errorf("%w: nodes min %d / max %d are inconsistent", ErrInvalidArgs, a.MinNodes, a.MaxNodes)
	case len(a.InstanceTypes) == 0:
		return fmt.Errorf("%w: at least one instance type is required", ErrInvalidArgs)
	}
	return nil
}

// rrsaTrust is the RAM trust policy that lets one Kubernetes service account assume a role through the
// cluster's RRSA OIDC provider.
func rrsaTrust(providerARN, issuer, namespace, serviceAccount string) string {
	doc := map[string]any{"Version": "1", "Statement": []map[string]any{{
		"Action": "sts:AssumeRole", "Effect": "Allow",
		"Principal": map[string]any{"Federated": []string{providerARN}},
		"Condition": map[string]any{"StringEquals": map[string]string{
			"oidc:aud": "sts.aliyuncs.com",
			"oidc:iss": issuer,
			"oidc:sub": "system:serviceaccount:" + namespace + ":" + serviceAccount,
		}},
	}}}
	b, _ := json.Marshal(doc)
	return string(b)
}

// NewCluster validates args and registers the cluster.
func NewCluster(ctx *pulumi.Context, name string, args *ClusterArgs, opts ...pulumi.ResourceOption) (*Cluster, error) {
	if args == nil {
		return nil, fmt.Errorf("creating ACK cluster %s: %w: args are required", name, ErrInvalidArgs)
	}
	if err := args.validate(); err != nil {
		return nil, fmt.Errorf("creating ACK cluster %s: %w", name, err)
	}
	c := &Cluster{}
	if err := ctx.RegisterComponentResource(ClusterType, name, c, opts...); err != nil {
		return nil, fmt.Errorf("registering ACK cluster %s: %w", name, err)
	}
	b := &clusterBuild{ctx: ctx, name: name, args: args, parent: pulumi.Parent(c), tags: pulumi.ToStringMap(args.Tags)}
	if err := b.build(c); err != nil {
		return nil, fmt.Errorf("creating ACK cluster %s: %w", name, err)
	}
	if err := ctx.RegisterResourceOutputs(c, pulumi.Map{
		"clusterId": c.ClusterID, "clusterName": c.ClusterName, "endpoint": c.Endpoint,
		"kubeconfig": c.Kubeconfig, "appRoleName": c.AppRoleName, "kmsKeyId": c.KMSKeyID, "oidcProviderArn": c.OIDCProviderARN,
	}); err != nil {
		return nil, fmt.Errorf("registering outputs of ACK cluster %s: %w", name, err)
	}
	return c, nil
}

// clusterBuild registers the cluster's children in named steps.
type clusterBuild struct {
	ctx    *pulumi.Context
	name   string
	args   *ClusterArgs
	parent pulumi.ResourceOrInvokeOption
	tags   pulumi.StringMap
}

// build runs the steps: the Secrets key, the managed cluster, its node pool, the app's RRSA role and the
// credentials that reach it.
func (b *clusterBuild) build(c *Cluster) error {
	key, err := b.secretsKey()
	if err != nil {
		return err
	}
	cluster, err := b.cluster(key)
	if err != nil {
		return err
	}
	pool, err := b.nodePool(cluster, key)
	if err != nil {
		return err
	}
	c.Ready = []pulumi.Resource{pool}
	rrsa := cluster.RrsaMetadata
	appRole, err := b.appRole(rrsa)
	if err != nil {
		return err
	}
	cred := cs.GetClusterCredentialOutput(b.ctx, cs.GetClusterCredentialOutputArgs{
		ClusterId: cluster.ID().ToStringOutput(),
		// The longest ACK allows (3 days): deployments outlive a short token, and every run renews it.
		TemporaryDurationMinutes: pulumi.Int(4320),
	}, b.parent)
	c.ClusterID = cluster.ID().ToStringOutput()
	c.ClusterName = cluster.Name
	c.Endpoint = cluster.Connections.ApiServerInternet().ApplyT(func(s *string) string {
		return strings.TrimSpace(deref(s))
	}).(pulumi.StringOutput)
	c.Kubeconfig = pulumi.ToSecret(cred.KubeConfig()).(pulumi.StringOutput)
	if !b.args.PublicEndpoint {
		// No internet load balancer: the API server answers on its VPC address only, and the credential ACK
		// issues names the internet endpoint, so the kubeconfig is pointed at the private one. Whoever deploys
		// runs inside the VPC (README: Reaching a private ACK API server).
		c.Endpoint = cluster.Connections.ApiServerIntranet().ApplyT(func(s *string) string {
			return strings.TrimSpace(deref(s))
		}).(pulumi.StringOutput)
		c.Kubeconfig = pulumi.ToSecret(pulumi.All(cred.KubeConfig(), c.Endpoint).ApplyT(func(v []any) (string, error) {
			return kube.WithServer(v[0].(string), v[1].(string))
		})).(pulumi.StringOutput)
	}
	c.AppRoleName = appRole.RoleName
	c.KMSKeyID = key.ID().ToStringOutput()
	c.OIDCProviderARN = rrsa.RamOidcProviderArn().ApplyT(func(s *string) string { return deref(s) }).(pulumi.StringOutput)
	return nil
}

// secretsKey is the KMS key (rotated yearly) that encrypts Kubernetes Secrets and the nodes' disks.
func (b *clusterBuild) secretsKey() (*kms.Key, error) {
	args := b.args
	key, err := kms.NewKey(b.ctx, b.name+"-secrets-key", &kms.KeyArgs{
		Description:         pulumi.String("Encryption of Kubernetes Secrets in ACK cluster " + args.ClusterName),
		KeySpec:             pulumi.String("Aliyun_AES_256"),
		KeyUsage:            pulumi.String("ENCRYPT/DECRYPT"),
		ProtectionLevel:     pulumi.String("SOFTWARE"),
		AutomaticRotation:   pulumi.String("Enabled"),
		RotationInterval:    pulumi.String("365d"),
		PendingWindowInDays: pulumi.Int(30),
		DeletionProtection:  pulumi.String(map[bool]string{true: "Enabled", false: "Disabled"}[args.DeletionProtection]),
		Tags:                b.tags,
	}, b.parent, pulumi.Protect(args.Protect))
	if err != nil {
		return nil, fmt.Errorf("KMS key: %w", err)
	}
	return key, nil
}

// addons are the configured addons, then those only known at deploy time.
func (b *clusterBuild) addons() cs.ManagedKubernetesAddonArray {
	addons := cs.ManagedKubernetesAddonArray{}
	for _, a := range b.args.Addons {
		addon := cs.ManagedKubernetesAddonArgs{Name: pulumi.String(a.Name)}
		if a.Version != "" {
			addon.Version = pulumi.String(a.Version)
		}
		if a.Config != "" {
			addon.Config = pulumi.String(a.Config)
		}
		addons = append(addons, addon)
	}
	return append(addons, b.args.ExtraAddons...)
}

// cluster is the ACK managed cluster: Secrets encrypted with the key, RRSA, control-plane and audit logs,
// deletion protection as configured, and upgrades on the stable channel in a night-time window.
func (b *clusterBuild) cluster(key *kms.Key) (*cs.ManagedKubernetes, error) {
	args := b.args
	var podCIDR pulumi.StringPtrInput
	if args.PodCIDR != "" {
		podCIDR = pulumi.String(args.PodCIDR)
	}
	cluster, err := cs.NewManagedKubernetes(b.ctx, b.name, &cs.ManagedKubernetesArgs{
		Name:          pulumi.String(args.ClusterName),
		ClusterSpec:   pulumi.String(args.Spec),
		Version:       pulumi.String(args.Version),
		VswitchIds:    args.WorkerVSwitchIDs,
		PodVswitchIds: args.PodVSwitchIDs,
		PodCidr:       podCIDR,
		ServiceCidr:   pulumi.String(args.ServiceCIDR),
		NewNatGateway: pulumi.Bool(false),
		// Our own security group; isEnterpriseSecurityGroup conflicts with it in the provider (an explicit
		// false counts as set), so it is left out.
		SecurityGroupId:           args.SecurityGroupID,
		SlbInternetEnabled:        pulumi.Bool(args.PublicEndpoint),
		ProxyMode:                 pulumi.String("ipvs"),
		Timezone:                  pulumi.String("Asia/Shanghai"),
		EncryptionProviderKey:     key.ID(),
		DisableEncryption:         pulumi.Bool(false),
		EnableRrsa:                pulumi.Bool(true),
		ControlPlaneLogComponents: pulumi.ToStringArray(ControlPlaneLogComponents),
		ControlPlaneLogTtl:        pulumi.String(fmt.Sprint(args.LogRetentionDays)),
		AuditLogConfig:            &cs.ManagedKubernetesAuditLogConfigArgs{Enabled: pulumi.Bool(true)},
		DeletionProtection:        pulumi.Bool(args.DeletionProtection),
		OperationPolicy: &cs.ManagedKubernetesOperationPolicyArgs{
			ClusterAutoUpgrade: &cs.ManagedKubernetesOperationPolicyClusterAutoUpgradeArgs{
				Enabled: pulumi.Bool(true), Channel: pulumi.String("stable"),
			},
		},
		// Upgrades run at night, China time, outside the lunch and evening peaks of Mini Program traffic.
		MaintenanceWindow: &cs.ManagedKubernetesMaintenanceWindowArgs{
			Enable: pulumi.Bool(true), MaintenanceTime: pulumi.String("2025-01-07T03:00:00.000+08:00"),
			Duration: pulumi.String("3h"), WeeklyPeriod: pulumi.String("Tuesday,Thursday"),
		},
		Addons: b.addons(),
		Tags:   b.tags,
	}, b.parent, pulumi.Protect(args.Protect), pulumi.DependsOn(args.DependsOn),
		// ACK upgrades the version itself on the stable channel; a lower version in config must not downgrade.
		pulumi.IgnoreChanges([]string{"version"}))
	if err != nil {
		return nil, fmt.Errorf("cluster: %w", err)
	}
	return cluster, nil
}

// nodePool is the auto-scaling, auto-repairing node pool with KMS-encrypted ESSD system disks and hardened
// instance metadata.
func (b *clusterBuild) nodePool(cluster *cs.ManagedKubernetes, key *kms.Key) (*cs.NodePool, error) {
	args := b.args
	labels := cs.NodePoolLabelArray{cs.NodePoolLabelArgs{Key: pulumi.String("wechat-deploy/node-pool"), Value: pulumi.String("default")}}
	pool, err := cs.NewNodePool(b.ctx, b.name+"-nodes", &cs.NodePoolArgs{
		ClusterId:           cluster.ID(),
		NodePoolName:        pulumi.String(args.ClusterName + "-default"),
		VswitchIds:          args.WorkerVSwitchIDs,
		InstanceTypes:       pulumi.ToStringArray(args.InstanceTypes),
		ImageType:           pulumi.String(orDefault(args.ImageType, "AliyunLinux3")),
		RuntimeName:         pulumi.String("containerd"),
		SystemDiskCategory:  pulumi.String("cloud_essd"),
		SystemDiskSize:      pulumi.Int(args.DiskSizeGiB),
		SystemDiskEncrypted: pulumi.Bool(true),
		SystemDiskKmsKey:    key.ID(),
		SecurityGroupIds:    pulumi.StringArray{args.SecurityGroupID},
		InstallCloudMonitor: pulumi.Bool(true),
		// IMDS in hardened mode: tokens required, as IMDSv2 on AWS.
		InstanceMetadataOptions: &cs.NodePoolInstanceMetadataOptionsArgs{HttpTokens: pulumi.String("required")},
		ScalingConfig: &cs.NodePoolScalingConfigArgs{
			Enable: pulumi.Bool(true), MinSize: pulumi.Int(args.MinNodes), MaxSize: pulumi.Int(args.MaxNodes),
			Type: pulumi.String("cpu"),
		},
		Management: &cs.NodePoolManagementArgs{
			Enable: pulumi.Bool(true), AutoRepair: pulumi.Bool(true), AutoUpgrade: pulumi.Bool(true),
			AutoVulFix: pulumi.Bool(true), MaxUnavailable: pulumi.Int(1),
		},
		Labels: labels,
		Tags:   b.tags,
	}, b.parent)
	if err != nil {
		return nil, fmt.Errorf("node pool: %w", err)
	}
	return pool, nil
}

// appRole is the RAM role only the app's service account can assume through RRSA.
func (b *clusterBuild) appRole(rrsa cs.ManagedKubernetesRrsaMetadataOutput) (*ram.Role, error) {
	args := b.args
	role, err := ram.NewRole(b.ctx, b.name+"-app", &ram.RoleArgs{
		RoleName:    pulumi.String(args.ClusterName + "-" + args.AppServiceAccount),
		Description: pulumi.String("RRSA role of " + args.AppNamespace + "/" + args.AppServiceAccount),
		AssumeRolePolicyDocument: pulumi.All(rrsa.RamOidcProviderArn(), rrsa.RrsaOidcIssuerUrl()).ApplyT(func(v []any) string {
			return rrsaTrust(deref(v[0]), deref(v[1]), args.AppNamespace, args.AppServiceAccount)
		}).(pulumi.StringOutput),
		MaxSessionDuration: pulumi.Int(3600),
		Tags:               b.tags,
	}, b.parent)
	if err != nil {
		return nil, fmt.Errorf("app RRSA role: %w", err)
	}
	return role, nil
}

func orDefault(v, def string) string {
	if v == "" {
		return def
	}
	return v
}

func deref(v any) string {
	switch s := v.(type) {
	case *string:
		if s != nil {
			return *s
		}
	case string:
		return s
	}
	return ""
}
