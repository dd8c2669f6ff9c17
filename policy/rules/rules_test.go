package rules

import (
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
	return map[string][]ruleCase{
		"aws-no-public-admin-ingress": {
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
		"aws-kms-key-rotation": {
			{"no rotation", "aws:kms/key:Key", map[string]any{"enableKeyRotation": false}, false, true},
			{"rotation", "aws:kms/key:Key", map[string]any{"enableKeyRotation": true}, false, false},
			{"asymmetric", "aws:kms/key:Key", map[string]any{"customerMasterKeySpec": "RSA_2048"}, false, false},
		},
		"alicloud-no-public-admin-ingress": {
			{"api server to world", "alicloud:ecs/securityGroupRule:SecurityGroupRule", map[string]any{"type": "ingress", "ipProtocol": "tcp", "portRange": "6443/6443", "cidrIp": "0.0.0.0/0", "policy": "accept"}, false, true},
			{"all to world", "alicloud:ecs/securityGroupRule:SecurityGroupRule", map[string]any{"type": "ingress", "ipProtocol": "all", "portRange": "-1/-1", "cidrIp": "0.0.0.0/0"}, false, true},
			{"ssh within vpc", "alicloud:ecs/securityGroupRule:SecurityGroupRule", map[string]any{"type": "ingress", "ipProtocol": "tcp", "portRange": "22/22", "cidrIp": "10.0.0.0/16"}, false, false},
			{"https to world", "alicloud:ecs/securityGroupRule:SecurityGroupRule", map[string]any{"type": "ingress", "ipProtocol": "tcp", "portRange": "443/443", "cidrIp": "0.0.0.0/0"}, false, false},
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
		},
		"k8s-no-secrets-in-configmaps": {
			{"password key", "kubernetes:core/v1:ConfigMap", map[string]any{"data": map[string]any{"DB_PASSWORD": "x"}}, false, true},
			{"api key", "kubernetes:core/v1:ConfigMap", map[string]any{"data": map[string]any{"stripe.api-key": "x"}}, false, true},
			{"settings about secrets", "kubernetes:core/v1:ConfigMap", map[string]any{"data": map[string]any{"SECRETS_DIR": "/etc/secrets", "TOKEN_TTL": "2h"}}, false, false},
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

func TestRules(t *testing.T) {
	all := cases()
	for _, rule := range All() {
		cs, ok := all[rule.Name]
		if !ok {
			t.Errorf("rule %s has no test cases", rule.Name)
			continue
		}
		var violating, passing bool
		for _, tc := range cs {
			violating = violating || tc.violates
			passing = passing || !tc.violates
			t.Run(rule.Name+"/"+tc.name, func(t *testing.T) {
				if !rule.AppliesTo(tc.typ) {
					t.Fatalf("rule does not apply to %s", tc.typ)
				}
				got := Evaluate([]Rule{rule}, []Resource{{Type: tc.typ, Name: "r", Props: props(tc.props)}}, Config{Production: tc.production})
				if (len(got) > 0) != tc.violates {
					t.Fatalf("violations = %v, want violating = %v", got, tc.violates)
				}
			})
		}
		if !violating || !passing {
			t.Errorf("rule %s needs both a violating and a passing case", rule.Name)
		}
		delete(all, rule.Name)
	}
	for name := range all {
		t.Errorf("cases for unknown rule %s", name)
	}
}

func TestRuleMetadata(t *testing.T) {
	seen := map[string]bool{}
	for _, r := range All() {
		switch {
		case seen[r.Name]:
			t.Errorf("duplicate rule %s", r.Name)
		case r.Description == "" || r.Why == "" || len(r.Types) == 0 || r.Check == nil:
			t.Errorf("rule %s is incomplete", r.Name)
		case r.Level != Mandatory && r.Level != Advisory:
			t.Errorf("rule %s has level %q", r.Name, r.Level)
		case !strings.HasPrefix(r.Name, map[string]string{"aws": "aws-", "alicloud": "alicloud-", "kubernetes": "k8s-"}[r.Group]):
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
