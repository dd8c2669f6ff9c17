// Command schemaembed stamps a version into the Kubernetes provider's schema and writes the embedded copies its
// build needs (the module zip on the proxy lacks them). It does what the provider's own generate step does,
// without building that step's dependencies.
package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
)

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: schemaembed <cmd/pulumi-resource-kubernetes dir> <version>")
		os.Exit(2)
	}
	if err := run(os.Args[1], os.Args[2]); err != nil {
		fmt.Fprintln(os.Stderr, "schemaembed:", err)
		os.Exit(1)
	}
}

func run(dir, version string) error {
	var schema map[string]any
	if err := readJSON(filepath.Join(dir, "schema.json"), &schema); err != nil {
		return err
	}
	schema["version"] = version
	if err := writeJSON(filepath.Join(dir, "schema-embed.json"), schema); err != nil {
		return err
	}
	var mapping any
	if err := readJSON(filepath.Join(dir, "terraform-mapping.json"), &mapping); err != nil {
		return err
	}
	return writeJSON(filepath.Join(dir, "terraform-mapping-embed.json"), mapping)
}

func readJSON(path string, v any) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("reading %s: %w", path, err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("parsing %s: %w", path, err)
	}
	return nil
}

func writeJSON(path string, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("rendering %s: %w", path, err)
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return nil
}
