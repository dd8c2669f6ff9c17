package componenttest

import (
	"fmt"
	"sort"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"

	"github.com/wechat-deploy/wechat-deploy/components/propertypath"
)

// Change is a resource whose recorded inputs differ between two runs.
type Change struct {
	URN string
	// Paths are the top-level or nested property paths that differ.
	Paths []string
}

// Diff compares two runs of a program: resources only in one run (which the engine would create or delete) and
// resources whose inputs differ (which it would update, or replace when a replacement-triggering input is among
// the paths).
func Diff(before, after *Result) (changed []Change, added, removed []string) {
	old := map[string]Resource{}
	for _, r := range before.Resources {
		old[r.URN] = r
	}
	seen := map[string]bool{}
	for _, r := range after.Resources {
		seen[r.URN] = true
		o, ok := old[r.URN]
		if !ok {
			added = append(added, r.URN)
			continue
		}
		if paths := diffValues(resource.NewObjectProperty(o.Inputs), resource.NewObjectProperty(r.Inputs), ""); len(paths) > 0 {
			changed = append(changed, Change{URN: r.URN, Paths: paths})
		}
	}
	for u := range old {
		if !seen[u] {
			removed = append(removed, u)
		}
	}
	sort.Strings(added)
	sort.Strings(removed)
	return changed, added, removed
}

func diffValues(a, b resource.PropertyValue, path string) []string {
	a, _ = propertypath.Unwrap(a)
	b, _ = propertypath.Unwrap(b)
	if a.IsObject() && b.IsObject() {
		var out []string
		keys := map[resource.PropertyKey]bool{}
		for k := range a.ObjectValue() {
			keys[k] = true
		}
		for k := range b.ObjectValue() {
			keys[k] = true
		}
		sorted := make([]string, 0, len(keys))
		for k := range keys {
			sorted = append(sorted, string(k))
		}
		sort.Strings(sorted)
		for _, k := range sorted {
			p := k
			if path != "" {
				p = path + "." + k
			}
			out = append(out, diffValues(a.ObjectValue()[resource.PropertyKey(k)], b.ObjectValue()[resource.PropertyKey(k)], p)...)
		}
		return out
	}
	if a.IsArray() && b.IsArray() && len(a.ArrayValue()) == len(b.ArrayValue()) {
		var out []string
		for i := range a.ArrayValue() {
			out = append(out, diffValues(a.ArrayValue()[i], b.ArrayValue()[i], path+"["+itoa(i)+"]")...)
		}
		return out
	}
	if a.DeepEquals(b) {
		return nil
	}
	return []string{path}
}

func itoa(i int) string {
	if i < 10 {
		return string(rune('0' + i))
	}
	return itoa(i/10) + string(rune('0'+i%10))
}

// ChangedInputs lists the input paths of resource typ/name that differ between two runs: given the paths whose
// change makes the provider replace the resource, an empty list means the change updates it in place.
func ChangedInputs(t testing.TB, before, after *Result, typ, name string, paths []string) []string {
	t.Helper()
	b, a := before.MustOne(t, typ, name), after.MustOne(t, typ, name)
	var changed []string
	for _, p := range paths {
		vb, _ := b.Input(p)
		va, _ := a.Input(p)
		if !vb.DeepEquals(va) {
			changed = append(changed, fmt.Sprintf("%s: %v -> %v", p, vb, va))
		}
	}
	return changed
}
