package deploy

import (
	_ "embed"
	"fmt"
	"slices"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/pulumi/pulumi/sdk/v3/go/common/apitype"
)

//go:embed executors.tsv
var executorsTSV string

// Toolset returns the executables on PATH in the executor image ref (repository[:tag][@digest]), as declared in
// executors.tsv from the image's own build files; an image whose contents are not declared is an error, since
// nothing could then be checked.
func Toolset(ref string) ([]string, error) {
	image, err := name.ParseReference(ref)
	if err != nil {
		return nil, fmt.Errorf("executor image %q: %w", ref, err)
	}
	for line := range strings.SplitSeq(executorsTSV, "\n") {
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		repo, tools, _ := strings.Cut(line, "\t")
		// Compared as full repository names, so that the default registry (Docker Hub) is the same however
		// spelt, and another registry's image of the same path is not.
		if declared, err := name.NewRepository(repo); err == nil && declared.Name() == image.Context().Name() {
			return strings.Fields(tools), nil
		}
	}
	return nil, fmt.Errorf("executor image %q: its executables are not declared in infra/deploy/executors.tsv", ref)
}

// Commands returns the executables a shell command line runs: the first word of each simple command, after
// `&&`, `||`, `;` and `|`, skipping leading VAR=value assignments.
func Commands(line string) []string {
	var out []string
	for _, sep := range []string{"&&", "||", ";", "|"} {
		line = strings.ReplaceAll(line, sep, "\n")
	}
	for cmd := range strings.SplitSeq(line, "\n") {
		for _, w := range strings.Fields(cmd) {
			if k, _, ok := strings.Cut(w, "="); ok && k != "" && !strings.ContainsAny(k, "/-.") {
				continue
			}
			out = append(out, w)
			break
		}
	}
	return out
}

// CheckExecutor fails when the executor image the settings name lacks an executable that a pre-run command or
// the program (programExecs: kubeconfig exec plugins, image builders) runs, naming each.
func CheckExecutor(s apitype.DeploymentSettings, programExecs []string) error {
	if s.Executor == nil || s.Executor.ExecutorImage == nil || s.Executor.ExecutorImage.Reference == "" {
		return fmt.Errorf("the settings name no executor image (executorContext.executorImage.reference)")
	}
	ref := s.Executor.ExecutorImage.Reference
	tools, err := Toolset(ref)
	if err != nil {
		return err
	}
	var missing []string
	if s.Operation != nil {
		for _, line := range s.Operation.PreRunCommands {
			for _, c := range Commands(line) {
				if !slices.Contains(tools, c) {
					missing = append(missing, fmt.Sprintf("%s (pre-run command %q)", c, line))
				}
			}
		}
	}
	for _, c := range programExecs {
		if !slices.Contains(tools, c) {
			missing = append(missing, fmt.Sprintf("%s (run by the program)", c))
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("executor image %s has no %s", ref, strings.Join(missing, ", no "))
	}
	return nil
}
