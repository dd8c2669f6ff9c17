package sandbox

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
)

// StorageClass is the sandbox's default storage class: volumes in directories of the sandbox, on the real node,
// bound when a pod that claims one is scheduled (what a cluster's local-path provisioner gives, without one).
const StorageClass = "sandbox-local"

// volumeCount and volumeSize are the persistent volumes the sandbox offers (each a directory; the size is what
// the API matches claims against, not a quota).
const (
	volumeCount = 4
	volumeSize  = "10Gi"
)

// createVolumes makes the default StorageClass and volumeCount volumes under dir, pinned to the real node. The
// directories are world-writable like a local-path provisioner's, so that a non-root pod can create its data
// directory inside (hostPath volumes get no fsGroup).
func createVolumes(ctx context.Context, client *http.Client, server, dir string) error {
	objects := []struct {
		path string
		obj  map[string]any
	}{{"/apis/storage.k8s.io/v1/storageclasses", map[string]any{
		"apiVersion": "storage.k8s.io/v1", "kind": "StorageClass",
		"metadata": map[string]any{"name": StorageClass,
			"annotations": map[string]string{"storageclass.kubernetes.io/is-default-class": "true"}},
		"provisioner":       "kubernetes.io/no-provisioner",
		"volumeBindingMode": "WaitForFirstConsumer",
		"reclaimPolicy":     "Retain",
	}}}
	for i := range volumeCount {
		path := filepath.Join(dir, fmt.Sprintf("pv-%d", i))
		if err := os.MkdirAll(path, 0o755); err != nil {
			return err
		}
		if err := os.Chmod(path, 0o1777); err != nil {
			return err
		}
		objects = append(objects, struct {
			path string
			obj  map[string]any
		}{"/api/v1/persistentvolumes", map[string]any{
			"apiVersion": "v1", "kind": "PersistentVolume",
			"metadata": map[string]any{"name": fmt.Sprintf("sandbox-pv-%d", i)},
			"spec": map[string]any{
				"capacity":                      map[string]string{"storage": volumeSize},
				"accessModes":                   []string{"ReadWriteOnce"},
				"persistentVolumeReclaimPolicy": "Retain",
				"storageClassName":              StorageClass,
				"local":                         map[string]string{"path": path},
				"nodeAffinity": map[string]any{"required": map[string]any{"nodeSelectorTerms": []any{map[string]any{
					"matchExpressions": []any{map[string]any{"key": "kubernetes.io/hostname", "operator": "In", "values": []string{RealNodeName}}},
				}}}},
			},
		}})
	}
	for _, o := range objects {
		if err := create(ctx, client, server, o.path, o.obj); err != nil {
			return err
		}
	}
	return nil
}

// create POSTs obj to the API server (an object that exists already is left as it is).
func create(ctx context.Context, client *http.Client, server, path string, obj map[string]any) error {
	body, _ := json.Marshal(obj)
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, server+path, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("creating %s %v: %w", obj["kind"], obj["metadata"], err)
	}
	// A response body is read-only: closing it frees the connection, and its error cannot change the answer.
	defer func() { _ = resp.Body.Close() }()
	if resp.StatusCode != http.StatusCreated && resp.StatusCode != http.StatusConflict {
		b, _ := io.ReadAll(resp.Body)
		return fmt.Errorf("creating %s: HTTP %d: %s", obj["kind"], resp.StatusCode, b)
	}
	return nil
}
