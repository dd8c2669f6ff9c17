package config

import (
	"errors"
	"io/fs"
	"strings"
	"testing"
	"time"
)

func source(env map[string]string, files map[string]string) Source {
	return Source{
		Env: func(k string) (string, bool) { v, ok := env[k]; return v, ok },
		ReadFile: func(p string) ([]byte, error) {
			if v, ok := files[p]; ok {
				return []byte(v), nil
			}
			return nil, fs.ErrNotExist
		},
	}
}

var goodFiles = map[string]string{
	"/etc/secrets/wechat-app-id":     "wx0123456789abcdef\n",
	"/etc/secrets/wechat-app-secret": "secret-secret-secret-secret-1234",
	"/etc/secrets/jwt-signing-key":   "0123456789abcdef0123456789abcdef0123",
}

func TestLoadFromFiles(t *testing.T) {
	c, err := Load(source(map[string]string{"TOKEN_TTL": "30m", "LOG_LEVEL": "debug"}, goodFiles))
	if err != nil {
		t.Fatal(err)
	}
	if c.WeChatAppID != "wx0123456789abcdef" || c.TokenTTL != 30*time.Minute || c.HTTPAddr != ":8080" || c.DatabaseURL != "" {
		t.Errorf("config = %+v", c)
	}
}

func TestLoadFromEnvironment(t *testing.T) {
	env := map[string]string{
		"WECHAT_APP_ID": "wx0123456789abcdef", "WECHAT_APP_SECRET": "s3cr3t-s3cr3t-s3cr3t",
		"JWT_SIGNING_KEY": strings.Repeat("k", 32), "DATABASE_URL": "postgres://u@h/db", "SECRETS_DIR": "/nowhere",
	}
	c, err := Load(source(env, nil))
	if err != nil {
		t.Fatal(err)
	}
	if c.DatabaseURL != "postgres://u@h/db" {
		t.Errorf("database URL = %q", c.DatabaseURL)
	}
}

func TestLoadErrors(t *testing.T) {
	tests := []struct {
		name  string
		env   map[string]string
		files map[string]string
		want  []string
	}{
		{"nothing set", nil, nil, []string{"wechat-app-id: is missing: mount it as /etc/secrets/wechat-app-id or set WECHAT_APP_ID", "wechat-app-secret: is missing", "jwt-signing-key: is missing"}},
		{"bad values", map[string]string{"HTTP_ADDR": "8080", "LOG_LEVEL": "loud", "TOKEN_TTL": "1s", "WECHAT_API_BASE": "ftp://x", "RATE_LIMIT_RPS": "fast"}, goodFiles,
			[]string{"HTTP_ADDR:", "LOG_LEVEL:", "TOKEN_TTL:", "WECHAT_API_BASE:", "RATE_LIMIT_RPS:"}},
		{"short key", nil, map[string]string{
			"/etc/secrets/wechat-app-id": "wx0123456789abcdef", "/etc/secrets/wechat-app-secret": "x", "/etc/secrets/jwt-signing-key": "short",
		}, []string{"jwt-signing-key: is 5 bytes"}},
		{"bad database url", map[string]string{"DATABASE_URL": "mysql://x"}, goodFiles, []string{"database-url: is not a postgres:// URL"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Load(source(tt.env, tt.files))
			if err == nil {
				t.Fatal("Load() succeeded")
			}
			wantProblems(t, err, tt.want...)
			for _, secret := range goodFiles {
				if strings.Contains(err.Error(), strings.TrimSpace(secret)) && len(secret) > 20 {
					t.Error("error reveals a secret")
				}
			}
		})
	}
}

func TestUnreadableSecretFile(t *testing.T) {
	src := source(nil, goodFiles)
	read := src.ReadFile
	src.ReadFile = func(p string) ([]byte, error) {
		if strings.HasSuffix(p, "jwt-signing-key") {
			return nil, errors.New("permission denied")
		}
		return read(p)
	}
	if _, err := Load(src); err == nil || !strings.Contains(err.Error(), "permission denied") {
		t.Fatalf("Load() error = %v", err)
	}
}

