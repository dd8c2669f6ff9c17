package program

import (
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"gopkg.in/yaml.v3"

	"github.com/wechat-deploy/wechat-deploy/app/contract"
	"github.com/wechat-deploy/wechat-deploy/components/componenttest"
)

const root = "../.."

// fakeSecrets are well-formed stand-ins for the secrets no stack file carries.
func fakeSecrets(t testing.TB) map[string]string {
	t.Helper()
	kc, err := os.ReadFile("testdata/kubeconfig.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return map[string]string{
		"wechatAppId":      "wx0123456789abcdef",
		"wechatAppSecret":  "fake-wechat-app-secret-5d41402abc4b2a76",
		"jwtSigningKey":    "fake-jwt-signing-key-9f86d081884c7d659a2feaa0c55ad015",
		"databaseUrl":      "postgres://app:fake-db-password-1f0e3dad@db.internal:5432/app?sslmode=require",
		"registryPassword": "fake-registry-push-token-c4ca4238a0b9",
		"kubeconfig":       string(kc),
	}
}

// databaseSecrets keeps the one database secret a stack takes: the provisioned database's password, or the
// external database's URL (the configuration refuses the other).
func databaseSecrets(t testing.TB, stack string, secrets map[string]string) map[string]string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(root, "stacks", "Pulumi."+stack+".yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Config struct {
			Database struct {
				Provision bool `yaml:"provision"`
			} `yaml:"wechat-deploy:database"`
		} `yaml:"config"`
	}
	if err := yaml.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	return withDatabaseSecret(secrets, doc.Config.Database.Provision)
}

// fakeDatabasePassword stands in for the databasePassword secret of a stack that provisions its database.
const fakeDatabasePassword = "Fake-db-Password-6512bd43d9"

// withDatabaseSecret gives a stack that provisions its database the password secret instead of the external
// database's URL (the configuration refuses the URL there, and the password elsewhere).
func withDatabaseSecret(secrets map[string]string, provision bool) map[string]string {
	out := make(map[string]string, len(secrets)+1)
	for k, v := range secrets {
		out[k] = v
	}
	if provision {
		delete(out, "databaseUrl")
		out["databasePassword"] = fakeDatabasePassword
	}
	return out
}

// stackRun is one whole-program mock run.
type stackRun struct {
	*componenttest.Result
	exports map[string]componenttest.Awaited
}

// runStack runs the whole program for a stack file under mocks, with the given secrets.
func runStack(t testing.TB, stack string, secrets map[string]string, edit func(opts *componenttest.Options)) stackRun {
	t.Helper()
	opts, err := componenttest.StackOptions(root, stack, databaseSecrets(t, stack, secrets))
	if err != nil {
		t.Fatal(err)
	}
	if edit != nil {
		edit(&opts)
	}
	// RunErr calls the body synchronously and returns after it: outs is read only afterwards.
	var outs map[string]pulumi.Output
	res, err := componenttest.Run(opts, func(ctx *pulumi.Context) error {
		o, err := testProgram(nil).Deploy(ctx)
		outs = o
		for k, v := range o {
			ctx.Export(k, v)
		}
		return err
	})
	if err != nil {
		t.Fatalf("stack %s: %v", stack, err)
	}
	exports := map[string]componenttest.Awaited{}
	for k, v := range outs {
		a, err := componenttest.Await(v)
		if err != nil {
			t.Fatalf("stack %s: export %s: %v", stack, k, err)
		}
		exports[k] = a
	}
	return stackRun{Result: res, exports: exports}
}

func stacks(t testing.TB) []string {
	t.Helper()
	names, err := componenttest.StackNames(root)
	if err != nil {
		t.Fatal(err)
	}
	if len(names) < 6 {
		t.Fatalf("found stacks %v, want the six of the design", names)
	}
	return names
}

