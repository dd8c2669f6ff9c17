package rules

import (
	"encoding/base64"
	"fmt"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
)

const digest = "registry.example.com/app@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

func props(m map[string]any) resource.PropertyMap { return resource.NewPropertyMapFromMap(m) }

// goodContainer passes every container rule; tests break one field at a time.
func goodContainer() map[string]any {
	return map[string]any{
		"name": "app", "image": digest,
		"resources": map[string]any{
			"requests": map[string]any{"cpu": "100m", "memory": "128Mi"},
			"limits":   map[string]any{"cpu": "500m", "memory": "256Mi"},
		},
		"securityContext": map[string]any{
			"runAsNonRoot": true, "readOnlyRootFilesystem": true, "allowPrivilegeEscalation": false,
			"privileged": false, "capabilities": map[string]any{"drop": []any{"ALL"}},
		},
		"livenessProbe":  map[string]any{"httpGet": map[string]any{"path": "/healthz"}},
		"readinessProbe": map[string]any{"httpGet": map[string]any{"path": "/readyz"}},
	}
}

func deployment(replicas int, edit func(pod, container map[string]any)) map[string]any {
	c := goodContainer()
	pod := map[string]any{"containers": []any{c}, "securityContext": map[string]any{"runAsNonRoot": true}}
	if edit != nil {
		edit(pod, c)
	}
	return map[string]any{"spec": map[string]any{"replicas": replicas, "template": map[string]any{"spec": pod}}}
}

type ruleCase struct {
	name       string
	typ        string
	props      map[string]any
	production bool
	violates   bool
}

