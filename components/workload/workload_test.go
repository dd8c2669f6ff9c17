package workload

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/wechat-deploy/wechat-deploy/app/contract"
	"github.com/wechat-deploy/wechat-deploy/components/componenttest"
	"github.com/wechat-deploy/wechat-deploy/components/platform"
)

const image = "registry.example.com/wechat-api@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

var fakeSecrets = map[string]string{
	"wechat-app-id":     "wx0123456789abcdef",
	"wechat-app-secret": "fake-app-secret-for-workload-tests",
	"jwt-signing-key":   "fake-jwt-key-for-workload-tests-0123456789",
	"database-url":      "postgres://app:fake-db-pass-7d1@db:5432/app",
}

func args(prod bool) *WorkloadArgs {
	secrets := map[string]pulumi.StringInput{}
	for k, v := range fakeSecrets {
		if k != contract.SecretDatabaseURL {
			secrets[k] = pulumi.ToSecret(pulumi.String(v)).(pulumi.StringOutput)
		}
	}
	database := platform.ExternalDatabase(pulumi.ToSecret(pulumi.String(fakeSecrets[contract.SecretDatabaseURL])).(pulumi.StringOutput), platform.PostgresPort)
	a := &WorkloadArgs{
		Name: "wechat-api", Namespace: "wechat-api", Instance: "dev", Image: pulumi.String(image),
		Replicas: 1, MinReplicas: 1, MaxReplicas: 2, CPUTargetPercent: 70, MemoryTargetPercent: 80,
		CPURequest: "100m", MemoryRequest: "128Mi", CPULimit: "500m", MemoryLimit: "256Mi", Port: 8080,
		Settings: map[string]string{"LOG_LEVEL": "debug", "HTTP_ADDR": ":8080"}, Secrets: secrets,
		Domain: "api-dev.example.com", IngressClass: "alb", TLS: true, TLSSecretName: "wechat-api-tls",
		IngressAnnotations:        pulumi.StringMap{"alb.ingress.kubernetes.io/scheme": pulumi.String("internet-facing")},
		ServiceAccountAnnotations: pulumi.StringMap{"eks.amazonaws.com/role-arn": pulumi.String("arn:aws:iam::1:role/app")},
		ShutdownGraceSeconds:      20, Services: []platform.Binding{database},
	}
	if prod {
		a.Instance, a.Replicas, a.MinReplicas, a.MaxReplicas, a.ZoneSpreadRequired = "prod", 3, 3, 12, true
		a.Domain, a.ClusterIssuer = "api.example.com", "letsencrypt"
	}
	return a
}

func run(t *testing.T, a *WorkloadArgs) (*componenttest.Result, *Workload) {
	t.Helper()
	return componenttest.Component(t, componenttest.Options{Project: "wechat-deploy", Stack: "t"}, func(ctx *pulumi.Context) (*Workload, error) {
		return NewWorkload(ctx, "wechat-api", a)
	})
}