// TestTrustedProxies: TRUSTED_PROXIES replaces the default trust: a list of CIDRs and addresses, or "none";
// unset (or empty) keeps the handler's default.
func TestTrustedProxies(t *testing.T) {
	tests := []struct {
		value string
		want  string // the prefixes, joined; "<default>" for nil
	}{
		{"", "<default>"},
		{"10.1.0.0/16, 10.2.3.4 ,fd00::/8", "10.1.0.0/16 10.2.3.4/32 fd00::/8"},
		{"10.1.2.3/16", "10.1.0.0/16"},
		{"::ffff:10.1.0.0/112", "10.1.0.0/16"},
		{"none", ""},
	}
	for _, tt := range tests {
		env := map[string]string{}
		if tt.value != "" {
			env["TRUSTED_PROXIES"] = tt.value
		}
		c, err := Load(source(env, goodFiles))
		if err != nil {
			t.Fatalf("%q: %v", tt.value, err)
		}
		got := "<default>"
		if c.TrustedProxies != nil {
			var parts []string
			for _, p := range c.TrustedProxies {
				parts = append(parts, p.String())
			}
			got = strings.Join(parts, " ")
		}
		if got != tt.want {
			t.Errorf("TRUSTED_PROXIES=%q: %q, want %q", tt.value, got, tt.want)
		}
	}
	for _, bad := range []string{"10.0.0.0/33", "example.com", "0.0.0.0/0", "::/0", "fe80::1%eth0", ","} {
		if _, err := Load(source(map[string]string{"TRUSTED_PROXIES": bad}, goodFiles)); err == nil || !strings.Contains(err.Error(), "TRUSTED_PROXIES:") {
			t.Errorf("TRUSTED_PROXIES=%q accepted (%v)", bad, err)
		}
	}
}

// TestHostileTrafficSettings: the defaults of the limits and deadlines, and their checks.
func TestHostileTrafficSettings(t *testing.T) {
	c, err := Load(source(nil, goodFiles))
	if err != nil {
		t.Fatal(err)
	}
	if c.RateLimitIPv6Prefix != 64 || c.LoginRateLimitRPS != 1 || c.LoginRateLimitBurst != 10 || c.WeChatRateLimitRPS != 50 ||
		c.WeChatRateLimitBurst != 100 || c.DBTimeout != 2*time.Second || c.DBAcquireTimeout != time.Second ||
		c.DrainDelay != 5*time.Second {
		t.Errorf("defaults = %+v", c)
	}
	c, err = Load(source(map[string]string{"SHUTDOWN_TIMEOUT": "8s"}, goodFiles))
	if err != nil || c.DrainDelay != 2*time.Second {
		t.Errorf("drain delay under an 8s shutdown = %s, %v; want a quarter of it", c.DrainDelay, err)
	}
	c, err = Load(source(map[string]string{
		"RATE_LIMIT_IPV6_PREFIX": "56", "LOGIN_RATE_LIMIT_RPS": "0.5", "LOGIN_RATE_LIMIT_BURST": "3",
		"WECHAT_RATE_LIMIT_RPS": "20", "WECHAT_RATE_LIMIT_BURST": "40", "DB_TIMEOUT": "500ms", "DB_ACQUIRE_TIMEOUT": "200ms",
		"DRAIN_DELAY": "0s",
	}, goodFiles))
	if err != nil || c.RateLimitIPv6Prefix != 56 || c.LoginRateLimitBurst != 3 || c.WeChatRateLimitRPS != 20 ||
		c.DBTimeout != 500*time.Millisecond || c.DBAcquireTimeout != 200*time.Millisecond || c.DrainDelay != 0 {
		t.Errorf("set = %+v, %v", c, err)
	}
	_, err = Load(source(map[string]string{
		"RATE_LIMIT_IPV6_PREFIX": "16", "WECHAT_RATE_LIMIT_RPS": "0", "DB_TIMEOUT": "1s", "DB_ACQUIRE_TIMEOUT": "2s",
		"SHUTDOWN_TIMEOUT": "5s", "DRAIN_DELAY": "5s", "LOGIN_RATE_LIMIT_BURST": "x",
	}, goodFiles))
	if err == nil {
		t.Fatal("Load() accepted out-of-range settings")
	}
	wantProblems(t, err, "RATE_LIMIT_IPV6_PREFIX:", "WECHAT_RATE_LIMIT_RPS:", "DB_ACQUIRE_TIMEOUT:", "DRAIN_DELAY:", "LOGIN_RATE_LIMIT_BURST:")
}

