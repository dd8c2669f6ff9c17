package aws

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ecr"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/kms"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/wechat-deploy/wechat-deploy/components/platform"
)

// RegistryType is the type token of the Registry component.
const RegistryType = "wechat-deploy:aws:Registry"

// RegistryArgs configure the ECR repository.
type RegistryArgs struct {
	// RepositoryName is the ECR repository name.
	RepositoryName string
	// KeepImages is how many images the lifecycle policy keeps.
	KeepImages int
	// Protect protects the repository and its key.
	Protect bool
}

// Registry is an ECR repository with scan on push, immutable tags, KMS encryption and a lifecycle policy.
type Registry struct {
	pulumi.ResourceState

	RepositoryURL pulumi.StringOutput `pulumi:"repositoryUrl"`
	// Credentials push to the registry; the password is a secret ECR authorization token (12 hours).
	Credentials platform.Registry `pulumi:"-"`
}

// LifecyclePolicy keeps the newest keep images and expires untagged ones after a day.
func LifecyclePolicy(keep int) string {
	doc := map[string]any{"rules": []map[string]any{
		{
			"rulePriority": 1,
			"description":  "Expire untagged images after one day",
			"selection":    map[string]any{"tagStatus": "untagged", "countType": "sinceImagePushed", "countUnit": "days", "countNumber": 1},
			"action":       map[string]string{"type": "expire"},
		},
		{
			"rulePriority": 2,
			"description":  fmt.Sprintf("Keep the last %d images", keep),
			"selection":    map[string]any{"tagStatus": "any", "countType": "imageCountMoreThan", "countNumber": keep},
			"action":       map[string]string{"type": "expire"},
		},
	}}
	b, _ := json.Marshal(doc)
	return string(b)
}

// NewRegistry validates args and registers the repository.
func NewRegistry(ctx *pulumi.Context, name string, args *RegistryArgs, opts ...pulumi.ResourceOption) (*Registry, error) {
	if args == nil || args.RepositoryName == "" || args.KeepImages < 1 {
		return nil, fmt.Errorf("creating ECR repository %s: %w: a repository name and keepImages >= 1 are required", name, ErrInvalidArgs)
	}
	r := &Registry{}
	if err := ctx.RegisterComponentResource(RegistryType, name, r, opts...); err != nil {
		return nil, fmt.Errorf("registering ECR repository %s: %w", name, err)
	}
	parent := pulumi.Parent(r)
	key, err := kms.NewKey(ctx, name+"-key", &kms.KeyArgs{
		Description:          pulumi.String("Encryption of ECR repository " + args.RepositoryName),
		EnableKeyRotation:    pulumi.Bool(true),
		DeletionWindowInDays: pulumi.Int(30),
	}, parent, pulumi.Protect(args.Protect))
	if err != nil {
		return nil, fmt.Errorf("creating ECR repository (%s): key: %w", name, err)
	}
	repo, err := ecr.NewRepository(ctx, name, &ecr.RepositoryArgs{
		Name:                       pulumi.String(args.RepositoryName),
		ImageTagMutability:         pulumi.String("IMMUTABLE"),
		ImageScanningConfiguration: &ecr.RepositoryImageScanningConfigurationArgs{ScanOnPush: pulumi.Bool(true)},
		EncryptionConfigurations: ecr.RepositoryEncryptionConfigurationArray{ecr.RepositoryEncryptionConfigurationArgs{
			EncryptionType: pulumi.String("KMS"), KmsKey: key.Arn,
		}},
		ForceDelete: pulumi.Bool(false),
	}, parent, pulumi.Protect(args.Protect))
	if err != nil {
		return nil, fmt.Errorf("creating ECR repository (%s): %w", name, err)
	}
	if _, err := ecr.NewLifecyclePolicy(ctx, name+"-lifecycle", &ecr.LifecyclePolicyArgs{
		Repository: repo.Name, Policy: pulumi.String(LifecyclePolicy(args.KeepImages)),
	}, parent); err != nil {
		return nil, fmt.Errorf("creating ECR lifecycle policy (%s): %w", name, err)
	}
	token := ecr.GetAuthorizationTokenOutput(ctx, ecr.GetAuthorizationTokenOutputArgs{RegistryId: repo.RegistryId}, pulumi.Parent(r))
	r.RepositoryURL = repo.RepositoryUrl
	r.Credentials = platform.Registry{
		Server: repo.RepositoryUrl.ApplyT(func(u string) string {
			host, _, _ := strings.Cut(u, "/")
			return host
		}).(pulumi.StringOutput),
		Username: token.UserName(),
		Password: pulumi.ToSecret(token.Password()).(pulumi.StringOutput),
	}
	if err := ctx.RegisterResourceOutputs(r, pulumi.Map{"repositoryUrl": r.RepositoryURL}); err != nil {
		return nil, fmt.Errorf("registering outputs of ECR repository %s: %w", name, err)
	}
	return r, nil
}
