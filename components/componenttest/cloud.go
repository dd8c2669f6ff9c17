package componenttest

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"regexp"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
)

// FakeEKSToken is the token the fake aws:eks/getClusterAuth returns in region; tests check it stays secret.
func FakeEKSToken(region string) string {
	url := fmt.Sprintf("https://sts.%s.amazonaws.com/?Action=GetCallerIdentity&Version=2011-06-15&X-Amz-Signature=fake0eks0token0signature", region)
	return "k8s-aws-v1." + base64.RawURLEncoding.EncodeToString([]byte(url))
}

// Fake identities the cloud responder answers with.
const (
	AccountID = "123456789012"
	// FakeRegistryPassword is the push password the fake registries hand out; tests check it stays secret.
	FakeRegistryPassword = "fake-registry-password-0123456789"
	// FakeCA is a base64 certificate authority bundle for fake clusters.
	FakeCA = "LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCk1JSUZBS0UKLS0tLS1FTkQgQ0VSVElGSUNBVEUtLS0tLQo="
)

// AuthorisedRAMRoles are the service roles the fake Alibaba Cloud account has authorised (ACK's default roles);
// tests remove some to see the platform refuse.
var AuthorisedRAMRoles = []string{
	"AliyunCSDefaultRole", "AliyunCSManagedKubernetesRole", "AliyunCSManagedNetworkRole", "AliyunCSManagedCsiRole",
	"AliyunCSManagedLogRole", "AliyunCSKubernetesAuditRole", "AliyunCSManagedSecurityRole", "AliyunECSDiskEncryptDefaultRole",
	"AliyunCSManagedAutoScalerRole", "AliyunOOSLifecycleHook4CSRole", "AliyunCSManagedAcrRole", "AliyunCSManagedCmsRole",
}

// Cloud is the default Responder: it answers like AWS, Alibaba Cloud, Docker and Kubernetes would, with
// deterministic values derived from names and inputs so that two runs with equal inputs answer identically.
type Cloud struct {
	Region string
}

// NewCloud returns a responder whose region is the config's region key (any namespace), or us-east-1.
func NewCloud(config map[string]string) *Cloud {
	c := &Cloud{Region: "us-east-1"}
	for k, v := range config {
		if strings.HasSuffix(k, ":region") && v != "" {
			c.Region = v
		}
	}
	return c
}