func TestObjects(t *testing.T) {
	for _, prod := range []bool{false, true} {
		shape := map[bool]string{false: "dev", true: "prod"}[prod]
		t.Run(shape, func(t *testing.T) {
			a := args(prod)
			res, w := run(t, a)
			ns := res.MustOne(t, "kubernetes:core/v1:Namespace", "wechat-api-ns")
			if ns.Str("metadata.name") != "wechat-api" || ns.Inputs["metadata"].ObjectValue()["labels"].ObjectValue()["pod-security.kubernetes.io/enforce"].StringValue() != "restricted" {
				t.Errorf("namespace %v", ns.Inputs)
			}
			sa := res.MustOne(t, "kubernetes:core/v1:ServiceAccount", "wechat-api-sa")
			if sa.Bool("automountServiceAccountToken") || sa.Inputs["metadata"].ObjectValue()["annotations"].ObjectValue()["eks.amazonaws.com/role-arn"].StringValue() == "" {
				t.Errorf("service account %v", sa.Inputs)
			}
			d := res.MustOne(t, "kubernetes:apps/v1:Deployment", "wechat-api-deployment")
			pod := "spec.template.spec."
			c := pod + "containers[0]."
			checks := []struct {
				what      string
				got, want any
			}{
				{"replicas", d.Num("spec.replicas"), float64(a.Replicas)},
				{"image by digest", d.Str(c + "image"), image},
				{"max unavailable", d.Num("spec.strategy.rollingUpdate.maxUnavailable"), 0.0},
				{"cpu request", d.Str(c + "resources.requests.cpu"), "100m"},
				{"memory limit", d.Str(c + "resources.limits.memory"), "256Mi"},
				{"liveness", d.Str(c + "livenessProbe.httpGet.path"), "/healthz"},
				{"readiness", d.Str(c + "readinessProbe.httpGet.path"), "/readyz"},
				{"startup", d.Str(c + "startupProbe.httpGet.path"), "/healthz"},
				{"non-root", d.Bool(c + "securityContext.runAsNonRoot"), true},
				{"read-only root", d.Bool(c + "securityContext.readOnlyRootFilesystem"), true},
				{"no escalation", d.Bool(c + "securityContext.allowPrivilegeEscalation"), false},
				{"caps dropped", d.Strings(c + "securityContext.capabilities.drop"), []string{"ALL"}},
				{"seccomp", d.Str(pod + "securityContext.seccompProfile.type"), "RuntimeDefault"},
				{"secrets mounted", d.Str(c + "volumeMounts[0].mountPath"), "/etc/secrets"},
				{"secrets read-only", d.Bool(c + "volumeMounts[0].readOnly"), true},
				{"secret volume", d.Str(pod + "volumes[0].secret.secretName"), "wechat-api-secrets"},
				{"settings from config map", d.Str(c + "envFrom[0].configMapRef.name"), "wechat-api-config"},
				{"grace covers drain", d.Num(pod + "terminationGracePeriodSeconds"), 30.0},
				{"pre-stop pause", d.Num(c + "lifecycle.preStop.sleep.seconds"), 5.0},
				{"zone spread", d.Str(pod + "topologySpreadConstraints[0].topologyKey"), "topology.kubernetes.io/zone"},
				{"zone spread hard in prod", d.Str(pod+"topologySpreadConstraints[0].whenUnsatisfiable") == "DoNotSchedule", prod},
				{"token not mounted", d.Bool(pod + "automountServiceAccountToken"), false},
			}
			for _, ch := range checks {
				if !equal(ch.got, ch.want) {
					t.Errorf("deployment %s = %v, want %v", ch.what, ch.got, ch.want)
				}
			}
			sum, _ := componenttest.Await(w.ConfigChecksum)
			if d.Str("spec.template.metadata.annotations.wechat-deploy/config-checksum") != sum.Value || len(sum.Value.(string)) != 64 || sum.Secret {
				t.Errorf("checksum annotation %q vs output %v (secret %v)", d.Str("spec.template.metadata.annotations.wechat-deploy/config-checksum"), sum.Value, sum.Secret)
			}
			if a.MaxReplicas > a.MinReplicas && !slices.Equal(d.IgnoreChanges, []string{"spec.replicas"}) {
				t.Errorf("deployment ignoreChanges %v: the HPA must own replicas", d.IgnoreChanges)
			}
			svc := res.MustOne(t, "kubernetes:core/v1:Service", "wechat-api-service")
			if svc.Str("spec.type") != "ClusterIP" || svc.Str("spec.ports[0].targetPort") != "http" {
				t.Errorf("service %v", svc.Inputs)
			}
			ing := res.MustOne(t, "kubernetes:networking.k8s.io/v1:Ingress", "wechat-api-ingress")
			if ing.Str("spec.ingressClassName") != "alb" || ing.Str("spec.tls[0].secretName") != "wechat-api-tls" ||
				ing.Str("spec.rules[0].host") != a.Domain || ing.Str("spec.rules[0].http.paths[0].backend.service.name") != "wechat-api" {
				t.Errorf("ingress %v", ing.Inputs)
			}
			hpa := res.MustOne(t, "kubernetes:autoscaling/v2:HorizontalPodAutoscaler", "wechat-api-hpa")
			if hpa.Num("spec.minReplicas") != float64(a.MinReplicas) || hpa.Num("spec.maxReplicas") != float64(a.MaxReplicas) ||
				hpa.Num("spec.metrics[0].resource.target.averageUtilization") != 70 || hpa.Str("spec.metrics[1].resource.name") != "memory" {
				t.Errorf("hpa %v", hpa.Inputs)
			}
			pdb := res.MustOne(t, "kubernetes:policy/v1:PodDisruptionBudget", "wechat-api-pdb")
			if pdb.Num("spec.maxUnavailable") != 1 {
				t.Errorf("pdb %v", pdb.Inputs)
			}
			deny := res.MustOne(t, "kubernetes:networking.k8s.io/v1:NetworkPolicy", "wechat-api-default-deny")
			if !slices.Equal(deny.Strings("spec.policyTypes"), []string{"Ingress", "Egress"}) || deny.Has("spec.ingress") || deny.Has("spec.egress") {
				t.Errorf("default deny %v", deny.Inputs)
			}
			app := res.MustOne(t, "kubernetes:networking.k8s.io/v1:NetworkPolicy", "wechat-api-app")
			if app.Num("spec.ingress[0].ports[0].port") != 8080 || app.Num("spec.egress[0].ports[0].port") != 53 ||
				!slices.Contains(app.Strings("spec.egress[1].to[0].ipBlock.except"), "169.254.169.254/32") || app.Num("spec.egress[2].ports[0].port") != 5432 {
				t.Errorf("app network policy %v", app.Inputs)
			}
			url, _ := componenttest.Await(w.URL)
			if url.Value != "https://"+a.Domain {
				t.Errorf("URL %v", url.Value)
			}
		})
	}
}

