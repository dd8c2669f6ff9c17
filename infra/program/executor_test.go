package program

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/wechat-deploy/wechat-deploy/components/image"
	"github.com/wechat-deploy/wechat-deploy/components/kube"
	"github.com/wechat-deploy/wechat-deploy/infra/deploy"
)

// programExecs lists the executables a stack's program runs on the machine that runs it: the exec plugins of its
// Kubernetes providers' kubeconfigs, and the image builder's (go for the daemonless build, docker for the docker
// provider's).
func programExecs(t *testing.T, run stackRun) []string {
	t.Helper()
	var out []string
	add := func(c string) {
		if !slices.Contains(out, c) {
			out = append(out, c)
		}
	}
	for i := range run.Resources {
		r := &run.Resources[i]
		switch r.Type {
		case "pulumi:providers:kubernetes":
			var kc kube.Kubeconfig // JSON (EKS) or YAML (ACK)
			if s := r.Str("kubeconfig"); s != "" {
				if err := yaml.Unmarshal([]byte(s), &kc); err != nil {
					t.Fatalf("provider %s: kubeconfig: %v", r.Name, err)
				}
			}
			for _, u := range kc.Users {
				if exec, ok := u.User["exec"].(map[string]any); ok {
					command, _ := exec["command"].(string)
					add(command)
				}
			}
		case "docker:index/image:Image":
			add("docker")
		case image.GoImageType:
			add("go")
		}
	}
	return out
}

// TestDeploymentsExecutorRunsTheProgram: for every stack with Pulumi Deployments settings, the executor image
// they name holds every command of the settings and every executable the stack's program runs (the stock
// pulumi/pulumi-go image has no make, AWS CLI or Docker).
func TestDeploymentsExecutorRunsTheProgram(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(root, "stacks", "Pulumi.*.deploy.yaml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no deploy settings: %v", err)
	}
	for _, f := range files {
		stack := strings.TrimSuffix(strings.TrimPrefix(filepath.Base(f), "Pulumi."), ".deploy.yaml")
		t.Run(stack, func(t *testing.T) {
			s, err := deploy.Load(f)
			if err != nil {
				t.Fatal(err)
			}
			execs := programExecs(t, runStack(t, stack, fakeSecrets(t), nil))
			if !slices.Contains(execs, "go") {
				t.Errorf("stack %s builds its image with %v, not the daemonless go builder", stack, execs)
			}
			if err := deploy.CheckExecutor(s, execs); err != nil {
				t.Error(err)
			}
		})
	}
}
