package componenttest

import (
	"bufio"
	"encoding/json"
	"fmt"
	"math"
	"net/netip"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"

	"github.com/wechat-deploy/wechat-deploy/components/propertypath"
)

// ProviderRule is one validation rule a cloud provider applies to a resource's inputs before calling the cloud
// (Terraform's ConflictsWith, ExactlyOneOf, ValidateFunc, MaxItems, ...): facts kept as testdata, one per line
// of a tab-separated file (type, kind, path, argument, source), with Pulumi property names and [*] for every
// element of a list.
type ProviderRule struct {
	Type, Kind, Path, Arg, Source string
	// Line is the rule's line in its file, for messages.
	Line int

	re *regexp.Regexp
}

// ProviderRuleKinds are the kinds a rules file may use; "none" records that a type has no rules, so that
// coverage of every registered type is explicit.
var ProviderRuleKinds = []string{"conflicts", "exactlyOneOf", "atLeastOneOf", "requiredWith", "enum", "intBetween",
	"intAtLeast", "intInSlice", "lenBetween", "regex", "maxItems", "minItems", "cidr", "arn", "json", "none"}

// LoadProviderRules reads a rules file; a malformed line is an error naming it.
func LoadProviderRules(path string) ([]ProviderRule, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer func() { _ = f.Close() }() // read-only: nothing to flush
	var rules []ProviderRule
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		if strings.TrimSpace(line) == "" || strings.HasPrefix(line, "#") {
			continue
		}
		cols := strings.Split(line, "\t")
		if len(cols) != 5 {
			return nil, fmt.Errorf("%s:%d: want 5 tab-separated columns, got %d", path, n, len(cols))
		}
		r := ProviderRule{Type: cols[0], Kind: cols[1], Path: cols[2], Arg: cols[3], Source: cols[4], Line: n}
		if err := r.compile(); err != nil {
			return nil, fmt.Errorf("%s:%d: %w", path, n, err)
		}
		rules = append(rules, r)
	}
	return rules, sc.Err()
}

func (r *ProviderRule) compile() error {
	if !slices.Contains(ProviderRuleKinds, r.Kind) {
		return fmt.Errorf("unknown kind %q", r.Kind)
	}
	var err error
	switch r.Kind {
	case "regex":
		r.re, err = regexp.Compile(r.Arg)
	case "intBetween", "lenBetween":
		_, _, err = r.bounds()
	case "intAtLeast", "maxItems", "minItems":
		_, err = strconv.Atoi(r.Arg)
	case "intInSlice":
		for _, v := range strings.Split(r.Arg, ",") {
			if _, err = strconv.Atoi(v); err != nil {
				break
			}
		}
	}
	return err
}

func (r *ProviderRule) bounds() (lo, hi int, err error) {
	a, b, ok := strings.Cut(r.Arg, ",")
	if !ok {
		return 0, 0, fmt.Errorf("%s wants min,max, got %q", r.Kind, r.Arg)
	}
	if lo, err = strconv.Atoi(a); err == nil {
		hi, err = strconv.Atoi(b)
	}
	return lo, hi, err
}

// value is one value found at a rule's path; known is false for a preview's unknown.
type value struct {
	v     resource.PropertyValue
	known bool
}

// unwrap looks through secrets and outputs: the bare value, or an unknown one.
func (c value) unwrap() value {
	if !c.known {
		return c
	}
	u, known := propertypath.Unwrap(c.v)
	return value{v: u, known: known}
}

// values expands path (with [*] over list elements) in props. A missing step or a null yields nothing; an
// unknown step yields one unknown value (the engine will send something there).
func values(props resource.PropertyMap, path string) []value {
	cur := []value{{v: resource.NewObjectProperty(props), known: true}}
	for _, part := range strings.Split(strings.ReplaceAll(path, "[*]", ".*"), ".") {
		var next []value
		for _, c := range cur {
			u := c.unwrap()
			switch {
			case !u.known:
				next = append(next, u)
			case part == "*" && u.v.IsArray():
				for _, e := range u.v.ArrayValue() {
					next = append(next, value{v: e, known: true})
				}
			case part != "*" && u.v.IsObject():
				if e, ok := u.v.ObjectValue()[resource.PropertyKey(part)]; ok {
					next = append(next, value{v: e, known: true})
				}
			}
		}
		cur = next
	}
	var out []value
	for _, c := range cur {
		if u := c.unwrap(); !u.known || !u.v.IsNull() {
			out = append(out, u)
		}
	}
	return out
}

