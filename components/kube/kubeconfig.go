// Package kube turns a platform's kubeconfig into a Kubernetes provider that survives credential rotation:
// the kubeconfig is reduced to the one context in use and rendered canonically, and the provider carries a
// stable cluster identifier, so a new token or a reformatted file updates the provider in place instead of
// replacing it (and, with it, every workload).
package kube

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"

	"gopkg.in/yaml.v3"
)

// Kubeconfig is the subset of a kubeconfig file this package reads. User entries are kept whole, since auth
// plugins and exec settings vary.
type Kubeconfig struct {
	APIVersion     string         `yaml:"apiVersion" json:"apiVersion"`
	Kind           string         `yaml:"kind" json:"kind"`
	Clusters       []NamedCluster `yaml:"clusters" json:"clusters"`
	Contexts       []NamedContext `yaml:"contexts" json:"contexts"`
	Users          []NamedUser    `yaml:"users" json:"users"`
	CurrentContext string         `yaml:"current-context" json:"current-context"`
}

// NamedCluster is a kubeconfig cluster entry.
type NamedCluster struct {
	Name    string         `yaml:"name" json:"name"`
	Cluster map[string]any `yaml:"cluster" json:"cluster"`
}

// NamedContext is a kubeconfig context entry.
type NamedContext struct {
	Name    string         `yaml:"name" json:"name"`
	Context map[string]any `yaml:"context" json:"context"`
}

// NamedUser is a kubeconfig user entry.
type NamedUser struct {
	Name string         `yaml:"name" json:"name"`
	User map[string]any `yaml:"user" json:"user"`
}

// Minified is a kubeconfig reduced to one context, with file references inlined.
type Minified struct {
	// JSON is the canonical rendering handed to the provider.
	JSON string
	// Context, ClusterName and Server describe the active cluster.
	Context, ClusterName, Server string
	// Identifier names the cluster stably: it changes when the cluster does, not when credentials do.
	Identifier string
}

// ErrNoContext is returned when the kubeconfig has no usable context.
var ErrNoContext = errors.New("kubeconfig has no usable context")

// Minify parses a kubeconfig (YAML or JSON), keeps only the given context (the current one when empty), inlines
// certificate files relative to baseDir and renders the result as canonical JSON: equal configurations give
// equal bytes, whatever their original formatting or the other contexts in the file.
func Minify(raw []byte, context, baseDir string) (Minified, error) {
	var kc Kubeconfig
	if err := yaml.Unmarshal(raw, &kc); err != nil {
		return Minified{}, fmt.Errorf("parsing kubeconfig: %w", err)
	}
	if context == "" {
		context = kc.CurrentContext
	}
	if context == "" {
		return Minified{}, fmt.Errorf("%w: no current-context and no context given", ErrNoContext)
	}
	var ctx *NamedContext
	for i := range kc.Contexts {
		if kc.Contexts[i].Name == context {
			ctx = &kc.Contexts[i]
		}
	}
	if ctx == nil {
		return Minified{}, fmt.Errorf("%w: context %q not found (have %v)", ErrNoContext, context, contextNames(kc))
	}
	clusterName, _ := ctx.Context["cluster"].(string)
	userName, _ := ctx.Context["user"].(string)
	out := Kubeconfig{APIVersion: "v1", Kind: "Config", CurrentContext: context,
		Contexts: []NamedContext{{Name: context, Context: ctx.Context}}}
	var server string
	for _, c := range kc.Clusters {
		if c.Name == clusterName {
			cluster, err := inline(c.Cluster, baseDir, map[string]string{"certificate-authority": "certificate-authority-data"})
			if err != nil {
				return Minified{}, fmt.Errorf("cluster %q: %w", clusterName, err)
			}
			server, _ = cluster["server"].(string)
			out.Clusters = []NamedCluster{{Name: c.Name, Cluster: cluster}}
		}
	}
	if server == "" {
		return Minified{}, fmt.Errorf("%w: context %q names cluster %q, which has no server", ErrNoContext, context, clusterName)
	}
	for _, u := range kc.Users {
		if u.Name == userName {
			user, err := inline(u.User, baseDir, map[string]string{
				"client-certificate": "client-certificate-data", "client-key": "client-key-data",
			})
			if err != nil {
				return Minified{}, fmt.Errorf("user %q: %w", userName, err)
			}
			out.Users = []NamedUser{{Name: u.Name, User: user}}
		}
	}
	b, err := json.Marshal(out) // maps marshal with sorted keys: canonical
	if err != nil {
		return Minified{}, fmt.Errorf("rendering kubeconfig: %w", err)
	}
	return Minified{
		JSON: string(b), Context: context, ClusterName: clusterName, Server: server,
		Identifier: Identifier(server, clusterName),
	}, nil
}

