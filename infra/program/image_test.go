package program

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/wechat-deploy/wechat-deploy/components/componenttest"
	"github.com/wechat-deploy/wechat-deploy/components/image"
)

// builds memoizes the app's build for the package's many stack runs: each would otherwise link the server again.
var builds sync.Map // fmt of image.GoBuild → *memoBuild

type memoBuild struct {
	once sync.Once
	img  v1.Image
	err  error
}

func memoizedBuild(ctx context.Context, g image.GoBuild) (v1.Image, error) {
	m, _ := builds.LoadOrStore(fmt.Sprintf("%+v", g), &memoBuild{})
	mb := m.(*memoBuild)
	mb.once.Do(func() { mb.img, mb.err = g.Build(ctx) })
	return mb.img, mb.err
}

// builtArch is the architecture in the config of the image ref (name@digest) this test binary built.
func builtArch(t *testing.T, ref string) string {
	t.Helper()
	arch := ""
	builds.Range(func(_, v any) bool {
		mb := v.(*memoBuild)
		if mb.img == nil {
			return true
		}
		if d, err := mb.img.Digest(); err == nil && strings.HasSuffix(ref, "@"+d.String()) {
			cf, err := mb.img.ConfigFile()
			if err != nil {
				t.Fatal(err)
			}
			arch = cf.Architecture
		}
		return arch == ""
	})
	if arch == "" {
		t.Fatalf("%s is no image this test built", ref)
	}
	return arch
}

// push is one push the program asked for.
type push struct {
	Ref, User, Password, Digest string
	Build                       image.GoBuild
}

// pushes records pushes instead of reaching a registry.
type pushes struct {
	mu   sync.Mutex
	list []push
}

func (p *pushes) push(_ context.Context, ref name.Tag, img v1.Image, auth authn.Authenticator) error {
	cfg, err := auth.Authorization()
	if err != nil {
		return err
	}
	d, err := img.Digest()
	if err != nil {
		return err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.list = append(p.list, push{Ref: ref.String(), User: cfg.Username, Password: cfg.Password, Digest: d.String()})
	return nil
}

// testProgram is New for tests: the app is built for real (once per recipe) and pushes are recorded in rec
// (nil: discarded).
func testProgram(rec *pushes, opts ...Option) *Program {
	if rec == nil {
		rec = &pushes{}
	}
	return New(append([]Option{WithImageBuild(memoizedBuild), WithImagePush(rec.push)}, opts...)...)
}

// TestCloudStacksPushTheirImageByDigest: every cloud stack builds the app without Docker, pushes it to the
// registry its platform created with the credentials that registry's token API returned, and deploys exactly
// the pushed digest (through the VPC endpoint on ACK).
func TestCloudStacksPushTheirImageByDigest(t *testing.T) {
	for _, stack := range []string{"dev", "dev-cn"} {
		t.Run(stack, func(t *testing.T) {
			rec := &pushes{}
			opts, err := componenttest.StackOptions(root, stack, fakeSecrets(t))
			if err != nil {
				t.Fatal(err)
			}
			res, err := componenttest.Run(opts, func(ctx *pulumi.Context) error {
				_, err := testProgram(rec).Deploy(ctx)
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			if len(rec.list) != 1 {
				t.Fatalf("%d pushes, want 1: %+v", len(rec.list), rec.list)
			}
			p := rec.list[0]
			if n := len(res.Find("docker:index/image:Image")); n != 0 {
				t.Errorf("%d docker images registered: the go builder needs no Docker", n)
			}
			var repo, user string
			switch stack {
			case "dev":
				repo = res.MustOne(t, "aws:ecr/repository:Repository", "dev").Outputs["repositoryUrl"].StringValue()
				user = "AWS" // what ecr:GetAuthorizationToken's token decodes to
			case "dev-cn":
				user = "cr_temp_user" // the instance's temporary user, from cs/getRegistryEnterpriseInstances
			}
			if repo != "" && !strings.HasPrefix(p.Ref, repo+":") {
				t.Errorf("pushed %s, not to the platform's repository %s", p.Ref, repo)
			}
			if p.User != user || p.Password == "" {
				t.Errorf("pushed as %q (password %t), want %q", p.User, p.Password != "", user)
			}
			dep := res.MustOne(t, "kubernetes:apps/v1:Deployment", "wechat-api-deployment")
			img := dep.Str("spec.template.spec.containers[0].image")
			if !strings.HasSuffix(img, "@"+p.Digest) {
				t.Errorf("deployed %s, pushed %s", img, p.Digest)
			}
			if strings.Contains(img, p.Password) {
				t.Error("the deployed reference holds the registry password")
			}
		})
	}
}

func TestWithRootBuildsFromTheRepository(t *testing.T) {
	repo, err := filepath.Abs(root)
	if err != nil {
		t.Fatal(err)
	}
	opts, err := componenttest.StackOptions(root, "dev", fakeSecrets(t))
	if err != nil {
		t.Fatal(err)
	}
	opts.Root = t.TempDir() // where the engine would run: holds no app/
	var got []image.GoBuild
	var mu sync.Mutex
	build := func(ctx context.Context, g image.GoBuild) (v1.Image, error) {
		mu.Lock()
		got = append(got, g)
		mu.Unlock()
		return memoizedBuild(ctx, g)
	}
	_, err = componenttest.Run(opts, func(ctx *pulumi.Context) error {
		_, err := testProgram(nil, WithRoot(repo), WithImageBuild(build)).Deploy(ctx)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].Root != repo || got[0].Package != "./app/cmd/server" || got[0].Binary != "/server" || got[0].Arch != "amd64" {
		t.Errorf("builds %+v, want ./app/cmd/server in %s for amd64", got, repo)
	}
}