// Outputs implements Responder.
func (c *Cloud) Outputs(typ, name string, inputs resource.PropertyMap) (string, resource.PropertyMap) {
	out := inputs.Copy()
	id := name + "-id"
	str := func(k, v string) { out[resource.PropertyKey(k)] = resource.NewStringProperty(v) }
	pkg, _, _ := strings.Cut(typ, ":")
	physical := name
	if v, ok := inputs["name"]; ok && v.IsString() {
		physical = v.StringValue()
	}
	switch pkg {
	case "aws":
		mod := typ[strings.Index(typ, ":")+1:]
		svc, _, _ := strings.Cut(mod, "/")
		str("arn", fmt.Sprintf("arn:aws:%s:%s:%s:%s/%s", svc, c.Region, AccountID, strings.ToLower(lastSegment(typ)), physical))
	case "alicloud":
		// The id prefixes Alibaba Cloud uses (vsw-, vpc-, ngw-, eip-, sg-, vtb-); provider rules check some of
		// them (a cluster's VSwitch ids must look like vsw-…).
		prefix, ok := map[string]string{
			"alicloud:vpc/switch:Switch": "vsw", "alicloud:vpc/network:Network": "vpc", "alicloud:vpc/natGateway:NatGateway": "ngw",
			"alicloud:ecs/eipAddress:EipAddress": "eip", "alicloud:ecs/securityGroup:SecurityGroup": "sg", "alicloud:vpc/routeTable:RouteTable": "vtb",
		}[typ]
		if !ok {
			prefix = strings.ToLower(lastSegment(typ))[:3]
		}
		id = fmt.Sprintf("%s-%s", prefix, shortHash(typ+name))
	}
	switch typ {
	case "pulumi:pulumi:StackReference":
		// A stack's first update: no outputs yet.
		out["outputs"] = resource.NewObjectProperty(resource.PropertyMap{})
	case "aws:ec2/vpc:Vpc", "aws:ec2/subnet:Subnet", "aws:ec2/natGateway:NatGateway", "aws:ec2/eip:Eip",
		"aws:ec2/internetGateway:InternetGateway", "aws:ec2/routeTable:RouteTable", "aws:ec2/securityGroup:SecurityGroup",
		"aws:ec2/launchTemplate:LaunchTemplate":
		// The id prefixes EC2 uses (vpc-, subnet-, nat-, eipalloc-, igw-, rtb-, sg-, lt-): provider rules check
		// some of them (a node group's launch template id must look like lt-…).
		id = map[string]string{
			"aws:ec2/vpc:Vpc": "vpc", "aws:ec2/subnet:Subnet": "subnet", "aws:ec2/natGateway:NatGateway": "nat",
			"aws:ec2/eip:Eip": "eipalloc", "aws:ec2/internetGateway:InternetGateway": "igw", "aws:ec2/routeTable:RouteTable": "rtb",
			"aws:ec2/securityGroup:SecurityGroup": "sg", "aws:ec2/launchTemplate:LaunchTemplate": "lt",
		}[typ] + "-" + shortHash(name)
	case "aws:iam/role:Role":
		str("arn", fmt.Sprintf("arn:aws:iam::%s:role/%s", AccountID, physical))
		str("name", physical)
	case "aws:iam/policy:Policy":
		str("arn", fmt.Sprintf("arn:aws:iam::%s:policy/%s", AccountID, physical))
	case "aws:kms/key:Key":
		id = "key-" + shortHash(name)
		str("keyId", id)
		str("arn", fmt.Sprintf("arn:aws:kms:%s:%s:key/%s", c.Region, AccountID, id))
	case "aws:eks/cluster:Cluster":
		id = physical
		str("name", physical)
		str("endpoint", fmt.Sprintf("https://%s.gr7.%s.eks.amazonaws.com", strings.ToUpper(shortHash(name)), c.Region))
		out["certificateAuthority"] = resource.NewObjectProperty(resource.PropertyMap{"data": resource.NewStringProperty(FakeCA)})
		// EKS makes the cluster security group (attached to the control plane's interfaces and managed nodes).
		vpc := resource.PropertyMap{}
		if v, ok := inputs["vpcConfig"]; ok && v.IsObject() {
			vpc = v.ObjectValue().Copy()
		}
		vpc["clusterSecurityGroupId"] = resource.NewStringProperty("sg-" + shortHash(name+"-cluster"))
		out["vpcConfig"] = resource.NewObjectProperty(vpc)
		out["identities"] = resource.NewArrayProperty([]resource.PropertyValue{resource.NewObjectProperty(resource.PropertyMap{
			"oidcs": resource.NewArrayProperty([]resource.PropertyValue{resource.NewObjectProperty(resource.PropertyMap{
				"issuer": resource.NewStringProperty(fmt.Sprintf("https://oidc.eks.%s.amazonaws.com/id/%s", c.Region, strings.ToUpper(shortHash(name)))),
			})}),
		})})
	case "kubernetes:core/v1:Service":
		// The API server allocates a ClusterIP Service its address from the service range.
		spec := resource.PropertyMap{}
		if v, ok := inputs["spec"]; ok && v.IsObject() {
			spec = v.ObjectValue().Copy()
		}
		if _, ok := spec["clusterIP"]; !ok && (spec["type"].IsNull() || spec["type"].StringValue() == "ClusterIP") {
			h := sha256.Sum256([]byte(name))
			spec["clusterIP"] = resource.NewStringProperty(fmt.Sprintf("10.96.%d.%d", h[0], max(h[1], 1)))
		}
		out["spec"] = resource.NewObjectProperty(spec)
	case "alicloud:rds/instance:Instance":
		// ApsaraDB names the private endpoint after the instance id (pgm-…).
		id = "pgm-" + shortHash(name)
		str("connectionString", id+".pg.rds.aliyuncs.com")
		str("port", "5432")
	case "aws:rds/instance:Instance":
		// RDS names the endpoint after the identifier, the account's hash and the region.
		id = "db-" + strings.ToUpper(shortHash(name))
		str("address", fmt.Sprintf("%s.c%s.%s.rds.amazonaws.com", physicalOf(inputs, "identifier", name), shortHash(name), c.Region))
		str("resourceId", id)
		out["port"] = resource.NewNumberProperty(5432)
	case "aws:iam/openIdConnectProvider:OpenIdConnectProvider":
		url := ""
		if v, ok := inputs["url"]; ok && v.IsString() {
			url = strings.TrimPrefix(v.StringValue(), "https://")
		}
		str("arn", fmt.Sprintf("arn:aws:iam::%s:oidc-provider/%s", AccountID, url))
	case "aws:acm/certificate:Certificate":
		id = fmt.Sprintf("arn:aws:acm:%s:%s:certificate/%s", c.Region, AccountID, shortHash(name))
		str("arn", id)
		domain := ""
		if v, ok := inputs["domainName"]; ok && v.IsString() {
			domain = v.StringValue()
		}
		out["domainValidationOptions"] = resource.NewArrayProperty([]resource.PropertyValue{resource.NewObjectProperty(resource.PropertyMap{
			"domainName":          resource.NewStringProperty(domain),
			"resourceRecordName":  resource.NewStringProperty("_" + shortHash(domain) + "." + domain + "."),
			"resourceRecordType":  resource.NewStringProperty("CNAME"),
			"resourceRecordValue": resource.NewStringProperty("_" + shortHash(domain+"v") + ".acm-validations.aws."),
		})})
	case "aws:acm/certificateValidation:CertificateValidation":
		// Issued: the validation resource hands the certificate ARN on.
	case "aws:route53/record:Record":
		if v, ok := inputs["name"]; ok && v.IsString() {
			str("fqdn", strings.TrimSuffix(v.StringValue(), "."))
		}
	case "aws:ecr/repository:Repository":
		str("repositoryUrl", fmt.Sprintf("%s.dkr.ecr.%s.amazonaws.com/%s", AccountID, c.Region, physical))
		str("registryId", AccountID)
	case "docker:index/image:Image":
		image := ""
		if v, ok := inputs["imageName"]; ok && v.IsString() {
			image = v.StringValue()
		}
		repo, _, _ := strings.Cut(image, ":")
		if i := strings.LastIndex(image, ":"); i > strings.LastIndex(image, "/") {
			repo = image[:i]
		}
		sum := sha256.Sum256([]byte(fmt.Sprint(inputs)))
		str("repoDigest", repo+"@sha256:"+hex.EncodeToString(sum[:]))
		str("imageName", image)
	case "alicloud:cs/managedKubernetes:ManagedKubernetes":
		id = "c" + shortHash(name) + shortHash(name+"x")
		out["connections"] = resource.NewObjectProperty(resource.PropertyMap{
			"apiServerInternet": resource.NewStringProperty("https://47.0.0.1:6443"),
			"apiServerIntranet": resource.NewStringProperty("https://10.0.0.10:6443"),
		})
		out["rrsaMetadata"] = resource.NewObjectProperty(resource.PropertyMap{
			"enabled":             resource.NewBoolProperty(true),
			"ramOidcProviderArn":  resource.NewStringProperty(fmt.Sprintf("acs:ram::%s:oidc-provider/ack-rrsa-%s", AccountID, id)),
			"ramOidcProviderName": resource.NewStringProperty("ack-rrsa-" + id),
			"rrsaOidcIssuerUrl":   resource.NewStringProperty("https://oidc-ack-" + c.Region + ".oss-" + c.Region + ".aliyuncs.com/" + id),
		})
	case "alicloud:cr/registryEnterpriseInstance:RegistryEnterpriseInstance":
		id = "cri-" + shortHash(name)
	case "alicloud:vpc/natGateway:NatGateway":
		str("snatTableIds", "stb-"+shortHash(name))
		str("forwardTableIds", "ftb-"+shortHash(name))
	case "alicloud:ecs/eipAddress:EipAddress":
		h := sha256.Sum256([]byte(name))
		str("ipAddress", fmt.Sprintf("47.%d.%d.%d", h[0], h[1], h[2]))
	case "alicloud:ram/role:Role":
		str("arn", fmt.Sprintf("acs:ram::%s:role/%s", AccountID, strings.ToLower(physical)))
	}
	if strings.HasPrefix(typ, "kubernetes:") {
		meta := resource.PropertyMap{}
		if v, ok := inputs["metadata"]; ok && v.IsObject() {
			meta = v.ObjectValue().Copy()
		}
		if _, ok := meta["name"]; !ok {
			meta["name"] = resource.NewStringProperty(name + "-" + shortHash(name)[:8])
		}
		out["metadata"] = resource.NewObjectProperty(meta)
		id = meta["name"].StringValue()
		if ns, ok := meta["namespace"]; ok && ns.IsString() {
			id = ns.StringValue() + "/" + id
		}
		if typ == "kubernetes:networking.k8s.io/v1:Ingress" {
			out["status"] = resource.NewObjectProperty(resource.PropertyMap{"loadBalancer": resource.NewObjectProperty(resource.PropertyMap{
				"ingress": resource.NewArrayProperty([]resource.PropertyValue{resource.NewObjectProperty(resource.PropertyMap{
					"hostname": resource.NewStringProperty("k8s-lb-" + shortHash(name) + ".elb.amazonaws.com"),
				})}),
			})})
		}
	}
	return id, out
}

