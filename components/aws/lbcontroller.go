package aws

import (
	"fmt"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/iam"
	helmv3 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/helm/v3"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/wechat-deploy/wechat-deploy/app/contract"
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
	ClusterName                    pulumi.StringInput
	Region                         string
	VpcID                          pulumi.StringInput
	OIDCProviderARN, OIDCIssuerURL pulumi.StringInput
	// Replicas of the controller (2 keeps Ingress reconciliation alive during node drains).
	Replicas int
}

// LoadBalancerController is the AWS Load Balancer Controller with its IRSA role, so that Ingresses of class alb
// get an Application Load Balancer.
type LoadBalancerController struct {
	pulumi.ResourceState

	RoleARN pulumi.StringOutput `pulumi:"roleArn"`
}

// lbControllerPolicy is the controller's permissions: read-only discovery everywhere, and changes only to load
// balancers, target groups and security groups it tagged itself.
func lbControllerPolicy() string {
	tagged := map[string]any{"Null": map[string]string{"aws:ResourceTag/" + lbClusterTag: "false"}}
	creating := map[string]any{"Null": map[string]string{"aws:RequestTag/" + lbClusterTag: "false"}}
	return policyDocument(
		statement{Sid: "ServiceLinkedRole", Effect: "Allow", Action: "iam:CreateServiceLinkedRole", Resource: "*",
			Condition: map[string]any{"StringEquals": map[string]string{"iam:AWSServiceName": "elasticloadbalancing.amazonaws.com"}}},
		statement{Sid: "Discover", Effect: "Allow", Resource: "*", Action: []string{
			"ec2:DescribeAccountAttributes", "ec2:DescribeAddresses", "ec2:DescribeAvailabilityZones", "ec2:DescribeInternetGateways",
			"ec2:DescribeVpcs", "ec2:DescribeVpcPeeringConnections", "ec2:DescribeSubnets", "ec2:DescribeSecurityGroups",
			"ec2:DescribeInstances", "ec2:DescribeNetworkInterfaces", "ec2:DescribeTags", "ec2:DescribeCoipPools",
			"ec2:GetCoipPoolUsage", "ec2:DescribeRouteTables", "ec2:GetSecurityGroupsForVpc", "ec2:DescribeIpamPools",
			"elasticloadbalancing:Describe*", "acm:ListCertificates", "acm:DescribeCertificate",
			"iam:ListServerCertificates", "iam:GetServerCertificate", "cognito-idp:DescribeUserPoolClient",
			"waf-regional:GetWebACL", "waf-regional:GetWebACLForResource", "waf-regional:AssociateWebACL", "waf-regional:DisassociateWebACL",
			"wafv2:GetWebACL", "wafv2:GetWebACLForResource", "wafv2:AssociateWebACL", "wafv2:DisassociateWebACL",
			"shield:GetSubscriptionState", "shield:DescribeProtection", "shield:CreateProtection", "shield:DeleteProtection",
		}},
		statement{Sid: "CreateSecurityGroups", Effect: "Allow", Resource: "*", Action: []string{"ec2:CreateSecurityGroup"}},
		statement{Sid: "TagOnCreate", Effect: "Allow", Resource: "arn:aws:ec2:*:*:security-group/*", Action: "ec2:CreateTags",
			Condition: map[string]any{"StringEquals": map[string]string{"ec2:CreateAction": "CreateSecurityGroup"}, "Null": map[string]string{"aws:RequestTag/" + lbClusterTag: "false"}}},
		statement{Sid: "OwnSecurityGroups", Effect: "Allow", Resource: "*", Condition: tagged, Action: []string{
			"ec2:AuthorizeSecurityGroupIngress", "ec2:RevokeSecurityGroupIngress", "ec2:DeleteSecurityGroup",
			"ec2:CreateTags", "ec2:DeleteTags",
		}},
		statement{Sid: "CreateLoadBalancers", Effect: "Allow", Resource: "*", Condition: creating, Action: []string{
			"elasticloadbalancing:CreateLoadBalancer", "elasticloadbalancing:CreateTargetGroup",
		}},
		statement{Sid: "Listeners", Effect: "Allow", Resource: "*", Action: []string{
			"elasticloadbalancing:CreateListener", "elasticloadbalancing:DeleteListener", "elasticloadbalancing:CreateRule",
			"elasticloadbalancing:DeleteRule", "elasticloadbalancing:ModifyListener", "elasticloadbalancing:ModifyRule",
			"elasticloadbalancing:AddListenerCertificates", "elasticloadbalancing:RemoveListenerCertificates",
			"elasticloadbalancing:SetWebAcl",
		}},
		statement{Sid: "OwnLoadBalancers", Effect: "Allow", Resource: "*", Condition: tagged, Action: []string{
			"elasticloadbalancing:ModifyLoadBalancerAttributes", "elasticloadbalancing:SetIpAddressType",
			"elasticloadbalancing:SetSecurityGroups", "elasticloadbalancing:SetSubnets", "elasticloadbalancing:DeleteLoadBalancer",
			"elasticloadbalancing:ModifyTargetGroup", "elasticloadbalancing:ModifyTargetGroupAttributes",
			"elasticloadbalancing:DeleteTargetGroup", "elasticloadbalancing:AddTags", "elasticloadbalancing:RemoveTags",
			"elasticloadbalancing:ModifyCapacityReservation", "elasticloadbalancing:ModifyIpPools",
		}},
		statement{Sid: "Targets", Effect: "Allow", Resource: "arn:aws:elasticloadbalancing:*:*:targetgroup/*/*", Action: []string{
			"elasticloadbalancing:RegisterTargets", "elasticloadbalancing:DeregisterTargets",
		}},
	)
}