func equal(a, b any) bool {
	if as, ok := a.([]string); ok {
		bs, _ := b.([]string)
		return slices.Equal(as, bs)
	}
	return a == b
}

func TestSecretsStaySecret(t *testing.T) {
	res, w := run(t, args(true))
	sec := res.MustOne(t, "kubernetes:core/v1:Secret", "wechat-api-secrets")
	for k := range fakeSecrets {
		if !sec.IsSecret("stringData." + k) {
			t.Errorf("Secret value %s is not marked secret", k)
		}
	}
	cm := res.MustOne(t, "kubernetes:core/v1:ConfigMap", "wechat-api-config")
	for _, v := range fakeSecrets {
		if strings.Contains(fmt.Sprint(cm.Inputs.Mappable()), v) {
			t.Errorf("ConfigMap holds a secret value")
		}
	}
	exports := map[string]componenttest.Awaited{}
	for k, o := range map[string]pulumi.Output{"url": w.URL, "namespace": w.Namespace, "image": w.Image, "checksum": w.ConfigChecksum} {
		exports[k], _ = componenttest.Await(o)
	}
	if leaks := res.FindLeaks(fakeSecrets, exports); len(leaks) > 0 {
		t.Errorf("leaks: %v", leaks)
	}
}

func TestNoIngressWithoutDomainAndFixedReplicasWithoutHPA(t *testing.T) {
	a := args(false)
	a.Domain, a.MaxReplicas = "", 1
	res, w := run(t, a)
	if n := len(res.Find("kubernetes:networking.k8s.io/v1:Ingress")); n != 0 {
		t.Errorf("%d ingresses without a domain", n)
	}
	if n := len(res.Find("kubernetes:autoscaling/v2:HorizontalPodAutoscaler")); n != 0 {
		t.Errorf("an HPA for a fixed replica count")
	}
	if d := res.MustOne(t, "kubernetes:apps/v1:Deployment", "wechat-api-deployment"); len(d.IgnoreChanges) != 0 {
		t.Errorf("replicas ignored without an HPA: %v", d.IgnoreChanges)
	}
	url, _ := componenttest.Await(w.URL)
	if url.Value != "http://wechat-api.wechat-api.svc.cluster.local" {
		t.Errorf("URL %v", url.Value)
	}
}

