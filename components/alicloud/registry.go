package alicloud

import (
	"fmt"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/wechat-deploy/wechat-deploy/components/alicloud/sdk/cr"
	"github.com/wechat-deploy/wechat-deploy/components/alicloud/sdk/cs"
	"github.com/wechat-deploy/wechat-deploy/components/platform"
)

// RegistryType is the type token of the Registry component.
const RegistryType = "wechat-deploy:alicloud:Registry"

// RegistryArgs configure the ACR Enterprise registry.
type RegistryArgs struct {
	// InstanceName and InstanceSpec create an instance; ExistingInstanceID uses one instead.
	InstanceName, InstanceSpec, ExistingInstanceID string
	// Namespace and Repository name the (private) repository.
	Namespace, Repository string
	// VpcID and VSwitchID link the cluster's VPC to the instance, so nodes pull over the VPC.
	VpcID, VSwitchID pulumi.StringInput
	// PushCIDRs may reach the instance's public endpoint to push images.
	PushCIDRs []string
	Protect   bool
}

// Registry is an ACR Enterprise instance (or an existing one), a private namespace and a repository with
// immutable tags, reachable from the cluster's VPC and, for pushes, from the listed CIDRs.
type Registry struct {
	pulumi.ResourceState

	InstanceID    pulumi.StringOutput `pulumi:"instanceId"`
	RepositoryURL pulumi.StringOutput `pulumi:"repositoryUrl"`
	// PullServer is the VPC endpoint nodes pull from.
	PullServer pulumi.StringOutput `pulumi:"pullServer"`
	// Credentials are temporary login credentials (the password is a secret).
	Credentials platform.Registry `pulumi:"-"`
}

