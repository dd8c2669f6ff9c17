package config

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"sort"
	"strconv"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// Source is where configuration values come from: the Pulumi context in a program, a map in tests.
type Source interface {
	// Get returns the raw value of a fully qualified key (namespace:key) and whether it is set.
	Get(key string) (string, bool)
	// IsSecret reports whether the key is stored as a secret.
	IsSecret(key string) bool
}

// contextSource reads the configuration the engine handed to the program.
type contextSource struct{ ctx *pulumi.Context }

func (s contextSource) Get(key string) (string, bool) { return s.ctx.GetConfig(key) }
func (s contextSource) IsSecret(key string) bool      { return s.ctx.IsConfigSecret(key) }

// MapSource is a Source over plain maps, for tests and tools.
type MapSource struct {
	Values  map[string]string
	Secrets map[string]bool
	// FileKeys, when set, are the keys the stack file itself sets (the rest of Values came from Pulumi.yaml's
	// defaults); nil means all of Values.
	FileKeys []string
}

// Get implements Source.
func (s MapSource) Get(key string) (string, bool) { v, ok := s.Values[key]; return v, ok }

// IsSecret implements Source.
func (s MapSource) IsSecret(key string) bool { return s.Secrets[key] }

// Load reads, defaults and validates the configuration of the running stack. It registers nothing, so a
// bad stack file fails before any resource exists.
func Load(ctx *pulumi.Context) (Config, error) {
	return Parse(ctx.Project(), ctx.Stack(), contextSource{ctx})
}

// StackDir is the folder of the stack files (Pulumi.yaml's stackConfigDir), relative to the project root.
const StackDir = "stacks"

// StackFile is the path of a stack's config file relative to the project root.
func StackFile(stack string) string { return StackDir + "/Pulumi." + stack + ".yaml" }

// Parse reads every key from src, applies defaults and validates. Every problem found is reported at once,
// each naming the stack file and the key.
func Parse(project, stack string, src Source) (Config, error) {
	c := Config{Project: project, Stack: stack, File: StackFile(stack)}
	p := &problems{file: c.File, stack: stack, secure: map[string]bool{}, present: presence{}}
	fileKeys := checkKeys(src, p)
	checkSecureSettings(src, p)

	p.decodeString(src, "cloud", (*string)(&c.Cloud))
	p.decodeString(src, "environment", &c.Environment)
	p.decodeString(src, "region", &c.Region)
	p.decodeBool(src, "protect", &c.Protect)
	p.decodeBool(src, "production", &c.Production)
	p.decodeObject(src, "network", &c.Network)
	p.decodeObject(src, "cluster", &c.Cluster)
	p.decodeObject(src, "registry", &c.Registry)
	p.decodeObject(src, "existing", &c.Existing)
	p.decodeObject(src, "app", &c.App)
	p.decodeObject(src, "database", &c.Database)
	p.decodeObject(src, "observability", &c.Observability)
	p.decodeObject(src, "tags", &c.Tags)
	for _, spec := range SecretSpecs {
		if src.IsSecret(qualify(spec.Key)) {
			continue
		}
		if v, ok := src.Get(qualify(spec.Key)); ok && v != "" {
			p.add(spec.Key, "is in plain text (in the stack file, or its ESC environment without fn::secret); store it encrypted with: %s",
				FixCommand(stack, spec.Key, spec.Placeholder))
		}
	}
	if fileKeys != nil {
		set := p.present.fromFile(fileKeys)
		checkExplicitDefaults(set, p)
		if profileOf(c.Cloud) != nil {
			checkCloudOnly(&c, set, p)
		}
	}
	if len(p.list) > 0 {
		// Defaults and validation on half-decoded input would only add noise.
		return c, p.err()
	}

	applyDefaults(&c)
	validate(&c, p)
	readSecrets(&c, src, p)
	return c, p.err()
}

func qualify(key string) string { return Namespace + ":" + key }