func cases() map[string][]ruleCase {
	sg := "aws:ec2/securityGroup:SecurityGroup"
	eks := "aws:eks/cluster:Cluster"
	lt := "aws:ec2/launchTemplate:LaunchTemplate"
	ecr := "aws:ecr/repository:Repository"
	dep := "kubernetes:apps/v1:Deployment"
	ack := "alicloud:cs/managedKubernetes:ManagedKubernetes"
	cm := "kubernetes:core/v1:ConfigMap"
	secret := "kubernetes:core/v1:Secret"
	hpa := "kubernetes:autoscaling/v2:HorizontalPodAutoscaler"
	return map[string][]ruleCase{
		"aws-no-public-admin-ingress": {
			{"ssh from two halves of the internet", sg, map[string]any{"ingress": []any{map[string]any{"protocol": "tcp", "fromPort": 22, "toPort": 22, "cidrBlocks": []any{"0.0.0.0/1", "128.0.0.0/1"}}}}, false, true},
			{"rdp from a public /8", "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", map[string]any{"ipProtocol": "tcp", "fromPort": 3389, "toPort": 3389, "cidrIpv4": "11.0.0.0/8"}, false, true},
			{"all from ipv4-mapped ipv6", sg, map[string]any{"ingress": []any{map[string]any{"protocol": "-1", "fromPort": 0, "toPort": 0, "ipv6CidrBlocks": []any{"::ffff:0:0/96"}}}}, false, true},
			{"ssh from the VPC", sg, map[string]any{"ingress": []any{map[string]any{"protocol": "tcp", "fromPort": 22, "toPort": 22, "cidrBlocks": []any{"10.0.0.0/8", "172.16.0.0/12"}}}}, false, false},
			{"ssh from world", sg, map[string]any{"ingress": []any{map[string]any{"protocol": "tcp", "fromPort": 22, "toPort": 22, "cidrBlocks": []any{"0.0.0.0/0"}}}}, false, true},
			{"all traffic from world v6", sg, map[string]any{"ingress": []any{map[string]any{"protocol": "-1", "fromPort": 0, "toPort": 0, "ipv6CidrBlocks": []any{"::/0"}}}}, false, true},
			{"rdp rule resource", "aws:ec2/securityGroupRule:SecurityGroupRule", map[string]any{"type": "ingress", "protocol": "tcp", "fromPort": 3000, "toPort": 4000, "cidrBlocks": []any{"0.0.0.0/0"}}, false, true},
			{"https from world", sg, map[string]any{"ingress": []any{map[string]any{"protocol": "tcp", "fromPort": 443, "toPort": 443, "cidrBlocks": []any{"0.0.0.0/0"}}}}, false, false},
			{"ssh from office", sg, map[string]any{"ingress": []any{map[string]any{"protocol": "tcp", "fromPort": 22, "toPort": 22, "cidrBlocks": []any{"203.0.113.0/24"}}}}, false, false},
			{"egress rule", "aws:ec2/securityGroupRule:SecurityGroupRule", map[string]any{"type": "egress", "protocol": "-1", "cidrBlocks": []any{"0.0.0.0/0"}}, false, false},
		},
		"aws-eks-secrets-encryption": {
			{"no encryption", eks, map[string]any{"name": "c"}, false, true},
			{"other resources", eks, map[string]any{"encryptionConfig": map[string]any{"resources": []any{"configmaps"}, "provider": map[string]any{"keyArn": "arn:k"}}}, false, true},
			{"secrets with key", eks, map[string]any{"encryptionConfig": map[string]any{"resources": []any{"secrets"}, "provider": map[string]any{"keyArn": "arn:k"}}}, false, false},
		},
		"aws-eks-control-plane-logs": {
			{"api only", eks, map[string]any{"enabledClusterLogTypes": []any{"api"}}, false, true},
			{"none", eks, map[string]any{}, false, true},
			{"api audit authenticator", eks, map[string]any{"enabledClusterLogTypes": []any{"api", "audit", "authenticator", "scheduler"}}, false, false},
		},
		"aws-eks-endpoint-restricted": {
			{"public without cidrs", eks, map[string]any{"vpcConfig": map[string]any{"endpointPublicAccess": true}}, false, true},
			{"open in production", eks, map[string]any{"vpcConfig": map[string]any{"endpointPublicAccess": true, "publicAccessCidrs": []any{"0.0.0.0/0"}}}, true, true},
			{"two halves in production", eks, map[string]any{"vpcConfig": map[string]any{"endpointPublicAccess": true, "publicAccessCidrs": []any{"0.0.0.0/1", "128.0.0.0/1"}}}, true, true},
			{"sixteen /4s in production", eks, map[string]any{"vpcConfig": map[string]any{"endpointPublicAccess": true, "publicAccessCidrs": slash4s()}}, true, true},
			{"office and CI in production", eks, map[string]any{"vpcConfig": map[string]any{"endpointPublicAccess": true, "publicAccessCidrs": []any{"203.0.113.0/24", "198.51.100.7/32", "52.94.0.0/22"}}}, true, false},
			{"open outside production", eks, map[string]any{"vpcConfig": map[string]any{"endpointPublicAccess": true, "publicAccessCidrs": []any{"0.0.0.0/0"}}}, false, false},
			{"restricted in production", eks, map[string]any{"vpcConfig": map[string]any{"endpointPublicAccess": true, "publicAccessCidrs": []any{"203.0.113.0/24"}}}, true, false},
			{"private only", eks, map[string]any{"vpcConfig": map[string]any{"endpointPublicAccess": false, "endpointPrivateAccess": true}}, true, false},
		},
		"aws-launch-template-imdsv2": {
			{"optional tokens", lt, map[string]any{"metadataOptions": map[string]any{"httpTokens": "optional"}}, false, true},
			{"unset", lt, map[string]any{}, false, true},
			{"required", lt, map[string]any{"metadataOptions": map[string]any{"httpTokens": "required"}}, false, false},
		},
		"aws-launch-template-encrypted-volumes": {
			{"unencrypted", lt, map[string]any{"blockDeviceMappings": []any{map[string]any{"deviceName": "/dev/xvda", "ebs": map[string]any{"encrypted": "false"}}}}, false, true},
			{"no mappings", lt, map[string]any{}, false, true},
			{"encrypted", lt, map[string]any{"blockDeviceMappings": []any{map[string]any{"deviceName": "/dev/xvda", "ebs": map[string]any{"encrypted": "true"}}}}, false, false},
		},
		"aws-ecr-scan-on-push": {
			{"off", ecr, map[string]any{"imageScanningConfiguration": map[string]any{"scanOnPush": false}}, false, true},
			{"on", ecr, map[string]any{"imageScanningConfiguration": map[string]any{"scanOnPush": true}}, false, false},
		},
		"aws-ecr-immutable-tags": {
			{"mutable", ecr, map[string]any{"imageTagMutability": "MUTABLE"}, false, true},
			{"immutable", ecr, map[string]any{"imageTagMutability": "IMMUTABLE"}, false, false},
		},
		"aws-log-retention": {
			{"flow logs for a week", "aws:cloudwatch/logGroup:LogGroup", map[string]any{"name": "/aws/vpc/prod/flow-logs", "retentionInDays": 7}, true, true},
			{"audit logs for 90 days", "aws:cloudwatch/logGroup:LogGroup", map[string]any{"name": "/aws/eks/wechat-deploy-prod/cluster", "retentionInDays": 90}, true, true},
			{"flow logs for 90 days", "aws:cloudwatch/logGroup:LogGroup", map[string]any{"name": "/aws/vpc/prod/flow-logs", "retentionInDays": 90}, true, false},
			{"audit logs for a year", "aws:cloudwatch/logGroup:LogGroup", map[string]any{"name": "/aws/eks/wechat-deploy-prod/cluster", "retentionInDays": 365}, true, false},
			{"never expires", "aws:cloudwatch/logGroup:LogGroup", map[string]any{"name": "/aws/eks/x/cluster"}, true, false},
			{"a week outside production", "aws:cloudwatch/logGroup:LogGroup", map[string]any{"name": "/aws/vpc/dev/flow-logs", "retentionInDays": 7}, false, false},
		},
		"aws-ecr-keeps-rollback-images": {
			{"keeps one image", "aws:ecr/lifecyclePolicy:LifecyclePolicy", map[string]any{"policy": lifecycle(1, "")}, false, true},
			{"expires tagged images after a week", "aws:ecr/lifecyclePolicy:LifecyclePolicy", map[string]any{"policy": lifecycle(30, `{"rulePriority":3,"selection":{"tagStatus":"any","countType":"sinceImagePushed","countUnit":"days","countNumber":7},"action":{"type":"expire"}}`)}, false, true},
			{"not JSON", "aws:ecr/lifecyclePolicy:LifecyclePolicy", map[string]any{"policy": "keep 30"}, false, true},
			{"keeps thirty", "aws:ecr/lifecyclePolicy:LifecyclePolicy", map[string]any{"policy": lifecycle(30, "")}, false, false},
		},
		"aws-rds-private": {
			{"public", rdsInstance, map[string]any{"publiclyAccessible": true, "storageEncrypted": true}, false, true},
			{"private", rdsInstance, map[string]any{"publiclyAccessible": false, "storageEncrypted": true}, false, false},
		},
		"aws-rds-encrypted": {
			{"unencrypted", rdsInstance, map[string]any{"storageEncrypted": false}, false, true},
			{"left to the default", rdsInstance, map[string]any{"instanceClass": "db.t4g.medium"}, false, true},
			{"encrypted", rdsInstance, map[string]any{"storageEncrypted": true}, false, false},
		},
		"aws-rds-backups": {
			{"a day of backups", rdsInstance, map[string]any{"backupRetentionPeriod": 1, "deletionProtection": true, "skipFinalSnapshot": false}, true, true},
			{"no protection", rdsInstance, map[string]any{"backupRetentionPeriod": 14, "deletionProtection": false, "skipFinalSnapshot": false}, true, true},
			{"no final snapshot", rdsInstance, map[string]any{"backupRetentionPeriod": 14, "deletionProtection": true, "skipFinalSnapshot": true}, true, true},
			{"production", rdsInstance, map[string]any{"backupRetentionPeriod": 14, "deletionProtection": true, "skipFinalSnapshot": false}, true, false},
			{"dev without backups", rdsInstance, map[string]any{"backupRetentionPeriod": 0, "skipFinalSnapshot": true}, false, false},
		},
		"aws-rds-tls": {
			{"ssl not forced", "aws:rds/parameterGroup:ParameterGroup", map[string]any{"family": "postgres17", "parameters": []any{map[string]any{"name": "rds.force_ssl", "value": "0"}}}, false, true},
			{"production without connection logs", "aws:rds/parameterGroup:ParameterGroup", map[string]any{"family": "postgres17", "parameters": []any{map[string]any{"name": "rds.force_ssl", "value": "1"}}}, true, true},
			{"forced", "aws:rds/parameterGroup:ParameterGroup", map[string]any{"family": "postgres17", "parameters": []any{map[string]any{"name": "rds.force_ssl", "value": "1"}}}, false, false},
			{"production", "aws:rds/parameterGroup:ParameterGroup", map[string]any{"family": "postgres17", "parameters": []any{
				map[string]any{"name": "rds.force_ssl", "value": "1"}, map[string]any{"name": "log_connections", "value": "1"}, map[string]any{"name": "log_disconnections", "value": "1"}}}, true, false},
			{"mysql is another rule's business", "aws:rds/parameterGroup:ParameterGroup", map[string]any{"family": "mysql8.0"}, true, false},
		},
		"aws-kms-key-rotation": {
			{"no rotation", "aws:kms/key:Key", map[string]any{"enableKeyRotation": false}, false, true},
			{"rotation", "aws:kms/key:Key", map[string]any{"enableKeyRotation": true}, false, false},
			{"asymmetric", "aws:kms/key:Key", map[string]any{"customerMasterKeySpec": "RSA_2048"}, false, false},
		},
		"alicloud-rds-private": {
			{"the world", apsaraDBInstance, map[string]any{"securityIps": []any{"10.50.0.0/18", "0.0.0.0/0"}}, false, true},
			{"a public office range", apsaraDBInstance, map[string]any{"securityIps": []any{"198.18.0.0/24"}}, false, true},
			{"the internet endpoint", apsaraDBInstance, map[string]any{"securityIps": []any{"10.50.0.0/18"}, "dbInstanceNetType": "Internet"}, false, true},
			{"the cluster's vswitches", apsaraDBInstance, map[string]any{"securityIps": []any{"10.50.0.0/18", "10.50.192.0/20"}}, false, false},
		},
		"alicloud-rds-tls": {
			{"ssl closed", apsaraDBInstance, map[string]any{"sslAction": "Close"}, false, true},
			{"production without connection logs", apsaraDBInstance, map[string]any{"sslAction": "Open", "parameters": []any{map[string]any{"name": "log_connections", "value": "off"}}}, true, true},
			{"ssl open", apsaraDBInstance, map[string]any{"sslAction": "Open"}, false, false},
			{"production", apsaraDBInstance, map[string]any{"sslAction": "Open", "parameters": []any{
				map[string]any{"name": "log_connections", "value": "on"}, map[string]any{"name": "log_disconnections", "value": "on"}}}, true, false},
		},
		"alicloud-rds-backups": {
			{"three days", "alicloud:rds/backupPolicy:BackupPolicy", map[string]any{"backupRetentionPeriod": 3}, true, true},
			{"left to the default", "alicloud:rds/backupPolicy:BackupPolicy", map[string]any{"preferredBackupTime": "18:00Z-19:00Z"}, true, true},
			{"unprotected", apsaraDBInstance, map[string]any{"deletionProtection": false}, true, true},
			{"two weeks", "alicloud:rds/backupPolicy:BackupPolicy", map[string]any{"backupRetentionPeriod": 14}, true, false},
			{"protected", apsaraDBInstance, map[string]any{"deletionProtection": true}, true, false},
		},
		"alicloud-no-public-admin-ingress": {
			{"api server to world", "alicloud:ecs/securityGroupRule:SecurityGroupRule", map[string]any{"type": "ingress", "ipProtocol": "tcp", "portRange": "6443/6443", "cidrIp": "0.0.0.0/0", "policy": "accept"}, false, true},
			{"all to world", "alicloud:ecs/securityGroupRule:SecurityGroupRule", map[string]any{"type": "ingress", "ipProtocol": "all", "portRange": "-1/-1", "cidrIp": "0.0.0.0/0"}, false, true},
			{"ssh within vpc", "alicloud:ecs/securityGroupRule:SecurityGroupRule", map[string]any{"type": "ingress", "ipProtocol": "tcp", "portRange": "22/22", "cidrIp": "10.0.0.0/16"}, false, false},
			{"https to world", "alicloud:ecs/securityGroupRule:SecurityGroupRule", map[string]any{"type": "ingress", "ipProtocol": "tcp", "portRange": "443/443", "cidrIp": "0.0.0.0/0"}, false, false},
			{"all from a public /1 (a pod CIDR)", "alicloud:ecs/securityGroupRule:SecurityGroupRule", map[string]any{"type": "ingress", "ipProtocol": "tcp", "portRange": "1/65535", "cidrIp": "128.0.0.0/1", "policy": "accept"}, false, true},
			{"kubelet from ipv6 world", "alicloud:ecs/securityGroupRule:SecurityGroupRule", map[string]any{"type": "ingress", "ipProtocol": "tcp", "portRange": "10250/10250", "ipv6CidrIp": "::/0"}, false, true},
			{"dropped", "alicloud:ecs/securityGroupRule:SecurityGroupRule", map[string]any{"type": "ingress", "ipProtocol": "all", "portRange": "-1/-1", "cidrIp": "0.0.0.0/0", "policy": "drop"}, false, false},
		},
		"alicloud-ack-audit-logs": {
			{"a week of logs", ack, map[string]any{"controlPlaneLogTtl": "7", "auditLogConfig": map[string]any{"enabled": true}}, true, true},
			{"audit off", ack, map[string]any{"controlPlaneLogTtl": "180", "auditLogConfig": map[string]any{"enabled": false}}, true, true},
			{"no ttl", ack, map[string]any{"auditLogConfig": map[string]any{"enabled": true}}, true, true},
			{"six months", ack, map[string]any{"controlPlaneLogTtl": "180", "auditLogConfig": map[string]any{"enabled": true}}, true, false},
			{"a week outside production", ack, map[string]any{"controlPlaneLogTtl": "7"}, false, false},
		},
		"alicloud-ack-endpoint-private": {
			{"internet SLB", ack, map[string]any{"slbInternetEnabled": true}, true, true},
			{"private only", ack, map[string]any{"slbInternetEnabled": false}, true, false},
		},
		"alicloud-ack-secret-encryption": {
			{"disabled", "alicloud:cs/managedKubernetes:ManagedKubernetes", map[string]any{"disableEncryption": true, "encryptionProviderKey": "k"}, false, true},
			{"no key", "alicloud:cs/managedKubernetes:ManagedKubernetes", map[string]any{"name": "c"}, false, true},
			{"key", "alicloud:cs/managedKubernetes:ManagedKubernetes", map[string]any{"encryptionProviderKey": "key-1"}, false, false},
		},
		"alicloud-ack-deletion-protection": {
			{"off in production", "alicloud:cs/managedKubernetes:ManagedKubernetes", map[string]any{"deletionProtection": false}, true, true},
			{"off outside production", "alicloud:cs/managedKubernetes:ManagedKubernetes", map[string]any{"deletionProtection": false}, false, false},
			{"on in production", "alicloud:cs/managedKubernetes:ManagedKubernetes", map[string]any{"deletionProtection": true}, true, false},
		},
		"alicloud-acr-private": {
			{"public namespace", "alicloud:cs/registryEnterpriseNamespace:RegistryEnterpriseNamespace", map[string]any{"defaultVisibility": "PUBLIC"}, false, true},
			{"public repo", "alicloud:cs/registryEnterpriseRepo:RegistryEnterpriseRepo", map[string]any{"repoType": "PUBLIC"}, false, true},
			{"private namespace", "alicloud:cs/registryEnterpriseNamespace:RegistryEnterpriseNamespace", map[string]any{"defaultVisibility": "PRIVATE"}, false, false},
		},
		"alicloud-node-pool-encrypted-disks": {
			{"plain disks", "alicloud:cs/nodePool:NodePool", map[string]any{"systemDiskEncrypted": false}, false, true},
			{"unset", "alicloud:cs/nodePool:NodePool", map[string]any{}, false, true},
			{"encrypted", "alicloud:cs/nodePool:NodePool", map[string]any{"systemDiskEncrypted": true}, false, false},
		},
		"k8s-resources": {
			{"no limits", dep, deployment(2, func(_, c map[string]any) { delete(c["resources"].(map[string]any), "limits") }), false, true},
			{"all set", dep, deployment(2, nil), false, false},
		},
		"k8s-run-as-non-root": {
			{"unset", dep, deployment(2, func(p, c map[string]any) {
				delete(p, "securityContext")
				delete(c["securityContext"].(map[string]any), "runAsNonRoot")
			}), false, true},
			{"container overrides pod", dep, deployment(2, func(_, c map[string]any) { c["securityContext"].(map[string]any)["runAsNonRoot"] = false }), false, true},
			{"set", dep, deployment(2, nil), false, false},
		},
		"k8s-read-only-root-filesystem": {
			{"writable", dep, deployment(2, func(_, c map[string]any) { c["securityContext"].(map[string]any)["readOnlyRootFilesystem"] = false }), false, true},
			{"read-only", dep, deployment(2, nil), false, false},
		},
		"k8s-no-privilege-escalation": {
			{"unset", dep, deployment(2, func(_, c map[string]any) { delete(c["securityContext"].(map[string]any), "allowPrivilegeEscalation") }), false, true},
			{"false", dep, deployment(2, nil), false, false},
		},
		"k8s-drop-all-capabilities": {
			{"drops some", dep, deployment(2, func(_, c map[string]any) {
				c["securityContext"].(map[string]any)["capabilities"] = map[string]any{"drop": []any{"NET_RAW"}}
			}), false, true},
			{"drops all", dep, deployment(2, nil), false, false},
		},
		"k8s-no-privileged": {
			{"privileged", dep, deployment(2, func(_, c map[string]any) { c["securityContext"].(map[string]any)["privileged"] = true }), false, true},
			{"unprivileged", dep, deployment(2, nil), false, false},
		},
		"k8s-no-host-access": {
			{"host network", dep, deployment(2, func(p, _ map[string]any) { p["hostNetwork"] = true }), false, true},
			{"host pid", dep, deployment(2, func(p, _ map[string]any) { p["hostPID"] = true }), false, true},
			{"host path", dep, deployment(2, func(p, _ map[string]any) {
				p["volumes"] = []any{map[string]any{"name": "docker", "hostPath": map[string]any{"path": "/var/run/docker.sock"}}}
			}), false, true},
			{"none", dep, deployment(2, func(p, _ map[string]any) {
				p["volumes"] = []any{map[string]any{"name": "tmp", "emptyDir": map[string]any{}}}
			}), false, false},
		},
		"k8s-image-pinned-by-digest": {
			{"latest", dep, deployment(2, func(_, c map[string]any) { c["image"] = "nginx:latest" }), false, true},
			{"tag", dep, deployment(2, func(_, c map[string]any) { c["image"] = "registry.example.com/app:v1" }), false, true},
			{"digest", dep, deployment(2, nil), false, false},
		},
		"k8s-probes": {
			{"no readiness", dep, deployment(2, func(_, c map[string]any) { delete(c, "readinessProbe") }), false, true},
			{"both", dep, deployment(2, nil), false, false},
		},
		"k8s-ingress-tls": {
			{"no tls", "kubernetes:networking.k8s.io/v1:Ingress", map[string]any{"spec": map[string]any{"rules": []any{}}}, false, true},
			{"tls", "kubernetes:networking.k8s.io/v1:Ingress", map[string]any{"spec": map[string]any{"tls": []any{map[string]any{"hosts": []any{"a.example.com"}, "secretName": "t"}}}}, false, false},
			{"alb with an acm certificate", "kubernetes:networking.k8s.io/v1:Ingress", map[string]any{"metadata": map[string]any{"annotations": map[string]any{
				"alb.ingress.kubernetes.io/scheme": "internet-facing", "alb.ingress.kubernetes.io/certificate-arn": "arn:aws:acm:us-east-1:123456789012:certificate/x",
				"alb.ingress.kubernetes.io/listen-ports": `[{"HTTP":80},{"HTTPS":443}]`,
			}}, "spec": map[string]any{"rules": []any{}}}, false, false},
			// The ALB ignores spec.tls Secrets: a Secret alone leaves it serving plain HTTP.
			{"alb with only a secret", "kubernetes:networking.k8s.io/v1:Ingress", map[string]any{"metadata": map[string]any{"annotations": map[string]any{
				"alb.ingress.kubernetes.io/scheme": "internet-facing",
			}}, "spec": map[string]any{"tls": []any{map[string]any{"hosts": []any{"a.example.com"}, "secretName": "t"}}}}, false, true},
			{"alb with a certificate but no https listener", "kubernetes:networking.k8s.io/v1:Ingress", map[string]any{"metadata": map[string]any{"annotations": map[string]any{
				"alb.ingress.kubernetes.io/scheme": "internet-facing", "alb.ingress.kubernetes.io/certificate-arn": "arn:aws:acm:us-east-1:123456789012:certificate/x",
			}}, "spec": map[string]any{"rules": []any{}}}, false, true},
		},
		"k8s-no-secrets-in-configmaps": {
			{"password key", cm, map[string]any{"data": map[string]any{"DB_PASSWORD": "x"}}, false, true},
			{"api key", cm, map[string]any{"data": map[string]any{"stripe.api-key": "x"}}, false, true},
			{"pass key", cm, map[string]any{"data": map[string]any{"SMTP_PASS": "hunter2"}}, false, true},
			{"auth key", cm, map[string]any{"data": map[string]any{"REDIS_AUTH": "hunter2"}}, false, true},
			{"dsn with credentials", cm, map[string]any{"data": map[string]any{"ANALYTICS_DSN": "postgres://report:s3cret@analytics:5432/events"}}, false, true},
			{"url with a password only", cm, map[string]any{"data": map[string]any{"CACHE_URL": "redis://:hunter2@redis:6379/0"}}, false, true},
			{"mysql dsn", cm, map[string]any{"data": map[string]any{"LEGACY_DB": "app:hunter2@tcp(db:3306)/app"}}, false, true},
			{"key=value dsn", cm, map[string]any{"data": map[string]any{"REPORTING": "host=db user=app password=hunter2 sslmode=require"}}, false, true},
			{"pem key", cm, map[string]any{"data": map[string]any{"SIGNER": "-----BEGIN EC PRIVATE KEY-----\nMHc...\n-----END EC PRIVATE KEY-----"}}, false, true},
			{"settings about secrets", cm, map[string]any{"data": map[string]any{"SECRETS_DIR": "/etc/secrets", "TOKEN_TTL": "2h"}}, false, false},
			{"dsn without credentials and switches", cm, map[string]any{"data": map[string]any{"SENTRY_DSN": "https://public@o1.ingest.sentry.io/2", "REQUIRE_AUTH": "true", "API_BASE": "https://api.example.com/v1", "SUPPORT": "mailto:help@example.com"}}, false, false},
		},
		"k8s-wechat-api-base": {
			{"look-alike host", cm, map[string]any{"data": map[string]any{"WECHAT_API_BASE": "https://api.weixin.qq.com.example.net"}}, false, true},
			{"user information", cm, map[string]any{"data": map[string]any{"WECHAT_API_BASE": "https://api.weixin.qq.com@203.0.113.9"}}, false, true},
			{"plain http", cm, map[string]any{"data": map[string]any{"WECHAT_API_BASE": "http://api.weixin.qq.com"}}, false, true},
			{"other port", cm, map[string]any{"data": map[string]any{"WECHAT_API_BASE": "https://api.weixin.qq.com:8443"}}, false, true},
			{"container env", dep, deployment(2, func(_, c map[string]any) {
				c["env"] = []any{map[string]any{"name": "WECHAT_API_BASE", "value": "https://api.weixln.qq.com"}}
			}), false, true},
			{"wechat", cm, map[string]any{"data": map[string]any{"WECHAT_API_BASE": "https://api.weixin.qq.com"}}, false, false},
			{"regional domain", cm, map[string]any{"data": map[string]any{"WECHAT_API_BASE": "https://sh.api.weixin.qq.com/"}}, false, false},
			{"other config map", cm, map[string]any{"data": map[string]any{"LOG_LEVEL": "info"}}, false, false},
		},
		"k8s-database-tls": {
			{"no sslmode", secret, map[string]any{"stringData": map[string]any{"database-url": "postgres://app:pw@db.internal:5432/app"}}, false, true},
			{"sslmode prefer", secret, map[string]any{"stringData": map[string]any{"database-url": "postgres://app:pw@db.internal:5432/app?sslmode=prefer"}}, true, true},
			{"sslmode twice", secret, map[string]any{"stringData": map[string]any{"database-url": "postgres://app:pw@db.internal/app?sslmode=require&sslmode=disable"}}, false, true},
			{"key=value disable", secret, map[string]any{"stringData": map[string]any{"database-url": "host=db.internal user=app password=pw sslmode=disable"}}, false, true},
			{"base64 data", secret, map[string]any{"data": map[string]any{"database-url": base64.StdEncoding.EncodeToString([]byte("postgres://app:pw@db.internal/app?sslmode=allow"))}}, false, true},
			{"require", secret, map[string]any{"stringData": map[string]any{"database-url": "postgres://app:pw@db.internal:5432/app?sslmode=require"}}, true, false},
			{"verify-full", secret, map[string]any{"stringData": map[string]any{"database-url": "postgresql://app:pw@db1:5432,db2:5432/app?sslmode=verify-full"}}, true, false},
			{"loopback", secret, map[string]any{"stringData": map[string]any{"database-url": "postgres://app:pw@127.0.0.1:5432/app"}}, true, false},
			{"no database", secret, map[string]any{"stringData": map[string]any{"jwt-signing-key": strongKey}}, true, false},
		},
		"k8s-jwt-key-entropy": {
			{"one letter", secret, map[string]any{"stringData": map[string]any{"jwt-signing-key": strings.Repeat("a", 48)}}, false, true},
			{"repeated pattern", secret, map[string]any{"stringData": map[string]any{"jwt-signing-key": strings.Repeat("0123456789abcdef", 3)}}, false, true},
			{"words", secret, map[string]any{"stringData": map[string]any{"jwt-signing-key": "my-super-secret-jwt-signing-key-for-production"}}, false, true},
			{"short", secret, map[string]any{"stringData": map[string]any{"jwt-signing-key": "9f86d081884c7d65"}}, false, true},
			{"random base64", secret, map[string]any{"stringData": map[string]any{"jwt-signing-key": strongKey}}, false, false},
			{"hex with a prefix", secret, map[string]any{"stringData": map[string]any{"jwt-signing-key": "fake-jwt-signing-key-9f86d081884c7d659a2feaa0c55ad015"}}, false, false},
		},
		"k8s-resource-ceilings": {
			{"64 cores", dep, deployment(2, func(_, c map[string]any) {
				c["resources"].(map[string]any)["limits"].(map[string]any)["cpu"] = "64"
			}), false, true},
			{"a terabyte", dep, deployment(2, func(_, c map[string]any) {
				c["resources"].(map[string]any)["limits"].(map[string]any)["memory"] = "1Ti"
			}), false, true},
			{"within", dep, deployment(2, func(_, c map[string]any) {
				c["resources"].(map[string]any)["limits"] = map[string]any{"cpu": "1500m", "memory": "4Gi"}
			}), false, false},
		},
		"k8s-replica-ceiling": {
			{"autoscaler to 5000", hpa, map[string]any{"spec": map[string]any{"minReplicas": 3, "maxReplicas": 5000}}, false, true},
			{"min above max", hpa, map[string]any{"spec": map[string]any{"minReplicas": 8, "maxReplicas": 4}}, false, true},
			{"500 replicas", dep, deployment(500, nil), false, true},
			{"3 to 12", hpa, map[string]any{"spec": map[string]any{"minReplicas": 3, "maxReplicas": 12}}, false, false},
		},
		"k8s-production-replicas": {
			{"one replica in production", dep, deployment(1, nil), true, true},
			{"one replica outside production", dep, deployment(1, nil), false, false},
			{"autoscaler minimum 1", "kubernetes:autoscaling/v2:HorizontalPodAutoscaler", map[string]any{"spec": map[string]any{"minReplicas": 1}}, true, true},
			{"two replicas", dep, deployment(2, nil), true, false},
		},
		"k8s-production-replicas-recommended": {
			{"two replicas", dep, deployment(2, nil), true, true},
			{"three replicas", dep, deployment(3, nil), true, false},
		},
	}
}

