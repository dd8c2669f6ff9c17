package config

import (
	"encoding/json"
	"fmt"
	"reflect"
	"sort"
	"strings"
)

// Entry is one row of the configuration reference.
type Entry struct {
	// Key is the key without namespace, with a dotted path into objects (network.cidr).
	Key string
	// Type is string, integer, boolean, list, map or object.
	Type string
	// Default is the effective default, per cloud when it differs ("" when there is none).
	Default string
	Doc     string
	Secret  bool
}

// Reference lists every configuration key, nested fields included, and every secret, with the defaults the
// program applies. The README's configuration table is generated from it.
func Reference() []Entry {
	defaults := map[Cloud]Config{}
	for _, cloud := range Clouds {
		c := Config{Project: Namespace, Stack: "<stack>", Cloud: cloud}
		applyDefaults(&c)
		defaults[cloud] = c
	}
	var out []Entry
	t := reflect.TypeOf(Config{})
	for i := range t.NumField() {
		f := t.Field(i)
		name := jsonName(f)
		if name == "" {
			continue
		}
		out = append(out, entries(name, f, func(path []int) map[Cloud]reflect.Value {
			m := map[Cloud]reflect.Value{}
			for cloud, c := range defaults {
				m[cloud] = reflect.ValueOf(c).FieldByIndex(path)
			}
			return m
		}, []int{i})...)
	}
	for _, s := range SecretSpecs {
		def := "(optional)"
		switch {
		case s.Required(&Config{Cloud: CloudAWS}):
			def = "(required)"
		case s.Key == KeyDatabaseURL:
			def = "(required in production without database.provision)"
		case s.Key == KeyDatabasePassword:
			def = "(required with database.provision)"
		}
		out = append(out, Entry{Key: s.Key, Type: "string", Doc: s.Doc, Secret: true, Default: def})
	}
	return out
}

func entries(key string, f reflect.StructField, values func([]int) map[Cloud]reflect.Value, index []int) []Entry {
	e := Entry{Key: key, Type: typeName(f.Type), Doc: f.Tag.Get("doc")}
	ft := f.Type
	if ft.Kind() == reflect.Struct {
		out := []Entry{e}
		for i := range ft.NumField() {
			sub := ft.Field(i)
			name := jsonName(sub)
			if name == "" {
				continue
			}
			out = append(out, entries(key+"."+name, sub, values, append(append([]int{}, index...), i))...)
		}
		return out
	}
	switch key {
	case "cloud":
		e.Default = "(required)"
	case "region":
		e.Default = "(required for aws, alicloud)"
	default:
		e.Default = describeDefault(values(index))
	}
	return []Entry{e}
}

func typeName(t reflect.Type) string {
	switch t.Kind() {
	case reflect.Pointer:
		return typeName(t.Elem())
	case reflect.String:
		return "string"
	case reflect.Bool:
		return "boolean"
	case reflect.Int:
		return "integer"
	case reflect.Slice:
		return "list"
	case reflect.Map:
		return "map"
	default:
		return "object"
	}
}

// describeDefault renders the defaults of the three clouds: one value when they agree, else each cloud's.
func describeDefault(vals map[Cloud]reflect.Value) string {
	render := func(v reflect.Value) string {
		if v.Kind() == reflect.Bool {
			return fmt.Sprint(v.Bool())
		}
		if v.IsZero() {
			return ""
		}
		if v.Kind() == reflect.String {
			return v.String()
		}
		b, _ := json.Marshal(v.Interface())
		return string(b)
	}
	seen := map[string][]string{}
	for _, cloud := range Clouds {
		r := render(vals[cloud])
		seen[r] = append(seen[r], string(cloud))
	}
	if len(seen) == 1 {
		for r := range seen {
			return r
		}
	}
	var parts []string
	for r, clouds := range seen {
		if r == "" {
			continue
		}
		parts = append(parts, fmt.Sprintf("%s: %s", strings.Join(clouds, ", "), r))
	}
	sort.Strings(parts)
	return strings.Join(parts, "; ")
}

// ReferenceMarkdown renders the reference as a Markdown table.
func ReferenceMarkdown() string {
	var b strings.Builder
	b.WriteString("| Key (`wechat-deploy:`…) | Type | Default | Description |\n|---|---|---|---|\n")
	for _, e := range Reference() {
		typ := e.Type
		if e.Secret {
			typ = "secret"
		}
		def := e.Default
		if def != "" {
			def = "`" + strings.ReplaceAll(def, "|", "\\|") + "`"
		}
		fmt.Fprintf(&b, "| `%s` | %s | %s | %s |\n", e.Key, typ, def, strings.ReplaceAll(e.Doc, "|", "\\|"))
	}
	return b.String()
}
