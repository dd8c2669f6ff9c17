// Package contract is the deployment contract of the app: the environment variables and secret files it reads
// and the endpoints the platform probes. The app's configuration loader and the Kubernetes workload both use
// these names, so the two cannot drift apart.
package contract

import "regexp"

// Environment variables the app reads.
const (
	EnvHTTPAddr        = "HTTP_ADDR"
	EnvLogLevel        = "LOG_LEVEL"
	EnvWeChatAPIBase   = "WECHAT_API_BASE"
	EnvTokenTTL        = "TOKEN_TTL"
	EnvShutdownTimeout = "SHUTDOWN_TIMEOUT"
	EnvSecretsDir      = "SECRETS_DIR"
	EnvEnvironment     = "ENVIRONMENT"
	// Optional tuning, settable through the stack's app.env.
	EnvRateLimitRPS   = "RATE_LIMIT_RPS"
	EnvRateLimitBurst = "RATE_LIMIT_BURST"
	EnvDBMaxConns     = "DB_MAX_CONNS"
	EnvMaxBodyBytes   = "MAX_BODY_BYTES"

	// EnvTrustedProxies lists, comma-separated, the CIDRs (or single addresses) of the proxies whose
	// X-Forwarded-For the app believes: the load balancer's and ingress controller's addresses. Unset, the app
	// trusts DefaultTrustedProxies (an empty value counts as unset); set to "none", it trusts no proxy and keys
	// clients by the peer address.
	EnvTrustedProxies = "TRUSTED_PROXIES"
	// EnvRateLimitIPv6Prefix is the prefix length IPv6 clients are grouped by for rate limiting (default 64: a
	// client rotating addresses within its /64 shares one allowance).
	EnvRateLimitIPv6Prefix = "RATE_LIMIT_IPV6_PREFIX"
	// EnvLoginRateLimitRPS and EnvLoginRateLimitBurst are the per-client limit on login attempts, on top of
	// the general per-client limit.
	EnvLoginRateLimitRPS   = "LOGIN_RATE_LIMIT_RPS"
	EnvLoginRateLimitBurst = "LOGIN_RATE_LIMIT_BURST"
	// EnvWeChatRateLimitRPS and EnvWeChatRateLimitBurst are the app-wide token bucket on calls to WeChat's
	// jscode2session (every well-formed login code costs one): logins beyond it are answered 503 with
	// Retry-After instead of spending the app's WeChat quota. Size it below the quota WeChat grants the app.
	EnvWeChatRateLimitRPS   = "WECHAT_RATE_LIMIT_RPS"
	EnvWeChatRateLimitBurst = "WECHAT_RATE_LIMIT_BURST"
	// EnvDBTimeout is the deadline of each database call, pool acquisition included (a Go duration);
	// EnvDBAcquireTimeout the shorter deadline of the pool acquisition within it. A call that misses either is
	// answered 503 with Retry-After.
	EnvDBTimeout        = "DB_TIMEOUT"
	EnvDBAcquireTimeout = "DB_ACQUIRE_TIMEOUT"
	// EnvDrainDelay is how long after SIGTERM the app keeps serving with /readyz answering 503, so load
	// balancers see it not-ready before the listener closes (a Go duration, part of SHUTDOWN_TIMEOUT).
	EnvDrainDelay = "DRAIN_DELAY"
)

// DefaultTrustedProxies are the proxies trusted when TRUSTED_PROXIES is unset: the private ranges and loopback.
// Anything inside the VPC can then set X-Forwarded-For; deployments that know their load balancer's addresses
// should name them instead.
var DefaultTrustedProxies = append(append([]string(nil), PrivateIPv4Ranges...), "127.0.0.0/8", "::1/128")

// Secrets the app reads: each from the file of that name under SECRETS_DIR, or from the environment variable.
const (
	SecretWeChatAppID     = "wechat-app-id"
	SecretWeChatAppSecret = "wechat-app-secret"
	SecretJWTSigningKey   = "jwt-signing-key"
	SecretDatabaseURL     = "database-url"
)

// SecretEnv maps each secret file name to the environment variable that may carry it instead.
var SecretEnv = map[string]string{
	SecretWeChatAppID:     "WECHAT_APP_ID",
	SecretWeChatAppSecret: "WECHAT_APP_SECRET",
	SecretJWTSigningKey:   "JWT_SIGNING_KEY",
	SecretDatabaseURL:     "DATABASE_URL",
}

// DefaultSecretsDir is where the Kubernetes Secret is mounted.
const DefaultSecretsDir = "/etc/secrets"

// Probe endpoints.
const (
	PathLiveness  = "/healthz"
	PathReadiness = "/readyz"
	PathMetrics   = "/metrics"
)

// Observability: /metrics is served on its own port (EnvMetricsAddr, default DefaultMetricsPort), which the
// Service exposes inside the cluster only and the Ingress never routes to; the API port does not serve it.
// Tracing is OpenTelemetry over OTLP/HTTP, on only when EnvOTLPEndpoint is set (the standard OTel variables, so
// the SDK's own OTEL_* settings apply too).
const (
	EnvMetricsAddr     = "METRICS_ADDR"
	DefaultMetricsPort = 9090
	EnvOTLPEndpoint    = "OTEL_EXPORTER_OTLP_ENDPOINT"
	EnvOTelServiceName = "OTEL_SERVICE_NAME"
	EnvOTelSampler     = "OTEL_TRACES_SAMPLER"
	EnvOTelSamplerArg  = "OTEL_TRACES_SAMPLER_ARG"
)

// Metric names the app exports, which alerts and dashboards are built from (a test reads them back from the
// app's metrics handler).
const (
	MetricRequests         = "http_requests_total"
	MetricRequestDuration  = "http_request_duration_seconds"
	MetricRequestsInFlight = "http_requests_in_flight"
)

// PrivateIPv4Ranges are the RFC 1918 address ranges, where VPCs, load balancers and databases live: the app
// trusts proxies there by default, the workload opens egress there only to its backing services, and stack
// validation keeps VPCs inside them.
var PrivateIPv4Ranges = []string{"10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"}

// UID is the numeric non-root user the image runs as (distroless "nonroot").
const UID = 65532

// secretName matches setting names whose last word says they hold a secret (DB_PASSWORD, API_TOKEN,
// SIGNING_KEY); SECRETS_DIR or TOKEN_TTL are settings about secrets, not secrets.
var secretName = regexp.MustCompile(`(?i)(^|[_.-])(password|passwd|pwd|secret|token|key|apikey|credentials?)$`)

// LooksSecret reports whether a setting name suggests its value is a secret, which must then travel in a
// Kubernetes Secret rather than in a ConfigMap or plain environment.
func LooksSecret(name string) bool { return secretName.MatchString(name) }
