package rules

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
)

// awsAdminPorts are the ports never to expose to the internet (SSH, RDP) on AWS.
var awsAdminPorts = []int{22, 3389}

// Retention floors of production logs, in days: flow and other logs 90 days (three months, what PCI DSS keeps
// at hand), control-plane and audit logs 180 days (the six months China's Cybersecurity Law asks for network
// logs). The committed production stacks keep 90/365 (prod) and 180 (prod-cn).
const (
	MinFlowLogDays  = 90
	MinAuditLogDays = 180
)

// Registry retention floors: at least 10 images (the running one and the last releases to roll back to, about
// two weeks of daily releases), and no age-based expiry of tagged images before 90 days (a production stack
// that is not released for a month still runs, and must still be able to pull, its image).
const (
	MinKeptImages   = 10
	MinImageAgeDays = 90
)

// MinBackupDays is the fewest days of automated database backups production keeps: a week, so that a problem
// found after a weekend can still be rolled back to before it.
const MinBackupDays = 7

const rdsInstance = "aws:rds/instance:Instance"

// coversAdminPort reports whether a rule with protocol and from/to ports reaches an admin port (or all ports).
func coversAdminPort(protocol string, from, to float64, ports []int) (string, bool) {
	if protocol == "-1" || protocol == "all" {
		return "all ports", true
	}
	if protocol != "tcp" && protocol != "6" {
		return "", false
	}
	if from <= 0 && to >= 65535 {
		return "all ports", true
	}
	for _, p := range ports {
		if float64(p) >= from && float64(p) <= to {
			return fmt.Sprintf("port %d", p), true
		}
	}
	return "", false
}

func awsIngressViolations(rules []resource.PropertyMap) []string {
	var out []string
	for _, r := range rules {
		var cidrs []string
		cidrs = append(cidrs, stringList(r, "cidrBlocks")...)
		cidrs = append(cidrs, stringList(r, "ipv6CidrBlocks")...)
		for _, f := range []string{"cidrIpv4", "cidrIpv6"} {
			if c := str(r, f); c != "" {
				cidrs = append(cidrs, c)
			}
		}
		world, open := OpenToInternet(cidrs)
		if !open {
			continue
		}
		proto := strings.ToLower(str(r, "protocol") + str(r, "ipProtocol"))
		from, _ := number(r, "fromPort")
		to, _ := number(r, "toPort")
		if what, ok := coversAdminPort(proto, from, to, awsAdminPorts); ok {
			out = append(out, fmt.Sprintf("ingress from %s reaches %s; allow only known CIDRs (or use SSM Session Manager)", world, what))
		}
	}
	return out
}