// Invoke implements Responder.
func (c *Cloud) Invoke(token string, args resource.PropertyMap) (resource.PropertyMap, error) {
	strs := func(vs ...string) resource.PropertyValue {
		arr := make([]resource.PropertyValue, len(vs))
		for i, v := range vs {
			arr[i] = resource.NewStringProperty(v)
		}
		return resource.NewArrayProperty(arr)
	}
	switch token {
	case "aws:index/getAvailabilityZones:getAvailabilityZones":
		var names, ids []string
		for i, s := range "abcdef" {
			names = append(names, c.Region+string(s))
			ids = append(ids, fmt.Sprintf("use1-az%d", i+1))
		}
		return resource.PropertyMap{"names": strs(names...), "zoneIds": strs(ids...), "id": resource.NewStringProperty(c.Region)}, nil
	case "aws:index/getCallerIdentity:getCallerIdentity":
		return resource.PropertyMap{
			"accountId": resource.NewStringProperty(AccountID),
			"arn":       resource.NewStringProperty("arn:aws:iam::" + AccountID + ":role/deployer"),
			"userId":    resource.NewStringProperty("AROAEXAMPLE"),
			"id":        resource.NewStringProperty(AccountID),
		}, nil
	case "aws:index/getPartition:getPartition":
		return resource.PropertyMap{"partition": resource.NewStringProperty("aws"), "dnsSuffix": resource.NewStringProperty("amazonaws.com"),
			"id": resource.NewStringProperty("aws")}, nil
	case "aws:route53/getZone:getZone":
		// A public zone of the name asked for (Route 53 ids are Z + 13-32 upper-case characters).
		name := ""
		if v, ok := args["name"]; ok && v.IsString() {
			name = v.StringValue()
		}
		id := "Z" + strings.ToUpper(shortHash(name)) + "EXAMPLE"
		return resource.PropertyMap{"zoneId": resource.NewStringProperty(id), "id": resource.NewStringProperty(id),
			"name": resource.NewStringProperty(name), "privateZone": resource.NewBoolProperty(false)}, nil
	case "aws:lb/getHostedZoneId:getHostedZoneId":
		// The canonical hosted zone of application load balancers in us-east-1 (docs: Elastic Load Balancing
		// endpoints and quotas); other regions answer the same fake.
		return resource.PropertyMap{"id": resource.NewStringProperty("Z35SXDOTRQ7X7K")}, nil
	case "aws:index/getRegion:getRegion":
		return resource.PropertyMap{"name": resource.NewStringProperty(c.Region), "id": resource.NewStringProperty(c.Region)}, nil
	case "aws:ecr/getAuthorizationToken:getAuthorizationToken":
		token := base64.StdEncoding.EncodeToString([]byte("AWS:" + FakeRegistryPassword))
		return resource.PropertyMap{
			"userName":           resource.NewStringProperty("AWS"),
			"password":           resource.MakeSecret(resource.NewStringProperty(FakeRegistryPassword)),
			"authorizationToken": resource.MakeSecret(resource.NewStringProperty(token)),
			"proxyEndpoint":      resource.NewStringProperty(fmt.Sprintf("https://%s.dkr.ecr.%s.amazonaws.com", AccountID, c.Region)),
			"id":                 resource.NewStringProperty(c.Region),
		}, nil
	case "aws:eks/getClusterAuth:getClusterAuth":
		// aws-iam-authenticator's token: "k8s-aws-v1." and the unpadded base64url of a presigned STS
		// GetCallerIdentity URL. Plain, as the bridged function returns it (pulumi-terraform-bridge#1051).
		name := ""
		if v, ok := args["name"]; ok && v.IsString() {
			name = v.StringValue()
		}
		return resource.PropertyMap{
			"name":  resource.NewStringProperty(name),
			"id":    resource.NewStringProperty(name),
			"token": resource.NewStringProperty(FakeEKSToken(c.Region)),
		}, nil
	case "alicloud:index/getZones:getZones":
		var zones []resource.PropertyValue
		var ids []string
		for _, s := range "hijkbg" {
			id := c.Region + "-" + string(s)
			ids = append(ids, id)
			zones = append(zones, resource.NewObjectProperty(resource.PropertyMap{"id": resource.NewStringProperty(id)}))
		}
		return resource.PropertyMap{"ids": strs(ids...), "zones": resource.NewArrayProperty(zones), "id": resource.NewStringProperty(c.Region)}, nil
	case "alicloud:ram/getRoles:getRoles":
		// An account where ACK's service roles are authorised: the roles the name filter selects.
		var names []string
		var roles []resource.PropertyValue
		if v, ok := args["nameRegex"]; ok && v.IsString() {
			if re, err := regexp.Compile(v.StringValue()); err == nil {
				for _, n := range AuthorisedRAMRoles {
					if re.MatchString(n) {
						names = append(names, n)
						roles = append(roles, resource.NewObjectProperty(resource.PropertyMap{
							"name": resource.NewStringProperty(n), "id": resource.NewStringProperty(n),
							"arn": resource.NewStringProperty(fmt.Sprintf("acs:ram::%s:role/%s", AccountID, strings.ToLower(n))),
						}))
					}
				}
			}
		}
		return resource.PropertyMap{"names": strs(names...), "roles": resource.NewArrayProperty(roles), "id": resource.NewStringProperty("roles")}, nil
	case "alicloud:cs/getKubernetesClusterCredential:getKubernetesClusterCredential",
		"alicloud:cs/getClusterCredential:getClusterCredential":
		return resource.PropertyMap{
			"kubeConfig": resource.MakeSecret(resource.NewStringProperty(fakeAckKubeconfig(c.Region))),
			"id":         resource.NewStringProperty("cred"),
		}, nil
	case "alicloud:cs/getRegistryEnterpriseInstances:getRegistryEnterpriseInstances":
		var instances []resource.PropertyValue
		if ids, ok := args["ids"]; ok && ids.IsArray() {
			for _, id := range ids.ArrayValue() {
				name := "acr-" + shortHash(id.StringValue())
				instances = append(instances, resource.NewObjectProperty(resource.PropertyMap{
					"id":                 id,
					"name":               resource.NewStringProperty(name),
					"tempUsername":       resource.NewStringProperty("cr_temp_user"),
					"authorizationToken": resource.MakeSecret(resource.NewStringProperty(FakeRegistryPassword)),
					"publicEndpoints":    strs(name + "-registry." + c.Region + ".cr.aliyuncs.com"),
					"vpcEndpoints":       strs(name + "-registry-vpc." + c.Region + ".cr.aliyuncs.com"),
				}))
			}
		}
		return resource.PropertyMap{"instances": resource.NewArrayProperty(instances), "id": resource.NewStringProperty(c.Region)}, nil
	case "alicloud:cr/getEndpointAclService:getEndpointAclService":
		out := args.Copy()
		out["status"] = resource.NewStringProperty("RUNNING")
		out["id"] = resource.NewStringProperty("acl")
		return out, nil
	case "alicloud:index/getAccount:getAccount":
		return resource.PropertyMap{"id": resource.NewStringProperty(AccountID)}, nil
	}
	return resource.PropertyMap{}, nil
}

func fakeAckKubeconfig(region string) string {
	return "apiVersion: v1\nkind: Config\nclusters:\n- name: kubernetes\n  cluster:\n    server: https://47.0.0.1:6443\n" +
		"    certificate-authority-data: " + FakeCA + "\ncontexts:\n- name: ack\n  context:\n    cluster: kubernetes\n    user: admin\n" +
		"current-context: ack\nusers:\n- name: admin\n  user:\n    client-certificate-data: Zm9v\n    client-key-data: " +
		base64.StdEncoding.EncodeToString([]byte("fake-ack-client-key-"+region)) + "\n"
}

func lastSegment(typ string) string {
	if i := strings.LastIndex(typ, ":"); i >= 0 {
		return typ[i+1:]
	}
	return typ
}

func shortHash(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])[:12]
}

// physicalOf is the string input key of a resource, or name when it has none.
func physicalOf(inputs resource.PropertyMap, key, name string) string {
	if v, ok := inputs[resource.PropertyKey(key)]; ok && v.IsString() {
		return v.StringValue()
	}
	return name
}
