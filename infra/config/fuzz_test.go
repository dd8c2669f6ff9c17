package config

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// standIn marks every value a fuzzed stack file stores encrypted; none may ever appear in an error message.
const standIn = "ENCRYPTED-STAND-IN-"

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
		v, secret := replaceSecure(v, k)
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

func replaceSecure(v any, path string) (any, bool) {
	switch v := v.(type) {
	case map[string]any:
		if _, ok := v["secure"]; ok && len(v) == 1 {
			return standIn + path, true
		}
		found := false
		for k, e := range v {
			var f bool
			v[k], f = replaceSecure(e, path+"."+k)
			found = found || f
		}
		return v, found
	case []any:
		found := false
		for i, e := range v {
			var f bool
			v[i], f = replaceSecure(e, fmt.Sprintf("%s[%d]", path, i))
			found = found || f
		}
		return v, found
	}
	return v, false
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
			if strings.Contains(err.Error(), standIn) {
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