// strongKey is what `openssl rand -base64 48` prints.
const strongKey = "q3Jx9Kf0vO2mZb7Yt1sW8eRcLpN4hUaG6iDkQyVzXj5TnMBgH0oPwE3lCr9Sd2Fu"

// slash4s are sixteen /4s: the whole IPv4 space in sixteen lines.
func slash4s() []any {
	var out []any
	for i := range 16 {
		out = append(out, fmt.Sprintf("%d.0.0.0/4", i*16))
	}
	return out
}

// lifecycle is an ECR lifecycle policy like the registry component's, keeping keep images, plus extra rules.
func lifecycle(keep int, extra string) string {
	rules := `{"rulePriority":1,"selection":{"tagStatus":"untagged","countType":"sinceImagePushed","countUnit":"days","countNumber":1},"action":{"type":"expire"}},` +
		fmt.Sprintf(`{"rulePriority":2,"selection":{"tagStatus":"any","countType":"imageCountMoreThan","countNumber":%d},"action":{"type":"expire"}}`, keep)
	if extra != "" {
		rules += "," + extra
	}
	return `{"rules":[` + rules + `]}`
}

// configCase is a case that needs several resources (stack rules) or a stack's full Config.
type configCase struct {
	name      string
	resources []Resource
	cfg       Config
	violates  bool
}

