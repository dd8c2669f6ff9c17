package alicloud

import (
	"encoding/json"
	"fmt"
	"slices"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/wechat-deploy/wechat-deploy/components/alicloud/sdk/alicloud"
	"github.com/wechat-deploy/wechat-deploy/components/alicloud/sdk/cs"
	"github.com/wechat-deploy/wechat-deploy/components/certmanager"
	"github.com/wechat-deploy/wechat-deploy/components/kube"
	"github.com/wechat-deploy/wechat-deploy/components/netplan"
	"github.com/wechat-deploy/wechat-deploy/components/platform"
)

// PlatformType is the type token of the Platform component.
const PlatformType = "wechat-deploy:alicloud:Platform"

// PlatformArgs configure the whole Alibaba Cloud platform.
type PlatformArgs struct {
	Region string
	// Zones are explicit zones; empty picks the first ZoneCount zones that can create VSwitches.
	Zones     []string
	ZoneCount int
	// Network, Cluster and Registry configure the parts; the platform fills in what it wires between them.
	Network  NetworkArgs
	Cluster  ClusterArgs
	Registry RegistryArgs
	// ACME, when set, installs cert-manager with an ACME ClusterIssuer: the source of the Ingress's certificate
	// (nginx serves certificates from Secrets, which nothing else on ACK fills).
	ACME *ACMEArgs
	// Managed turns on ACK's managed metrics and log shipping for the app's namespace.
	Managed ManagedArgs
	// Database, when set, provisions the app's PostgreSQL (ApsaraDB RDS) on the worker VSwitches, whitelisting the
	// cluster's node and pod networks; the platform fills in the placement and the whitelist.
	Database *DatabaseArgs
	// OIDC, when set, is how the provider gets credentials: the token in OIDC.TokenFile exchanged for the RAM
	// role (Pulumi Deployments, CI); otherwise the provider's default chain (access keys, profile) applies.
	OIDC *OIDCCredentials
}

// ACMEArgs name the ClusterIssuer, its account e-mail and the ingress class that answers HTTP-01 challenges.
type ACMEArgs struct {
	Issuer, Email, IngressClass string
}

// ManagedArgs select ACK's managed services: ARMS Prometheus (Metrics), and the app's container logs in the Simple
// Log Service project LogProject, kept LogRetentionDays days (Logs).
type ManagedArgs struct {
	Metrics, Logs    bool
	LogProject       string
	LogRetentionDays int
}

// OIDCCredentials name a RAM role assumed with an OIDC token from an identity provider RAM trusts.
type OIDCCredentials struct {
	ProviderARN, RoleARN, TokenFile, SessionName string
}

// Platform is the Alibaba Cloud platform.
type Platform struct {
	pulumi.ResourceState

	// Outputs is the platform contract.
	Outputs  platform.Outputs `pulumi:"-"`
	Network  *Network         `pulumi:"-"`
	Cluster  *Cluster         `pulumi:"-"`
	Registry *Registry        `pulumi:"-"`
}

