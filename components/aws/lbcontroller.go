package aws

import (
	"fmt"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/iam"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/wechat-deploy/wechat-deploy/app/contract"
	"github.com/wechat-deploy/wechat-deploy/components/kube"
	"github.com/wechat-deploy/wechat-deploy/components/platform"
)

// LoadBalancerControllerType is the type token of the LoadBalancerController component.
const LoadBalancerControllerType = "wechat-deploy:aws:LoadBalancerController"

// LBControllerChartVersion pins the aws-load-balancer-controller Helm chart.
const LBControllerChartVersion = "1.13.3"

const (
	lbControllerNamespace      = "kube-system"
	lbControllerServiceAccount = "aws-load-balancer-controller"
	// lbClusterTag is the tag the controller puts on everything it creates; its mutating permissions are
	// limited to resources carrying it.
	lbClusterTag = "elbv2.k8s.aws/cluster"
)

// LoadBalancerControllerArgs configure the controller.
type LoadBalancerControllerArgs struct {
	ClusterName pulumi.StringInput
	Region      string
	// Partition is the AWS partition (aws, aws-cn) of the policy's ARNs.
	Partition                      string
	VpcID                          pulumi.StringInput
	OIDCProviderARN, OIDCIssuerURL pulumi.StringInput
	// Replicas of the controller (2 keeps Ingress reconciliation alive during node drains).
	Replicas int
	// DependsOn are what the controller's pods need first: the node group and the cluster's addons.
	DependsOn []pulumi.Resource
}

// LoadBalancerController is the AWS Load Balancer Controller with its IRSA role, so that Ingresses of class alb
// get an Application Load Balancer.
type LoadBalancerController struct {
	pulumi.ResourceState

	RoleARN pulumi.StringOutput `pulumi:"roleArn"`
}