// isSet reports whether the path holds a value as Terraform's schema checks see it: present and not null (an
// explicit false or 0 is set); an empty list or map is not; an unknown is.
func isSet(props resource.PropertyMap, path string) bool {
	for _, v := range values(props, path) {
		switch {
		case !v.known:
			return true
		case v.v.IsArray() && len(v.v.ArrayValue()) == 0, v.v.IsObject() && len(v.v.ObjectValue()) == 0:
		default:
			return true
		}
	}
	return false
}

// Check returns the rule's violations in inputs (empty when it holds or cannot be judged yet).
func (r *ProviderRule) Check(inputs resource.PropertyMap) []string {
	var out []string
	bad := func(format string, args ...any) { out = append(out, fmt.Sprintf(format, args...)) }
	switch r.Kind {
	case "none":
	case "conflicts":
		if isSet(inputs, r.Path) && isSet(inputs, r.Arg) {
			bad("%s and %s are both set; the provider accepts one of them", r.Path, r.Arg)
		}
	case "exactlyOneOf", "atLeastOneOf":
		// Paths inside one list (routes[*].a,routes[*].b) are a rule for each element: a list without elements
		// has nothing to check.
		paths := strings.Split(r.Path, ",")
		scopes := []resource.PropertyMap{inputs}
		if list, ok := commonList(paths); ok {
			scopes = nil
			for _, v := range values(inputs, list+"[*]") {
				if v.known && v.v.IsObject() {
					scopes = append(scopes, v.v.ObjectValue())
				}
			}
			for i := range paths {
				paths[i] = strings.TrimPrefix(paths[i], list+"[*].")
			}
		}
		for _, scope := range scopes {
			var set []string
			for _, p := range paths {
				if isSet(scope, p) {
					set = append(set, p)
				}
			}
			if len(set) == 0 || (r.Kind == "exactlyOneOf" && len(set) > 1) {
				bad("%s set among %s; the provider wants %s", orNone(set), r.Path, map[string]string{"exactlyOneOf": "exactly one", "atLeastOneOf": "at least one"}[r.Kind])
			}
		}
	case "requiredWith":
		if isSet(inputs, r.Path) {
			for _, p := range strings.Split(r.Arg, ",") {
				if !isSet(inputs, p) {
					bad("%s is set without %s, which it requires", r.Path, p)
				}
			}
		}
	case "maxItems", "minItems":
		n, _ := strconv.Atoi(r.Arg)
		for _, v := range values(inputs, r.Path) {
			if !v.known {
				continue
			}
			count := 1
			if v.v.IsArray() {
				count = len(v.v.ArrayValue())
			}
			if (r.Kind == "maxItems" && count > n) || (r.Kind == "minItems" && count < n) {
				bad("%s has %d items; the provider allows %s %d", r.Path, count, map[string]string{"maxItems": "at most", "minItems": "at least"}[r.Kind], n)
			}
		}
	default:
		for _, v := range values(inputs, r.Path) {
			if v.known {
				if why := r.checkValue(v.v); why != "" {
					bad("%s: %s", r.Path, why)
				}
			}
		}
	}
	return out
}

// commonList is the list all paths lie in (routes of routes[*].a and routes[*].b), when they share one.
func commonList(paths []string) (string, bool) {
	list, _, ok := strings.Cut(paths[0], "[*].")
	if !ok {
		return "", false
	}
	for _, p := range paths[1:] {
		if !strings.HasPrefix(p, list+"[*].") {
			return "", false
		}
	}
	return list, true
}

func orNone(s []string) string {
	if len(s) == 0 {
		return "none"
	}
	return strings.Join(s, " and ")
}

