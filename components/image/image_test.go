package image

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/wechat-deploy/wechat-deploy/components/componenttest"
	"github.com/wechat-deploy/wechat-deploy/components/platform"
)

// tree writes files under a temp dir and returns it.
func tree(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, body := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func base() map[string]string {
	return map[string]string{
		".dockerignore":             "*\n!go.mod\n!go.sum\n!app\napp/**/*_test.go\napp/**/testdata\n",
		"go.mod":                    "module x\n",
		"go.sum":                    "",
		"app/main.go":               "package main\n",
		"app/Dockerfile":            "FROM scratch\n",
		"app/internal/x/x_test.go":  "package x\n",
		"app/internal/x/testdata/a": "fixture",
		"infra/main.go":             "package main\n",
		"README.md":                 "docs\n",
	}
}

func tag(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := tree(t, files)
	tg, err := ContentTag(dir, filepath.Join(dir, "app/Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	return tg
}

func TestContentTag(t *testing.T) {
	ref := tag(t, base())
	if !strings.HasPrefix(ref, "c-") || len(ref) != 18 || ref != tag(t, base()) {
		t.Fatalf("tag %q is not stable", ref)
	}
	tests := []struct {
		name    string
		edit    func(m map[string]string)
		changes bool
	}{
		{"app code", func(m map[string]string) { m["app/main.go"] = "package main // v2\n" }, true},
		{"dependencies", func(m map[string]string) { m["go.sum"] = "x v1 h1:abc\n" }, true},
		{"dockerfile", func(m map[string]string) { m["app/Dockerfile"] = "FROM scratch\nUSER 65532\n" }, true},
		{"new app file", func(m map[string]string) { m["app/extra.go"] = "package main\n" }, true},
		{"infrastructure", func(m map[string]string) { m["infra/main.go"] = "package main // changed\n" }, false},
		{"docs", func(m map[string]string) { m["README.md"] = "more docs\n" }, false},
		{"app tests", func(m map[string]string) { m["app/internal/x/x_test.go"] = "package x // more\n" }, false},
		{"test fixtures", func(m map[string]string) { m["app/internal/x/testdata/a"] = "changed" }, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := base()
			tt.edit(m)
			if got := tag(t, m); (got != ref) != tt.changes {
				t.Errorf("tag changed = %v, want %v", got != ref, tt.changes)
			}
		})
	}
}

func TestRepositoryDockerignoreKeepsOnlyTheApp(t *testing.T) {
	ig, err := readDockerignore("../..")
	if err != nil {
		t.Fatal(err)
	}
	for path, excluded := range map[string]bool{
		"go.mod": false, "app/cmd/server/main.go": false, "app/Dockerfile": true, "infra/program/program.go": true,
		"app/internal/handler/handler_test.go": true, "stacks/Pulumi.prod.yaml": true, ".git/config": true,
	} {
		if ig.match(path) != excluded {
			t.Errorf("%s excluded = %v, want %v", path, !excluded, excluded)
		}
	}
}

func TestImage(t *testing.T) {
	dir := tree(t, base())
	res, img := componenttest.Component(t, componenttest.Options{Project: "p", Stack: "s"}, func(ctx *pulumi.Context) (*Image, error) {
		return NewImage(ctx, "app", &ImageArgs{
			Context: dir, Dockerfile: filepath.Join(dir, "app/Dockerfile"), Platform: "linux/amd64",
			Repository: pulumi.String("123.dkr.ecr.us-east-1.amazonaws.com/app"),
			Registry: platform.Registry{
				Server: pulumi.String("123.dkr.ecr.us-east-1.amazonaws.com").ToStringOutput(), Username: pulumi.String("AWS").ToStringOutput(),
				Password: pulumi.String("push-password-123456").ToStringOutput(),
			},
			CacheFrom: pulumi.StringArray{pulumi.String("123.dkr.ecr.us-east-1.amazonaws.com/app@sha256:prev")},
		})
	})
	d := res.Find("docker:index/image:Image")[0]
	if d.Str("imageName") != "123.dkr.ecr.us-east-1.amazonaws.com/app:"+img.Tag || d.Str("build.platform") != "linux/amd64" ||
		d.Str("build.builderVersion") != "BuilderBuildKit" || d.Str("build.cacheFrom.images[0]") == "" || d.Str("build.args.BUILDKIT_INLINE_CACHE") != "1" ||
		!d.IsSecret("registry.password") || d.Bool("skipPush") || strings.Contains(d.Str("imageName"), "latest") {
		t.Errorf("docker image inputs %v", d.Inputs)
	}
	digest, _ := componenttest.Await(img.RepoDigest)
	if !strings.HasPrefix(digest.Value.(string), "123.dkr.ecr.us-east-1.amazonaws.com/app@sha256:") {
		t.Errorf("repo digest %v", digest.Value)
	}
	for _, bad := range []string{"latest", "has space"} {
		_, err := componenttest.Run(componenttest.Options{Project: "p", Stack: "s"}, func(ctx *pulumi.Context) error {
			_, err := NewImage(ctx, "app", &ImageArgs{Context: dir, Dockerfile: filepath.Join(dir, "app/Dockerfile"), Tag: bad, Repository: pulumi.String("r")})
			return err
		})
		if err == nil {
			t.Errorf("tag %q accepted", bad)
		}
	}
}