// NewLoadBalancerController registers the IRSA role and the Helm release (through the Kubernetes provider given
// in opts with pulumi.Providers).
func NewLoadBalancerController(ctx *pulumi.Context, name string, args *LoadBalancerControllerArgs, opts ...pulumi.ResourceOption) (*LoadBalancerController, error) {
	if args == nil || args.ClusterName == nil || args.VpcID == nil || args.OIDCProviderARN == nil || args.OIDCIssuerURL == nil || args.Region == "" {
		return nil, fmt.Errorf("creating load balancer controller %s: %w: cluster, region, VPC and OIDC provider are required", name, ErrInvalidArgs)
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
		Role: role.ID(), Policy: pulumi.String(lbControllerPolicy()),
	}, parent)
	if err != nil {
		return nil, fmt.Errorf("creating load balancer controller %s: policy: %w", name, err)
	}
	if _, err := helmv3.NewRelease(ctx, name, &helmv3.ReleaseArgs{
		Name:           pulumi.String("aws-load-balancer-controller"),
		Chart:          pulumi.String("aws-load-balancer-controller"),
		Version:        pulumi.String(LBControllerChartVersion),
		Namespace:      pulumi.String(lbControllerNamespace),
		RepositoryOpts: &helmv3.RepositoryOptsArgs{Repo: pulumi.String("https://aws.github.io/eks-charts")},
		Atomic:         pulumi.Bool(true),
		CleanupOnFail:  pulumi.Bool(true),
		Values: pulumi.Map{
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
		},
	}, parent, pulumi.DependsOn([]pulumi.Resource{rolePolicy})); err != nil {
		return nil, fmt.Errorf("creating load balancer controller %s: helm release: %w", name, err)
	}
	lb.RoleARN = role.Arn
	if err := ctx.RegisterResourceOutputs(lb, pulumi.Map{"roleArn": lb.RoleARN}); err != nil {
		return nil, fmt.Errorf("registering outputs of load balancer controller %s: %w", name, err)
	}
	return lb, nil
}

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
			ann["alb.ingress.kubernetes.io/certificate-arn"] = tls.Certificate
		}
	}
	return ann
}