// NewRegistry validates args and registers the registry.
func NewRegistry(ctx *pulumi.Context, name string, args *RegistryArgs, opts ...pulumi.ResourceOption) (*Registry, error) {
	if args == nil || args.Namespace == "" || args.Repository == "" || args.VpcID == nil || args.VSwitchID == nil {
		return nil, fmt.Errorf("creating ACR registry %s: %w: namespace, repository, VPC and VSwitch are required", name, ErrInvalidArgs)
	}
	if args.ExistingInstanceID == "" && (args.InstanceName == "" || args.InstanceSpec == "") {
		return nil, fmt.Errorf("creating ACR registry %s: %w: an instance name and spec, or an existing instance id, are required", name, ErrInvalidArgs)
	}
	r := &Registry{}
	if err := ctx.RegisterComponentResource(RegistryType, name, r, opts...); err != nil {
		return nil, fmt.Errorf("registering ACR registry %s: %w", name, err)
	}
	parent := pulumi.Parent(r)
	fail := func(what string, err error) (*Registry, error) {
		return nil, fmt.Errorf("creating ACR registry %s: %s: %w", name, what, err)
	}

	instanceID := pulumi.String(args.ExistingInstanceID).ToStringOutput()
	if args.ExistingInstanceID == "" {
		inst, err := cr.NewRegistryEnterpriseInstance(ctx, name+"-instance", &cr.RegistryEnterpriseInstanceArgs{
			InstanceName:  pulumi.String(args.InstanceName),
			InstanceType:  pulumi.String(args.InstanceSpec),
			PaymentType:   pulumi.String("Subscription"),
			Period:        pulumi.Int(12),
			RenewPeriod:   pulumi.Int(12),
			RenewalStatus: pulumi.String("AutoRenewal"),
			ImageScanner:  pulumi.String("ACR"),
		}, parent, pulumi.Protect(args.Protect))
		if err != nil {
			return fail("instance", err)
		}
		instanceID = inst.ID().ToStringOutput()
	}
	ns, err := cs.NewRegistryEnterpriseNamespace(ctx, name+"-namespace", &cs.RegistryEnterpriseNamespaceArgs{
		InstanceId: instanceID, Name: pulumi.String(args.Namespace),
		AutoCreate: pulumi.Bool(false), DefaultVisibility: pulumi.String("PRIVATE"),
	}, parent, pulumi.Protect(args.Protect))
	if err != nil {
		return fail("namespace", err)
	}
	repo, err := cs.NewRegistryEnterpriseRepo(ctx, name+"-repo", &cs.RegistryEnterpriseRepoArgs{
		InstanceId: instanceID, Namespace: ns.Name, Name: pulumi.String(args.Repository),
		RepoType: pulumi.String("PRIVATE"), Summary: pulumi.String("WeChat Mini Program backend"),
		TagImmutability: pulumi.Bool(true),
	}, parent, pulumi.Protect(args.Protect))
	if err != nil {
		return fail("repository", err)
	}
	if _, err := cr.NewVpcEndpointLinkedVpc(ctx, name+"-vpc-link", &cr.VpcEndpointLinkedVpcArgs{
		InstanceId: instanceID, VpcId: args.VpcID, VswitchId: args.VSwitchID,
		ModuleName: pulumi.String("Registry"), EnableCreateDnsRecordInPvzt: pulumi.Bool(true),
	}, parent); err != nil {
		return fail("VPC endpoint", err)
	}
	// Turn on the public endpoint's access control, then allow only the listed CIDRs.
	acl := cr.GetEndpointAclServiceOutput(ctx, cr.GetEndpointAclServiceOutputArgs{
		Enable: pulumi.Bool(true), EndpointType: pulumi.String("internet"), InstanceId: instanceID,
		ModuleName: pulumi.String("Registry"),
	}, pulumi.Parent(r))
	for i, cidr := range args.PushCIDRs {
		if _, err := cr.NewEndpointAclPolicy(ctx, fmt.Sprintf("%s-push-%d", name, i), &cr.EndpointAclPolicyArgs{
			// The instance ID read back from the ACL service orders this after the endpoint is switched on.
			InstanceId: acl.InstanceId(), EndpointType: pulumi.String("internet"), Entry: pulumi.String(cidr),
			ModuleName: pulumi.String("Registry"), Description: pulumi.String("image pushes from " + cidr),
		}, parent); err != nil {
			return fail("push ACL", err)
		}
	}

	details := cs.GetRegistryEnterpriseInstancesOutput(ctx, cs.GetRegistryEnterpriseInstancesOutputArgs{
		Ids: pulumi.StringArray{instanceID}, EnableDetails: pulumi.Bool(true),
	}, pulumi.Parent(r))
	// The invoke result is secret as a whole (it carries the token); only the token itself stays secret.
	first := func(f func(cs.GetRegistryEnterpriseInstancesInstance) string) pulumi.StringOutput {
		return pulumi.Unsecret(details.ApplyT(func(res cs.GetRegistryEnterpriseInstancesResult) (string, error) {
			if len(res.Instances) == 0 {
				return "", fmt.Errorf("ACR instance %v not found", res.Ids)
			}
			return f(res.Instances[0]), nil
		})).(pulumi.StringOutput)
	}
	endpoint := func(list []string) string {
		if len(list) == 0 {
			return ""
		}
		return list[0]
	}
	server := first(func(i cs.GetRegistryEnterpriseInstancesInstance) string { return endpoint(i.PublicEndpoints) })
	r.InstanceID = instanceID
	r.PullServer = first(func(i cs.GetRegistryEnterpriseInstancesInstance) string { return endpoint(i.VpcEndpoints) })
	r.RepositoryURL = pulumi.Sprintf("%s/%s/%s", server, ns.Name, repo.Name)
	r.Credentials = platform.Registry{
		Server:   server,
		Username: first(func(i cs.GetRegistryEnterpriseInstancesInstance) string { return i.TempUsername }),
		Password: pulumi.ToSecret(first(func(i cs.GetRegistryEnterpriseInstancesInstance) string {
			return i.AuthorizationToken
		})).(pulumi.StringOutput),
	}
	if err := ctx.RegisterResourceOutputs(r, pulumi.Map{
		"instanceId": r.InstanceID, "repositoryUrl": r.RepositoryURL, "pullServer": r.PullServer,
	}); err != nil {
		return nil, fmt.Errorf("registering outputs of ACR registry %s: %w", name, err)
	}
	return r, nil
}
