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
			Description: "Security group rules allow no ingress from the internet (CIDRs covering a /8 of public IPv4 or a /32 of IPv6) to SSH, RDP, the API server or the kubelet.",
			Why:         "Admin ports open to the internet are the most common way into a cluster's nodes.",
			Types:       []string{"alicloud:ecs/securityGroupRule:SecurityGroupRule"},
			Check: func(r Resource, _ Config) []string {
				if str(r.Props, "type") != "ingress" || str(r.Props, "policy") == "drop" {
					return nil
				}
				var cidrs []string
				for _, f := range []string{"cidrIp", "ipv6CidrIp"} {
					if c := str(r.Props, f); c != "" {
						cidrs = append(cidrs, c)
					}
				}
				world, open := OpenToInternet(cidrs)
				if !open {
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
					return []string{fmt.Sprintf("ingress from %s reaches %s", world, what)}
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
			Name: "alicloud-ack-audit-logs", Group: "alicloud", Level: Mandatory, ProductionOnly: true,
			Description: fmt.Sprintf("Production ACK clusters ship audit logs and keep control-plane logs at least %d days.", MinAuditLogDays),
			Why:         "Audit logs are the record of who did what to the cluster; China's Cybersecurity Law (Art. 21) asks for six months of them.",
			Types:       []string{"alicloud:cs/managedKubernetes:ManagedKubernetes"},
			Check: func(r Resource, _ Config) []string {
				var out []string
				if on, ok := boolean(r.Props, "auditLogConfig.enabled"); !on && (ok || known(r.Props, "auditLogConfig.enabled")) {
					out = append(out, "auditLogConfig.enabled must be true")
				}
				if !known(r.Props, "controlPlaneLogTtl") {
					return out
				}
				ttl, ok := number(r.Props, "controlPlaneLogTtl")
				if s := str(r.Props, "controlPlaneLogTtl"); s != "" {
					v, err := strconv.ParseFloat(s, 64)
					ttl, ok = v, err == nil
				}
				switch {
				case !ok:
					out = append(out, fmt.Sprintf("controlPlaneLogTtl is not set (ACK keeps 30 days); production keeps at least %d", MinAuditLogDays))
				case ttl < MinAuditLogDays:
					out = append(out, fmt.Sprintf("controlPlaneLogTtl is %g days; production keeps at least %d", ttl, MinAuditLogDays))
				}
				return out
			},
		},
		{
			Name: "alicloud-ack-endpoint-private", Group: "alicloud", Level: Mandatory, ProductionOnly: true,
			Description: "Production ACK API servers are not published on an internet SLB.",
			Why:         "ACK's API server load balancer takes no access list from the provider: published, it answers every address on the internet.",
			Types:       []string{"alicloud:cs/managedKubernetes:ManagedKubernetes"},
			Check: func(r Resource, _ Config) []string {
				if on, _ := boolean(r.Props, "slbInternetEnabled"); on {
					return []string{"slbInternetEnabled is true: the API server answers the whole internet; use the private endpoint (VPN, bastion) or an SLB access control list"}
				}
				return nil
			},
		},
		{
			Name: "alicloud-acr-endpoint-restricted", Group: "alicloud", Level: Mandatory, ProductionOnly: true,
			Description: "In production the ACR internet endpoint's access control entries together admit no more than listed networks (never a /8 of public addresses, however split).",
			Why:         "The registry holds every image of the backend; its public endpoint should answer only the CI and office networks that push.",
			Types:       []string{"alicloud:cr/endpointAclPolicy:EndpointAclPolicy"},
			CheckStack: func(rs []Resource, _ Config) []Finding {
				var entries []string
				var first Resource
				for _, r := range rs {
					if t := str(r.Props, "endpointType"); t != "" && t != "internet" {
						continue
					}
					if e := str(r.Props, "entry"); e != "" {
						if len(entries) == 0 {
							first = r
						}
						entries = append(entries, e)
					}
				}
				if world, open := OpenToInternet(entries); open {
					return []Finding{{Resource: first, Message: "the internet endpoint admits the internet: " + world}}
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
		{
			Name: "alicloud-rds-private", Group: "alicloud", Level: Mandatory,
			Description: "ApsaraDB RDS whitelists admit private networks only (the cluster's VSwitches), never the internet.",
			Why:         "The whitelist is the database's only network fence: a public range puts its login in front of the internet's password guessers.",
			Types:       []string{apsaraDBInstance},
			Check: func(r Resource, _ Config) []string {
				if !known(r.Props, "securityIps") {
					return nil
				}
				var out []string
				for _, ip := range stringList(r.Props, "securityIps") {
					if p, ok := parseCIDR(ip); !ok || !p.Addr().Is4() || !p.Addr().IsPrivate() || p.Bits() < 8 {
						out = append(out, fmt.Sprintf("securityIps entry %q is not a private IPv4 network (10/8, 172.16/12, 192.168/16)", ip))
					}
				}
				if str(r.Props, "dbInstanceNetType") == "Internet" {
					out = append(out, "dbInstanceNetType must not be Internet")
				}
				return out
			},
		},
		{
			Name: "alicloud-rds-tls", Group: "alicloud", Level: Mandatory,
			Description: "ApsaraDB RDS instances have SSL on, and production ones log connections and disconnections.",
			Why:         "Without SSL the password and the data cross the VPC in clear; the connection log is the record of who logged in to the data.",
			Types:       []string{apsaraDBInstance},
			Check: func(r Resource, cfg Config) []string {
				var out []string
				if known(r.Props, "sslAction") && str(r.Props, "sslAction") != "Open" {
					out = append(out, `sslAction must be "Open"`)
				}
				if cfg.Production {
					values := map[string]string{}
					for _, p := range list(r.Props, "parameters") {
						if p.IsObject() {
							values[str(p.ObjectValue(), "name")] = str(p.ObjectValue(), "value")
						}
					}
					for _, p := range []string{"log_connections", "log_disconnections"} {
						if values[p] != "on" {
							out = append(out, p+" must be on in production")
						}
					}
				}
				return out
			},
		},
		{
			Name: "alicloud-rds-backups", Group: "alicloud", Level: Mandatory, ProductionOnly: true,
			Description: fmt.Sprintf("Production ApsaraDB RDS instances keep at least %d days of backups and refuse deletion.", MinBackupDays),
			Why:         "Point-in-time recovery reaches back only as far as the backups; deletion protection keeps a mistaken release from taking the data with it.",
			Types:       []string{apsaraDBInstance, "alicloud:rds/backupPolicy:BackupPolicy"},
			Check: func(r Resource, _ Config) []string {
				if r.Type == apsaraDBInstance {
					if on, _ := boolean(r.Props, "deletionProtection"); !on && known(r.Props, "deletionProtection") {
						return []string{"deletionProtection must be true"}
					}
					return nil
				}
				if days, ok := number(r.Props, "backupRetentionPeriod"); (ok && days < MinBackupDays) || !r.Props.HasValue("backupRetentionPeriod") {
					return []string{fmt.Sprintf("backupRetentionPeriod must be at least %d days", MinBackupDays)}
				}
				return nil
			},
		},
	}
}

// apsaraDBInstance is ApsaraDB RDS's instance type.
const apsaraDBInstance = "alicloud:rds/instance:Instance"
