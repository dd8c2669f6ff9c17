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
// here, so every key in fakeSecrets is supplied as a secret (replacing any encrypted value), and an encrypted
// value without a fake is an error.
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
	for k, v := range sf.Config {
		key := qualify(k)
		if m, ok := v.(map[string]any); ok {
			if _, enc := m["secure"]; enc && len(m) == 1 {
				short := strings.TrimPrefix(key, p.Name+":")
				if _, faked := fakeSecrets[short]; !faked {
					return Options{}, fmt.Errorf("%s: %s is encrypted and no fake value was given for it", sf.Path, key)
				}
				continue
			}
		}
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
		opts.Config[qualify(k)] = fakeSecrets[k]
		opts.SecretKeys = append(opts.SecretKeys, qualify(k))
	}
	return opts, nil
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