// lbControllerPolicy is the controller's IAM policy: exactly the statements its project publishes for the
// pinned version (docs/install/iam_policy.json of v2.13.3, chart 1.13.3; a test compares the two), with the
// partition filled in. Changes are limited to load balancers, target groups and security groups carrying the
// controller's cluster tag; discovery is read-only.
func lbControllerPolicy(partition string) string {
	arn := func(rest ...string) []string {
		out := make([]string, len(rest))
		for i, r := range rest {
			out[i] = "arn:" + partition + ":" + r
		}
		return out
	}
	nullTag := func(kind, null string) map[string]string {
		return map[string]string{"aws:" + kind + "/" + lbClusterTag: null}
	}
	ownedNotRetagged := map[string]any{"Null": map[string]string{
		"aws:RequestTag/" + lbClusterTag: "true", "aws:ResourceTag/" + lbClusterTag: "false",
	}}
	balancersAndGroups := arn("elasticloadbalancing:*:*:targetgroup/*/*", "elasticloadbalancing:*:*:loadbalancer/net/*/*",
		"elasticloadbalancing:*:*:loadbalancer/app/*/*")
	return policyDocument(
		statement{Effect: "Allow", Action: "iam:CreateServiceLinkedRole", Resource: "*",
			Condition: map[string]any{"StringEquals": map[string]string{"iam:AWSServiceName": "elasticloadbalancing.amazonaws.com"}}},
		statement{Effect: "Allow", Resource: "*", Action: []string{
			"ec2:DescribeAccountAttributes", "ec2:DescribeAddresses", "ec2:DescribeAvailabilityZones",
			"ec2:DescribeInternetGateways", "ec2:DescribeVpcs", "ec2:DescribeVpcPeeringConnections", "ec2:DescribeSubnets",
			"ec2:DescribeSecurityGroups", "ec2:DescribeInstances", "ec2:DescribeNetworkInterfaces", "ec2:DescribeTags",
			"ec2:GetCoipPoolUsage", "ec2:DescribeCoipPools", "ec2:GetSecurityGroupsForVpc", "ec2:DescribeIpamPools",
			"ec2:DescribeRouteTables",
			"elasticloadbalancing:DescribeLoadBalancers", "elasticloadbalancing:DescribeLoadBalancerAttributes",
			"elasticloadbalancing:DescribeListeners", "elasticloadbalancing:DescribeListenerCertificates",
			"elasticloadbalancing:DescribeSSLPolicies", "elasticloadbalancing:DescribeRules",
			"elasticloadbalancing:DescribeTargetGroups", "elasticloadbalancing:DescribeTargetGroupAttributes",
			"elasticloadbalancing:DescribeTargetHealth", "elasticloadbalancing:DescribeTags",
			"elasticloadbalancing:DescribeTrustStores", "elasticloadbalancing:DescribeListenerAttributes",
			"elasticloadbalancing:DescribeCapacityReservation",
		}},
		statement{Effect: "Allow", Resource: "*", Action: []string{
			"cognito-idp:DescribeUserPoolClient", "acm:ListCertificates", "acm:DescribeCertificate",
			"iam:ListServerCertificates", "iam:GetServerCertificate",
			"waf-regional:GetWebACL", "waf-regional:GetWebACLForResource", "waf-regional:AssociateWebACL", "waf-regional:DisassociateWebACL",
			"wafv2:GetWebACL", "wafv2:GetWebACLForResource", "wafv2:AssociateWebACL", "wafv2:DisassociateWebACL",
			"shield:GetSubscriptionState", "shield:DescribeProtection", "shield:CreateProtection", "shield:DeleteProtection",
		}},
		// Ingress rules on the node security groups let the ALB reach the pods.
		statement{Effect: "Allow", Resource: "*", Action: []string{"ec2:AuthorizeSecurityGroupIngress", "ec2:RevokeSecurityGroupIngress"}},
		statement{Effect: "Allow", Resource: "*", Action: "ec2:CreateSecurityGroup"},
		statement{Effect: "Allow", Resource: arn("ec2:*:*:security-group/*"), Action: "ec2:CreateTags",
			Condition: map[string]any{"StringEquals": map[string]string{"ec2:CreateAction": "CreateSecurityGroup"}, "Null": nullTag("RequestTag", "false")}},
		statement{Effect: "Allow", Resource: arn("ec2:*:*:security-group/*"), Action: []string{"ec2:CreateTags", "ec2:DeleteTags"},
			Condition: ownedNotRetagged},
		statement{Effect: "Allow", Resource: "*", Condition: map[string]any{"Null": nullTag("ResourceTag", "false")},
			Action: []string{"ec2:AuthorizeSecurityGroupIngress", "ec2:RevokeSecurityGroupIngress", "ec2:DeleteSecurityGroup"}},
		statement{Effect: "Allow", Resource: "*", Condition: map[string]any{"Null": nullTag("RequestTag", "false")},
			Action: []string{"elasticloadbalancing:CreateLoadBalancer", "elasticloadbalancing:CreateTargetGroup"}},
		statement{Effect: "Allow", Resource: "*", Action: []string{
			"elasticloadbalancing:CreateListener", "elasticloadbalancing:DeleteListener",
			"elasticloadbalancing:CreateRule", "elasticloadbalancing:DeleteRule",
		}},
		statement{Effect: "Allow", Resource: balancersAndGroups, Condition: ownedNotRetagged,
			Action: []string{"elasticloadbalancing:AddTags", "elasticloadbalancing:RemoveTags"}},
		statement{Effect: "Allow", Action: []string{"elasticloadbalancing:AddTags", "elasticloadbalancing:RemoveTags"},
			Resource: arn("elasticloadbalancing:*:*:listener/net/*/*/*", "elasticloadbalancing:*:*:listener/app/*/*/*",
				"elasticloadbalancing:*:*:listener-rule/net/*/*/*", "elasticloadbalancing:*:*:listener-rule/app/*/*/*")},
		statement{Effect: "Allow", Resource: "*", Condition: map[string]any{"Null": nullTag("ResourceTag", "false")}, Action: []string{
			"elasticloadbalancing:ModifyLoadBalancerAttributes", "elasticloadbalancing:SetIpAddressType",
			"elasticloadbalancing:SetSecurityGroups", "elasticloadbalancing:SetSubnets", "elasticloadbalancing:DeleteLoadBalancer",
			"elasticloadbalancing:ModifyTargetGroup", "elasticloadbalancing:ModifyTargetGroupAttributes",
			"elasticloadbalancing:DeleteTargetGroup", "elasticloadbalancing:ModifyListenerAttributes",
			"elasticloadbalancing:ModifyCapacityReservation", "elasticloadbalancing:ModifyIpPools",
		}},
		// Tags on what it creates, in the same call (CreateLoadBalancer/CreateTargetGroup with tags).
		statement{Effect: "Allow", Resource: balancersAndGroups, Action: "elasticloadbalancing:AddTags",
			Condition: map[string]any{
				"StringEquals": map[string][]string{"elasticloadbalancing:CreateAction": {"CreateTargetGroup", "CreateLoadBalancer"}},
				"Null":         nullTag("RequestTag", "false"),
			}},
		statement{Effect: "Allow", Resource: arn("elasticloadbalancing:*:*:targetgroup/*/*"),
			Action: []string{"elasticloadbalancing:RegisterTargets", "elasticloadbalancing:DeregisterTargets"}},
		statement{Effect: "Allow", Resource: "*", Action: []string{
			"elasticloadbalancing:SetWebAcl", "elasticloadbalancing:ModifyListener",
			"elasticloadbalancing:AddListenerCertificates", "elasticloadbalancing:RemoveListenerCertificates",
			"elasticloadbalancing:ModifyRule", "elasticloadbalancing:SetRulePriorities",
		}},
	)
}

