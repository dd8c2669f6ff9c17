package sandbox

import (
	"os"
	"path/filepath"

	"github.com/wechat-deploy/wechat-deploy/infra/tools"
)

// DefaultDir is where the sandbox lives unless WECHAT_DEPLOY_SANDBOX says otherwise.
func DefaultDir() string {
	if d := os.Getenv("WECHAT_DEPLOY_SANDBOX"); d != "" {
		return d
	}
	cache, err := os.UserCacheDir()
	if err != nil {
		cache = os.TempDir()
	}
	return filepath.Join(cache, "wechat-deploy", "sandbox")
}

// PinnedBinaries builds (once) and locates the pinned control-plane tools.
func PinnedBinaries(root string) (Binaries, error) {
	k8s, err := tools.Ensure(root, "kubernetes")
	if err != nil {
		return Binaries{}, err
	}
	etcd, err := tools.Ensure(root, "etcd")
	if err != nil {
		return Binaries{}, err
	}
	kwok, err := tools.Ensure(root, "kwok")
	if err != nil {
		return Binaries{}, err
	}
	return Binaries{
		Etcd:              filepath.Join(etcd, "bin", "etcd"),
		APIServer:         filepath.Join(k8s, "bin", "kube-apiserver"),
		ControllerManager: filepath.Join(k8s, "bin", "kube-controller-manager"),
		Scheduler:         filepath.Join(k8s, "bin", "kube-scheduler"),
		Kwok:              filepath.Join(kwok, "bin", "kwok"),
		KwokStages:        filepath.Join(kwok, "stages"),
	}, nil
}

// ProjectRoot walks up from dir to the directory holding Pulumi.yaml.
func ProjectRoot(dir string) (string, bool) {
	for {
		if _, err := os.Stat(filepath.Join(dir, "Pulumi.yaml")); err == nil {
			return dir, true
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", false
		}
		dir = parent
	}
}
