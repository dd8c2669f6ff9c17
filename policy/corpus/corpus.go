// Package corpus reads the insecure stack corpus in policy/testdata/insecure: complete stack files, each derived
// from a committed stack with one insecure change, and a header that says what is insecure and which mandatory
// policy rule must block it:
//
//	# stack: prod
//	# derived-from: prod
//	# insecure: the EKS API endpoint admits the whole IPv4 internet as two halves.
//	# blocked-by: aws-eks-endpoint-restricted
//	config:
//	  wechat-deploy:cloud: aws
//	  ...
//
// Secrets (jwtSigningKey, databaseUrl, ...) that a variant changes are written in clear in its config: they
// stand for the decrypted value `pulumi config set --secret` would store, and the tests hand them to the
// program as secrets. infra/program runs every variant through the whole program and the rules; the policy
// README table lists them.
package corpus

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"
)

// Dir is the corpus directory relative to the repository root.
const Dir = "policy/testdata/insecure"

// Variant is one insecure stack file.
type Variant struct {
	// Name is the file name without .yaml; Path the file.
	Name, Path string
	// Stack is the stack name the variant runs as; DerivedFrom the committed stack it changes.
	Stack, DerivedFrom string
	// Insecure says what is insecure; BlockedBy names the mandatory rule that must block it.
	Insecure, BlockedBy string
	// Config is the stack file's config section.
	Config map[string]any
	// Raw is the whole file.
	Raw []byte
}

// Load reads every variant of the corpus directory, sorted by name.
func Load(dir string) ([]Variant, error) {
	paths, err := filepath.Glob(filepath.Join(dir, "*.yaml"))
	if err != nil {
		return nil, err
	}
	sort.Strings(paths)
	out := make([]Variant, 0, len(paths))
	for _, p := range paths {
		v, err := read(p)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}

func read(path string) (Variant, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return Variant{}, err
	}
	v := Variant{Name: strings.TrimSuffix(filepath.Base(path), ".yaml"), Path: path, Raw: raw}
	header := map[string]*string{"stack": &v.Stack, "derived-from": &v.DerivedFrom, "insecure": &v.Insecure, "blocked-by": &v.BlockedBy}
	sc := bufio.NewScanner(bytes.NewReader(raw))
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, "#") {
			break
		}
		k, val, ok := strings.Cut(strings.TrimSpace(strings.TrimPrefix(line, "#")), ":")
		if dst, known := header[k]; ok && known {
			*dst = strings.TrimSpace(val)
		}
	}
	for k, dst := range header {
		if *dst == "" {
			return Variant{}, fmt.Errorf("%s: the header has no %q line", path, k)
		}
	}
	var doc struct {
		Config map[string]any `yaml:"config"`
	}
	if err := yaml.Unmarshal(raw, &doc); err != nil {
		return Variant{}, fmt.Errorf("parsing %s: %w", path, err)
	}
	if len(doc.Config) == 0 {
		return Variant{}, fmt.Errorf("%s has no config", path)
	}
	v.Config = doc.Config
	return v, nil
}