// NewPlatform registers the Alibaba Cloud platform.
func NewPlatform(ctx *pulumi.Context, name string, args *PlatformArgs, opts ...pulumi.ResourceOption) (*Platform, error) {
	if args == nil || args.Region == "" {
		return nil, fmt.Errorf("creating Alibaba Cloud platform %s: %w: a region is required", name, ErrInvalidArgs)
	}
	if err := args.Managed.validate(); err != nil {
		return nil, fmt.Errorf("creating Alibaba Cloud platform %s: %w", name, err)
	}
	if args.Database != nil {
		// What the platform wires in is checked with the component; the stack's settings now, before anything.
		if err := args.Database.validateSettings(); err != nil {
			return nil, fmt.Errorf("creating Alibaba Cloud platform %s: database: %w", name, err)
		}
	}
	p := &Platform{}
	if err := ctx.RegisterComponentResource(PlatformType, name, p, opts...); err != nil {
		return nil, fmt.Errorf("registering Alibaba Cloud platform %s: %w", name, err)
	}
	providerArgs := &alicloud.ProviderArgs{Region: pulumi.String(args.Region)}
	if o := args.OIDC; o != nil {
		// The provider reads the ALIBABA_CLOUD_OIDC_* variables only inside this block: without it, a
		// deployment that exports them still has no credentials.
		providerArgs.AssumeRoleWithOidc = &alicloud.ProviderAssumeRoleWithOidcArgs{
			OidcProviderArn: pulumi.String(o.ProviderARN), RoleArn: pulumi.String(o.RoleARN),
			OidcTokenFile: pulumi.String(o.TokenFile), RoleSessionName: pulumi.String(o.SessionName),
		}
	}
	provider, err := alicloud.NewProvider(ctx, name+"-alicloud", providerArgs, pulumi.Parent(p))
	if err != nil {
		return nil, fmt.Errorf("creating alicloud provider for platform %s: %w", name, err)
	}
	child := []pulumi.ResourceOption{pulumi.Parent(p), pulumi.Provider(provider)}
	if err := checkServiceRoles(ctx, pulumi.Provider(provider)); err != nil {
		return nil, fmt.Errorf("creating Alibaba Cloud platform %s: %w", name, err)
	}

	zones, err := platform.PickZones(args.Zones, args.ZoneCount, args.Region, func() ([]string, error) {
		res, err := alicloud.GetZones(ctx, &alicloud.GetZonesArgs{AvailableResourceCreation: pulumi.StringRef("VSwitch")},
			pulumi.Provider(provider))
		if err != nil {
			return nil, err
		}
		return res.Ids, nil
	})
	if err != nil {
		return nil, fmt.Errorf("creating Alibaba Cloud platform %s: %w", name, err)
	}

	netArgs := args.Network
	netArgs.Zones = zones
	p.Network, err = NewNetwork(ctx, name, &netArgs, child...)
	if err != nil {
		return nil, err
	}
	regArgs := args.Registry
	regArgs.VpcID = p.Network.VpcID
	regArgs.VSwitchID = p.Network.WorkerVSwitchIDs.Index(pulumi.Int(0))
	p.Registry, err = NewRegistry(ctx, name, &regArgs, child...)
	if err != nil {
		return nil, err
	}
	clusterArgs := args.Cluster
	clusterArgs.WorkerVSwitchIDs = p.Network.WorkerVSwitchIDs
	if args.Network.PodPrefix > 0 {
		clusterArgs.PodVSwitchIDs = p.Network.PodVSwitchIDs
	}
	clusterArgs.SecurityGroupID = p.Network.SecurityGroupID
	clusterArgs.DependsOn = append(slices.Clone(clusterArgs.DependsOn), p.Network.EgressReady...)
	// Pods pull from ACR through the managed credential helper: it mints short-lived registry tokens with ACK's
	// AliyunCSManagedAcrRole and attaches them as a pull secret to the service accounts it watches, which must
	// include the app's own (by default it patches only "default" in "default"). No long-lived pull secret.
	clusterArgs.ExtraAddons = cs.ManagedKubernetesAddonArray{cs.ManagedKubernetesAddonArgs{
		Name: pulumi.String(ACRCredentialHelper),
		Config: p.Registry.InstanceID.ApplyT(func(id string) (string, error) {
			return ACRHelperConfig(id, args.Region, args.Cluster.AppNamespace, args.Cluster.AppServiceAccount)
		}).(pulumi.StringOutput),
	}}
	p.Cluster, err = NewCluster(ctx, name, &clusterArgs, child...)
	if err != nil {
		return nil, err
	}
	k8s, err := kube.NewProvider(ctx, name+"-k8s", &kube.ProviderArgs{
		Kubeconfig:        p.Cluster.Kubeconfig,
		ClusterIdentifier: ClusterIdentifier(args.Region, args.Cluster.ClusterName),
	}, pulumi.Parent(p))
	if err != nil {
		return nil, err
	}
	if a := args.ACME; a != nil {
		if _, err := certmanager.New(ctx, name+"-cert-manager", &certmanager.Args{
			Issuer: a.Issuer, Email: a.Email, IngressClass: a.IngressClass, DependsOn: p.Cluster.Ready,
		}, pulumi.Parent(p), pulumi.Provider(k8s)); err != nil {
			return nil, err
		}
	}
	var data platform.DataServices
	if args.Database != nil {
		dbArgs := *args.Database
		dbArgs.VSwitchIDs, dbArgs.ZoneIDs = p.Network.WorkerVSwitchIDs, zones
		// The whitelist: the nodes' VSwitches and the pods' (Terway) or the pod CIDR (flannel).
		dbArgs.ClientCIDRs = append(netplan.CIDRsOf(p.Network.Plan, "worker"), ingressControllerRanges(args.Network, p.Network.Plan)...)
		db, err := NewDatabase(ctx, name, &dbArgs, child...)
		if err != nil {
			return nil, err
		}
		data.Database = db.Endpoint
	}
	var scraper platform.Scraper
	if mg := args.Managed; mg.Metrics || mg.Logs {
		obs, err := NewManagedObservability(ctx, name, &ObservabilityArgs{
			ClusterID: p.Cluster.ClusterID, DependsOn: p.Cluster.Ready, ManagedArgs: mg,
			Namespaces: []string{args.Cluster.AppNamespace}, Tags: pulumi.ToStringMap(args.Cluster.Tags),
		}, pulumi.Parent(p), pulumi.Providers(provider, k8s))
		if err != nil {
			return nil, err
		}
		scraper = obs.Scraper
	}
	p.Outputs = platform.Outputs{
		Data:            data,
		Scraper:         scraper,
		Provider:        k8s,
		Kubeconfig:      p.Cluster.Kubeconfig,
		ClusterName:     p.Cluster.ClusterName,
		ClusterEndpoint: p.Cluster.Endpoint,
		Registry:        p.Registry.Credentials,
		RepositoryURL:   p.Registry.RepositoryURL,
		PullServer:      p.Registry.PullServer,
		OIDCProviderARN: p.Cluster.OIDCProviderARN,
		ServiceAccountAnnotations: pulumi.StringMap{
			"pod-identity.alibabacloud.com/role-name": p.Cluster.AppRoleName,
		}.ToStringMapOutput(),
		NamespaceLabels: map[string]string{"pod-identity.alibabacloud.com/injection": "on"},
		TrustedProxies:  ingressControllerRanges(args.Network, p.Network.Plan),
	}
	if err := ctx.RegisterResourceOutputs(p, pulumi.Map{
		"clusterName": p.Outputs.ClusterName, "repositoryUrl": p.Outputs.RepositoryURL, "vpcId": p.Network.VpcID,
	}); err != nil {
		return nil, fmt.Errorf("registering outputs of Alibaba Cloud platform %s: %w", name, err)
	}
	return p, nil
}