// TestStacks runs every stack file through the whole program and checks the resource list against its golden
// file, that everything is parented under a component and that no secret leaks in plain text.
func TestStacks(t *testing.T) {
	for _, stack := range stacks(t) {
		t.Run(stack, func(t *testing.T) {
			t.Parallel()
			secrets := fakeSecrets(t)
			run := runStack(t, stack, secrets, nil)
			componenttest.Golden(t, filepath.Join("testdata", "golden", stack+".txt"), run.List())
			if orphans := run.Orphans(); len(orphans) > 0 {
				t.Errorf("resources not parented under a component:\n  %s", strings.Join(orphans, "\n  "))
			}
			needles := map[string]string{"kube token": "fake-kube-token-7f3a9c2e5b1d", "EKS token": componenttest.FakeEKSToken("ap-southeast-1"),
				"databasePassword": fakeDatabasePassword}
			for k, v := range secrets {
				needles[k] = v
			}
			for _, leak := range run.FindLeaks(needles, run.exports) {
				t.Errorf("secret leak: %s", leak)
			}
			if kc := run.exports["kubeconfig"]; !kc.Secret {
				t.Error("kubeconfig export is not secret")
			}
			for _, k := range []string{"appUrl", "namespace", "imageDigest", "clusterName"} {
				e := run.exports[k]
				if !e.Known || e.Value == "" || e.Secret {
					t.Errorf("export %s = %+v, want a known non-secret value", k, e)
				}
			}
			if d, _ := run.exports["imageDigest"].Value.(string); !strings.HasPrefix(d, "sha256:") {
				t.Errorf("imageDigest = %q, want sha256:...", d)
			}
		})
	}
}

// TestStackKeysDeclared keeps the stack files honest: every key they set is declared in Pulumi.yaml or is one of
// the optional secrets.
func TestStackKeysDeclared(t *testing.T) {
	proj, err := componenttest.LoadProject(root)
	if err != nil {
		t.Fatal(err)
	}
	for _, stack := range stacks(t) {
		sf, err := componenttest.LoadStackFile(root, stack)
		if err != nil {
			t.Fatal(err)
		}
		var keys []string
		for k := range sf.Config {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			short := strings.TrimPrefix(k, proj.Name+":")
			if _, ok := proj.Config[short]; !ok {
				t.Errorf("%s sets %s, which Pulumi.yaml does not declare", sf.Path, k)
			}
		}
	}
}

// The release driver runs the engine in a work directory and names the repository with WithRoot: the image is
// built from there, not from the engine's root directory.
// Graviton nodes get the arm64 node image and the image is built for arm64; x86 stacks keep the x86 image.
func TestNodeImageFollowsArchitecture(t *testing.T) {
	arm := runStack(t, "dev", fakeSecrets(t), func(o *componenttest.Options) {
		o.Config["wechat-deploy:cluster"] = `{"version":"1.33","instanceTypes":["m7g.large","c7g.large"],"minNodes":1,"desiredNodes":2,"maxNodes":3,` +
			`"endpoint":{"public":true,"private":true,"publicAccessCidrs":["0.0.0.0/0"]},"logRetentionDays":30}`
		o.Config["wechat-deploy:app"] = `{"replicas":1,"minReplicas":1,"maxReplicas":2,"build":{"platform":"linux/arm64"}}`
	})
	armNodes, armImage := arm.MustOne(t, "aws:eks/nodeGroup:NodeGroup", "dev-nodes"), arm.MustOne(t, "kubernetes:apps/v1:Deployment", "wechat-api-deployment")
	if got := armNodes.Str("amiType"); got != "AL2023_ARM_64_STANDARD" {
		t.Errorf("arm64 node group AMI type %q", got)
	}
	if got := builtArch(t, armImage.Str("spec.template.spec.containers[0].image")); got != "arm64" {
		t.Errorf("the deployed image is built for %q", got)
	}
	x86 := runStack(t, "dev", fakeSecrets(t), nil)
	x86Nodes := x86.MustOne(t, "aws:eks/nodeGroup:NodeGroup", "dev-nodes")
	if got := x86Nodes.Str("amiType"); got != "AL2023_x86_64_STANDARD" {
		t.Errorf("x86 node group AMI type %q", got)
	}
	x86Deployment := x86.MustOne(t, "kubernetes:apps/v1:Deployment", "wechat-api-deployment")
	if got := builtArch(t, x86Deployment.Str("spec.template.spec.containers[0].image")); got != "amd64" {
		t.Errorf("the deployed image is built for %q", got)
	}
}

// The app believes X-Forwarded-For only from the platform's load balancer or ingress controller: the ALB's
// public subnets on AWS, the pod VSwitches of ACK's ingress controller; an existing cluster keeps the app's
// default (the platform cannot know).
func TestTrustedProxiesComeFromThePlatform(t *testing.T) {
	for stack, want := range map[string]string{
		"dev":    "10.10.128.0/19,10.10.160.0/19",
		"dev-cn": "10.40.128.0/19,10.40.160.0/19",
		"local":  "",
	} {
		run := runStack(t, stack, fakeSecrets(t), nil)
		cm := run.MustOne(t, "kubernetes:core/v1:ConfigMap", "wechat-api-config")
		if got := cm.Str("data." + contract.EnvTrustedProxies); got != want {
			t.Errorf("%s: %s = %q, want %q", stack, contract.EnvTrustedProxies, got, want)
		}
	}
}