func res(typ, name string, p map[string]any) Resource {
	return Resource{Type: typ, Name: name, URN: "urn:pulumi:s::p::" + typ + "::" + name, Props: props(p)}
}

func configCases() map[string][]configCase {
	acl := func(name, entry string) Resource {
		return res("alicloud:cr/endpointAclPolicy:EndpointAclPolicy", name, map[string]any{"endpointType": "internet", "entry": entry})
	}
	dep := func(name string) Resource {
		d := deployment(3, nil)
		d["metadata"] = map[string]any{"name": name, "namespace": "app"}
		return res("kubernetes:apps/v1:Deployment", name, d)
	}
	hpa := func(target string) Resource {
		return res("kubernetes:autoscaling/v2:HorizontalPodAutoscaler", target+"-hpa", map[string]any{
			"metadata": map[string]any{"name": target, "namespace": "app"},
			"spec": map[string]any{
				"scaleTargetRef": map[string]any{"apiVersion": "apps/v1", "kind": "Deployment", "name": target},
				"minReplicas":    3, "maxReplicas": 12,
			},
		})
	}
	prod := Config{Production: true, DeclaredProduction: true, Stack: "prod", Environment: "prod"}
	noSSL := res("kubernetes:core/v1:Secret", "s", map[string]any{"stringData": map[string]any{"database-url": "postgres://app:pw@db:5432/app"}})
	return map[string][]configCase{
		"alicloud-acr-endpoint-restricted": {
			{"two halves in two entries", []Resource{acl("a", "0.0.0.0/1"), acl("b", "128.0.0.0/1")}, prod, true},
			{"sixty-four /6s", func() []Resource {
				var out []Resource
				for i := range 64 {
					out = append(out, acl(fmt.Sprint(i), fmt.Sprintf("%d.0.0.0/6", i*4)))
				}
				return out
			}(), prod, true},
			{"office and CI", []Resource{acl("a", "203.0.113.0/24"), acl("b", "52.94.0.0/22")}, prod, false},
			{"world outside production", []Resource{acl("a", "0.0.0.0/0")}, Config{Stack: "dev-cn", Environment: "dev-cn"}, false},
			{"vpc endpoint entries", []Resource{res("alicloud:cr/endpointAclPolicy:EndpointAclPolicy", "v", map[string]any{"endpointType": "vpc", "entry": "0.0.0.0/0"})}, prod, false},
		},
		"k8s-production-autoscaling": {
			{"no autoscaler", []Resource{dep("api")}, prod, true},
			{"autoscaler for another deployment", []Resource{dep("api"), hpa("worker")}, prod, true},
			{"autoscaled", []Resource{dep("api"), hpa("api")}, prod, false},
			{"fixed on purpose", []Resource{dep("api")}, Config{Production: true, DeclaredProduction: true, Stack: "prod", AutoscalingOff: true}, false},
			{"outside production", []Resource{dep("api")}, Config{Stack: "dev", Environment: "dev"}, false},
		},
		"stack-production-declared": {
			{"prod stack says false", nil, StackConfig("prod", lookup(map[string]string{"wechat-deploy:production": "false"})), true},
			{"eu-prod stack", nil, StackConfig("eu-prod", lookup(nil)), true},
			{"production environment", nil, StackConfig("main", lookup(map[string]string{"wechat-deploy:environment": "production"})), true},
			{"prod stack says true", nil, StackConfig("prod", lookup(map[string]string{"wechat-deploy:production": "true"})), false},
			{"staging", nil, StackConfig("staging", lookup(nil)), false},
			{"preprod and nonprod", nil, StackConfig("preprod", lookup(map[string]string{"wechat-deploy:environment": "nonprod"})), false},
		},
		"k8s-database-tls": {
			{"no sslmode on staging", []Resource{noSSL}, Config{Stack: "staging", Environment: "staging"}, true},
			{"no sslmode on the local sandbox", []Resource{noSSL}, Config{Stack: "local", Environment: "local"}, false},
			{"no sslmode on a production stack named local", []Resource{noSSL}, Config{Production: true, Stack: "local"}, true},
		},
	}
}

