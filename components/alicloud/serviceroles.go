package alicloud

import (
	"fmt"
	"slices"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/wechat-deploy/wechat-deploy/components/alicloud/sdk/ram"
)

// ServiceRole is a RAM role Alibaba Cloud services assume in the account on ACK's behalf. They are created once
// per account (the ACK console's quick authorization, or its Terraform equivalent) and are shared by every
// cluster, so the platform checks for them instead of creating them.
type ServiceRole struct {
	Name string
	// Why is what fails without it.
	Why string
}

// ServiceRoles are the roles a cluster as this platform builds it needs: managed Pro cluster, Terway, CSI
// disks, control-plane and audit logs to SLS, KMS Secret encryption, KMS-encrypted node disks, an auto-scaling
// node pool and the managed ACR credential helper (ACK's "default roles" documentation, and the error codes
// ACK returns without them).
var ServiceRoles = []ServiceRole{
	{"AliyunCSDefaultRole", "cluster operations on ECS, VPC and SLB"},
	{"AliyunCSManagedKubernetesRole", "the managed control plane's access to ECS, VPC, SLB and ACR"},
	{"AliyunCSManagedNetworkRole", "Terway's elastic network interfaces"},
	{"AliyunCSManagedCsiRole", "cloud disks for volumes"},
	{"AliyunCSManagedLogRole", "control-plane logs to SLS"},
	{"AliyunCSKubernetesAuditRole", "API server audit logs to SLS"},
	{"AliyunCSManagedSecurityRole", "KMS encryption of Secrets (MissingAuth.AliyuncsManagedSecurityRole)"},
	{"AliyunECSDiskEncryptDefaultRole", "KMS-encrypted node disks (InvalidParameter.KMSKeyId.KMSUnauthorized)"},
	{"AliyunCSManagedAutoScalerRole", "node pool auto scaling"},
	{"AliyunOOSLifecycleHook4CSRole", "node pool scaling through OOS (MissingAuth.AliyunOOSLifecycleHook4CSRole)"},
	{"AliyunCSManagedAcrRole", "the managed ACR credential helper's pull tokens"},
}

// checkServiceRoles fails, naming each missing role and what needs it, when the account has not authorised the
// roles ACK needs: before any cloud resource is registered, instead of a cluster that fails to create after
// the network is built.
func checkServiceRoles(ctx *pulumi.Context, opts ...pulumi.InvokeOption) error {
	names := make([]string, len(ServiceRoles))
	for i, r := range ServiceRoles {
		names[i] = r.Name
	}
	found, err := ram.GetRoles(ctx, &ram.GetRolesArgs{NameRegex: pulumi.StringRef("^(" + strings.Join(names, "|") + ")$")}, opts...)
	if err != nil {
		return fmt.Errorf("listing the account's ACK service roles: %w", err)
	}
	var missing []string
	for _, r := range ServiceRoles {
		if !slices.Contains(found.Names, r.Name) {
			missing = append(missing, r.Name+" ("+r.Why+")")
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("the Alibaba Cloud account has not authorised these ACK service roles: %s; authorise them once per account (ACK console, Cloud resource authorization, or README: Alibaba Cloud account prerequisites) and run again",
			strings.Join(missing, "; "))
	}
	return nil
}
