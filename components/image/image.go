// Package image builds the app's image from its Dockerfile and pushes it to the platform's registry, exposing
// the pushed repo digest: workloads deploy that immutable reference, never a tag.
package image

import (
	"errors"
	"fmt"
	"regexp"

	"github.com/pulumi/pulumi-docker/sdk/v4/go/docker"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/wechat-deploy/wechat-deploy/components/platform"
)

// ImageType is the type token of the Image component.
const ImageType = "wechat-deploy:image:Image"

// ImageArgs configure a build.
type ImageArgs struct {
	// Context and Dockerfile are paths on the machine running the program.
	Context, Dockerfile string
	// Platform is the target platform, e.g. linux/amd64.
	Platform string
	// Repository is the image repository URL (registry host and path, no tag).
	Repository pulumi.StringInput
	// Tag is the immutable tag; empty derives it from the content (see ContentTag).
	Tag string
	// Registry holds the push credentials.
	Registry platform.Registry
	// CacheFrom lists image references to reuse layers from (typically the previously deployed image).
	CacheFrom pulumi.StringArrayInput
}

// Image is a built and pushed image.
type Image struct {
	pulumi.ResourceState

	// Tag is the tag the image was pushed with.
	Tag string `pulumi:"-"`
	// ImageName is repository:tag.
	ImageName pulumi.StringOutput `pulumi:"imageName"`
	// RepoDigest is repository@sha256:..., the reference to deploy.
	RepoDigest pulumi.StringOutput `pulumi:"repoDigest"`
}

var (
	tagPattern = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$`)
	// ErrInvalidArgs is wrapped by every argument validation error.
	ErrInvalidArgs = errors.New("invalid image arguments")
)

// NewImage validates args, derives the tag and registers the build.
func NewImage(ctx *pulumi.Context, name string, args *ImageArgs, opts ...pulumi.ResourceOption) (*Image, error) {
	if args == nil || args.Context == "" || args.Dockerfile == "" || args.Repository == nil {
		return nil, fmt.Errorf("creating image %s: %w: context, dockerfile and repository are required", name, ErrInvalidArgs)
	}
	tag := args.Tag
	if tag == "" {
		var err error
		if tag, err = ContentTag(args.Context, args.Dockerfile); err != nil {
			return nil, fmt.Errorf("creating image %s: %w", name, err)
		}
	}
	if tag == "latest" || !tagPattern.MatchString(tag) {
		return nil, fmt.Errorf("creating image %s: %w: tag %q is not an immutable tag", name, ErrInvalidArgs, tag)
	}
	img := &Image{Tag: tag}
	if err := ctx.RegisterComponentResource(ImageType, name, img, opts...); err != nil {
		return nil, fmt.Errorf("registering image %s: %w", name, err)
	}
	imageName := pulumi.Sprintf("%s:%s", args.Repository, tag)
	build := &docker.DockerBuildArgs{
		Context:        pulumi.String(args.Context),
		Dockerfile:     pulumi.String(args.Dockerfile),
		Platform:       pulumi.String(args.Platform),
		BuilderVersion: docker.BuilderVersionBuilderBuildKit,
		// Inline cache metadata lets the next build use this image as its cache.
		Args: pulumi.StringMap{"BUILDKIT_INLINE_CACHE": pulumi.String("1")},
	}
	if args.CacheFrom != nil {
		build.CacheFrom = &docker.CacheFromArgs{Images: args.CacheFrom}
	}
	built, err := docker.NewImage(ctx, name, &docker.ImageArgs{
		ImageName: imageName,
		Build:     build,
		Registry: &docker.RegistryArgs{
			Server:   args.Registry.Server,
			Username: args.Registry.Username,
			Password: pulumi.ToSecret(args.Registry.Password).(pulumi.StringOutput),
		},
		SkipPush: pulumi.Bool(false),
	}, pulumi.Parent(img))
	if err != nil {
		return nil, fmt.Errorf("building image %s: %w", name, err)
	}
	img.ImageName = built.ImageName
	img.RepoDigest = built.RepoDigest
	if err := ctx.RegisterResourceOutputs(img, pulumi.Map{"imageName": img.ImageName, "repoDigest": img.RepoDigest}); err != nil {
		return nil, fmt.Errorf("registering outputs of image %s: %w", name, err)
	}
	return img, nil
}