func lookup(m map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}

func TestRules(t *testing.T) {
	all, more := cases(), configCases()
	for _, rule := range All() {
		cs, cc := all[rule.Name], more[rule.Name]
		if len(cs)+len(cc) == 0 {
			t.Errorf("rule %s has no test cases", rule.Name)
			continue
		}
		var violating, passing bool
		for _, tc := range cs {
			violating = violating || tc.violates
			passing = passing || !tc.violates
			t.Run(rule.Name+"/"+tc.name, func(t *testing.T) {
				r := Resource{Type: tc.typ, Name: "r", Props: props(tc.props)}
				if !rule.AppliesTo(tc.typ) && (!rule.IsStack() || len(rule.Select([]Resource{r})) == 0) {
					t.Fatalf("rule does not apply to %s", tc.typ)
				}
				got := Evaluate([]Rule{rule}, []Resource{r}, Config{Production: tc.production})
				if (len(got) > 0) != tc.violates {
					t.Fatalf("violations = %v, want violating = %v", got, tc.violates)
				}
			})
		}
		for _, tc := range cc {
			violating = violating || tc.violates
			passing = passing || !tc.violates
			t.Run(rule.Name+"/"+tc.name, func(t *testing.T) {
				got := Evaluate([]Rule{rule}, tc.resources, tc.cfg)
				if (len(got) > 0) != tc.violates {
					t.Fatalf("violations = %v, want violating = %v", got, tc.violates)
				}
			})
		}
		if !violating || !passing {
			t.Errorf("rule %s needs both a violating and a passing case", rule.Name)
		}
		delete(all, rule.Name)
		delete(more, rule.Name)
	}
	for name := range all {
		t.Errorf("cases for unknown rule %s", name)
	}
	for name := range more {
		t.Errorf("cases for unknown rule %s", name)
	}
}

