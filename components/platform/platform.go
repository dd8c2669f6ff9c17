// Package platform is the contract between the cloud platforms (AWS, Alibaba Cloud, an existing cluster) and
// the layers above them: whatever the cloud, the image and workload components receive the same Outputs.
package platform

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// Outputs is what a platform hands to the image and workload layers.
type Outputs struct {
	// Provider is the Kubernetes provider for the cluster, with a stable cluster identifier so that a
	// credential rotation never replaces the workloads.
	Provider *kubernetes.Provider
	// Kubeconfig reaches the cluster; always a secret.
	Kubeconfig pulumi.StringOutput
	// ClusterName and ClusterEndpoint identify the cluster.
	ClusterName     pulumi.StringOutput
	ClusterEndpoint pulumi.StringOutput
	// Registry is where images are pushed.
	Registry Registry
	// RepositoryURL is the image repository (registry host and path, no tag).
	RepositoryURL pulumi.StringOutput
	// PullServer, when set, is the registry host nodes pull from (a private endpoint of the push server).
	PullServer pulumi.StringOutput
	// OIDCProviderARN is the cluster's workload-identity OIDC provider (IRSA on AWS, RRSA on Alibaba Cloud);
	// empty for an existing cluster.
	OIDCProviderARN pulumi.StringOutput
	// ServiceAccountAnnotations bind the app's ServiceAccount to a cloud identity (IRSA role, RRSA role).
	ServiceAccountAnnotations pulumi.StringMapOutput
	// NamespaceLabels are labels the app's namespace needs (e.g. to inject cloud identity).
	NamespaceLabels map[string]string
	// IngressController returns the controller-specific annotations of an internet-facing Ingress; nil when the
	// controller needs none. (The ingress class itself is a stack setting with per-cloud defaults.)
	IngressController func(tls IngressTLS) pulumi.StringMap
	// PublishHost, when set, publishes the app's host name in DNS, pointing at the load balancer the ingress
	// controller made (its host name from the Ingress status); nil when the platform does not manage DNS.
	PublishHost func(loadBalancerHost pulumi.StringOutput) error
	// Data are the backing services the platform provisioned for the app.
	Data DataServices
	// TrustedProxies are the addresses the app's traffic arrives from through the platform's load balancer or
	// ingress controller (so the app believes their X-Forwarded-For and nobody else's); nil when the platform
	// cannot know them.
	TrustedProxies []string
	// Scraper is the cloud's managed metrics scraper (empty when the stack uses none): the workload admits it
	// to the app's metrics port.
	Scraper Scraper
	// PullWithCredentials tells the workload to pull with an image pull secret made from Registry (nodes of
	// the cluster are not otherwise authorised to pull from it).
	PullWithCredentials bool
}

// Scraper is where a managed metrics scraper connects from: the namespaces of its in-cluster agents, or the
// address blocks its network interfaces live in (an agentless scraper outside the cluster). ServiceMonitors is
// true when it finds its targets through ServiceMonitors (without the Prometheus Operator's alert rules), so the
// app needs one.
type Scraper struct {
	Namespaces      []string
	CIDRs           []string
	ServiceMonitors bool
}

// Addon is a managed cluster addon: a name, a pinned version (required on EKS) and its configuration JSON.
type Addon struct {
	Name, Version, Config string
}

// IngressTLS is what an Ingress's controller needs to know about TLS.
type IngressTLS struct {
	// Enabled terminates TLS at the controller.
	Enabled bool
	// Certificate names a certificate the cloud's load balancer serves (an ACM ARN on AWS); empty when the
	// certificate comes from a Kubernetes Secret.
	Certificate string
}

// IngressAnnotations returns the annotations the platform's ingress controller needs on an internet-facing
// Ingress with the given TLS settings (none when the platform did not say).
func (o Outputs) IngressAnnotations(tls IngressTLS) pulumi.StringMap {
	if o.IngressController == nil {
		return pulumi.StringMap{}
	}
	return o.IngressController(tls)
}

// Registry is a container registry and the credentials to push to it.
type Registry struct {
	Server   pulumi.StringOutput
	Username pulumi.StringOutput
	// Password is always a secret.
	Password pulumi.StringOutput
}

// DockerConfigJSON renders the registry credentials as a kubernetes.io/dockerconfigjson document (secret).
func (r Registry) DockerConfigJSON() pulumi.StringOutput {
	doc := pulumi.All(r.Server, r.Username, r.Password).ApplyT(func(v []any) (string, error) {
		server, user, pass := v[0].(string), v[1].(string), v[2].(string)
		b, err := json.Marshal(map[string]any{"auths": map[string]any{server: map[string]string{
			"username": user, "password": pass, "auth": base64.StdEncoding.EncodeToString([]byte(user + ":" + pass)),
		}}})
		return string(b), err
	}).(pulumi.StringOutput)
	return pulumi.ToSecret(doc).(pulumi.StringOutput)
}

// PullReference rewrites an image reference pushed to the registry server so that nodes pull it from the
// PullServer instead (same repository and digest); without a PullServer it returns ref.
func (o Outputs) PullReference(ref pulumi.StringOutput) pulumi.StringOutput {
	if o.PullServer == (pulumi.StringOutput{}) {
		return ref
	}
	return pulumi.All(ref, o.Registry.Server, o.PullServer).ApplyT(func(v []any) string {
		r, push, pull := v[0].(string), v[1].(string), v[2].(string)
		if rest, ok := strings.CutPrefix(r, push+"/"); ok && pull != "" {
			return pull + "/" + rest
		}
		return r
	}).(pulumi.StringOutput)
}

// PickZones returns the explicit zones when given, else the first count zones that list reports for the region
// (in the cloud's order), failing when the region has fewer.
func PickZones(explicit []string, count int, region string, list func() ([]string, error)) ([]string, error) {
	if len(explicit) > 0 {
		return explicit, nil
	}
	zones, err := list()
	if err != nil {
		return nil, fmt.Errorf("listing the zones of %s: %w", region, err)
	}
	if len(zones) < count {
		return nil, fmt.Errorf("%w: %s has %d usable zones, %d requested", ErrTooFewZones, region, len(zones), count)
	}
	return zones[:count], nil
}

// ErrTooFewZones is wrapped when a region cannot hold the requested number of zones.
var ErrTooFewZones = errors.New("too few zones")
