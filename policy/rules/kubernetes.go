package rules

import (
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"

	"github.com/wechat-deploy/wechat-deploy/app/contract"
)

// workloadTypes are the Kubernetes objects with a pod template, and where it is.
var workloadTypes = map[string]string{
	"kubernetes:apps/v1:Deployment":  "spec.template.spec",
	"kubernetes:apps/v1:StatefulSet": "spec.template.spec",
	"kubernetes:apps/v1:DaemonSet":   "spec.template.spec",
	"kubernetes:apps/v1:ReplicaSet":  "spec.template.spec",
	"kubernetes:batch/v1:Job":        "spec.template.spec",
	"kubernetes:batch/v1:CronJob":    "spec.jobTemplate.spec.template.spec",
	"kubernetes:core/v1:Pod":         "spec",
}

func workloadTypeList() []string {
	out := make([]string, 0, len(workloadTypes))
	for t := range workloadTypes {
		out = append(out, t)
	}
	return out
}

// pod is a pod spec with its containers (init containers included).
type pod struct {
	spec       resource.PropertyMap
	containers []resource.PropertyMap
	known      bool
}

func podOf(r Resource) pod {
	path := workloadTypes[r.Type]
	if !known(r.Props, path) {
		return pod{}
	}
	v, ok := get(r.Props, path)
	if !ok || !v.IsObject() {
		return pod{}
	}
	p := pod{spec: v.ObjectValue(), known: true}
	for _, field := range []string{"initContainers", "containers"} {
		for _, c := range list(p.spec, field) {
			if obj := object(c); obj != nil {
				p.containers = append(p.containers, obj)
			}
		}
	}
	return p
}

// forContainers runs check on every container, prefixing messages with its name.
func forContainers(check func(p pod, c resource.PropertyMap) string) func(Resource, Config) []string {
	return func(r Resource, _ Config) []string {
		p := podOf(r)
		if !p.known {
			return nil
		}
		var out []string
		for _, c := range p.containers {
			if msg := check(p, c); msg != "" {
				out = append(out, fmt.Sprintf("container %q: %s", str(c, "name"), msg))
			}
		}
		return out
	}
}

// securityBool reads a security setting from the container, falling back to the pod's securityContext.
func securityBool(p pod, c resource.PropertyMap, field string) (bool, bool) {
	if v, ok := boolean(c, "securityContext."+field); ok {
		return v, true
	}
	return boolean(p.spec, "securityContext."+field)
}

var imageDigest = regexp.MustCompile(`@sha256:[0-9a-f]{64}$`)

