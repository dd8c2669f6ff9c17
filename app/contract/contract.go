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
)

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
