package config

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/wechat-deploy/wechat-deploy/components/componenttest"
)

// stackFileSource reads a stack file's config the way the CLI hands it over: scalars as text, objects as JSON,
// encrypted values (top-level or nested) decrypted — here replaced by stand-ins — with their key secret.
func stackFileSource(doc []byte) (MapSource, bool) {
	var file struct {
		Config map[string]any `yaml:"config"`
	}
	if yaml.Unmarshal(doc, &file) != nil {
		return MapSource{}, false
	}
	src := MapSource{Values: map[string]string{}, Secrets: map[string]bool{}}
	for k, v := range file.Config {
		v, secret := componenttest.StandIns(v, k)
		switch v := v.(type) {
		case string:
			src.Values[k] = v
		case nil:
			src.Values[k] = "null"
		case bool, int, float64:
			src.Values[k] = fmt.Sprint(v)
		default:
			b, err := json.Marshal(v)
			if err != nil {
				return MapSource{}, false
			}
			src.Values[k] = string(b)
		}
		src.Secrets[k] = secret
	}
	return src, true
}

// FuzzStackFile feeds whole stack files (the malformed corpus and the committed stacks as seeds), encrypted
// values nested anywhere included: whatever the file, an encrypted value never reaches an error message, and a
// setting (not a config secret) stored encrypted is never accepted.
func FuzzStackFile(f *testing.F) {
	for _, pattern := range []string{"testdata/malformed/*.yaml", "../../stacks/Pulumi.*.yaml"} {
		paths, _ := filepath.Glob(pattern)
		for _, p := range paths {
			if b, err := os.ReadFile(p); err == nil && !strings.Contains(p, ".deploy.") {
				f.Add(string(b))
			}
		}
	}
	f.Add("config:\n  wechat-deploy:cloud: aws\n  wechat-deploy:app:\n    env:\n      TOKEN:\n        secure: v1:abc\n")
	f.Add("config:\n  wechat-deploy:cloud: existing\n  wechat-deploy:tags:\n    owner:\n      secure: v1:abc\n")
	f.Fuzz(func(t *testing.T, doc string) {
		src, ok := stackFileSource([]byte(doc))
		if !ok {
			return
		}
		for k, v := range validSecrets {
			if _, set := src.Values[qualify(k)]; !set {
				src.Values[qualify(k)], src.Secrets[qualify(k)] = v, true
			}
		}
		c, err := Parse(Namespace, "fuzz", src)
		if err != nil {
			if strings.Contains(err.Error(), componenttest.StandInPrefix) {
				t.Fatalf("an encrypted value reached the error message:\n%v", err)
			}
			return
		}
		for _, key := range jsonFieldsOf(typeOfConfig) {
			if src.Secrets[qualify(key)] {
				t.Fatalf("accepted %s stored encrypted: it would be written in clear (%+v)", key, c)
			}
		}
	})
}