func kubernetesRules() []Rule {
	workloads := workloadTypeList()
	return []Rule{
		{
			Name: "k8s-resources", Group: "kubernetes", Level: Mandatory, Types: workloads,
			Description: "Every container sets CPU and memory requests and limits.",
			Why:         "Requests drive scheduling and autoscaling; limits stop one pod from starving its node.",
			Check: forContainers(func(_ pod, c resource.PropertyMap) string {
				var missing []string
				for _, kind := range []string{"requests", "limits"} {
					for _, res := range []string{"cpu", "memory"} {
						if !known(c, "resources."+kind+"."+res) {
							continue
						}
						if _, ok := get(c, "resources."+kind+"."+res); !ok {
							missing = append(missing, kind+"."+res)
						}
					}
				}
				if len(missing) > 0 {
					return "missing " + strings.Join(missing, ", ")
				}
				return ""
			}),
		},
		{
			Name: "k8s-run-as-non-root", Group: "kubernetes", Level: Mandatory, Types: workloads,
			Description: "Containers run as non-root (runAsNonRoot: true).",
			Why:         "Root in a container is one kernel bug away from root on the node.",
			Check: forContainers(func(p pod, c resource.PropertyMap) string {
				if v, ok := securityBool(p, c, "runAsNonRoot"); !ok || !v {
					return "runAsNonRoot must be true"
				}
				return ""
			}),
		},
		{
			Name: "k8s-read-only-root-filesystem", Group: "kubernetes", Level: Mandatory, Types: workloads,
			Description: "Containers have a read-only root filesystem.",
			Why:         "An attacker cannot drop tools or modify the app; writable paths are explicit volumes.",
			Check: forContainers(func(_ pod, c resource.PropertyMap) string {
				if v, _ := boolean(c, "securityContext.readOnlyRootFilesystem"); !v {
					return "securityContext.readOnlyRootFilesystem must be true"
				}
				return ""
			}),
		},
		{
			Name: "k8s-no-privilege-escalation", Group: "kubernetes", Level: Mandatory, Types: workloads,
			Description: "Containers set allowPrivilegeEscalation: false.",
			Why:         "Blocks setuid binaries and similar paths to more privileges than the process started with.",
			Check: forContainers(func(_ pod, c resource.PropertyMap) string {
				if v, ok := boolean(c, "securityContext.allowPrivilegeEscalation"); !ok || v {
					return "securityContext.allowPrivilegeEscalation must be false"
				}
				return ""
			}),
		},
		{
			Name: "k8s-drop-all-capabilities", Group: "kubernetes", Level: Mandatory, Types: workloads,
			Description: "Containers drop ALL Linux capabilities.",
			Why:         "A web backend needs none of them; each kept capability widens what an exploit can do.",
			Check: forContainers(func(_ pod, c resource.PropertyMap) string {
				if !slices.Contains(stringList(c, "securityContext.capabilities.drop"), "ALL") {
					return "securityContext.capabilities.drop must include ALL"
				}
				return ""
			}),
		},
		{
			Name: "k8s-no-privileged", Group: "kubernetes", Level: Mandatory, Types: workloads,
			Description: "No container is privileged.",
			Why:         "A privileged container is root on the node.",
			Check: forContainers(func(_ pod, c resource.PropertyMap) string {
				if v, _ := boolean(c, "securityContext.privileged"); v {
					return "privileged containers are not allowed"
				}
				return ""
			}),
		},
		{
			Name: "k8s-no-host-access", Group: "kubernetes", Level: Mandatory, Types: workloads,
			Description: "Pods use no hostNetwork, hostPID, hostIPC or hostPath volumes.",
			Why:         "Host namespaces and paths break the isolation between the pod and the node.",
			Check: func(r Resource, _ Config) []string {
				p := podOf(r)
				if !p.known {
					return nil
				}
				var out []string
				for _, f := range []string{"hostNetwork", "hostPID", "hostIPC"} {
					if v, _ := boolean(p.spec, f); v {
						out = append(out, f+" is not allowed")
					}
				}
				for _, v := range list(p.spec, "volumes") {
					vol := object(v)
					if _, ok := get(vol, "hostPath"); ok {
						out = append(out, fmt.Sprintf("volume %q is a hostPath", str(vol, "name")))
					}
				}
				return out
			},
		},
		{
			Name: "k8s-image-pinned-by-digest", Group: "kubernetes", Level: Mandatory, Types: workloads,
			Description: "Images are pinned by digest (name@sha256:...), never a bare tag or latest.",
			Why:         "A tag can be pushed again; a digest always names the same bytes, so rollouts and rollbacks are exact.",
			Check: forContainers(func(_ pod, c resource.PropertyMap) string {
				if !known(c, "image") {
					return "" // built during this update: the digest is not known in preview
				}
				img := str(c, "image")
				if !imageDigest.MatchString(img) {
					return fmt.Sprintf("image %q is not pinned by digest", img)
				}
				return ""
			}),
		},
		{
			Name: "k8s-probes", Group: "kubernetes", Level: Mandatory,
			Types:       []string{"kubernetes:apps/v1:Deployment", "kubernetes:apps/v1:StatefulSet"},
			Description: "Serving containers have liveness and readiness probes.",
			Why:         "Without readiness a rollout sends traffic to pods that are not serving; without liveness a hung pod stays.",
			Check: forContainers(func(p pod, c resource.PropertyMap) string {
				for _, ic := range list(p.spec, "initContainers") {
					if str(object(ic), "name") == str(c, "name") {
						return ""
					}
				}
				var missing []string
				for _, probe := range []string{"livenessProbe", "readinessProbe"} {
					if _, ok := get(c, probe); !ok {
						missing = append(missing, probe)
					}
				}
				if len(missing) > 0 {
					return "missing " + strings.Join(missing, " and ")
				}
				return ""
			}),
		},
		{
			Name: "k8s-ingress-tls", Group: "kubernetes", Level: Mandatory,
			Types:       []string{"kubernetes:networking.k8s.io/v1:Ingress"},
			Description: "Ingresses terminate TLS for their hosts.",
			Why:         "WeChat requires HTTPS for Mini Program backends; tokens must never cross the network in clear.",
			Check: func(r Resource, _ Config) []string {
				if !known(r.Props, "spec.tls") {
					return nil
				}
				if len(list(r.Props, "spec.tls")) == 0 {
					return []string{"spec.tls is empty"}
				}
				return nil
			},
		},
		{
			Name: "k8s-no-secrets-in-configmaps", Group: "kubernetes", Level: Mandatory,
			Types:       []string{"kubernetes:core/v1:ConfigMap"},
			Description: "ConfigMaps hold no secret-looking keys (…PASSWORD, …SECRET, …TOKEN, …KEY).",
			Why:         "ConfigMaps are readable by more roles than Secrets and are not encrypted at rest.",
			Check: func(r Resource, _ Config) []string {
				d, ok := get(r.Props, "data")
				if !ok || !d.IsObject() {
					return nil
				}
				var out []string
				for k := range d.ObjectValue() {
					if contract.LooksSecret(string(k)) {
						out = append(out, fmt.Sprintf("key %q looks like a secret; put it in a Secret", k))
					}
				}
				return out
			},
		},
		{
			Name: "k8s-production-replicas", Group: "kubernetes", Level: Mandatory, ProductionOnly: true,
			Types:       []string{"kubernetes:apps/v1:Deployment", "kubernetes:autoscaling/v2:HorizontalPodAutoscaler"},
			Description: "Production Deployments (and autoscaler minimums) run at least 2 replicas.",
			Why:         "One replica means downtime on every rollout, eviction and node failure.",
			Check:       minReplicas(2),
		},
		{
			Name: "k8s-production-replicas-recommended", Group: "kubernetes", Level: Advisory, ProductionOnly: true,
			Types:       []string{"kubernetes:apps/v1:Deployment", "kubernetes:autoscaling/v2:HorizontalPodAutoscaler"},
			Description: "Production Deployments (and autoscaler minimums) run at least 3 replicas.",
			Why:         "With 3 replicas across 3 zones, losing a zone still leaves 2 serving during a rollout.",
			Check:       minReplicas(3),
		},
	}
}

func minReplicas(n float64) func(Resource, Config) []string {
	return func(r Resource, _ Config) []string {
		field := "spec.replicas"
		if strings.HasSuffix(r.Type, "HorizontalPodAutoscaler") {
			field = "spec.minReplicas"
		}
		if !known(r.Props, field) {
			return nil
		}
		v, ok := number(r.Props, field)
		if !ok {
			v = 1 // the Kubernetes default
		}
		if v < n {
			return []string{fmt.Sprintf("%s is %g; production needs at least %g", field, v, n)}
		}
		return nil
	}
}
