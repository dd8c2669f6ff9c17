// Package program is the bootstrap program: it reads its config and registers the delivery identity.
package program

import (
	"fmt"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/config"

	awsc "github.com/wechat-deploy/wechat-deploy/components/aws"
)

// Project is the main project whose stacks the roles serve.
const Project = "wechat-deploy"

// Run registers the delivery identity and exports the role ARNs.
func Run(ctx *pulumi.Context) error {
	cfg := config.New(ctx, "")
	org, err := cfg.Try("pulumiOrg")
	if err != nil {
		return fmt.Errorf("infra/bootstrap/Pulumi.%s.yaml: wechat-deploy-bootstrap:pulumiOrg is required: %w", ctx.Stack(), err)
	}
	repo, err := cfg.Try("githubRepository")
	if err != nil {
		return fmt.Errorf("infra/bootstrap/Pulumi.%s.yaml: wechat-deploy-bootstrap:githubRepository is required (owner/name): %w", ctx.Stack(), err)
	}
	var envs []string
	if err := cfg.TryObject("environments", &envs); err != nil || len(envs) == 0 {
		envs = []string{"dev", "staging", "prod"}
	}
	region := cfg.Get("region")
	if region == "" {
		region = "ap-southeast-1"
	}
	provider, err := aws.NewProvider(ctx, "aws", &aws.ProviderArgs{Region: pulumi.String(region)})
	if err != nil {
		return err
	}
	caller, err := aws.GetCallerIdentity(ctx, nil, pulumi.Provider(provider))
	if err != nil {
		return fmt.Errorf("reading the AWS account: %w", err)
	}
	partition, err := aws.GetPartition(ctx, nil, pulumi.Provider(provider))
	if err != nil {
		return fmt.Errorf("reading the AWS partition: %w", err)
	}
	var environments []awsc.DeliveryEnvironment
	for _, e := range envs {
		environments = append(environments, awsc.DeliveryEnvironment{Name: e, Stacks: []string{e}})
	}
	d, err := awsc.NewDeliveryIdentity(ctx, "delivery", &awsc.DeliveryIdentityArgs{
		PulumiOrg: org, Project: Project, GitHubRepository: repo, Environments: environments,
		// Optional: a GitLab project whose pipelines preview and deploy with id_tokens (.gitlab-ci.yml).
		GitLabProject: cfg.Get("gitlabProject"), GitLabURL: cfg.Get("gitlabUrl"),
		Partition: partition.Partition, AccountID: caller.AccountId,
	}, pulumi.Provider(provider))
	if err != nil {
		return err
	}
	ctx.Export("previewRoleArns", d.PreviewRoleARNs)
	ctx.Export("deployRoleArns", d.DeployRoleARNs)
	return nil
}
