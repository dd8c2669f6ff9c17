package config

import (
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"
)

// KeyLister is a Source that can list every key it holds, so that a key the program does not know (a typo such
// as wechat-deploy:aap) is an error instead of being ignored.
type KeyLister interface {
	// Keys returns the fully qualified keys (namespace:key) the stack sets.
	Keys() []string
}

// Keys implements KeyLister: FileKeys when set (values the CLI filled in from Pulumi.yaml's defaults are not
// the stack file's), else every key of Values.
func (s MapSource) Keys() []string {
	if s.FileKeys != nil {
		return s.FileKeys
	}
	return slices.Sorted(maps.Keys(s.Values))
}

// Keys lists the keys the stack file sets. The engine hands the program values, not the file, so the file is
// read from the project root: <root>/<stackConfigDir>/Pulumi.<stack>.yaml (the release driver's work directory
// has the stack file beside Pulumi.yaml). Keys from an imported ESC environment are not in the file; when no
// file is found, no key is reported unknown.
func (s contextSource) Keys() []string {
	root := s.ctx.RootDirectory()
	if root == "" {
		root = "."
	}
	var project struct {
		StackConfigDir string `yaml:"stackConfigDir"`
	}
	if b, err := os.ReadFile(filepath.Join(root, "Pulumi.yaml")); err == nil {
		_ = yaml.Unmarshal(b, &project) // a malformed Pulumi.yaml stops the CLI long before the program
	}
	b, err := os.ReadFile(filepath.Join(root, project.StackConfigDir, "Pulumi."+s.ctx.Stack()+".yaml"))
	if err != nil {
		return nil
	}
	var file struct {
		Config map[string]yaml.Node `yaml:"config"`
	}
	if yaml.Unmarshal(b, &file) != nil {
		return nil
	}
	keys := make([]string, 0, len(file.Config))
	for k := range file.Config {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// typeOfConfig is the reflected Config type, whose json names are the settings.
var typeOfConfig = reflect.TypeOf(Config{})

// topLevelKeys are the keys of the wechat-deploy namespace: the Config fields and the secrets.
func topLevelKeys() []string {
	keys := append(jsonFieldsOf(reflect.TypeOf(Config{})), SecretKeys()...)
	sort.Strings(keys)
	return keys
}

// checkKeys reports keys of the project's namespace that the program does not know, with the closest known one,
// and returns the known ones the stack file sets (nil when the source cannot list them). Keys of other
// namespaces (providers' settings) are not the program's to judge.
func checkKeys(src Source, p *problems) map[string]bool {
	lister, ok := src.(KeyLister)
	if !ok {
		return nil
	}
	known := topLevelKeys()
	set := map[string]bool{}
	for _, full := range lister.Keys() {
		key, ours := strings.CutPrefix(full, Namespace+":")
		switch {
		case !ours:
		case slices.Contains(known, key):
			set[key] = true
		default:
			p.add(key, "is not a known setting%s; known settings: %s", didYouMean(key, known), strings.Join(known, ", "))
		}
	}
	return set
}

// fromFile keeps the recorded paths whose top-level key the stack file sets: what Pulumi.yaml's defaults
// filled in is not the stack's doing.
func (pr presence) fromFile(fileKeys map[string]bool) presence {
	out := presence{}
	for path, v := range pr {
		top, _, _ := strings.Cut(path, ".")
		if fileKeys[top] {
			out[path] = v
		}
	}
	return out
}

// didYouMean names the known key closest to a typo (at most a third of its letters different), or nothing.
func didYouMean(key string, known []string) string {
	best, bestDist := "", len(key)/3+1
	for _, k := range known {
		if d := editDistance(strings.ToLower(key), strings.ToLower(k)); d < bestDist {
			best, bestDist = k, d
		}
	}
	if best == "" {
		return ""
	}
	return fmt.Sprintf(" (did you mean %s?)", best)
}

// editDistance is the Levenshtein distance of two strings.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// presence records which paths a stack file sets, and to what raw JSON value, as decodeObject reads them.
type presence map[string]any

// record walks a decoded JSON value and records every object path under prefix.
func (pr presence) record(prefix string, v any) {
	pr[prefix] = v
	if obj, ok := v.(map[string]any); ok {
		for k, child := range obj {
			pr.record(prefix+"."+k, child)
		}
	}
}

// zeroIsMeaningful are the integer settings whose 0 means something ("plan it"); for every other integer an
// explicit 0 would silently become the default.
var zeroIsMeaningful = []string{"network.privateSubnetPrefix", "network.publicSubnetPrefix"}

// openMaps are settings whose entries are the user's own names (tags, env), not the program's fields.
var openMaps = []string{"tags", "app.env"}

// emptyIsMeaningful are lists whose emptiness says something (no public API access).
var emptyIsMeaningful = []string{"cluster.endpoint.publicAccessCidrs"}

// checkExplicitDefaults reports explicit nulls, empty strings and zeros: each would silently turn into the
// default, which is rarely what the person who wrote it meant.
func checkExplicitDefaults(pr presence, p *problems) {
	for _, path := range slices.Sorted(maps.Keys(pr)) {
		if inOpenMap(path) {
			continue
		}
		switch v := pr[path].(type) {
		case nil:
			p.add(path, "is null; remove the key to use its default, or give a value")
		case string:
			if v == "" {
				p.add(path, "is empty; remove the key to use its default, or give a value")
			}
		case []any:
			if len(v) == 0 && !slices.Contains(emptyIsMeaningful, path) {
				p.add(path, "is an empty list; remove the key to use its default, or list values")
			}
		case float64:
			if v == 0 && !slices.Contains(zeroIsMeaningful, path) {
				p.add(path, "is 0, which is not a meaningful value here; remove the key to use its default, or give a value")
			}
		}
	}
}

func inOpenMap(path string) bool {
	for _, m := range openMaps {
		if strings.HasPrefix(path, m+".") {
			return true
		}
	}
	return false
}

// cloudOnly are settings that only some clouds read; on another cloud they would do nothing.
var cloudOnly = map[string][]Cloud{
	"region":                      {CloudAWS, CloudAlicloud},
	"protect":                     {CloudAWS, CloudAlicloud},
	"tags":                        {CloudAWS, CloudAlicloud},
	"network":                     {CloudAWS, CloudAlicloud},
	"cluster":                     {CloudAWS, CloudAlicloud},
	"registry.keepImages":         {CloudAWS, CloudAlicloud},
	"registry.namespace":          {CloudAlicloud},
	"registry.instanceSpec":       {CloudAlicloud},
	"registry.existingInstanceId": {CloudAlicloud},
	"registry.pushCidrs":          {CloudAlicloud},
	"existing":                    {CloudExisting},
	"cluster.spec":                {CloudAlicloud},
	"cluster.podCidr":             {CloudAlicloud},
	"cluster.admins":              {CloudAWS},
	"cluster.kubeconfigProfile":   {CloudAWS},
	"cluster.kubeconfigRoleArn":   {CloudAWS},
	// ACK node pools scale between min and max; ACK always has a private (VPC) API endpoint.
	"cluster.desiredNodes":     {CloudAWS},
	"cluster.endpoint.private": {CloudAWS},
	"app.tls.certificateArn":   {CloudAWS},
	"app.hostedZone":           {CloudAWS},
	"app.tls.acmeEmail":        {CloudAlicloud},
	"cluster.deliveryRoles":    {CloudAWS},
	"cluster.upgradePolicy":    {CloudAWS},
}

// checkCloudOnly reports settings this stack's cloud does not use, naming the clouds that do.
func checkCloudOnly(c *Config, pr presence, p *problems) {
	for _, path := range slices.Sorted(maps.Keys(pr)) {
		clouds, ok := cloudOnly[path]
		if !ok || slices.Contains(clouds, c.Cloud) {
			continue
		}
		names := make([]string, len(clouds))
		for i, cl := range clouds {
			names[i] = string(cl)
		}
		p.add(path, "is only used on %s stacks and does nothing on this %s stack; remove it", strings.Join(names, " and "), c.Cloud)
	}
}

// checkSecureSettings refuses settings (not the config secrets) that are stored encrypted: their values end up
// in resource names, tags and ConfigMaps, which are not secret, so an encrypted value would be written in clear.
func checkSecureSettings(src Source, p *problems) {
	for _, key := range jsonFieldsOf(reflect.TypeOf(Config{})) {
		if src.IsSecret(qualify(key)) {
			p.secure[key] = true
			p.add(key, "is (or holds) an encrypted value, but its settings end up in resource names, tags and "+
				"ConfigMaps in clear; keep settings in plain text and secrets in the config secrets (%s)", strings.Join(SecretKeys(), ", "))
		}
	}
}