func TestSkipIngressAwaitAndPullSecret(t *testing.T) {
	a := args(false)
	a.SkipIngressAwait = true
	a.ImagePullSecret = pulumi.ToSecret(pulumi.String(`{"auths":{"r":{"auth":"dXNlcjpwYXNzLTEyMzQ1Ng=="}}}`)).(pulumi.StringOutput)
	res, _ := run(t, a)
	ing := res.MustOne(t, "kubernetes:networking.k8s.io/v1:Ingress", "wechat-api-ingress")
	if ing.Inputs["metadata"].ObjectValue()["annotations"].ObjectValue()[SkipAwaitAnnotation].StringValue() != "true" {
		t.Errorf("skipAwait not set: %v", ing.Inputs["metadata"])
	}
	pull := res.MustOne(t, "kubernetes:core/v1:Secret", "wechat-api-pull")
	d := res.MustOne(t, "kubernetes:apps/v1:Deployment", "wechat-api-deployment")
	if pull.Str("type") != "kubernetes.io/dockerconfigjson" || !pull.IsSecret("stringData..dockerconfigjson") && !pull.IsSecret("stringData") ||
		d.Str("spec.template.spec.imagePullSecrets[0].name") != "wechat-api-pull" {
		t.Errorf("pull secret %v / deployment pull %q", pull.Inputs, d.Str("spec.template.spec.imagePullSecrets[0].name"))
	}
}

func TestInvalidArgs(t *testing.T) {
	tests := map[string]func(a *WorkloadArgs){
		"bad name":         func(a *WorkloadArgs) { a.Name = "Bad_Name" },
		"replicas":         func(a *WorkloadArgs) { a.Replicas = 5 },
		"ingress no class": func(a *WorkloadArgs) { a.IngressClass = "" },
		"secret file name": func(a *WorkloadArgs) { a.Secrets["../etc"] = pulumi.String("x") },
		"service secret shadows the app's": func(a *WorkloadArgs) {
			a.Services = append(a.Services, platform.Binding{Secrets: map[string]pulumi.StringInput{contract.SecretJWTSigningKey: pulumi.String("x")}})
		},
		"service port": func(a *WorkloadArgs) { a.Services = append(a.Services, platform.Binding{EgressPorts: []int{70000}}) },
	}
	for name, edit := range tests {
		t.Run(name, func(t *testing.T) {
			a := args(false)
			edit(a)
			res, err := componenttest.Run(componenttest.Options{Project: "p", Stack: "s"}, func(ctx *pulumi.Context) error {
				_, err := NewWorkload(ctx, "w", a)
				return err
			})
			if err == nil || !strings.Contains(err.Error(), "invalid workload arguments") || len(res.Resources) != 0 {
				t.Fatalf("error %v, %d resources registered", err, len(res.Resources))
			}
		})
	}
}

// statuslessIngress answers like the cloud but with an Ingress whose controller reported no address (KWOK, a
// controller that writes no status, skipIngressAwait).
type statuslessIngress struct{ *componenttest.Cloud }

func (s statuslessIngress) Outputs(typ, name string, inputs resource.PropertyMap) (string, resource.PropertyMap) {
	id, out := s.Cloud.Outputs(typ, name, inputs)
	if typ == "kubernetes:networking.k8s.io/v1:Ingress" {
		out["status"] = resource.NewObjectProperty(resource.PropertyMap{"loadBalancer": resource.NewObjectProperty(resource.PropertyMap{})})
	}
	return id, out
}

