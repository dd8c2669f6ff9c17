package aws

import (
	"fmt"
	"strings"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/iam"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// DeliveryIdentityType is the type token of the DeliveryIdentity component.
const DeliveryIdentityType = "wechat-deploy:aws:DeliveryIdentity"

// OIDC issuers trusted by the delivery roles.
const (
	PulumiOIDCIssuer = "https://api.pulumi.com/oidc"
	GitHubOIDCIssuer = "https://token.actions.githubusercontent.com"
	// GitLabOIDCIssuer is gitlab.com's; a self-managed GitLab is its own issuer (DeliveryIdentityArgs.GitLabURL).
	GitLabOIDCIssuer = "https://gitlab.com"
)

// STSAudience is the audience CI jobs request for tokens they exchange with AWS STS.
const STSAudience = "sts.amazonaws.com"

// DeliveryEnvironment is one environment whose stacks the delivery roles may touch.
type DeliveryEnvironment struct {
	// Name prefixes the environment's IAM resources (the program names them <environment>-…).
	Name string
	// Stacks are the Pulumi stacks of the environment.
	Stacks []string
}

// DeliveryIdentityArgs configure the identities CI and Pulumi Deployments use.
type DeliveryIdentityArgs struct {
	// PulumiOrg is the Pulumi Cloud organization (the audience of its OIDC tokens); Project the Pulumi project.
	PulumiOrg, Project string
	// GitHubRepository is owner/name of the repository whose workflows preview.
	GitHubRepository string
	// GitLabProject, when set, is group/project of a GitLab repository whose pipelines preview (any branch) and
	// deploy (the default branch, DeployBranch) with GitLab's id_tokens; GitLabURL is its GitLab (default
	// gitlab.com), which is also the token issuer.
	GitLabProject, GitLabURL string
	// DeployBranch is the only branch whose GitLab pipelines may assume the deploy roles (default main).
	DeployBranch string
	Environments []DeliveryEnvironment
	Partition    string
	AccountID    string
}

// DeliveryIdentity is the OIDC trust of Pulumi Cloud and GitHub Actions, and per environment a read-only
// preview role and a deploy role, each usable only by that environment's stacks: no long-lived keys anywhere.
type DeliveryIdentity struct {
	pulumi.ResourceState

	// PreviewRoleARNs and DeployRoleARNs are keyed by environment.
	PreviewRoleARNs pulumi.StringMapOutput `pulumi:"previewRoleArns"`
	DeployRoleARNs  pulumi.StringMapOutput `pulumi:"deployRoleArns"`
}

// NewDeliveryIdentity validates args and registers the providers and roles.
func NewDeliveryIdentity(ctx *pulumi.Context, name string, args *DeliveryIdentityArgs, opts ...pulumi.ResourceOption) (*DeliveryIdentity, error) {
	if args == nil || args.PulumiOrg == "" || args.Project == "" || !strings.Contains(args.GitHubRepository, "/") || len(args.Environments) == 0 ||
		args.Partition == "" || args.AccountID == "" {
		return nil, fmt.Errorf("creating delivery identity %s: %w: Pulumi org, project, GitHub owner/repo, account and environments are required", name, ErrInvalidArgs)
	}
	d := &DeliveryIdentity{}
	if err := ctx.RegisterComponentResource(DeliveryIdentityType, name, d, opts...); err != nil {
		return nil, fmt.Errorf("registering delivery identity %s: %w", name, err)
	}
	parent := pulumi.Parent(d)
	pulumiOIDC, err := iam.NewOpenIdConnectProvider(ctx, name+"-pulumi", &iam.OpenIdConnectProviderArgs{
		Url: pulumi.String(PulumiOIDCIssuer), ClientIdLists: pulumi.StringArray{pulumi.String(args.PulumiOrg)},
	}, parent)
	if err != nil {
		return nil, fmt.Errorf("creating delivery identity %s: Pulumi OIDC provider: %w", name, err)
	}
	githubOIDC, err := iam.NewOpenIdConnectProvider(ctx, name+"-github", &iam.OpenIdConnectProviderArgs{
		Url: pulumi.String(GitHubOIDCIssuer), ClientIdLists: pulumi.StringArray{pulumi.String(STSAudience)},
	}, parent)
	if err != nil {
		return nil, fmt.Errorf("creating delivery identity %s: GitHub OIDC provider: %w", name, err)
	}
	providers := []pulumi.StringOutput{pulumiOIDC.Arn, githubOIDC.Arn}
	gitlabIssuer := strings.TrimSuffix(args.GitLabURL, "/")
	if gitlabIssuer == "" {
		gitlabIssuer = GitLabOIDCIssuer
	}
	if args.GitLabProject != "" {
		gitlabOIDC, err := iam.NewOpenIdConnectProvider(ctx, name+"-gitlab", &iam.OpenIdConnectProviderArgs{
			Url: pulumi.String(gitlabIssuer), ClientIdLists: pulumi.StringArray{pulumi.String(STSAudience)},
		}, parent)
		if err != nil {
			return nil, fmt.Errorf("creating delivery identity %s: GitLab OIDC provider: %w", name, err)
		}
		providers = append(providers, gitlabOIDC.Arn)
	}
	deployBranch := args.DeployBranch
	if deployBranch == "" {
		deployBranch = "main"
	}
	preview, deploy := pulumi.StringMap{}, pulumi.StringMap{}
	for _, env := range args.Environments {
		// trust lets the environment's stacks run pulumiOp in Pulumi Deployments, GitHub jobs with the given
		// subjects, and GitLab pipelines with the given subjects.
		trust := func(pulumiOp string, githubSubjects, gitlabSubjects []string) pulumi.StringOutput {
			return pulumi.ToStringArrayOutput(providers).ApplyT(func(arns []string) string {
				var pulumiSubjects []string
				for _, stack := range env.Stacks {
					pulumiSubjects = append(pulumiSubjects, fmt.Sprintf("pulumi:deploy:org:%s:project:%s:stack:%s:operation:%s:scope:write",
						args.PulumiOrg, args.Project, stack, pulumiOp))
				}
				statements := []statement{
					webIdentity("PulumiDeployments", arns[0], "api.pulumi.com/oidc", args.PulumiOrg, pulumiSubjects),
					webIdentity("GitHubActions", arns[1], "token.actions.githubusercontent.com", STSAudience, githubSubjects),
				}
				if len(arns) > 2 {
					statements = append(statements, webIdentity("GitLabPipelines", arns[2], strings.TrimPrefix(gitlabIssuer, "https://"), STSAudience, gitlabSubjects))
				}
				return policyDocument(statements...)
			}).(pulumi.StringOutput)
		}
		gitlab := "project_path:" + args.GitLabProject + ":ref_type:branch:ref:"
		repo := "repo:" + args.GitHubRepository
		previewRole, err := iam.NewRole(ctx, name+"-"+env.Name+"-preview", &iam.RoleArgs{
			Name:               pulumi.String(DeliveryRoleName(args.Project, env.Name, PreviewRole)),
			Description:        pulumi.String("Read-only previews of the " + env.Name + " stacks (pull requests, Pulumi Deployments previews)"),
			AssumeRolePolicy:   trust("preview", []string{repo + ":pull_request"}, []string{gitlab + "*"}),
			MaxSessionDuration: pulumi.Int(3600),
		}, parent)
		if err != nil {
			return nil, fmt.Errorf("creating delivery identity %s: preview role of %s: %w", name, env.Name, err)
		}
		if _, err := iam.NewRolePolicyAttachment(ctx, name+"-"+env.Name+"-preview-read", &iam.RolePolicyAttachmentArgs{
			Role: previewRole.Name, PolicyArn: pulumi.String(managedPolicy(args.Partition, "ReadOnlyAccess")),
		}, parent); err != nil {
			return nil, fmt.Errorf("creating delivery identity %s: preview policy of %s: %w", name, env.Name, err)
		}
		deployRole, err := iam.NewRole(ctx, name+"-"+env.Name+"-deploy", &iam.RoleArgs{
			Name:        pulumi.String(DeliveryRoleName(args.Project, env.Name, DeployRole)),
			Description: pulumi.String("Deployments of the " + env.Name + " stacks (Pulumi Deployments, the " + env.Name + " GitHub environment)"),
			// Any Pulumi operation on the environment's stacks, or a workflow job bound to its GitHub environment.
			AssumeRolePolicy:   trust("*", []string{repo + ":environment:" + env.Name}, []string{gitlab + deployBranch}),
			MaxSessionDuration: pulumi.Int(7200),
		}, parent)
		if err != nil {
			return nil, fmt.Errorf("creating delivery identity %s: deploy role of %s: %w", name, env.Name, err)
		}
		if _, err := iam.NewRolePolicyAttachment(ctx, name+"-"+env.Name+"-deploy-power", &iam.RolePolicyAttachmentArgs{
			Role: deployRole.Name, PolicyArn: pulumi.String(managedPolicy(args.Partition, "PowerUserAccess")),
		}, parent); err != nil {
			return nil, fmt.Errorf("creating delivery identity %s: deploy policy of %s: %w", name, env.Name, err)
		}
		if _, err := iam.NewRolePolicy(ctx, name+"-"+env.Name+"-deploy-iam", &iam.RolePolicyArgs{
			Role:   deployRole.ID(),
			Policy: pulumi.String(deployIAMPolicy(args.Partition, args.AccountID, env.Name)),
		}, parent); err != nil {
			return nil, fmt.Errorf("creating delivery identity %s: IAM scope of %s: %w", name, env.Name, err)
		}
		preview[env.Name] = previewRole.Arn
		deploy[env.Name] = deployRole.Arn
	}
	d.PreviewRoleARNs = preview.ToStringMapOutput()
	d.DeployRoleARNs = deploy.ToStringMapOutput()
	if err := ctx.RegisterResourceOutputs(d, pulumi.Map{"previewRoleArns": d.PreviewRoleARNs, "deployRoleArns": d.DeployRoleARNs}); err != nil {
		return nil, fmt.Errorf("registering outputs of delivery identity %s: %w", name, err)
	}
	return d, nil
}

// webIdentity lets the holders of an OIDC provider's tokens with the audience and one of the subjects assume
// the role (IAM names the condition keys after the issuer's host and path).
func webIdentity(sid, providerARN, issuerKey, audience string, subjects []string) statement {
	return statement{Sid: sid, Effect: "Allow", Principal: map[string]any{"Federated": providerARN},
		Action: "sts:AssumeRoleWithWebIdentity", Condition: map[string]any{
			"StringEquals": map[string]any{issuerKey + ":aud": audience},
			"StringLike":   map[string]any{issuerKey + ":sub": subjects},
		}}
}

// Kinds of delivery role.
const (
	// PreviewRole runs read-only previews (pull requests).
	PreviewRole = "preview"
	// DeployRole runs updates.
	DeployRole = "deploy"
)

// DeliveryRoleName is the name of an environment's delivery role of the given kind; platforms use it to grant
// those roles cluster access.
func DeliveryRoleName(project, environment, kind string) string {
	return project + "-" + environment + "-" + kind
}

// deployIAMPolicy is the IAM the deploy role needs on top of PowerUserAccess (which excludes IAM): only the
// environment's own roles and policies (the program names them <environment>-…), the EKS OIDC providers and the
// service-linked roles EKS and load balancers create.
func deployIAMPolicy(partition, account, env string) string {
	arn := func(kind, name string) string {
		return fmt.Sprintf("arn:%s:iam::%s:%s/%s", partition, account, kind, name)
	}
	return policyDocument(
		statement{Sid: "EnvironmentRoles", Effect: "Allow", Action: []string{
			"iam:CreateRole", "iam:DeleteRole", "iam:GetRole", "iam:UpdateRole", "iam:UpdateAssumeRolePolicy", "iam:TagRole",
			"iam:UntagRole", "iam:PassRole", "iam:AttachRolePolicy", "iam:DetachRolePolicy", "iam:PutRolePolicy",
			"iam:DeleteRolePolicy", "iam:GetRolePolicy", "iam:ListRolePolicies", "iam:ListAttachedRolePolicies",
			"iam:ListInstanceProfilesForRole",
		}, Resource: []string{arn("role", env+"-*")}},
		statement{Sid: "EnvironmentPolicies", Effect: "Allow", Action: []string{
			"iam:CreatePolicy", "iam:DeletePolicy", "iam:GetPolicy", "iam:GetPolicyVersion", "iam:CreatePolicyVersion",
			"iam:DeletePolicyVersion", "iam:ListPolicyVersions", "iam:TagPolicy",
		}, Resource: []string{arn("policy", env+"-*")}},
		statement{Sid: "ClusterOIDCProviders", Effect: "Allow", Action: []string{
			"iam:CreateOpenIDConnectProvider", "iam:DeleteOpenIDConnectProvider", "iam:GetOpenIDConnectProvider",
			"iam:TagOpenIDConnectProvider", "iam:UpdateOpenIDConnectProviderThumbprint",
		}, Resource: []string{arn("oidc-provider", "oidc.eks.*")}},
		statement{Sid: "ServiceLinkedRoles", Effect: "Allow", Action: "iam:CreateServiceLinkedRole", Resource: "*",
			Condition: map[string]any{"StringLike": map[string]any{"iam:AWSServiceName": []string{
				"eks.amazonaws.com", "eks-nodegroup.amazonaws.com", "elasticloadbalancing.amazonaws.com", "autoscaling.amazonaws.com",
			}}}},
	)
}
