// Package propertypath reads values out of Pulumi property maps by paths such as "vpcConfig.subnetIds[0]",
// looking through secret markers and known outputs. The policy pack judges resources this way and the test
// support in components/componenttest pins them this way: one reader, so both see the same value at a path.
package propertypath

import (
	"strconv"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
)

// Split turns "a.b[0].c" into [a b 0 c].
func Split(path string) []string {
	return strings.Split(strings.NewReplacer("[", ".", "]", "").Replace(path), ".")
}

// Unwrap strips secret markers and known outputs; known is false for an unknown (preview) value.
func Unwrap(v resource.PropertyValue) (_ resource.PropertyValue, known bool) {
	for {
		switch {
		case v.IsSecret():
			v = v.SecretValue().Element
		case v.IsOutput():
			o := v.OutputValue()
			if !o.Known {
				return v, false
			}
			v = o.Element
		case v.IsComputed():
			return v, false
		default:
			return v, true
		}
	}
}

// Get follows path through m. found is false when a step is missing, out of range or not a container; known is
// false when the walk met an unknown value first (a preview cannot judge it yet). A missing value is known.
func Get(m resource.PropertyMap, path string) (v resource.PropertyValue, found, known bool) {
	return Lookup(resource.NewObjectProperty(m), path)
}

// Lookup is Get from any value.
func Lookup(v resource.PropertyValue, path string) (_ resource.PropertyValue, found, known bool) {
	for _, part := range Split(path) {
		u, ok := Unwrap(v)
		if !ok {
			return resource.PropertyValue{}, false, false
		}
		next, ok := step(u, part)
		if !ok {
			return resource.PropertyValue{}, false, true
		}
		v = next
	}
	u, ok := Unwrap(v)
	if !ok {
		return resource.PropertyValue{}, false, false
	}
	return u, true, true
}

// step descends one path element: an index into an array, or a key of an object.
func step(v resource.PropertyValue, part string) (resource.PropertyValue, bool) {
	if i, err := strconv.Atoi(part); err == nil && v.IsArray() {
		if i < 0 || i >= len(v.ArrayValue()) {
			return resource.PropertyValue{}, false
		}
		return v.ArrayValue()[i], true
	}
	if !v.IsObject() {
		return resource.PropertyValue{}, false
	}
	next, ok := v.ObjectValue()[resource.PropertyKey(part)]
	return next, ok
}

// IsSecret reports whether the value at path, or a value enclosing it, is marked secret.
func IsSecret(m resource.PropertyMap, path string) bool {
	v := resource.NewObjectProperty(m)
	for _, part := range Split(path) {
		if secret(v) {
			return true
		}
		if v.IsOutput() {
			v = v.OutputValue().Element
		}
		next, ok := step(v, part)
		if !ok {
			return false
		}
		v = next
	}
	return secret(v)
}

func secret(v resource.PropertyValue) bool {
	return v.IsSecret() || (v.IsOutput() && v.OutputValue().Secret)
}