// readSecrets checks presence and shape of every secret and turns the set ones into secret Outputs.
func readSecrets(c *Config, src Source, p *problems) {
	for _, spec := range SecretSpecs {
		raw, ok := src.Get(qualify(spec.Key))
		if !ok || raw == "" {
			if spec.Required(c) {
				p.add(spec.Key, "is required but not set; set it with: %s", FixCommand(c.Stack, spec.Key, spec.Placeholder))
			}
			continue
		}
		if spec.Check != nil {
			if msg := spec.Check(c, raw); msg != "" {
				p.add(spec.Key, "%s; set a new value with: %s", msg, FixCommand(c.Stack, spec.Key, spec.Placeholder))
				continue
			}
		}
		out := pulumi.ToSecret(pulumi.String(raw)).(pulumi.StringOutput)
		switch spec.Key {
		case KeyWeChatAppID:
			c.Secrets.WeChatAppID = out
		case KeyWeChatAppSecret:
			c.Secrets.WeChatAppSecret = out
		case KeyJWTSigningKey:
			c.Secrets.JWTSigningKey = out
		case KeyDatabaseURL:
			c.Secrets.DatabaseURL, c.Secrets.HasDatabaseURL = out, true
		case KeyDatabasePassword:
			c.Secrets.DatabasePassword, c.Secrets.HasDatabasePassword = out, true
		case KeyRegistryPassword:
			c.Secrets.RegistryPassword, c.Secrets.HasRegistryPassword = out, true
		case KeyKubeconfig:
			c.Secrets.Kubeconfig, c.Secrets.HasKubeconfig = out, true
			c.Existing.kubeconfigData = []byte(raw)
		}
	}
}

// Problem is one invalid configuration value.
type Problem struct {
	// Key is the key without namespace, with a dotted path into objects (e.g. network.cidr).
	Key string
	// Message says what is wrong and what is allowed.
	Message string
}

// Error is every problem of one stack's configuration.
type Error struct {
	File     string
	Stack    string
	Problems []Problem
}

// Error renders one line per problem, each naming the stack file and the key.
func (e *Error) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "invalid configuration for stack %q (%d problem(s)):", e.Stack, len(e.Problems))
	for _, pr := range e.Problems {
		fmt.Fprintf(&b, "\n  %s: %s:%s %s", e.File, Namespace, pr.Key, pr.Message)
	}
	return b.String()
}

// Has reports whether a problem names the key (exactly) — convenient in tests and tools.
func (e *Error) Has(key string) bool {
	for _, pr := range e.Problems {
		if pr.Key == key {
			return true
		}
	}
	return false
}

type problems struct {
	file, stack string
	list        []Problem
	// secure are the top-level settings stored encrypted: messages about them never show a value.
	secure map[string]bool
	// present records what the stack file sets, path by path.
	present presence
}

// maxQuoted is the longest quoted value a message repeats; longer ones are cut (a pasted certificate or a hostile
// megabyte would otherwise flood the terminal and the CI log).
const maxQuoted = 100

// add records a problem. Quoted (%q) arguments are the values being judged: they are cut to maxQuoted
// characters, and replaced altogether when the setting is stored encrypted.
func (p *problems) add(key, format string, args ...any) {
	top, _, _ := strings.Cut(key, ".")
	top, _, _ = strings.Cut(top, "[")
	for i, verb := range verbs(format) {
		s, ok := args[i].(string)
		switch {
		case !ok || verb != 'q':
		case p.secure[top]:
			args[i] = "[encrypted value]"
		case len(s) > maxQuoted:
			args[i] = s[:maxQuoted-3] + "..."
		}
	}
	p.list = append(p.list, Problem{Key: key, Message: fmt.Sprintf(format, args...)})
}

// verbs returns the verb letter of each argument a format consumes, in order (%q marks a quoted value).
func verbs(format string) []byte {
	var out []byte
	for i := 0; i < len(format); i++ {
		if format[i] != '%' {
			continue
		}
		i++
		for i < len(format) && strings.IndexByte("+-# 0123456789.", format[i]) >= 0 {
			i++
		}
		if i < len(format) && format[i] != '%' {
			out = append(out, format[i])
		}
	}
	return out
}

func (p *problems) err() error {
	if len(p.list) == 0 {
		return nil
	}
	return &Error{File: p.file, Stack: p.stack, Problems: p.list}
}

