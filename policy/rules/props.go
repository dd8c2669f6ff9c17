package rules

import (
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
)

// value is a property with secrets and known outputs unwrapped; unknown values report known=false.
func unwrap(v resource.PropertyValue) (resource.PropertyValue, bool) {
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

// get follows a dotted path through objects; ok is false when a step is missing, unknown or not an object.
func get(m resource.PropertyMap, path string) (resource.PropertyValue, bool) {
	cur := resource.NewObjectProperty(m)
	for _, part := range strings.Split(path, ".") {
		v, known := unwrap(cur)
		if !known || !v.IsObject() {
			return resource.PropertyValue{}, false
		}
		next, ok := v.ObjectValue()[resource.PropertyKey(part)]
		if !ok {
			return resource.PropertyValue{}, false
		}
		cur = next
	}
	return unwrap(cur)
}

// known reports whether the path's value is known (present or absent); unknowns mean "cannot judge yet".
func known(m resource.PropertyMap, path string) bool {
	cur := resource.NewObjectProperty(m)
	for _, part := range strings.Split(path, ".") {
		v, ok := unwrap(cur)
		if !ok {
			return false
		}
		if !v.IsObject() {
			return true
		}
		next, ok := v.ObjectValue()[resource.PropertyKey(part)]
		if !ok {
			return true
		}
		cur = next
	}
	_, ok := unwrap(cur)
	return ok
}

func str(m resource.PropertyMap, path string) string {
	v, ok := get(m, path)
	if ok && v.IsString() {
		return v.StringValue()
	}
	return ""
}

// boolean reads a bool, accepting the "true"/"false" strings some providers use.
func boolean(m resource.PropertyMap, path string) (bool, bool) {
	v, ok := get(m, path)
	switch {
	case !ok:
		return false, false
	case v.IsBool():
		return v.BoolValue(), true
	case v.IsString():
		return v.StringValue() == "true", v.StringValue() == "true" || v.StringValue() == "false"
	}
	return false, false
}

func number(m resource.PropertyMap, path string) (float64, bool) {
	v, ok := get(m, path)
	if ok && v.IsNumber() {
		return v.NumberValue(), true
	}
	return 0, false
}

// list returns the elements of an array (unwrapped), nil when absent.
func list(m resource.PropertyMap, path string) []resource.PropertyValue {
	v, ok := get(m, path)
	if !ok || !v.IsArray() {
		return nil
	}
	out := make([]resource.PropertyValue, 0, len(v.ArrayValue()))
	for _, e := range v.ArrayValue() {
		if u, ok := unwrap(e); ok {
			out = append(out, u)
		}
	}
	return out
}

func stringList(m resource.PropertyMap, path string) []string {
	var out []string
	for _, e := range list(m, path) {
		if e.IsString() {
			out = append(out, e.StringValue())
		}
	}
	return out
}

func object(v resource.PropertyValue) resource.PropertyMap {
	if u, ok := unwrap(v); ok && u.IsObject() {
		return u.ObjectValue()
	}
	return nil
}