func awsRules() []Rule {
	return []Rule{
		{
			Name: "aws-no-public-admin-ingress", Group: "aws", Level: Mandatory,
			Description: "Security groups allow no ingress from the internet (CIDRs covering a /8 of public IPv4 or a /32 of IPv6, however split) to SSH, RDP or all ports.",
			Why:         "Open admin ports are scanned within minutes of creation; nodes are reached through SSM instead.",
			Types: []string{
				"aws:ec2/securityGroup:SecurityGroup", "aws:ec2/securityGroupRule:SecurityGroupRule",
				"aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup",
			},
			Check: func(r Resource, _ Config) []string {
				switch r.Type {
				case "aws:ec2/securityGroupRule:SecurityGroupRule":
					if str(r.Props, "type") != "ingress" {
						return nil
					}
					return awsIngressViolations([]resource.PropertyMap{r.Props})
				case "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule":
					return awsIngressViolations([]resource.PropertyMap{r.Props})
				}
				var ingress []resource.PropertyMap
				for _, v := range list(r.Props, "ingress") {
					ingress = append(ingress, object(v))
				}
				return awsIngressViolations(ingress)
			},
		},
		{
			Name: "aws-eks-secrets-encryption", Group: "aws", Level: Mandatory,
			Description: "EKS clusters encrypt Kubernetes Secrets with a KMS key (envelope encryption).",
			Why:         "Without it Secrets sit in etcd protected only by the disk encryption AWS manages.",
			Types:       []string{"aws:eks/cluster:Cluster"},
			Check: func(r Resource, _ Config) []string {
				if !known(r.Props, "encryptionConfig") {
					return nil
				}
				if !slices.Contains(stringList(r.Props, "encryptionConfig.resources"), "secrets") {
					return []string{"encryptionConfig must list resources [\"secrets\"]"}
				}
				if known(r.Props, "encryptionConfig.provider.keyArn") && str(r.Props, "encryptionConfig.provider.keyArn") == "" {
					return []string{"encryptionConfig.provider.keyArn is not set"}
				}
				return nil
			},
		},
		{
			Name: "aws-eks-control-plane-logs", Group: "aws", Level: Mandatory,
			Description: "EKS control-plane logging includes api, audit and authenticator.",
			Why:         "Audit and authenticator logs are the record of who did what to the cluster.",
			Types:       []string{"aws:eks/cluster:Cluster"},
			Check: func(r Resource, _ Config) []string {
				if !known(r.Props, "enabledClusterLogTypes") {
					return nil
				}
				have := stringList(r.Props, "enabledClusterLogTypes")
				var missing []string
				for _, want := range []string{"api", "audit", "authenticator"} {
					if !slices.Contains(have, want) {
						missing = append(missing, want)
					}
				}
				if len(missing) > 0 {
					return []string{"enabledClusterLogTypes lacks " + strings.Join(missing, ", ")}
				}
				return nil
			},
		},
		{
			Name: "aws-eks-endpoint-restricted", Group: "aws", Level: Mandatory,
			Description: "The EKS API endpoint is private, or public only to listed CIDRs (in production never CIDRs that together cover a /8 of public addresses, such as 0.0.0.0/1 + 128.0.0.0/1).",
			Why:         "An API server open to the internet is one leaked credential or CVE away from takeover.",
			Types:       []string{"aws:eks/cluster:Cluster"},
			Check: func(r Resource, cfg Config) []string {
				public, ok := boolean(r.Props, "vpcConfig.endpointPublicAccess")
				if !ok && known(r.Props, "vpcConfig.endpointPublicAccess") {
					public = true // the EKS default
				}
				if !public || !known(r.Props, "vpcConfig.publicAccessCidrs") {
					return nil
				}
				cidrs := stringList(r.Props, "vpcConfig.publicAccessCidrs")
				if len(cidrs) == 0 {
					return []string{"public endpoint without publicAccessCidrs is open to 0.0.0.0/0"}
				}
				if world, open := OpenToInternet(cidrs); cfg.Production && open {
					return []string{"production API endpoint is open to the internet: " + world}
				}
				return nil
			},
		},
		{
			Name: "aws-launch-template-imdsv2", Group: "aws", Level: Mandatory,
			Description: "Launch templates require IMDSv2 (httpTokens: required).",
			Why:         "IMDSv1 lets any SSRF in a pod read the node's IAM credentials.",
			Types:       []string{"aws:ec2/launchTemplate:LaunchTemplate"},
			Check: func(r Resource, _ Config) []string {
				if known(r.Props, "metadataOptions.httpTokens") && str(r.Props, "metadataOptions.httpTokens") != "required" {
					return []string{"metadataOptions.httpTokens must be \"required\""}
				}
				return nil
			},
		},
		{
			Name: "aws-launch-template-encrypted-volumes", Group: "aws", Level: Mandatory,
			Description: "Every EBS volume of a launch template is encrypted.",
			Why:         "Node disks hold container layers, logs and emptyDir data.",
			Types:       []string{"aws:ec2/launchTemplate:LaunchTemplate"},
			Check: func(r Resource, _ Config) []string {
				mappings := list(r.Props, "blockDeviceMappings")
				if len(mappings) == 0 && known(r.Props, "blockDeviceMappings") {
					return []string{"no blockDeviceMappings: the root volume falls back to the AMI's unencrypted default"}
				}
				var out []string
				for _, m := range mappings {
					obj := object(m)
					if _, hasEBS := get(obj, "ebs"); !hasEBS {
						continue
					}
					if enc, ok := boolean(obj, "ebs.encrypted"); !enc && (ok || known(obj, "ebs.encrypted")) {
						out = append(out, fmt.Sprintf("volume %s is not encrypted", str(obj, "deviceName")))
					}
				}
				return out
			},
		},
		{
			Name: "aws-ecr-scan-on-push", Group: "aws", Level: Mandatory,
			Description: "ECR repositories scan images on push.",
			Why:         "Known vulnerabilities are reported before the image is deployed.",
			Types:       []string{"aws:ecr/repository:Repository"},
			Check: func(r Resource, _ Config) []string {
				if on, _ := boolean(r.Props, "imageScanningConfiguration.scanOnPush"); !on && known(r.Props, "imageScanningConfiguration.scanOnPush") {
					return []string{"imageScanningConfiguration.scanOnPush must be true"}
				}
				return nil
			},
		},
		{
			Name: "aws-ecr-immutable-tags", Group: "aws", Level: Mandatory,
			Description: "ECR repositories have immutable tags.",
			Why:         "A tag that can be pushed again can silently change what a rollback deploys.",
			Types:       []string{"aws:ecr/repository:Repository"},
			Check: func(r Resource, _ Config) []string {
				if known(r.Props, "imageTagMutability") && str(r.Props, "imageTagMutability") != "IMMUTABLE" {
					return []string{"imageTagMutability must be IMMUTABLE"}
				}
				return nil
			},
		},
		{
			Name: "aws-log-retention", Group: "aws", Level: Mandatory, ProductionOnly: true,
			Description: fmt.Sprintf("Production CloudWatch log groups keep logs at least %d days (VPC flow logs and others), EKS control-plane and audit logs at least %d days.", MinFlowLogDays, MinAuditLogDays),
			Why:         "Intrusions are often found months later; China's Cybersecurity Law (Art. 21) asks for six months of network logs, and a short retention deletes the evidence before anyone looks.",
			Types:       []string{"aws:cloudwatch/logGroup:LogGroup"},
			Check: func(r Resource, _ Config) []string {
				days, ok := number(r.Props, "retentionInDays")
				if !ok || days == 0 {
					return nil // unknown, or 0/absent: never expires
				}
				name := str(r.Props, "name")
				floor, what := float64(MinFlowLogDays), "logs"
				if strings.HasPrefix(name, "/aws/eks/") && strings.HasSuffix(name, "/cluster") {
					floor, what = MinAuditLogDays, "EKS control-plane and audit logs"
				}
				if days < floor {
					return []string{fmt.Sprintf("retentionInDays is %g: production keeps %s at least %g days", days, what, floor)}
				}
				return nil
			},
		},
		{
			Name: "aws-ecr-keeps-rollback-images", Group: "aws", Level: Mandatory,
			Description: fmt.Sprintf("ECR lifecycle policies keep at least %d images and never expire tagged images younger than %d days.", MinKeptImages, MinImageAgeDays),
			Why:         "The running image and the releases to roll back to must still exist when a node is replaced or a rollout fails; an expired image turns a rollback into an outage.",
			Types:       []string{"aws:ecr/lifecyclePolicy:LifecyclePolicy"},
			Check: func(r Resource, _ Config) []string {
				doc := str(r.Props, "policy")
				if doc == "" {
					return nil
				}
				var policy struct {
					Rules []struct {
						Selection struct {
							TagStatus   string  `json:"tagStatus"`
							CountType   string  `json:"countType"`
							CountNumber float64 `json:"countNumber"`
						} `json:"selection"`
					} `json:"rules"`
				}
				if err := json.Unmarshal([]byte(doc), &policy); err != nil {
					return []string{"the lifecycle policy is not valid JSON"}
				}
				var out []string
				for i, rule := range policy.Rules {
					sel := rule.Selection
					if sel.TagStatus == "untagged" {
						continue // build leftovers; a deployed image is always tagged
					}
					switch {
					case sel.CountType == "imageCountMoreThan" && sel.CountNumber < MinKeptImages:
						out = append(out, fmt.Sprintf("rule %d keeps only %g %s images; keep at least %d", i+1, sel.CountNumber, sel.TagStatus, MinKeptImages))
					case sel.CountType == "sinceImagePushed" && sel.CountNumber < MinImageAgeDays:
						out = append(out, fmt.Sprintf("rule %d expires %s images %g days after push; the running image may be older (at least %d)", i+1, sel.TagStatus, sel.CountNumber, MinImageAgeDays))
					}
				}
				return out
			},
		},
		{
			Name: "aws-rds-private", Group: "aws", Level: Mandatory,
			Description: "RDS instances are not publicly accessible.",
			Why:         "A public endpoint puts the database's login in front of the internet's password guessers; the app reaches it inside the VPC.",
			Types:       []string{rdsInstance},
			Check: func(r Resource, _ Config) []string {
				if on, _ := boolean(r.Props, "publiclyAccessible"); on {
					return []string{"publiclyAccessible must be false"}
				}
				return nil
			},
		},
		{
			Name: "aws-rds-encrypted", Group: "aws", Level: Mandatory,
			Description: "RDS instances encrypt their storage (and so their snapshots and backups).",
			Why:         "Unencrypted storage cannot be encrypted later without a snapshot copy and a restore.",
			Types:       []string{rdsInstance},
			Check: func(r Resource, _ Config) []string {
				if on, _ := boolean(r.Props, "storageEncrypted"); !on && known(r.Props, "storageEncrypted") {
					return []string{"storageEncrypted must be true"}
				}
				if !r.Props.HasValue("storageEncrypted") {
					return []string{"storageEncrypted is not set (RDS's default is false)"}
				}
				return nil
			},
		},
		{
			Name: "aws-rds-backups", Group: "aws", Level: Mandatory, ProductionOnly: true,
			Description: fmt.Sprintf("Production RDS instances keep at least %d days of automated backups, with deletion protection and a final snapshot.", MinBackupDays),
			Why:         "Point-in-time recovery reaches back only as far as the backups; protection and a final snapshot keep a mistaken delete from taking the data with it.",
			Types:       []string{rdsInstance},
			Check: func(r Resource, _ Config) []string {
				var out []string
				if days, ok := number(r.Props, "backupRetentionPeriod"); (ok && days < MinBackupDays) || !r.Props.HasValue("backupRetentionPeriod") {
					out = append(out, fmt.Sprintf("backupRetentionPeriod must be at least %d days", MinBackupDays))
				}
				if on, _ := boolean(r.Props, "deletionProtection"); !on && known(r.Props, "deletionProtection") {
					out = append(out, "deletionProtection must be true")
				}
				if skip, _ := boolean(r.Props, "skipFinalSnapshot"); skip {
					out = append(out, "skipFinalSnapshot must be false (keep a final snapshot)")
				}
				return out
			},
		},
		{
			Name: "aws-rds-tls", Group: "aws", Level: Mandatory,
			Description: "PostgreSQL parameter groups keep rds.force_ssl on, and production ones log connections and disconnections.",
			Why:         "Without force_ssl a client may send the password in clear; the connection log is the record of who logged in to the data.",
			Types:       []string{"aws:rds/parameterGroup:ParameterGroup"},
			Check: func(r Resource, cfg Config) []string {
				if !strings.HasPrefix(str(r.Props, "family"), "postgres") {
					return nil
				}
				values := map[string]string{}
				if v, ok := r.Props["parameters"]; ok && v.IsArray() {
					for _, p := range v.ArrayValue() {
						if p.IsObject() {
							values[str(p.ObjectValue(), "name")] = str(p.ObjectValue(), "value")
						}
					}
				}
				var out []string
				if values["rds.force_ssl"] != "1" {
					out = append(out, "rds.force_ssl must be set to 1")
				}
				if cfg.Production {
					for _, p := range []string{"log_connections", "log_disconnections"} {
						if values[p] != "1" {
							out = append(out, p+" must be set to 1 in production")
						}
					}
				}
				return out
			},
		},
		{
			Name: "aws-kms-key-rotation", Group: "aws", Level: Mandatory,
			Description: "Symmetric KMS keys rotate automatically.",
			Why:         "Rotation bounds how much data one key version protects.",
			Types:       []string{"aws:kms/key:Key"},
			Check: func(r Resource, _ Config) []string {
				if spec := str(r.Props, "customerMasterKeySpec") + str(r.Props, "keySpec"); spec != "" && spec != "SYMMETRIC_DEFAULT" {
					return nil // asymmetric and HMAC keys cannot rotate
				}
				if on, _ := boolean(r.Props, "enableKeyRotation"); !on && known(r.Props, "enableKeyRotation") {
					return []string{"enableKeyRotation must be true"}
				}
				return nil
			},
		},
	}
}