func (p *problems) decodeString(src Source, key string, dst *string) {
	if p.secure[key] {
		return
	}
	if raw, ok := src.Get(qualify(key)); ok {
		*dst = strings.TrimSpace(raw)
		p.present[key] = *dst
	}
}

func (p *problems) decodeBool(src Source, key string, dst *bool) {
	raw, ok := src.Get(qualify(key))
	if !ok || p.secure[key] {
		return
	}
	b, err := strconv.ParseBool(strings.TrimSpace(raw))
	if err != nil {
		p.add(key, "%q is not a boolean; allowed: true or false", raw)
		return
	}
	*dst = b
	p.present[key] = b
}

// decodeObject decodes a structured key strictly: unknown fields (typos) and wrong types are errors that
// name the full path of the field and list what is allowed there.
func (p *problems) decodeObject(src Source, key string, dst any) {
	raw, ok := src.Get(qualify(key))
	if !ok || p.secure[key] {
		return
	}
	if strings.TrimSpace(raw) == "" {
		p.present[key] = nil
		return
	}
	var generic any
	if err := json.Unmarshal([]byte(raw), &generic); err != nil {
		p.add(key, "is not a valid object: %v", err)
		return
	}
	p.present.record(key, generic)
	if unknown := unknownFields(generic, reflect.TypeOf(dst).Elem(), key); len(unknown) > 0 {
		for _, u := range unknown {
			p.add(u.path, "is not a known setting; known settings here: %s", strings.Join(u.known, ", "))
		}
		return
	}
	err := json.Unmarshal([]byte(raw), dst)
	var typeErr *json.UnmarshalTypeError
	switch {
	case err == nil:
	case errors.As(err, &typeErr):
		field := key
		if typeErr.Field != "" {
			field = key + "." + typeErr.Field
		}
		p.add(field, "has the wrong type: got a %s, want %s", typeErr.Value, describeType(typeErr.Type))
	default:
		p.add(key, "cannot be read: %v", err)
	}
}

type unknownField struct {
	path  string
	known []string
}

// unknownFields walks decoded JSON against the Go type and returns every key the type does not have.
func unknownFields(v any, t reflect.Type, path string) []unknownField {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	var out []unknownField
	switch t.Kind() {
	case reflect.Struct:
		obj, ok := v.(map[string]any)
		if !ok {
			return nil // a type error, reported by the decoder
		}
		fields := map[string]reflect.Type{}
		for i := range t.NumField() {
			if name := jsonName(t.Field(i)); name != "" {
				fields[name] = t.Field(i).Type
			}
		}
		keys := make([]string, 0, len(obj))
		for k := range obj {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			ft, ok := fields[k]
			if !ok {
				out = append(out, unknownField{path: path + "." + k, known: jsonFieldsOf(t)})
				continue
			}
			out = append(out, unknownFields(obj[k], ft, path+"."+k)...)
		}
	case reflect.Slice:
		list, ok := v.([]any)
		if !ok {
			return nil
		}
		for i, item := range list {
			out = append(out, unknownFields(item, t.Elem(), fmt.Sprintf("%s[%d]", path, i))...)
		}
	}
	return out
}

func describeType(t reflect.Type) string {
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "a boolean (true or false)"
	case reflect.Int, reflect.Int32, reflect.Int64:
		return "a whole number"
	case reflect.Slice:
		return "a list of " + strings.TrimPrefix(describeType(t.Elem()), "a ")
	case reflect.Map:
		return "a map of " + strings.TrimPrefix(describeType(t.Elem()), "a ") + " values"
	case reflect.Struct:
		return "an object"
	default:
		return t.String()
	}
}

// jsonFieldsOf lists the json names of a struct type, sorted.
func jsonFieldsOf(t reflect.Type) []string {
	var names []string
	for i := range t.NumField() {
		if name := jsonName(t.Field(i)); name != "" {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	return names
}

func jsonName(f reflect.StructField) string {
	tag := f.Tag.Get("json")
	if tag == "" || tag == "-" {
		return ""
	}
	name, _, _ := strings.Cut(tag, ",")
	return name
}
