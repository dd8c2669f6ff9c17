package rules

import (
	"fmt"
	"strconv"
	"strings"
)

// alicloudAdminPorts are never exposed to the internet on Alibaba Cloud: SSH, RDP, the Kubernetes API and the
// kubelet.
var alicloudAdminPorts = []int{22, 3389, 6443, 10250}

// portRange parses an Alibaba Cloud port range ("22/22", "1/65535", "-1/-1" for all).
func portRange(s string) (from, to float64, ok bool) {
	a, b, found := strings.Cut(s, "/")
	if !found {
		return 0, 0, false
	}
	f, err1 := strconv.Atoi(a)
	t, err2 := strconv.Atoi(b)
	if err1 != nil || err2 != nil {
		return 0, 0, false
	}
	if f == -1 && t == -1 {
		return 0, 65535, true
	}
	return float64(f), float64(t), true
}

func alicloudRules() []Rule {
	return []Rule{
		{
			Name: "alicloud-no-public-admin-ingress", Group: "alicloud", Level: Mandatory,
			Description: "Security group rules allow no ingress from 0.0.0.0/0 to SSH, RDP, the API server or the kubelet.",
			Why:         "Admin ports open to the internet are the most common way into a cluster's nodes.",
			Types:       []string{"alicloud:ecs/securityGroupRule:SecurityGroupRule"},
			Check: func(r Resource, _ Config) []string {
				if str(r.Props, "type") != "ingress" || str(r.Props, "cidrIp") != "0.0.0.0/0" || str(r.Props, "policy") == "drop" {
					return nil
				}
				proto := strings.ToLower(str(r.Props, "ipProtocol"))
				from, to, ok := portRange(str(r.Props, "portRange"))
				if !ok && proto != "all" {
					return nil
				}
				if proto == "all" {
					proto = "-1"
				}
				if what, bad := coversAdminPort(proto, from, to, alicloudAdminPorts); bad {
					return []string{fmt.Sprintf("ingress from 0.0.0.0/0 reaches %s", what)}
				}
				return nil
			},
		},
		{
			Name: "alicloud-ack-secret-encryption", Group: "alicloud", Level: Mandatory,
			Description: "ACK clusters encrypt Kubernetes Secrets with a KMS key.",
			Why:         "Without it Secrets are stored in etcd in plain text.",
			Types:       []string{"alicloud:cs/managedKubernetes:ManagedKubernetes"},
			Check: func(r Resource, _ Config) []string {
				if off, _ := boolean(r.Props, "disableEncryption"); off {
					return []string{"disableEncryption is true"}
				}
				if known(r.Props, "encryptionProviderKey") && str(r.Props, "encryptionProviderKey") == "" {
					return []string{"encryptionProviderKey is not set"}
				}
				return nil
			},
		},
		{
			Name: "alicloud-ack-deletion-protection", Group: "alicloud", Level: Mandatory, ProductionOnly: true,
			Description: "Production ACK clusters have deletion protection on.",
			Why:         "A console click or API call must not be able to delete the production cluster.",
			Types:       []string{"alicloud:cs/managedKubernetes:ManagedKubernetes"},
			Check: func(r Resource, _ Config) []string {
				if on, _ := boolean(r.Props, "deletionProtection"); !on && known(r.Props, "deletionProtection") {
					return []string{"deletionProtection must be true in production"}
				}
				return nil
			},
		},
		{
			Name: "alicloud-acr-private", Group: "alicloud", Level: Mandatory,
			Description: "ACR Enterprise namespaces and repositories are private.",
			Why:         "A public namespace publishes every image, and with it the backend's code.",
			Types: []string{
				"alicloud:cs/registryEnterpriseNamespace:RegistryEnterpriseNamespace",
				"alicloud:cs/registryEnterpriseRepo:RegistryEnterpriseRepo",
			},
			Check: func(r Resource, _ Config) []string {
				field := "defaultVisibility"
				if strings.HasSuffix(r.Type, "RegistryEnterpriseRepo") {
					field = "repoType"
				}
				if known(r.Props, field) && str(r.Props, field) != "PRIVATE" {
					return []string{field + " must be PRIVATE"}
				}
				return nil
			},
		},
		{
			Name: "alicloud-node-pool-encrypted-disks", Group: "alicloud", Level: Mandatory,
			Description: "ACK node pools encrypt their system disks.",
			Why:         "Node disks hold container layers, logs and emptyDir data.",
			Types:       []string{"alicloud:cs/nodePool:NodePool"},
			Check: func(r Resource, _ Config) []string {
				if on, _ := boolean(r.Props, "systemDiskEncrypted"); !on && known(r.Props, "systemDiskEncrypted") {
					return []string{"systemDiskEncrypted must be true"}
				}
				return nil
			},
		},
	}
}