func TestRuleMetadata(t *testing.T) {
	seen := map[string]bool{}
	for _, r := range All() {
		switch {
		case seen[r.Name]:
			t.Errorf("duplicate rule %s", r.Name)
		case r.Description == "" || r.Why == "" || (r.Check == nil) == (r.CheckStack == nil) || (r.Check != nil && len(r.Types) == 0):
			t.Errorf("rule %s is incomplete (a description, a why, and either Check with types or CheckStack)", r.Name)
		case r.Level != Mandatory && r.Level != Advisory:
			t.Errorf("rule %s has level %q", r.Name, r.Level)
		case !strings.HasPrefix(r.Name, map[string]string{"aws": "aws-", "alicloud": "alicloud-", "kubernetes": "k8s-", "stack": "stack-"}[r.Group]):
			t.Errorf("rule %s is in group %q", r.Name, r.Group)
		}
		seen[r.Name] = true
	}
}

// TestUnknownValuesPass: during preview a value that is not known yet cannot be judged and must not fail.
func TestUnknownValuesPass(t *testing.T) {
	unknown := resource.MakeComputed(resource.NewStringProperty(""))
	dep := props(deployment(2, func(_, cc map[string]any) { delete(cc, "image") }))
	containers := dep["spec"].ObjectValue()["template"].ObjectValue()["spec"].ObjectValue()["containers"].ArrayValue()
	containers[0].ObjectValue()["image"] = unknown
	got := Evaluate(All(), []Resource{{Type: "kubernetes:apps/v1:Deployment", Name: "d", Props: dep}}, Config{})
	if len(got) > 0 {
		t.Fatalf("unknown image judged: %v", got)
	}
	eks := resource.PropertyMap{"encryptionConfig": unknown, "enabledClusterLogTypes": unknown, "vpcConfig": unknown}
	if got := Evaluate(All(), []Resource{{Type: "aws:eks/cluster:Cluster", Name: "c", Props: eks}}, Config{Production: true}); len(got) > 0 {
		t.Fatalf("unknown cluster settings judged: %v", got)
	}
}

// TestSecretValuesAreRead: rules see through secret markers.
func TestSecretValuesAreRead(t *testing.T) {
	p := resource.PropertyMap{"imageTagMutability": resource.MakeSecret(resource.NewStringProperty("MUTABLE"))}
	if got := Evaluate(All(), []Resource{{Type: "aws:ecr/repository:Repository", Name: "r", Props: p}}, Config{}); len(got) == 0 {
		t.Fatal("secret value not checked")
	}
}
