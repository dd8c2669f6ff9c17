package image

import (
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/wechat-deploy/wechat-deploy/components/componenttest"
	"github.com/wechat-deploy/wechat-deploy/components/platform"
)

// testRegistry is go-containerregistry's implementation of the OCI distribution API behind HTTP basic auth (as
// ECR and ACR answer a push with the credentials their token APIs hand out), counting the requests it serves.
type testRegistry struct {
	srv      *httptest.Server
	mu       sync.Mutex
	requests []string
}

const (
	testUser     = "AWS"
	testPassword = "push-token-Zm9vYmFyYmF6"
)

func newTestRegistry(t *testing.T) *testRegistry {
	t.Helper()
	r := &testRegistry{}
	inner := registry.New(registry.Logger(log.New(io.Discard, "", 0)))
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		r.mu.Lock()
		r.requests = append(r.requests, req.Method+" "+req.URL.Path)
		r.mu.Unlock()
		if u, p, ok := req.BasicAuth(); !ok || u != testUser || p != testPassword {
			w.Header().Set("WWW-Authenticate", `Basic realm="test"`)
			http.Error(w, `{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}`, http.StatusUnauthorized)
			return
		}
		inner.ServeHTTP(w, req)
	}))
	t.Cleanup(r.srv.Close)
	return r
}

// repo is the repository URL as the platforms output it (host/path, no scheme).
func (r *testRegistry) repo() string { return strings.TrimPrefix(r.srv.URL, "http://") + "/wechat-api" }

// uploads counts blob uploads started since the registry began.
func (r *testRegistry) uploads() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, q := range r.requests {
		if strings.HasPrefix(q, "POST ") && strings.HasSuffix(q, "/blobs/uploads/") {
			n++
		}
	}
	return n
}

func (r *testRegistry) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.requests)
}

func goImage(t *testing.T, reg *testRegistry, password string, preview bool) (*componenttest.Result, *GoImage, error) {
	t.Helper()
	root, _ := filepath.Abs("../..")
	var img *GoImage
	res, err := componenttest.Run(componenttest.Options{Project: "p", Stack: "s", Preview: preview}, func(ctx *pulumi.Context) error {
		var err error
		img, err = NewGoImage(ctx, "app", &GoImageArgs{
			Build:      GoBuild{Root: root, Package: "./infra/sandbox/pause", Binary: "/pause"},
			Repository: pulumi.String(reg.repo()),
			Registry: platform.Registry{
				Server:   pulumi.String(strings.TrimPrefix(reg.srv.URL, "http://")).ToStringOutput(),
				Username: pulumi.String(testUser).ToStringOutput(),
				Password: pulumi.ToSecret(pulumi.String(password)).(pulumi.StringOutput),
			},
		})
		if err != nil {
			return err
		}
		_, err = componenttest.Await(img.RepoDigest)
		return err
	})
	return res, img, err
}

// TestGoImagePushesByDigest pushes to a real registry implementation: the manifest the registry serves under the
// tag and under the digest is the one built, the reference to deploy names that digest and is not secret, a
// second push uploads no blob, and a preview pushes nothing yet already knows the digest.
func TestGoImagePushesByDigest(t *testing.T) {
	if testing.Short() {
		t.Skip("compiles a program")
	}
	reg := newTestRegistry(t)

	_, img, err := goImage(t, reg, testPassword, true)
	if err != nil {
		t.Fatal(err)
	}
	if reg.count() != 0 {
		t.Errorf("a preview sent %d requests to the registry", reg.count())
	}
	got, _ := componenttest.Await(img.RepoDigest)
	if got.Value != reg.repo()+"@"+img.Digest {
		t.Errorf("preview reference %v, want %s@%s", got.Value, reg.repo(), img.Digest)
	}

	_, img, err = goImage(t, reg, testPassword, false)
	if err != nil {
		t.Fatal(err)
	}
	got, _ = componenttest.Await(img.RepoDigest)
	if got.Value != reg.repo()+"@"+img.Digest || got.Secret || !got.Known {
		t.Errorf("reference %+v, want %s@%s, known and not secret", got, reg.repo(), img.Digest)
	}
	if !strings.HasPrefix(img.Tag, "sha256-") || !strings.Contains(img.Digest, strings.TrimPrefix(img.Tag, "sha256-")) {
		t.Errorf("tag %q does not derive from digest %s", img.Tag, img.Digest)
	}
	auth := remote.WithAuth(&authn.Basic{Username: testUser, Password: testPassword})
	for _, ref := range []string{reg.repo() + ":" + img.Tag, reg.repo() + "@" + img.Digest} {
		r, err := name.ParseReference(ref)
		if err != nil {
			t.Fatal(err)
		}
		desc, err := remote.Get(r, auth)
		if err != nil {
			t.Fatalf("the registry does not serve %s: %v", ref, err)
		}
		if desc.Digest.String() != img.Digest {
			t.Errorf("%s is %s, built %s", ref, desc.Digest, img.Digest)
		}
		pulled, err := desc.Image()
		if err != nil {
			t.Fatal(err)
		}
		if cf, err := pulled.ConfigFile(); err != nil || cf.Config.User != "65532:65532" {
			t.Errorf("pulled config %+v, %v", cf, err)
		}
	}
	first := reg.uploads()
	if first == 0 {
		t.Fatal("no blob was uploaded")
	}
	if _, _, err := goImage(t, reg, testPassword, false); err != nil {
		t.Fatal(err)
	}
	if again := reg.uploads() - first; again != 0 {
		t.Errorf("pushing the same image again started %d uploads", again)
	}
}

// TestGoImagePushFailure: a refused push fails the update, names the image and the registry, and never prints
// the password.
func TestGoImagePushFailure(t *testing.T) {
	if testing.Short() {
		t.Skip("compiles a program")
	}
	reg := newTestRegistry(t)
	_, _, err := goImage(t, reg, "wrong-password-Zm9vYmFy", false)
	if err == nil {
		t.Fatal("a push with a wrong password succeeded")
	}
	if msg := err.Error(); !strings.Contains(msg, "pushing image app to "+reg.repo()) || strings.Contains(msg, "wrong-password-Zm9vYmFy") {
		t.Errorf("error %q: want the image and registry named, the password absent", msg)
	}
}

func TestGoImageRefusesBadArgs(t *testing.T) {
	reg := platform.Registry{}
	for name, args := range map[string]*GoImageArgs{
		"no args":       nil,
		"no repository": {Build: GoBuild{Package: "./app/cmd/server", Binary: "/server"}},
		"no package":    {Repository: pulumi.String("r")},
		"latest tag":    {Build: GoBuild{Package: "./x", Binary: "/x"}, Repository: pulumi.String("r"), Tag: "latest", Registry: reg},
	} {
		_, err := componenttest.Run(componenttest.Options{Project: "p", Stack: "s"}, func(ctx *pulumi.Context) error {
			_, err := NewGoImage(ctx, "app", args)
			return err
		})
		if err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}
