package componenttest

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"
)

// Project is the part of Pulumi.yaml the harness needs.
type Project struct {
	Name           string                   `yaml:"name"`
	StackConfigDir string                   `yaml:"stackConfigDir"`
	Config         map[string]ConfigDeclare `yaml:"config"`
}

// ConfigDeclare is one project-level config declaration.
type ConfigDeclare struct {
	Type        string `yaml:"type"`
	Description string `yaml:"description"`
	Secret      bool   `yaml:"secret"`
	Default     any    `yaml:"default"`
	Items       any    `yaml:"items"`
}

// LoadProject reads Pulumi.yaml from the project root.
func LoadProject(root string) (*Project, error) {
	b, err := os.ReadFile(filepath.Join(root, "Pulumi.yaml"))
	if err != nil {
		return nil, fmt.Errorf("reading project file: %w", err)
	}
	var p Project
	if err := yaml.Unmarshal(b, &p); err != nil {
		return nil, fmt.Errorf("parsing Pulumi.yaml: %w", err)
	}
	return &p, nil
}

// StackFile is a parsed Pulumi.<stack>.yaml.
type StackFile struct {
	Path   string
	Config map[string]any `yaml:"config"`
	// EncryptionSalt and SecretsProvider are present when the stack has encrypted values.
	EncryptionSalt  string `yaml:"encryptionsalt"`
	SecretsProvider string `yaml:"secretsprovider"`
}

// StackNames lists the stacks that have a file in the project's stack config directory.
func StackNames(root string) ([]string, error) {
	p, err := LoadProject(root)
	if err != nil {
		return nil, err
	}
	matches, err := filepath.Glob(filepath.Join(root, p.StackConfigDir, "Pulumi.*.yaml"))
	if err != nil {
		return nil, err
	}
	var names []string
	for _, m := range matches {
		base := filepath.Base(m)
		name := strings.TrimSuffix(strings.TrimPrefix(base, "Pulumi."), ".yaml")
		if strings.Contains(name, ".") { // Pulumi.<stack>.deploy.yaml and friends
			continue
		}
		names = append(names, name)
	}
	sort.Strings(names)
	return names, nil
}

// LoadStackFile reads one stack's file.
func LoadStackFile(root, stack string) (*StackFile, error) {
	p, err := LoadProject(root)
	if err != nil {
		return nil, err
	}
	path := filepath.Join(root, p.StackConfigDir, "Pulumi."+stack+".yaml")
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading stack file: %w", err)
	}
	sf := StackFile{Path: path}
	if err := yaml.Unmarshal(b, &sf); err != nil {
		return nil, fmt.Errorf("parsing %s: %w", path, err)
	}
	return &sf, nil
}

// StackOptions turns a stack file into run Options the way the Pulumi CLI hands config to a program: project
// defaults for absent keys, scalars as text, objects and lists as JSON. Encrypted values cannot be decrypted
// here, so every key in fakeSecrets is supplied as a secret (replacing an encrypted value; a value the file sets
// in plain text stays as written, in plain text); any other encrypted value, at the top or deeper in an object,
// gets a recognisable stand-in ("stand-in-for-encrypted-...") and its key is secret, as the CLI hands it over.
func StackOptions(root, stack string, fakeSecrets map[string]string) (Options, error) {
	p, err := LoadProject(root)
	if err != nil {
		return Options{}, err
	}
	sf, err := LoadStackFile(root, stack)
	if err != nil {
		return Options{}, err
	}
	opts := Options{Project: p.Name, Stack: stack, Config: map[string]string{}, Root: root}
	qualify := func(k string) string {
		if strings.Contains(k, ":") {
			return k
		}
		return p.Name + ":" + k
	}
	plain := map[string]bool{}
	for k, v := range sf.Config {
		key := qualify(k)
		if isSecure(v) {
			short := strings.TrimPrefix(key, p.Name+":")
			if _, faked := fakeSecrets[short]; !faked {
				// Not one of the secrets the test fakes (an encrypted setting): a stand-in, secret as the CLI
				// would hand over the decrypted value.
				opts.Config[key] = StandInPrefix + key
				opts.SecretKeys = append(opts.SecretKeys, key)
			}
			continue
		}
		if v, nested := standIns(v, key); nested {
			s, err := configString(v)
			if err != nil {
				return Options{}, fmt.Errorf("%s: %s: %w", sf.Path, key, err)
			}
			opts.Config[key] = s
			opts.SecretKeys = append(opts.SecretKeys, key)
			continue
		}
		plain[key] = true
		s, err := configString(v)
		if err != nil {
			return Options{}, fmt.Errorf("%s: %s: %w", sf.Path, key, err)
		}
		opts.Config[key] = s
	}
	for k, decl := range p.Config {
		key := qualify(k)
		if _, set := opts.Config[key]; set || decl.Default == nil {
			continue
		}
		s, err := configString(decl.Default)
		if err != nil {
			return Options{}, fmt.Errorf("reading Pulumi.yaml: default of %s: %w", key, err)
		}
		opts.Config[key] = s
	}
	keys := make([]string, 0, len(fakeSecrets))
	for k := range fakeSecrets {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if plain[qualify(k)] {
			continue
		}
		opts.Config[qualify(k)] = fakeSecrets[k]
		opts.SecretKeys = append(opts.SecretKeys, qualify(k))
	}
	return opts, nil
}

// isSecure reports whether a stack file value is an encrypted one ({secure: ciphertext}).
func isSecure(v any) bool {
	m, ok := v.(map[string]any)
	_, enc := m["secure"]
	return ok && enc && len(m) == 1
}

// StandInPrefix starts every stand-in for an encrypted value: a test that finds it in a message or a resource
// has found an encrypted value written in clear.
const StandInPrefix = "stand-in-for-encrypted-"

// StandIns replaces every encrypted value ({secure: ...}) of a stack file value, at the top or nested in
// objects and lists, with StandInPrefix and its path, and reports whether there was one (the key is then
// secret, as the CLI hands it over).
func StandIns(v any, path string) (any, bool) {
	if isSecure(v) {
		return StandInPrefix + path, true
	}
	return standIns(v, path)
}

func standIns(v any, path string) (any, bool) {
	switch v := v.(type) {
	case map[string]any:
		if isSecure(v) {
			return StandInPrefix + path, true
		}
		out, found := map[string]any{}, false
		for k, e := range v {
			var f bool
			out[k], f = standIns(e, path+"."+k)
			found = found || f
		}
		return out, found
	case []any:
		out, found := make([]any, len(v)), false
		for i, e := range v {
			var f bool
			out[i], f = standIns(e, fmt.Sprintf("%s[%d]", path, i))
			found = found || f
		}
		return out, found
	}
	return v, false
}

func configString(v any) (string, error) {
	switch v := v.(type) {
	case string:
		return v, nil
	case bool, int, int64, float64:
		return fmt.Sprint(v), nil
	default:
		b, err := json.Marshal(v)
		return string(b), err
	}
}
