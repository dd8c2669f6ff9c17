package componenttest

import (
	"fmt"
	"maps"
	"slices"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"

	"github.com/wechat-deploy/wechat-deploy/components/propertypath"
)

// Input follows a path such as "vpcConfig.subnetIds[0]" through the resource's inputs, looking through secret
// markers; ok is false when a step is missing.
func (r *Resource) Input(path string) (resource.PropertyValue, bool) {
	v, found, _ := propertypath.Get(r.Inputs, path)
	return v, found
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
		if e, _ = propertypath.Unwrap(e); e.IsString() {
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
func (r *Resource) IsSecret(path string) bool { return propertypath.IsSecret(r.Inputs, path) }

// StringMap returns the string entries of the object input at path, keyed as they are (labels, annotations and
// ConfigMap data, whose keys hold dots a path cannot step through); nil when absent.
func (r *Resource) StringMap(path string) map[string]string {
	v, ok := r.Input(path)
	if !ok || !v.IsObject() {
		return nil
	}
	out := map[string]string{}
	for k, e := range v.ObjectValue() {
		if e, _ = propertypath.Unwrap(e); e.IsString() {
			out[string(k)] = e.StringValue()
		}
	}
	return out
}

// SelectorProblems says how a Service (r) fails to select exactly the pods of a workload (owner: a Deployment or
// a StatefulSet): its selector must be non-empty and equal the workload's, and the pod template must carry every
// label it selects. Nil when it does.
func (r *Resource) SelectorProblems(owner *Resource) []string {
	selector, podLabels := r.StringMap("spec.selector"), owner.StringMap("spec.template.metadata.labels")
	if matchLabels := owner.StringMap("spec.selector.matchLabels"); len(selector) == 0 || !maps.Equal(selector, matchLabels) {
		return []string{fmt.Sprintf("service selector %v, %s selector %v", selector, owner.Name, matchLabels)}
	}
	var problems []string
	for _, k := range slices.Sorted(maps.Keys(selector)) {
		if podLabels[k] != selector[k] {
			problems = append(problems, fmt.Sprintf("the pods of %s lack %s=%s", owner.Name, k, selector[k]))
		}
	}
	return problems
}