// ClusterIdentifier is the stable identity of an ACK cluster, which a credential rotation never alters.
func ClusterIdentifier(region, clusterName string) string { return "ack:" + region + ":" + clusterName }

// Contract is the platform's outputs contract.
func (p *Platform) Contract() platform.Outputs { return p.Outputs }

// ingressControllerRanges are where ACK's nginx ingress controller pods take their addresses: the pod VSwitches
// with Terway, the pod CIDR with flannel. The app believes X-Forwarded-For from them only.
func ingressControllerRanges(network NetworkArgs, plan []netplan.Subnet) []string {
	if network.PodCIDR != "" {
		return []string{network.PodCIDR}
	}
	return netplan.CIDRsOf(plan, "pod")
}

// ACRCredentialHelper is the managed addon that gives pods ACR pull credentials.
const ACRCredentialHelper = "managed-aliyun-acr-credential-helper"

// ACRHelperSettings are the credential helper's settings (its addon configuration JSON).
type ACRHelperSettings struct {
	AcrInstanceInfo []ACRInstanceInfo `json:"AcrInstanceInfo"`
	// WatchNamespace and ServiceAccount are comma-separated lists of what the helper patches.
	WatchNamespace    string `json:"watchNamespace"`
	ServiceAccount    string `json:"serviceAccount"`
	ExpiringThreshold string `json:"expiringThreshold"`
	EnableRRSA        bool   `json:"enableRRSA"`
}

// ACRInstanceInfo names an ACR Enterprise instance the helper fetches tokens for.
type ACRInstanceInfo struct {
	InstanceID string `json:"instanceId"`
	RegionID   string `json:"regionId"`
}

// ACRHelperConfig renders the helper's configuration: tokens for the instance, attached to the app's service
// account in the app's namespace only (not every namespace: system ones get nothing), renewed 15 minutes before
// they expire; same-account pulls need no RRSA.
func ACRHelperConfig(instanceID, region, namespace, serviceAccount string) (string, error) {
	b, err := json.Marshal(ACRHelperSettings{
		AcrInstanceInfo: []ACRInstanceInfo{{InstanceID: instanceID, RegionID: region}},
		WatchNamespace:  namespace, ServiceAccount: serviceAccount, ExpiringThreshold: "15m",
	})
	return string(b), err
}