// TestIngressWithoutAnAddress: an Ingress nobody reported an address for leaves the load balancer host empty;
// it must not crash the program (it did, on the sandbox's KWOK node).
func TestIngressWithoutAnAddress(t *testing.T) {
	opts := componenttest.Options{Project: "wechat-deploy", Stack: "t", Mocks: statuslessIngress{componenttest.NewCloud(nil)}}
	_, w := componenttest.Component(t, opts, func(ctx *pulumi.Context) (*Workload, error) { return NewWorkload(ctx, "wechat-api", args(false)) })
	host, err := componenttest.Await(w.LoadBalancerHost)
	if err != nil || host.Value != "" {
		t.Errorf("load balancer host %v (%v)", host.Value, err)
	}
	_, w = run(t, args(false))
	if host, _ := componenttest.Await(w.LoadBalancerHost); !strings.HasSuffix(host.Value.(string), ".elb.amazonaws.com") {
		t.Errorf("reported host %v", host.Value)
	}
}

// TestRolloutsFailFast: a rollout may make no progress for the probes' startup and readiness windows plus the
// slack for pulling and scheduling, and the provider waits as long as a healthy rollout can take (one deadline
// per batch, plus a minute) instead of its 10-minute default; zero-unavailable rolling keeps the old pods serving.
func TestRolloutsFailFast(t *testing.T) {
	res, _ := run(t, args(true))
	dep := res.MustOne(t, "kubernetes:apps/v1:Deployment", "wechat-api-deployment")
	// startup 2s x 30 + readiness 5s x 2 + 60s slack.
	if dep.Num("spec.progressDeadlineSeconds") != 130 || RolloutBudget() != 130*time.Second {
		t.Errorf("progress deadline %v (budget %s)", dep.Num("spec.progressDeadlineSeconds"), RolloutBudget())
	}
	// prod scales 3..12: at 4 (one pod of surge) or 7 and 8 (two) an update rolls in four batches, each of which
	// may take the whole deadline; a create starts every pod at once.
	if dep.CustomTimeouts.Create != "3m10s" || dep.CustomTimeouts.Update != "9m40s" {
		t.Errorf("custom timeouts %+v, want create 3m10s (130s + 1m) and update 9m40s (4 x 130s + 1m)", dep.CustomTimeouts)
	}
	if dep.Num("spec.strategy.rollingUpdate.maxUnavailable") != 0 {
		t.Error("a rollout may take serving pods away")
	}
	a := args(false)
	a.ProgressDeadlineSeconds = 300
	res, _ = run(t, a)
	// 1..2 replicas: an update of two rolls one pod, then the other.
	if dep := res.MustOne(t, "kubernetes:apps/v1:Deployment", "wechat-api-deployment"); dep.Num("spec.progressDeadlineSeconds") != 300 || dep.CustomTimeouts.Create != "6m0s" || dep.CustomTimeouts.Update != "11m0s" {
		t.Errorf("configured deadline: %v, %+v", dep.Num("spec.progressDeadlineSeconds"), dep.CustomTimeouts)
	}
	a.ProgressDeadlineSeconds = 30
	if _, err := componenttest.Run(componenttest.Options{Project: "p", Stack: "s"}, func(ctx *pulumi.Context) error {
		_, err := NewWorkload(ctx, "wechat-api", a)
		return err
	}); err == nil || !strings.Contains(err.Error(), "progress deadline 30s") {
		t.Errorf("a deadline shorter than the probes: %v", err)
	}
}

// TestRecommendedLabels: every object carries Kubernetes' recommended labels and the environment (checkers
// built by others select on them), the version following the image.
func TestRecommendedLabels(t *testing.T) {
	a := args(false)
	a.Environment = "dev"
	res, _ := run(t, a)
	want := map[string]string{
		"app.kubernetes.io/name": "wechat-api", "app.kubernetes.io/instance": a.Instance, "app.kubernetes.io/part-of": PartOf,
		"app.kubernetes.io/managed-by": "pulumi", "app.kubernetes.io/component": Component,
		EnvironmentLabel: "dev",
	}
	checked := 0
	for _, r := range res.Resources {
		if !r.Custom || !strings.HasPrefix(r.Type, "kubernetes:") || r.IsProvider() {
			continue
		}
		labels := r.StringMap("metadata.labels")
		if labels == nil {
			t.Errorf("%s %s has no labels", r.Type, r.Name)
			continue
		}
		for k, v := range want {
			if got, ok := labels[k]; !ok || got != v {
				t.Errorf("%s %s: %s = %q, want %s", r.Type, r.Name, k, got, v)
			}
		}
		checked++
	}
	if checked < 8 {
		t.Errorf("only %d objects checked", checked)
	}
	dep := res.MustOne(t, "kubernetes:apps/v1:Deployment", "wechat-api-deployment")
	for _, path := range []string{"metadata.labels", "spec.template.metadata.labels"} {
		if v := dep.StringMap(path)["app.kubernetes.io/version"]; v != "sha256-0123456789ab" {
			t.Errorf("%s version label %q", path, v)
		}
	}
}