// TestMetricsAddr: METRICS_ADDR defaults to contract.DefaultMetricsPort; a value without a usable port, or with
// HTTP_ADDR's port, is an error naming the variable.
func TestMetricsAddr(t *testing.T) {
	tests := []struct {
		name     string
		env      map[string]string
		want     string // the address loaded, when valid
		problems []string
	}{
		{"default", nil, ":9090", nil},
		{"host and port", map[string]string{"METRICS_ADDR": "127.0.0.1:9100"}, "127.0.0.1:9100", nil},
		{"IPv6", map[string]string{"METRICS_ADDR": "[::]:9100"}, "[::]:9100", nil},
		{"blank is unset", map[string]string{"METRICS_ADDR": "  "}, ":9090", nil},
		{"default port moved off by HTTP_ADDR", map[string]string{"HTTP_ADDR": ":9091", "METRICS_ADDR": ":9090"}, ":9090", nil},
		{"no colon", map[string]string{"METRICS_ADDR": "9090"}, "", []string{`METRICS_ADDR: "9090" is not a listen address`}},
		{"no port", map[string]string{"METRICS_ADDR": "localhost:"}, "", []string{"METRICS_ADDR:"}},
		{"port zero", map[string]string{"METRICS_ADDR": ":0"}, "", []string{"METRICS_ADDR:"}},
		{"port too large", map[string]string{"METRICS_ADDR": ":70000"}, "", []string{"METRICS_ADDR:"}},
		{"named port", map[string]string{"METRICS_ADDR": ":http"}, "", []string{"METRICS_ADDR:"}},
		{"the API port", map[string]string{"METRICS_ADDR": ":8080"}, "", []string{
			`METRICS_ADDR: ":8080" uses the port of HTTP_ADDR (":8080")`,
		}},
		{"the API port on another host", map[string]string{"HTTP_ADDR": "0.0.0.0:8081", "METRICS_ADDR": "127.0.0.1:08081"}, "",
			[]string{"METRICS_ADDR:", "port of its own"}},
		{"HTTP_ADDR on the default metrics port", map[string]string{"HTTP_ADDR": ":9090"}, "", []string{
			`METRICS_ADDR: ":9090" uses the port of HTTP_ADDR (":9090")`,
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Load(source(tt.env, goodFiles))
			if len(tt.problems) == 0 {
				if err != nil {
					t.Fatal(err)
				}
				if c.MetricsAddr != tt.want {
					t.Errorf("MetricsAddr = %q, want %q", c.MetricsAddr, tt.want)
				}
				return
			}
			if err == nil {
				t.Fatalf("Load() succeeded with MetricsAddr %q", c.MetricsAddr)
			}
			wantProblems(t, err, tt.problems...)
		})
	}
}

// TestTracingSettings: tracing is on only when OTEL_EXPORTER_OTLP_ENDPOINT is set; then the endpoint must be an
// http(s) URL and the sampler variables (which the SDK reads itself, falling back silently on a bad value) must
// be ones the SDK understands.
func TestTracingSettings(t *testing.T) {
	tests := []struct {
		name              string
		env               map[string]string
		endpoint, service string
		problems          []string
	}{
		{"off", nil, "", "wechat-api", nil},
		{"off: the sampler is not read", map[string]string{"OTEL_TRACES_SAMPLER": "sometimes"}, "", "wechat-api", nil},
		{"on", map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://otel-collector.monitoring:4318"},
			"http://otel-collector.monitoring:4318", "wechat-api", nil},
		{"named", map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "https://otlp.example.com", "OTEL_SERVICE_NAME": "wechat-api-dev"},
			"https://otlp.example.com", "wechat-api-dev", nil},
		{"ratio", map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4318", "OTEL_TRACES_SAMPLER": "ParentBased_TraceIDRatio",
			"OTEL_TRACES_SAMPLER_ARG": "0.25"}, "http://c:4318", "wechat-api", nil},
		{"an argument the sampler does not take", map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4318",
			"OTEL_TRACES_SAMPLER": "always_on", "OTEL_TRACES_SAMPLER_ARG": "x"}, "http://c:4318", "wechat-api", nil},
		{"not a URL", map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "otel-collector:4318"}, "", "",
			[]string{`OTEL_EXPORTER_OTLP_ENDPOINT: "otel-collector:4318" is not an http(s) URL`}},
		{"gRPC scheme", map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "grpc://c:4317"}, "", "", []string{"OTEL_EXPORTER_OTLP_ENDPOINT:"}},
		{"unknown sampler", map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4318", "OTEL_TRACES_SAMPLER": "jaeger_remote"}, "", "",
			[]string{`OTEL_TRACES_SAMPLER: "jaeger_remote" is not a sampler the SDK supports`}},
		{"ratio above one", map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4318", "OTEL_TRACES_SAMPLER": "traceidratio",
			"OTEL_TRACES_SAMPLER_ARG": "1.5"}, "", "", []string{`OTEL_TRACES_SAMPLER_ARG: "1.5" is not a ratio between 0 and 1`}},
		{"ratio not a number", map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4318", "OTEL_TRACES_SAMPLER": "traceidratio",
			"OTEL_TRACES_SAMPLER_ARG": "NaN"}, "", "", []string{"OTEL_TRACES_SAMPLER_ARG:"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Load(source(tt.env, goodFiles))
			if len(tt.problems) == 0 {
				if err != nil {
					t.Fatal(err)
				}
				if c.OTLPEndpoint != tt.endpoint || c.ServiceName != tt.service {
					t.Errorf("endpoint %q, service %q; want %q, %q", c.OTLPEndpoint, c.ServiceName, tt.endpoint, tt.service)
				}
				return
			}
			if err == nil {
				t.Fatal("Load() succeeded")
			}
			wantProblems(t, err, tt.problems...)
		})
	}
}

// wantProblems fails the test for each problem the (non-nil) error of Load does not name.
func wantProblems(t *testing.T, err error, problems ...string) {
	t.Helper()
	for _, p := range problems {
		if !strings.Contains(err.Error(), p) {
			t.Errorf("error lacks %q:\n%v", p, err)
		}
	}
}
