package alicloud

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/wechat-deploy/wechat-deploy/components/alicloud/sdk/cs"
	"github.com/wechat-deploy/wechat-deploy/components/alicloud/sdk/kms"
	"github.com/wechat-deploy/wechat-deploy/components/alicloud/sdk/ram"
)

// ClusterType is the type token of the Cluster component.
const ClusterType = "wechat-deploy:alicloud:Cluster"

// ControlPlaneLogComponents are the ACK control-plane logs shipped to SLS.
var ControlPlaneLogComponents = []string{"apiserver", "kcm", "scheduler", "ccm", "controlplane-events"}

// Addon is an ACK addon.
type Addon struct {
	Name, Version, Config string
}

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
	Addons         []Addon
	// ExtraAddons are addons whose configuration is only known at deploy time (e.g. the ACR credential helper).
	ExtraAddons cs.ManagedKubernetesAddonArray
	// LogRetentionDays of control-plane logs.
	LogRetentionDays int
	// InstanceTypes, MinNodes, MaxNodes and DiskSizeGiB shape the auto-scaling node pool.
	InstanceTypes      []string
	MinNodes, MaxNodes int
	DiskSizeGiB        int
	// AppNamespace and AppServiceAccount name the workload's service account for its RRSA role.
	AppNamespace, AppServiceAccount string
	// DeletionProtection turns on ACK's own deletion protection (production).
	DeletionProtection bool
	Protect            bool
	Tags               map[string]string
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
	parent := pulumi.Parent(c)
	tags := pulumi.ToStringMap(args.Tags)
	fail := func(what string, err error) (*Cluster, error) {
		return nil, fmt.Errorf("creating ACK cluster %s: %s: %w", name, what, err)
	}

	key, err := kms.NewKey(ctx, name+"-secrets-key", &kms.KeyArgs{
		Description:         pulumi.String("Encryption of Kubernetes Secrets in ACK cluster " + args.ClusterName),
		KeySpec:             pulumi.String("Aliyun_AES_256"),
		KeyUsage:            pulumi.String("ENCRYPT/DECRYPT"),
		ProtectionLevel:     pulumi.String("SOFTWARE"),
		AutomaticRotation:   pulumi.String("Enabled"),
		RotationInterval:    pulumi.String("365d"),
		PendingWindowInDays: pulumi.Int(30),
		DeletionProtection:  pulumi.String(map[bool]string{true: "Enabled", false: "Disabled"}[args.DeletionProtection]),
		Tags:                tags,
	}, parent, pulumi.Protect(args.Protect))
	if err != nil {
		return fail("KMS key", err)
	}

	addons := cs.ManagedKubernetesAddonArray{}
	for _, a := range args.Addons {
		addon := cs.ManagedKubernetesAddonArgs{Name: pulumi.String(a.Name)}
		if a.Version != "" {
			addon.Version = pulumi.String(a.Version)
		}
		if a.Config != "" {
			addon.Config = pulumi.String(a.Config)
		}
		addons = append(addons, addon)
	}
	addons = append(addons, args.ExtraAddons...)

	var podCIDR pulumi.StringPtrInput
	if args.PodCIDR != "" {
		podCIDR = pulumi.String(args.PodCIDR)
	}
	cluster, err := cs.NewManagedKubernetes(ctx, name, &cs.ManagedKubernetesArgs{
		Name:                      pulumi.String(args.ClusterName),
		ClusterSpec:               pulumi.String(args.Spec),
		Version:                   pulumi.String(args.Version),
		VswitchIds:                args.WorkerVSwitchIDs,
		PodVswitchIds:             args.PodVSwitchIDs,
		PodCidr:                   podCIDR,
		ServiceCidr:               pulumi.String(args.ServiceCIDR),
		NewNatGateway:             pulumi.Bool(false),
		SecurityGroupId:           args.SecurityGroupID,
		IsEnterpriseSecurityGroup: pulumi.Bool(false),
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
		Addons: addons,
		Tags:   tags,
	}, parent, pulumi.Protect(args.Protect),
		// ACK upgrades the version itself on the stable channel; a lower version in config must not downgrade.
		pulumi.IgnoreChanges([]string{"version"}))
	if err != nil {
		return fail("cluster", err)
	}

	labels := cs.NodePoolLabelArray{cs.NodePoolLabelArgs{Key: pulumi.String("wechat-deploy/node-pool"), Value: pulumi.String("default")}}
	if _, err := cs.NewNodePool(ctx, name+"-nodes", &cs.NodePoolArgs{
		ClusterId:           cluster.ID(),
		NodePoolName:        pulumi.String(args.ClusterName + "-default"),
		VswitchIds:          args.WorkerVSwitchIDs,
		InstanceTypes:       pulumi.ToStringArray(args.InstanceTypes),
		ImageType:           pulumi.String("AliyunLinux3"),
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
		Tags:   tags,
	}, parent); err != nil {
		return fail("node pool", err)
	}

	rrsa := cluster.RrsaMetadata
	appRole, err := ram.NewRole(ctx, name+"-app", &ram.RoleArgs{
		RoleName:    pulumi.String(args.ClusterName + "-" + args.AppServiceAccount),
		Description: pulumi.String("RRSA role of " + args.AppNamespace + "/" + args.AppServiceAccount),
		AssumeRolePolicyDocument: pulumi.All(rrsa.RamOidcProviderArn(), rrsa.RrsaOidcIssuerUrl()).ApplyT(func(v []any) string {
			return rrsaTrust(deref(v[0]), deref(v[1]), args.AppNamespace, args.AppServiceAccount)
		}).(pulumi.StringOutput),
		MaxSessionDuration: pulumi.Int(3600),
		Tags:               tags,
	}, parent)
	if err != nil {
		return fail("app RRSA role", err)
	}

	cred := cs.GetClusterCredentialOutput(ctx, cs.GetClusterCredentialOutputArgs{
		ClusterId: cluster.ID().ToStringOutput(),
		// The longest ACK allows (3 days): deployments outlive a short token, and every run renews it.
		TemporaryDurationMinutes: pulumi.Int(4320),
	}, pulumi.Parent(c))
	c.ClusterID = cluster.ID().ToStringOutput()
	c.ClusterName = cluster.Name
	c.Endpoint = cluster.Connections.ApiServerInternet().ApplyT(func(s *string) string {
		return strings.TrimSpace(deref(s))
	}).(pulumi.StringOutput)
	c.Kubeconfig = pulumi.ToSecret(cred.KubeConfig()).(pulumi.StringOutput)
	c.AppRoleName = appRole.RoleName
	c.KMSKeyID = key.ID().ToStringOutput()
	c.OIDCProviderARN = rrsa.RamOidcProviderArn().ApplyT(func(s *string) string { return deref(s) }).(pulumi.StringOutput)
	if err := ctx.RegisterResourceOutputs(c, pulumi.Map{
		"clusterId": c.ClusterID, "clusterName": c.ClusterName, "endpoint": c.Endpoint,
		"kubeconfig": c.Kubeconfig, "appRoleName": c.AppRoleName, "kmsKeyId": c.KMSKeyID, "oidcProviderArn": c.OIDCProviderARN,
	}); err != nil {
		return nil, fmt.Errorf("registering outputs of ACK cluster %s: %w", name, err)
	}
	return c, nil
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
