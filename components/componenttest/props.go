package componenttest

import (
	"strconv"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
)

// Input follows a path such as "vpcConfig.subnetIds[0]" through the resource's inputs, looking through secret
// markers; ok is false when a step is missing.
func (r *Resource) Input(path string) (resource.PropertyValue, bool) {
	return lookup(resource.NewObjectProperty(r.Inputs), path)
}

func lookup(v resource.PropertyValue, path string) (resource.PropertyValue, bool) {
	for _, part := range splitPath(path) {
		v = plain(v)
		if i, err := strconv.Atoi(part); err == nil && v.IsArray() {
			if i < 0 || i >= len(v.ArrayValue()) {
				return resource.PropertyValue{}, false
			}
			v = v.ArrayValue()[i]
			continue
		}
		if !v.IsObject() {
			return resource.PropertyValue{}, false
		}
		next, ok := v.ObjectValue()[resource.PropertyKey(part)]
		if !ok {
			return resource.PropertyValue{}, false
		}
		v = next
	}
	return plain(v), true
}

// splitPath turns "a.b[0].c" into [a b 0 c].
func splitPath(path string) []string {
	path = strings.ReplaceAll(strings.ReplaceAll(path, "[", "."), "]", "")
	return strings.Split(path, ".")
}

func plain(v resource.PropertyValue) resource.PropertyValue {
	for {
		switch {
		case v.IsSecret():
			v = v.SecretValue().Element
		case v.IsOutput():
			v = v.OutputValue().Element
		default:
			return v
		}
	}
}

// Str returns a string input ("" when absent).
func (r *Resource) Str(path string) string {
	if v, ok := r.Input(path); ok && v.IsString() {
		return v.StringValue()
	}
	return ""
}

// Bool returns a boolean input (false when absent).
func (r *Resource) Bool(path string) bool {
	v, ok := r.Input(path)
	return ok && v.IsBool() && v.BoolValue()
}

// Num returns a number input (0 when absent).
func (r *Resource) Num(path string) float64 {
	if v, ok := r.Input(path); ok && v.IsNumber() {
		return v.NumberValue()
	}
	return 0
}

// Strings returns a list of strings input.
func (r *Resource) Strings(path string) []string {
	v, ok := r.Input(path)
	if !ok || !v.IsArray() {
		return nil
	}
	var out []string
	for _, e := range v.ArrayValue() {
		if e = plain(e); e.IsString() {
			out = append(out, e.StringValue())
		}
	}
	return out
}

// Has reports whether the input path exists.
func (r *Resource) Has(path string) bool {
	_, ok := r.Input(path)
	return ok
}

// IsSecret reports whether the value at path (or an enclosing value) is marked secret.
func (r *Resource) IsSecret(path string) bool {
	v := resource.NewObjectProperty(r.Inputs)
	for _, part := range splitPath(path) {
		if v.IsSecret() {
			return true
		}
		if v.IsOutput() {
			if v.OutputValue().Secret {
				return true
			}
			v = v.OutputValue().Element
		}
		if i, err := strconv.Atoi(part); err == nil && v.IsArray() {
			if i >= len(v.ArrayValue()) {
				return false
			}
			v = v.ArrayValue()[i]
			continue
		}
		if !v.IsObject() {
			return false
		}
		v = v.ObjectValue()[resource.PropertyKey(part)]
	}
	return v.IsSecret() || (v.IsOutput() && v.OutputValue().Secret)
}