func TestVersionOf(t *testing.T) {
	tests := map[string]string{
		"registry.example.com/wechat-api:v1.4.2":                                "v1.4.2",
		"registry.example.com:5000/team/wechat-api:git-0a1b2c3":                 "git-0a1b2c3",
		"registry.example.com/wechat-api@sha256:" + strings.Repeat("ab", 32):    "sha256-abababababab",
		"registry.example.com/wechat-api:v2@sha256:" + strings.Repeat("cd", 32): "v2",
		"registry.example.com:5000/wechat-api":                                  "unknown",
		"r.example.com/a:" + strings.Repeat("x", 80):                            strings.Repeat("x", 63),
		"r.example.com/a:+weird+":                                               "weird",
	}
	for in, want := range tests {
		if got := VersionOf(in); got != want {
			t.Errorf("VersionOf(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestServiceSelectsTheDeploymentsPods: the Service is not awaited (no fixed endpoint-settle wait), which is safe
// because it selects exactly the Deployment's pods: same selector, and labels the pod template carries.
func TestServiceSelectsTheDeploymentsPods(t *testing.T) {
	res, _ := run(t, args(false))
	svc := res.MustOne(t, "kubernetes:core/v1:Service", "wechat-api-service")
	dep := res.MustOne(t, "kubernetes:apps/v1:Deployment", "wechat-api-deployment")
	if svc.StringMap("metadata.annotations")[SkipAwaitAnnotation] != "true" {
		t.Error("the Service is awaited")
	}
	for _, p := range svc.SelectorProblems(&dep) {
		t.Error(p)
	}
}

// rollingUpdateBatches simulates the Deployment controller's rolling update of n replicas with maxUnavailable 0
// and maxSurge surgePercent (a percentage Kubernetes rounds up for surge): the new ReplicaSet may grow while
// old + new stays within n + surge; once its pods are available the old ReplicaSet shrinks by as many, and the
// new one grows into the room. It counts the rounds in which new pods have to become available.
func rollingUpdateBatches(n, surgePercent int) int {
	surge := int(math.Ceil(float64(n) * float64(surgePercent) / 100))
	oldPods, newPods, batches := n, 0, 0
	for newPods < n {
		newPods = min(n, n+surge-oldPods) // scale up within the surge
		batches++                         // ...and wait for those pods to become available
		oldPods = n - newPods             // scale down what they replace (never below n available)
	}
	return batches
}

// TestRolloutBatchesFollowTheController: the batch count behind the update timeout matches the controller's
// rule at every replica count an HPA may choose, including the published example (10 replicas at 25%: a surge of
// 3, so 3 + 3 + 3 + 1).
func TestRolloutBatchesFollowTheController(t *testing.T) {
	if got := rollingUpdateBatches(10, 25); got != 4 {
		t.Fatalf("the simulation rolls 10 replicas in %d batches, want 4", got)
	}
	for lo := 1; lo <= 40; lo++ {
		want := 0
		for hi := lo; hi <= 40; hi++ {
			want = max(want, rollingUpdateBatches(hi, rollingSurgePercent))
			if got := RolloutBatches(lo, hi); got != want {
				t.Fatalf("RolloutBatches(%d, %d) = %d, the controller needs %d", lo, hi, got, want)
			}
		}
	}
	if create, update := RolloutTimeouts(130, 1, 1); create != update || create != 190*time.Second {
		t.Errorf("one replica: create %s, update %s, want 3m10s both", create, update)
	}
}
