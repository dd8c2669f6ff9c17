package rules

import (
	"fmt"
	"maps"
	"math"
	"regexp"
	"slices"
	"strconv"
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
			Description: "Ingresses terminate TLS for their hosts: spec.tls with a certificate Secret, or, for the AWS Load Balancer Controller (which ignores Secrets), an ACM certificate annotation with an HTTPS listener.",
			Why:         "WeChat requires HTTPS for Mini Program backends; tokens must never cross the network in clear.",
			Check: func(r Resource, _ Config) []string {
				if !known(r.Props, "spec.tls") || !known(r.Props, "metadata.annotations") {
					return nil
				}
				annotations := stringEntries(r.Props, "metadata.annotations")
				if _, alb := annotations["alb.ingress.kubernetes.io/scheme"]; alb {
					// The certificate may still be unknown (issued in the same update): present is enough.
					all, _ := get(r.Props, "metadata.annotations")
					cert, set := all.ObjectValue()["alb.ingress.kubernetes.io/certificate-arn"]
					if !set || (cert.IsString() && cert.StringValue() == "") {
						return []string{"an ALB Ingress without alb.ingress.kubernetes.io/certificate-arn: the ALB serves ACM certificates only"}
					}
					if !strings.Contains(annotations["alb.ingress.kubernetes.io/listen-ports"], "HTTPS") {
						return []string{"an ALB Ingress without an HTTPS listener in alb.ingress.kubernetes.io/listen-ports"}
					}
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
			Description: "ConfigMaps hold no secret-looking entries: names ending in PASSWORD, PASS, SECRET, TOKEN, KEY, AUTH, CREDENTIALS and the like, or values with credentials (URLs or DSNs with user:password@ or password=, PEM private keys).",
			Why:         "ConfigMaps are readable by more roles than Secrets and are not encrypted at rest.",
			Check: func(r Resource, _ Config) []string {
				d, ok := get(r.Props, "data")
				if !ok || !d.IsObject() {
					return nil
				}
				values := stringEntries(r.Props, "data")
				var out []string
				for _, k := range slices.Sorted(maps.Keys(d.ObjectValue())) {
					if why := SecretInSetting(string(k), values[string(k)], contract.LooksSecret); why != "" {
						out = append(out, fmt.Sprintf("key %q looks like a secret (%s); put it in a Secret", k, why))
					}
				}
				return out
			},
		},
		{
			Name: "k8s-wechat-api-base", Group: "kubernetes", Level: Mandatory,
			Types:       append([]string{"kubernetes:core/v1:ConfigMap"}, workloads...),
			Description: "The app's WeChat API base (" + contract.EnvWeChatAPIBase + ") is https:// and one of WeChat's own API hosts (" + strings.Join(WeChatAPIHosts, ", ") + "), with no user information, port, path or query.",
			Why:         "The app sends the AppSecret to that host with every login: a look-alike host (api.weixin.qq.com.example.net, https://api.weixin.qq.com@evil.example) would collect it.",
			Check: func(r Resource, _ Config) []string {
				values := map[string]string{}
				if r.Type == "kubernetes:core/v1:ConfigMap" {
					if v, ok := stringEntries(r.Props, "data")[contract.EnvWeChatAPIBase]; ok {
						values["data."+contract.EnvWeChatAPIBase] = v
					}
				} else if p := podOf(r); p.known {
					for _, c := range p.containers {
						for _, e := range list(c, "env") {
							env := object(e)
							if str(env, "name") == contract.EnvWeChatAPIBase && known(env, "value") {
								values[fmt.Sprintf("container %q env %s", str(c, "name"), contract.EnvWeChatAPIBase)] = str(env, "value")
							}
						}
					}
				}
				var out []string
				for _, where := range sortedKeys(values) {
					if problem := WeChatBaseProblem(values[where]); problem != "" {
						out = append(out, where+" "+problem)
					}
				}
				return out
			},
		},
		{
			Name: "k8s-database-tls", Group: "kubernetes", Level: Mandatory,
			Types:       []string{"kubernetes:core/v1:Secret"},
			Description: "The app's database URL (Secret key " + contract.SecretDatabaseURL + ") requires TLS: sslmode=require, verify-ca or verify-full, except on the local sandbox stack or a loopback/Unix-socket database.",
			Why:         "Without it the driver falls back to plain text when TLS is refused, and the password and every user's data cross the network readable.",
			Check: func(r Resource, cfg Config) []string {
				if cfg.Local() {
					return nil
				}
				var out []string
				for _, key := range []string{contract.SecretDatabaseURL, contract.SecretEnv[contract.SecretDatabaseURL]} {
					if v, ok := secretValue(r.Props, key); ok && v != "" {
						if problem := DatabaseTLSProblem(v); problem != "" {
							out = append(out, fmt.Sprintf("key %q %s", key, problem))
						}
					}
				}
				return out
			},
		},
		{
			Name: "k8s-jwt-key-entropy", Group: "kubernetes", Level: Mandatory,
			Types:       []string{"kubernetes:core/v1:Secret"},
			Description: fmt.Sprintf("The JWT signing key (Secret key %s) is at least %d bytes with at least %d bits of estimated entropy (repeats, sequences and words discounted).", contract.SecretJWTSigningKey, MinJWTKeyBytes, MinJWTKeyBits),
			Why:         "Anyone who guesses the HS256 key mints session tokens for any user; a long key of repeats or words is guessed offline from one token.",
			Check: func(r Resource, _ Config) []string {
				var out []string
				for _, key := range []string{contract.SecretJWTSigningKey, contract.SecretEnv[contract.SecretJWTSigningKey]} {
					v, ok := secretValue(r.Props, key)
					if !ok {
						continue
					}
					switch bits := EstimateKeyBits(v); {
					case len(v) < MinJWTKeyBytes:
						out = append(out, fmt.Sprintf("key %q is %d bytes; an HS256 key needs at least %d", key, len(v), MinJWTKeyBytes))
					case bits < MinJWTKeyBits:
						out = append(out, fmt.Sprintf("key %q has about %.0f bits of entropy (repeats, sequences, common words or a small alphabet); at least %d are needed: generate it with openssl rand -base64 48", key, bits, MinJWTKeyBits))
					}
				}
				return out
			},
		},
		{
			Name: "k8s-resource-ceilings", Group: "kubernetes", Level: Mandatory, Types: workloads,
			Description: fmt.Sprintf("Container limits stay within %g CPU cores and %s of memory.", MaxContainerCPU, formatBytes(MaxContainerMemory)),
			Why:         "A limit beyond half of a 4 vCPU / 16 GiB node is no limit: one runaway or hijacked pod starves its neighbours; the app scales out through the autoscaler instead.",
			Check: forContainers(func(_ pod, c resource.PropertyMap) string {
				var over []string
				if q, ok := parseQuantity(str(c, "resources.limits.cpu")); ok && q > MaxContainerCPU {
					over = append(over, fmt.Sprintf("limits.cpu %s is above %g cores", str(c, "resources.limits.cpu"), MaxContainerCPU))
				}
				if q, ok := parseQuantity(str(c, "resources.limits.memory")); ok && q > MaxContainerMemory {
					over = append(over, fmt.Sprintf("limits.memory %s is above %s", str(c, "resources.limits.memory"), formatBytes(MaxContainerMemory)))
				}
				return strings.Join(over, "; ")
			}),
		},
		{
			Name: "k8s-replica-ceiling", Group: "kubernetes", Level: Mandatory,
			Types:       []string{"kubernetes:apps/v1:Deployment", "kubernetes:autoscaling/v2:HorizontalPodAutoscaler"},
			Description: fmt.Sprintf("Deployments and autoscalers stay within %d replicas, and an autoscaler's minimum is at most its maximum.", MaxReplicas),
			Why:         "Every replica holds database connections (DB_MAX_CONNS, 10 by default): beyond this a traffic flood scales the app into exhausting PostgreSQL and the cloud bill instead of being rate-limited.",
			Check: func(r Resource, _ Config) []string {
				field := "spec.replicas"
				if strings.HasSuffix(r.Type, "HorizontalPodAutoscaler") {
					field = "spec.maxReplicas"
				}
				var out []string
				if n, ok := number(r.Props, field); ok && n > MaxReplicas {
					out = append(out, fmt.Sprintf("%s is %g; at most %d", field, n, MaxReplicas))
				}
				minimum, okMin := number(r.Props, "spec.minReplicas")
				maximum, okMax := number(r.Props, "spec.maxReplicas")
				if okMin && okMax && minimum > maximum {
					out = append(out, fmt.Sprintf("spec.minReplicas %g is above spec.maxReplicas %g", minimum, maximum))
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
			Name: "k8s-production-autoscaling", Group: "kubernetes", Level: Mandatory, ProductionOnly: true,
			Types:       []string{"kubernetes:apps/v1:Deployment", "kubernetes:autoscaling/v2:HorizontalPodAutoscaler"},
			Description: "Every production Deployment has a HorizontalPodAutoscaler, unless the stack turns autoscaling off on purpose (app.autoscaling: false).",
			Why:         "With app.minReplicas equal to app.maxReplicas the program creates no autoscaler, silently: a load peak (WeChat traffic at lunch and in the evening) then meets a fixed replica count.",
			CheckStack: func(rs []Resource, cfg Config) []Finding {
				if cfg.AutoscalingOff {
					return nil
				}
				var deployments, hpas []Resource
				for _, r := range rs {
					if strings.HasSuffix(r.Type, "HorizontalPodAutoscaler") {
						hpas = append(hpas, r)
					} else {
						deployments = append(deployments, r)
					}
				}
				var out []Finding
				for _, d := range deployments {
					if known(d.Props, "metadata.name") && !autoscaled(d, hpas) {
						out = append(out, Finding{Resource: d, Message: "no HorizontalPodAutoscaler targets this Deployment (app.minReplicas equals app.maxReplicas?); " +
							"raise app.maxReplicas, or set app.autoscaling: false to run a fixed count on purpose"})
					}
				}
				return out
			},
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

// Bounds of the kubernetes rules.
const (
	// MinJWTKeyBytes is the HS256 key floor: a key shorter than the hash output weakens the MAC (RFC 7518 3.2).
	MinJWTKeyBytes = 32
	// MinJWTKeyBits is the estimated entropy floor: 2^96 HMAC-SHA256 guesses at 10^10 per second and GPU are
	// 2.5*10^11 GPU-years. The estimate discounts patterns, so random keys pass with a wide margin (32 hex
	// digits score about 120, openssl rand -base64 48 about 380) while keys made of words and repeats fail.
	MinJWTKeyBits = 96
	// MaxContainerCPU (cores) and MaxContainerMemory (bytes) are half of the 4 vCPU / 16 GiB nodes of the
	// production stacks (m6i.xlarge, ecs.g7.xlarge) for CPU and a quarter for memory: room for the app's burst
	// (it runs with 1 core and 512Mi in production) without letting one pod own a node.
	MaxContainerCPU    = 2.0
	MaxContainerMemory = 4 << 30
	// MaxReplicas bounds replicas and autoscaler maximums: 50 replicas x 10 connections is 500, the
	// max_connections of a large managed PostgreSQL. Production runs 3 to 12.
	MaxReplicas = 50
)

// sortedKeys returns a map's keys in order, so messages come out the same every run.
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

var quantityPattern = regexp.MustCompile(`^([0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE]([-+]?[0-9]+))?(m|k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei)?$`)

// parseQuantity reads a Kubernetes quantity (500m, 1.5, 2Gi, 1e3) into base units (cores or bytes).
func parseQuantity(s string) (float64, bool) {
	m := quantityPattern.FindStringSubmatch(strings.TrimSpace(s))
	if m == nil {
		return 0, false
	}
	v, err := strconv.ParseFloat(m[1], 64)
	if err != nil {
		return 0, false
	}
	if m[2] != "" {
		e, err := strconv.Atoi(m[2])
		if err != nil {
			return 0, false
		}
		v *= math.Pow(10, float64(e))
	}
	mult := map[string]float64{
		"": 1, "m": 1e-3, "k": 1e3, "M": 1e6, "G": 1e9, "T": 1e12, "P": 1e15, "E": 1e18,
		"Ki": 1 << 10, "Mi": 1 << 20, "Gi": 1 << 30, "Ti": 1 << 40, "Pi": 1 << 50, "Ei": 1 << 60,
	}[m[3]]
	return v * mult, true
}

func formatBytes(b float64) string { return fmt.Sprintf("%gGi", b/(1<<30)) }

// autoscaled reports whether an autoscaler targets the Deployment (unknown values count as yes: they cannot be
// judged in preview).
func autoscaled(dep Resource, hpas []Resource) bool {
	name, ns := str(dep.Props, "metadata.name"), str(dep.Props, "metadata.namespace")
	for _, h := range hpas {
		if !known(h.Props, "spec.scaleTargetRef") {
			return true
		}
		if kind := str(h.Props, "spec.scaleTargetRef.kind"); kind != "" && kind != "Deployment" {
			continue
		}
		target := str(h.Props, "spec.scaleTargetRef.name")
		hns := str(h.Props, "metadata.namespace")
		if (target == "" || target == name) && (hns == "" || ns == "" || hns == ns) {
			return true
		}
	}
	return false
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