// NewLoadBalancerController registers the IRSA role and the Helm release (through the Kubernetes provider given
// in opts with pulumi.Providers).
func NewLoadBalancerController(ctx *pulumi.Context, name string, args *LoadBalancerControllerArgs, opts ...pulumi.ResourceOption) (*LoadBalancerController, error) {
	if args == nil || args.ClusterName == nil || args.VpcID == nil || args.OIDCProviderARN == nil || args.OIDCIssuerURL == nil || args.Region == "" || args.Partition == "" {
		return nil, fmt.Errorf("creating load balancer controller %s: %w: cluster, region, partition, VPC and OIDC provider are required", name, ErrInvalidArgs)
	}
	if args.Replicas < 1 {
		args.Replicas = 2
	}
	lb := &LoadBalancerController{}
	if err := ctx.RegisterComponentResource(LoadBalancerControllerType, name, lb, opts...); err != nil {
		return nil, fmt.Errorf("registering load balancer controller %s: %w", name, err)
	}
	parent := pulumi.Parent(lb)
	role, err := iam.NewRole(ctx, name+"-role", &iam.RoleArgs{
		Description: pulumi.String("IRSA role of the AWS Load Balancer Controller"),
		AssumeRolePolicy: pulumi.All(args.OIDCProviderARN, args.OIDCIssuerURL).ApplyT(func(v []any) string {
			return irsaTrust(v[0].(string), v[1].(string), lbControllerNamespace, lbControllerServiceAccount)
		}).(pulumi.StringOutput),
	}, parent)
	if err != nil {
		return nil, fmt.Errorf("creating load balancer controller %s: role: %w", name, err)
	}
	rolePolicy, err := iam.NewRolePolicy(ctx, name+"-policy", &iam.RolePolicyArgs{
		Role: role.ID(), Policy: pulumi.String(lbControllerPolicy(args.Partition)),
	}, parent)
	if err != nil {
		return nil, fmt.Errorf("creating load balancer controller %s: policy: %w", name, err)
	}
	// The release waits for its role and for a cluster that runs pods (nodes, CNI, DNS): atomic with a timeout,
	// it would otherwise roll itself back while the nodes are still joining.
	deps := append([]pulumi.Resource{rolePolicy}, args.DependsOn...)
	if _, err := kube.HelmRelease(ctx, name, kube.HelmChart{
		Name: "aws-load-balancer-controller", Version: LBControllerChartVersion, Repo: "https://aws.github.io/eks-charts",
		Namespace: lbControllerNamespace,
	}, pulumi.Map{
		"clusterName":  args.ClusterName,
		"region":       pulumi.String(args.Region),
		"vpcId":        args.VpcID,
		"replicaCount": pulumi.Int(args.Replicas),
		"serviceAccount": pulumi.Map{
			"create":      pulumi.Bool(true),
			"name":        pulumi.String(lbControllerServiceAccount),
			"annotations": pulumi.Map{"eks.amazonaws.com/role-arn": role.Arn},
		},
		// Services of type LoadBalancer are not mutated into NLBs behind our back.
		"enableServiceMutatorWebhook": pulumi.Bool(false),
	}, parent, pulumi.DependsOn(deps)); err != nil {
		return nil, fmt.Errorf("creating load balancer controller %s: helm release: %w", name, err)
	}
	lb.RoleARN = role.Arn
	if err := ctx.RegisterResourceOutputs(lb, pulumi.Map{"roleArn": lb.RoleARN}); err != nil {
		return nil, fmt.Errorf("registering outputs of load balancer controller %s: %w", name, err)
	}
	return lb, nil
}

// albCertificateAnnotation names the ACM certificate(s) of an Ingress's HTTPS listener.
const albCertificateAnnotation = "alb.ingress.kubernetes.io/certificate-arn"

// ALBIngressAnnotations are the annotations the load balancer controller needs on an internet-facing Ingress:
// an ALB routing to pod IPs, health-checked on readiness, TLS 1.2+ with HTTP redirected to HTTPS when TLS is
// on, and the ACM certificate when one is named.
func ALBIngressAnnotations(tls platform.IngressTLS) map[string]string {
	ann := map[string]string{
		"alb.ingress.kubernetes.io/scheme":           "internet-facing",
		"alb.ingress.kubernetes.io/target-type":      "ip",
		"alb.ingress.kubernetes.io/healthcheck-path": contract.PathReadiness,
		"alb.ingress.kubernetes.io/ssl-policy":       "ELBSecurityPolicy-TLS13-1-2-2021-06",
	}
	if tls.Enabled {
		ann["alb.ingress.kubernetes.io/listen-ports"] = `[{"HTTP":80},{"HTTPS":443}]`
		ann["alb.ingress.kubernetes.io/ssl-redirect"] = "443"
		if tls.Certificate != "" {
			ann[albCertificateAnnotation] = tls.Certificate
		}
	}
	return ann
}
