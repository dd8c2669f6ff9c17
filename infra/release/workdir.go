package release

import (
	"fmt"
	"os"
	"path/filepath"

	"gopkg.in/yaml.v3"
)

// prepareWorkDir builds the directory the engine runs in: a copy of Pulumi.yaml (stack files beside it, no
// program path: the program runs inline) and the stack file, merged so that the repository's file decides every
// setting while values only this machine holds (the encryption salt and secrets the driver generated for the
// sandbox) survive from earlier runs. The repository's files are never written.
func prepareWorkDir(root, stackFile, workDir, stack string) error {
	if err := os.MkdirAll(workDir, 0o700); err != nil {
		return err
	}
	var project map[string]any
	if err := readYAML(filepath.Join(root, "Pulumi.yaml"), &project); err != nil {
		return err
	}
	delete(project, "stackConfigDir")
	delete(project, "main")
	if err := writeYAML(filepath.Join(workDir, "Pulumi.yaml"), project); err != nil {
		return err
	}

	var src map[string]any
	if err := readYAML(stackFile, &src); err != nil {
		return err
	}
	if src == nil {
		src = map[string]any{}
	}
	workFile := filepath.Join(workDir, "Pulumi."+stack+".yaml")
	var prev map[string]any
	if _, err := os.Stat(workFile); err == nil {
		if err := readYAML(workFile, &prev); err != nil {
			return err
		}
	}
	if _, hasSalt := src["encryptionsalt"]; !hasSalt && prev != nil {
		for _, k := range []string{"encryptionsalt", "secretsprovider", "encryptedkey"} {
			if v, ok := prev[k]; ok {
				src[k] = v
			}
		}
		cfg, _ := src["config"].(map[string]any)
		if cfg == nil {
			cfg = map[string]any{}
		}
		prevCfg, _ := prev["config"].(map[string]any)
		for k, v := range prevCfg {
			if m, ok := v.(map[string]any); ok && m["secure"] != nil {
				if _, defined := cfg[k]; !defined {
					cfg[k] = v
				}
			}
		}
		src["config"] = cfg
	}
	return writeYAML(workFile, src)
}

func readYAML(path string, v any) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	if err := yaml.Unmarshal(b, v); err != nil {
		return fmt.Errorf("parsing %s: %w", path, err)
	}
	return nil
}

func writeYAML(path string, v any) error {
	b, err := yaml.Marshal(v)
	if err != nil {
		return err
	}
	return os.WriteFile(path, b, 0o600)
}

// rewriteConfig replaces the config section of the work directory's stack file (the repository's is never
// written).
func rewriteConfig(workFile string, cfg map[string]any) error {
	var doc map[string]any
	if err := readYAML(workFile, &doc); err != nil {
		return err
	}
	doc["config"] = cfg
	return writeYAML(workFile, doc)
}
