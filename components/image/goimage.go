package image

import (
	"context"
	"fmt"
	"strings"

	"github.com/google/go-containerregistry/pkg/authn"
	ref "github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/wechat-deploy/wechat-deploy/components/platform"
)

// GoImageType is the type token of the GoImage component.
const GoImageType = "wechat-deploy:image:GoImage"

// Pusher writes img to ref (a tag) with auth. RemotePush is the real one; tests record or fail pushes.
type Pusher func(ctx context.Context, tag ref.Tag, img v1.Image, auth authn.Authenticator) error

// RemotePush pushes with the registry API (go-containerregistry's remote.Write): blobs the registry already
// holds are skipped, and the manifest is put under the tag, so pushing the same image twice uploads nothing.
func RemotePush(ctx context.Context, tag ref.Tag, img v1.Image, auth authn.Authenticator) error {
	return remote.Write(tag, img, remote.WithAuth(auth), remote.WithContext(ctx))
}

// GoImageArgs configure a daemonless build and push.
type GoImageArgs struct {
	// Build compiles the main package and assembles the image (no Docker daemon: what Pulumi Deployments'
	// executor and any machine with only Go can run).
	Build GoBuild
	// Repository is the image repository URL (registry host and path, no tag).
	Repository pulumi.StringInput
	// Tag is the immutable tag pushed beside the digest; empty derives it from the digest ("sha256-<12 hex>").
	Tag string
	// Registry holds the push credentials (the password stays secret).
	Registry platform.Registry
	// Push writes the image (default RemotePush).
	Push Pusher
	// BuildFunc runs Build (default GoBuild.Build); tests that build the same app for many stacks memoize it.
	BuildFunc func(context.Context, GoBuild) (v1.Image, error)
}

// GoImage is an image built in process and pushed by digest.
type GoImage struct {
	pulumi.ResourceState

	// Digest is the image's manifest digest (sha256:…), known before anything is pushed: the build is
	// reproducible, so a preview shows the digest an update will deploy.
	Digest string `pulumi:"-"`
	// Tag is the tag the image is pushed with.
	Tag string `pulumi:"-"`
	// RepoDigest is repository@sha256:..., the reference to deploy; it resolves once the push has completed
	// (in a preview, without pushing).
	RepoDigest pulumi.StringOutput `pulumi:"repoDigest"`
}

// NewGoImage builds the image now (a preview needs its digest) and pushes it when the repository and the
// credentials are known during an update. The push is content-addressed and idempotent, which is what makes it
// safe outside a resource provider: a retried or repeated update pushes the same bytes under the same digest.
func NewGoImage(ctx *pulumi.Context, name string, args *GoImageArgs, opts ...pulumi.ResourceOption) (*GoImage, error) {
	if args == nil || args.Repository == nil || args.Build.Package == "" {
		return nil, fmt.Errorf("creating image %s: %w: package and repository are required", name, ErrInvalidArgs)
	}
	if args.Tag != "" && (args.Tag == "latest" || !tagPattern.MatchString(args.Tag)) {
		return nil, fmt.Errorf("creating image %s: %w: tag %q is not an immutable tag", name, ErrInvalidArgs, args.Tag)
	}
	build := args.BuildFunc
	if build == nil {
		build = func(ctx context.Context, g GoBuild) (v1.Image, error) { return g.Build(ctx) }
	}
	img, err := build(ctx.Context(), args.Build)
	if err != nil {
		return nil, fmt.Errorf("creating image %s: %w", name, err)
	}
	digest, err := img.Digest()
	if err != nil {
		return nil, fmt.Errorf("creating image %s: digest: %w", name, err)
	}
	tag := args.Tag
	if tag == "" {
		tag = "sha256-" + digest.Hex[:12]
	}
	push := args.Push
	if push == nil {
		push = RemotePush
	}
	c := &GoImage{Digest: digest.String(), Tag: tag}
	if err := ctx.RegisterComponentResource(GoImageType, name, c, opts...); err != nil {
		return nil, fmt.Errorf("registering image %s: %w", name, err)
	}
	reg := args.Registry
	pushed := pulumi.All(args.Repository, reg.Server, reg.Username, reg.Password).ApplyTWithContext(ctx.Context(),
		func(pctx context.Context, v []any) (string, error) {
			repo := strings.TrimSuffix(v[0].(string), "/")
			pinned := repo + "@" + digest.String()
			if ctx.DryRun() {
				return pinned, nil
			}
			t, err := ref.NewTag(repo + ":" + tag)
			if err != nil {
				return "", fmt.Errorf("pushing image %s: repository %q: %w", name, repo, err)
			}
			auth := &authn.Basic{Username: v[2].(string), Password: v[3].(string)}
			if err := push(pctx, t, img, auth); err != nil {
				return "", fmt.Errorf("pushing image %s to %s: %w", name, t, err)
			}
			return pinned, nil
		}).(pulumi.StringOutput)
	// The reference holds no credential: only the password made the result secret.
	c.RepoDigest = pulumi.Unsecret(pushed).(pulumi.StringOutput)
	if err := ctx.RegisterResourceOutputs(c, pulumi.Map{"repoDigest": c.RepoDigest}); err != nil {
		return nil, fmt.Errorf("registering outputs of image %s: %w", name, err)
	}
	return c, nil
}