// Identifier is the stable cluster identifier used for a cluster reached at server under the given name.
func Identifier(server, clusterName string) string { return clusterName + "@" + server }

// inline replaces file references with their base64 data so the kubeconfig is self-contained.
func inline(m map[string]any, baseDir string, keys map[string]string) (map[string]any, error) {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = v
	}
	names := make([]string, 0, len(keys))
	for k := range keys {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, fileKey := range names {
		path, ok := out[fileKey].(string)
		if !ok || path == "" {
			continue
		}
		if !filepath.IsAbs(path) {
			path = filepath.Join(baseDir, path)
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("reading %s: %w", fileKey, err)
		}
		delete(out, fileKey)
		out[keys[fileKey]] = base64.StdEncoding.EncodeToString(b)
	}
	return out, nil
}

func contextNames(kc Kubeconfig) []string {
	names := make([]string, len(kc.Contexts))
	for i, c := range kc.Contexts {
		names[i] = c.Name
	}
	return names
}

// ExecKubeconfig renders a kubeconfig that authenticates with a client-go exec plugin (no long-lived token is
// stored in it): used for EKS (aws eks get-token) and usable for any exec-based login.
func ExecKubeconfig(clusterName, server, caData, command string, args []string, env map[string]string) (string, error) {
	var envList []map[string]string
	keys := make([]string, 0, len(env))
	for k := range env {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		envList = append(envList, map[string]string{"name": k, "value": env[k]})
	}
	exec := map[string]any{
		"apiVersion":         "client.authentication.k8s.io/v1beta1",
		"command":            command,
		"args":               args,
		"interactiveMode":    "Never",
		"provideClusterInfo": false,
	}
	if len(envList) > 0 {
		exec["env"] = envList
	}
	return render(clusterName, server, caData, map[string]any{"exec": exec})
}

// render writes a one-context kubeconfig of a cluster and its user as JSON.
func render(clusterName, server, caData string, user map[string]any) (string, error) {
	kc := Kubeconfig{
		APIVersion: "v1", Kind: "Config", CurrentContext: clusterName,
		Clusters: []NamedCluster{{Name: clusterName, Cluster: map[string]any{"server": server, "certificate-authority-data": caData}}},
		Contexts: []NamedContext{{Name: clusterName, Context: map[string]any{"cluster": clusterName, "user": clusterName}}},
		Users:    []NamedUser{{Name: clusterName, User: user}},
	}
	b, err := json.Marshal(kc)
	if err != nil {
		return "", fmt.Errorf("rendering kubeconfig for %s: %w", clusterName, err)
	}
	return string(b), nil
}

// TokenKubeconfig renders a kubeconfig that authenticates with a bearer token (a short-lived one: it is not
// refreshed).
func TokenKubeconfig(clusterName, server, caData, token string) (string, error) {
	return render(clusterName, server, caData, map[string]any{"token": token})
}

// WithServer points every cluster of a kubeconfig (YAML or JSON) at server, keeping credentials and CA, and
// renders it as JSON: a kubeconfig issued for one endpoint of a cluster used through another (the private
// address of an API server whose public one is off).
func WithServer(raw, server string) (string, error) {
	var kc Kubeconfig
	if err := yaml.Unmarshal([]byte(raw), &kc); err != nil {
		return "", fmt.Errorf("reading kubeconfig: %w", err)
	}
	if len(kc.Clusters) == 0 {
		return "", ErrNoContext
	}
	for i := range kc.Clusters {
		if kc.Clusters[i].Cluster == nil {
			kc.Clusters[i].Cluster = map[string]any{}
		}
		kc.Clusters[i].Cluster["server"] = server
	}
	out, err := json.Marshal(kc)
	if err != nil {
		return "", fmt.Errorf("rendering kubeconfig: %w", err)
	}
	return string(out), nil
}
