package program

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/wechat-deploy/wechat-deploy/components/componenttest"
)

// corpusFile is one stack file of a corpus, with what its header says about it.
type corpusFile struct {
	name, stack, expect, why string
	content                  []byte
}

var corpusHeader = regexp.MustCompile(`(?m)^# (stack|expect): (.+)$`)

func loadCorpus(t *testing.T, dir string) []corpusFile {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join(dir, "*.yaml"))
	if err != nil || len(paths) == 0 {
		t.Fatalf("no corpus in %s: %v", dir, err)
	}
	var out []corpusFile
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		f := corpusFile{name: filepath.Base(p), content: b}
		f.why, _, _ = strings.Cut(strings.TrimPrefix(string(b), "# "), "\n")
		for _, m := range corpusHeader.FindAllStringSubmatch(string(b), -1) {
			switch m[1] {
			case "stack":
				f.stack = m[2]
			case "expect":
				f.expect = m[2]
			}
		}
		if f.stack == "" || f.expect == "" {
			t.Fatalf("%s: the header must say '# stack: <name>' and '# expect: <key>'", p)
		}
		out = append(out, f)
	}
	return out
}

// runCorpusFile runs the whole program on a stack file placed where the CLI would find it (stacks/ beside a copy
// of Pulumi.yaml), building from the repository, and returns what was registered and the error.
func runCorpusFile(t *testing.T, f corpusFile, secrets map[string]string) (*componenttest.Result, error) {
	t.Helper()
	project := t.TempDir()
	pulumiYAML, err := os.ReadFile(filepath.Join(root, "Pulumi.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(project, "stacks"), 0o755); err != nil {
		t.Fatal(err)
	}
	for path, b := range map[string][]byte{"Pulumi.yaml": pulumiYAML, "stacks/Pulumi." + f.stack + ".yaml": f.content} {
		if err := os.WriteFile(filepath.Join(project, path), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	opts, err := componenttest.StackOptions(project, f.stack, secrets)
	if err != nil {
		t.Fatal(err)
	}
	repo, err := filepath.Abs(root)
	if err != nil {
		t.Fatal(err)
	}
	return componenttest.Run(opts, func(ctx *pulumi.Context) error {
		_, err := testProgram(nil, WithRoot(repo)).Deploy(ctx)
		return err
	})
}

// TestMalformedStacksAreRejectedFirst: every malformed stack file of the corpus is refused before any resource
// is registered, with a message naming the stack file and the key at fault, and without repeating a secret.
func TestMalformedStacksAreRejectedFirst(t *testing.T) {
	corpus := loadCorpus(t, filepath.Join(root, "infra", "config", "testdata", "malformed"))
	if len(corpus) < 100 {
		t.Fatalf("the malformed corpus has %d files, want at least 100", len(corpus))
	}
	secrets := fakeSecrets(t)
	rejected := 0
	for _, f := range corpus {
		t.Run(f.name, func(t *testing.T) {
			res, err := runCorpusFile(t, f, secrets)
			want := "stacks/Pulumi." + f.stack + ".yaml: wechat-deploy:" + f.expect + " "
			switch {
			case err == nil:
				t.Fatalf("accepted (%s); registered %d resources", f.why, len(res.Resources))
			case !strings.Contains(err.Error(), want):
				t.Fatalf("error does not name %q:\n%v", want, err)
			case len(res.Resources) != 0:
				t.Fatalf("rejected only after registering %d resources:\n%v", len(res.Resources), err)
			}
			for name, v := range secrets {
				if strings.Contains(err.Error(), v) {
					t.Errorf("the error shows the %s secret", name)
				}
			}
			if strings.Contains(err.Error(), componenttest.StandInPrefix) {
				t.Error("the error shows an encrypted value")
			}
			rejected++
		})
	}
	t.Logf("FIGURES malformed corpus: %d of %d rejected before any resource", rejected, len(corpus))
}
