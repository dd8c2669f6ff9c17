package rules

import (
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"

	"github.com/wechat-deploy/wechat-deploy/components/propertypath"
)

// get follows a dotted path; ok is false when a step is missing, unknown or not a container.
func get(m resource.PropertyMap, path string) (resource.PropertyValue, bool) {
	v, found, known := propertypath.Get(m, path)
	return v, found && known
}

// known reports whether the path's value is known (present or absent); unknowns mean "cannot judge yet".
func known(m resource.PropertyMap, path string) bool {
	_, _, k := propertypath.Get(m, path)
	return k
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
		if u, ok := propertypath.Unwrap(e); ok {
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
	if u, ok := propertypath.Unwrap(v); ok && u.IsObject() {
		return u.ObjectValue()
	}
	return nil
}
