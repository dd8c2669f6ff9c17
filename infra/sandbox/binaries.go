package sandbox

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/wechat-deploy/wechat-deploy/components/image"
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

// PinnedNode finds (building once) what the real node runs, and builds the pause image into dir.
func PinnedNode(ctx context.Context, root, dir string) (*NodeOptions, error) {
	k8sNode, err := tools.Ensure(root, "kubernetes-node")
	if err != nil {
		return nil, err
	}
	b, err := FindNodeBinaries(k8sNode)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	archive := filepath.Join(dir, "pause.tar")
	if err := BuildPause(ctx, root, archive); err != nil {
		return nil, err
	}
	return &NodeOptions{Binaries: b, PauseArchive: archive}, nil
}

// BuildPause builds the pause program into an OCI archive of PauseImage, without a Docker daemon.
func BuildPause(ctx context.Context, root, archive string) error {
	img, err := image.GoBuild{Root: root, Package: "./infra/sandbox/pause", Binary: "/pause"}.Build(ctx)
	if err != nil {
		return fmt.Errorf("building the pause image: %w", err)
	}
	return image.WriteArchive(img, PauseImage, archive)
}

// StartPinned starts the sandbox in dir with the pinned tools: the control plane, the KWOK node and, unless
// simulatedOnly, the real node. It is what make sandbox-up and the release driver run.
func StartPinned(ctx context.Context, root, dir string, simulatedOnly bool, log io.Writer) (*State, error) {
	bins, err := PinnedBinaries(root)
	if err != nil {
		return nil, err
	}
	o := Options{Dir: dir, Binaries: bins, Timeout: 3 * time.Minute, Log: log}
	if !simulatedOnly {
		if o.Node, err = PinnedNode(ctx, root, filepath.Join(filepath.Dir(dir), "sandbox-images")); err != nil {
			return nil, fmt.Errorf("%w (or start the control plane with simulated nodes only: make sandbox-up SIMULATED=1)", err)
		}
	}
	return Start(ctx, o)
}