// checkValue judges one known scalar value.
func (r *ProviderRule) checkValue(v resource.PropertyValue) string {
	switch r.Kind {
	case "intBetween", "intAtLeast", "intInSlice":
		if !v.IsNumber() {
			return ""
		}
		n := v.NumberValue()
		switch r.Kind {
		case "intBetween":
			lo, hi, _ := r.bounds()
			if n < float64(lo) || n > float64(hi) || n != math.Trunc(n) {
				return fmt.Sprintf("%v is outside %d..%d", n, lo, hi)
			}
		case "intAtLeast":
			lo, _ := strconv.Atoi(r.Arg)
			if n < float64(lo) {
				return fmt.Sprintf("%v is below %d", n, lo)
			}
		default:
			if !slices.Contains(strings.Split(r.Arg, ","), strconv.FormatFloat(n, 'f', -1, 64)) {
				return fmt.Sprintf("%v is not one of %s", n, r.Arg)
			}
		}
		return ""
	}
	if !v.IsString() {
		return ""
	}
	s := v.StringValue()
	switch r.Kind {
	case "enum":
		allowed, fold := strings.CutPrefix(r.Arg, "ci:")
		if !slices.ContainsFunc(strings.Split(allowed, ","), func(a string) bool { return a == s || (fold && strings.EqualFold(a, s)) }) {
			return fmt.Sprintf("%q is not one of %s", s, allowed)
		}
	case "lenBetween":
		lo, hi, _ := r.bounds()
		if len(s) < lo || len(s) > hi {
			return fmt.Sprintf("%q is %d characters; the provider allows %d..%d", s, len(s), lo, hi)
		}
	case "regex":
		if !r.re.MatchString(s) {
			return fmt.Sprintf("%q does not match %s", s, r.Arg)
		}
	case "cidr":
		family, network := strings.CutSuffix(r.Arg, ",network")
		p, err := netip.ParsePrefix(s)
		switch {
		case err != nil:
			return fmt.Sprintf("%q is not a CIDR", s)
		case family == "ipv4" && !p.Addr().Is4(), family == "ipv6" && !p.Addr().Is6():
			return fmt.Sprintf("%q is not an %s CIDR", s, family)
		case network && p.Masked() != p:
			return fmt.Sprintf("%q is not a network address (%s)", s, p.Masked())
		}
	case "arn":
		if parts := strings.SplitN(s, ":", 6); len(parts) != 6 || parts[0] != "arn" || parts[1] == "" || parts[2] == "" || parts[5] == "" {
			return fmt.Sprintf("%q is not an ARN", s)
		}
	case "json":
		if !json.Valid([]byte(s)) {
			return "not valid JSON"
		}
	}
	return ""
}

// ProviderRuleViolation is one rule broken by one resource.
type ProviderRuleViolation struct {
	Rule     ProviderRule
	Resource string
	Problem  string
}

func (v ProviderRuleViolation) String() string {
	return fmt.Sprintf("%s %s: %s (rule %s, line %d, from %s)", v.Rule.Type, v.Resource, v.Problem, v.Rule.Kind, v.Rule.Line, v.Rule.Source)
}

// CheckProviderRules evaluates every rule of each registered resource's type against its inputs.
func CheckProviderRules(rules []ProviderRule, resources []Resource) []ProviderRuleViolation {
	var out []ProviderRuleViolation
	for _, res := range resources {
		for _, rule := range rules {
			if rule.Type != res.Type {
				continue
			}
			for _, p := range rule.Check(res.Inputs) {
				out = append(out, ProviderRuleViolation{Rule: rule, Resource: res.Name, Problem: p})
			}
		}
	}
	return out
}

// ProviderRuleFixture is a deliberately broken resource and the kind of rule it must break.
type ProviderRuleFixture struct {
	What, Type, Kind string
	Inputs           map[string]any
}

// CheckProviderRuleFixtures loads a rules file and a JSON list of fixtures and fails t for every fixture that
// no rule of the expected kind flags: the proof that a stack judged by these rules and found clean means something.
func CheckProviderRuleFixtures(t *testing.T, rulesFile, fixturesFile string) {
	t.Helper()
	rules, err := LoadProviderRules(rulesFile)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(fixturesFile)
	if err != nil {
		t.Fatal(err)
	}
	var fixtures []ProviderRuleFixture
	if err := json.Unmarshal(raw, &fixtures); err != nil {
		t.Fatalf("%s: %v", fixturesFile, err)
	}
	if len(fixtures) == 0 {
		t.Fatalf("%s holds no fixtures", fixturesFile)
	}
	for _, f := range fixtures {
		t.Run(f.What, func(t *testing.T) {
			found := CheckProviderRules(rules, []Resource{{Type: f.Type, Name: "fixture", Inputs: resource.NewPropertyMapFromMap(f.Inputs)}})
			if !slices.ContainsFunc(found, func(v ProviderRuleViolation) bool { return v.Rule.Kind == f.Kind }) {
				t.Errorf("no %s violation; found %v", f.Kind, found)
			}
		})
	}
}

// Properties are the property paths a rule names: its path (or paths), and for conflicts and requiredWith the
// other properties in its argument; none for kind none.
func (r *ProviderRule) Properties() []string {
	if r.Kind == "none" {
		return nil
	}
	paths := strings.Split(r.Path, ",")
	if r.Kind == "conflicts" || r.Kind == "requiredWith" {
		paths = append(paths, strings.Split(r.Arg, ",")...)
	}
	return paths
}
