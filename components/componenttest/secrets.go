package componenttest

import (
	"encoding/base64"
	"fmt"
	"sort"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
)

// Leak is a secret value found in plain text.
type Leak struct {
	// Where names the resource (or export) and the property path.
	Where string
	// Secret names which secret leaked (its key, never its value).
	Secret string
}

func (l Leak) String() string { return fmt.Sprintf("%s holds %s in plain text", l.Where, l.Secret) }

// FindLeaks walks every input and output of every resource, and the given exports, and reports each place where
// a secret value (or its base64 form, as in a Kubernetes Secret's data) sits in a value that is not marked
// secret. secrets maps a name to the secret value.
func (r *Result) FindLeaks(secrets map[string]string, exports map[string]Awaited) []Leak {
	needles := map[string]string{}
	for name, v := range secrets {
		if len(v) < 6 {
			continue // too short to search for without false alarms
		}
		needles[v] = name
		needles[base64.StdEncoding.EncodeToString([]byte(v))] = name + " (base64)"
	}
	var leaks []Leak
	for _, res := range r.Resources {
		where := res.Type + " " + res.Name
		leaks = append(leaks, walk(resource.NewObjectProperty(res.Inputs), where+" input", needles)...)
		leaks = append(leaks, walk(resource.NewObjectProperty(res.Outputs), where+" output", needles)...)
	}
	names := make([]string, 0, len(exports))
	for k := range exports {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		e := exports[k]
		if e.Secret {
			continue
		}
		leaks = append(leaks, walk(resource.NewPropertyValue(e.Value), "export "+k, needles)...)
	}
	return leaks
}

func walk(v resource.PropertyValue, path string, needles map[string]string) []Leak {
	switch {
	case v.IsSecret():
		return nil
	case v.IsString():
		var out []Leak
		for needle, name := range needles {
			if strings.Contains(v.StringValue(), needle) {
				out = append(out, Leak{Where: path, Secret: name})
			}
		}
		return out
	case v.IsArray():
		var out []Leak
		for i, e := range v.ArrayValue() {
			out = append(out, walk(e, fmt.Sprintf("%s[%d]", path, i), needles)...)
		}
		return out
	case v.IsObject():
		var out []Leak
		for k, e := range v.ObjectValue() {
			out = append(out, walk(e, path+"."+string(k), needles)...)
		}
		return out
	case v.IsOutput():
		if v.OutputValue().Secret {
			return nil
		}
		return walk(v.OutputValue().Element, path, needles)
	}
	return nil
}

// SecretPaths lists the property paths of a resource's inputs that are marked secret.
func (r *Resource) SecretPaths() []string {
	var out []string
	var rec func(v resource.PropertyValue, path string)
	rec = func(v resource.PropertyValue, path string) {
		switch {
		case v.IsSecret():
			out = append(out, path)
		case v.IsArray():
			for i, e := range v.ArrayValue() {
				rec(e, fmt.Sprintf("%s[%d]", path, i))
			}
		case v.IsObject():
			for k, e := range v.ObjectValue() {
				p := string(k)
				if path != "" {
					p = path + "." + p
				}
				rec(e, p)
			}
		}
	}
	rec(resource.NewObjectProperty(r.Inputs), "")
	sort.Strings(out)
	return out
}
