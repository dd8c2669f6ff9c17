// Package config loads the app's configuration from environment variables and secret files (the layout the
// Kubernetes Secret is mounted in), and validates it at start with one message per missing or bad value.
package config

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/wechat-deploy/wechat-deploy/app/contract"
)

// Config is the app's configuration.
type Config struct {
	HTTPAddr        string
	LogLevel        slog.Level
	Environment     string
	WeChatAPIBase   string
	WeChatAppID     string
	WeChatAppSecret string
	JWTSigningKey   []byte
	TokenTTL        time.Duration
	// DatabaseURL is empty when users are kept in memory.
	DatabaseURL     string
	DBMaxConns      int32
	ShutdownTimeout time.Duration
	RateLimitRPS    float64
	RateLimitBurst  int
	MaxBodyBytes    int64
	// TrustedProxies are the proxies whose X-Forwarded-For is believed: nil when TRUSTED_PROXIES is unset (the
	// handler's default), empty when it says "none".
	TrustedProxies []netip.Prefix
	// RateLimitIPv6Prefix groups IPv6 clients by this prefix length for rate limiting.
	RateLimitIPv6Prefix int
	// LoginRateLimitRPS and LoginRateLimitBurst limit login attempts per client.
	LoginRateLimitRPS   float64
	LoginRateLimitBurst int
	// WeChatRateLimitRPS and WeChatRateLimitBurst bound the calls to WeChat across all clients.
	WeChatRateLimitRPS   float64
	WeChatRateLimitBurst int
	// DBTimeout bounds each database call; DBAcquireTimeout the pool acquisition within it.
	DBTimeout        time.Duration
	DBAcquireTimeout time.Duration
	// DrainDelay is how long the app stays up, not ready, after SIGTERM before closing its listener.
	DrainDelay time.Duration
	// MetricsAddr is the listen address of the metrics server (GET /metrics only), on a port of its own.
	MetricsAddr string
	// OTLPEndpoint is the OTLP/HTTP collector traces are exported to; empty when tracing is off.
	OTLPEndpoint string
	// ServiceName is the service.name of the traces' resource.
	ServiceName string
}

// DefaultServiceName is the service.name traces carry when OTEL_SERVICE_NAME is unset.
const DefaultServiceName = "wechat-api"

// Source reads environment variables and files; tests replace it.
type Source struct {
	Env      func(string) (string, bool)
	ReadFile func(string) ([]byte, error)
}

// OS reads the real environment and file system.
var OS = Source{Env: os.LookupEnv, ReadFile: os.ReadFile}

// Load reads and validates the configuration; the error lists every problem.
func Load(src Source) (Config, error) {
	var errs []error
	bad := func(name, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s: "+format, append([]any{name}, args...)...))
	}
	get := func(name, def string) string {
		if v, ok := src.Env(name); ok && strings.TrimSpace(v) != "" {
			return strings.TrimSpace(v)
		}
		return def
	}
	c := Config{
		HTTPAddr:      get(contract.EnvHTTPAddr, ":8080"),
		Environment:   get(contract.EnvEnvironment, "development"),
		WeChatAPIBase: strings.TrimRight(get(contract.EnvWeChatAPIBase, "https://api.weixin.qq.com"), "/"),
	}
	_, httpPort, err := net.SplitHostPort(c.HTTPAddr)
	if err != nil || httpPort == "" {
		bad(contract.EnvHTTPAddr, "%q is not a listen address such as :8080", c.HTTPAddr)
	}
	c.MetricsAddr = get(contract.EnvMetricsAddr, ":"+strconv.Itoa(contract.DefaultMetricsPort))
	if _, port, err := net.SplitHostPort(c.MetricsAddr); err != nil || !validPort(port) {
		bad(contract.EnvMetricsAddr, "%q is not a listen address with a port such as :%d", c.MetricsAddr, contract.DefaultMetricsPort)
	} else if samePort(port, httpPort) {
		bad(contract.EnvMetricsAddr, "%q uses the port of %s (%q): /metrics must be served on a port of its own",
			c.MetricsAddr, contract.EnvHTTPAddr, c.HTTPAddr)
	}
	if err := c.LogLevel.UnmarshalText([]byte(get(contract.EnvLogLevel, "info"))); err != nil {
		bad(contract.EnvLogLevel, "%q is not a level (debug, info, warn, error)", get(contract.EnvLogLevel, ""))
	}
	if u, err := url.Parse(c.WeChatAPIBase); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		bad(contract.EnvWeChatAPIBase, "%q is not an http(s) URL", c.WeChatAPIBase)
	}
	duration := func(name, def string, lo, hi time.Duration) time.Duration {
		v := get(name, def)
		d, err := time.ParseDuration(v)
		if err != nil || d < lo || d > hi {
			bad(name, "%q is not a duration between %s and %s", v, lo, hi)
		}
		return d
	}
	c.TokenTTL = duration(contract.EnvTokenTTL, "2h", time.Minute, 30*24*time.Hour)
	c.ShutdownTimeout = duration(contract.EnvShutdownTimeout, "20s", time.Second, 5*time.Minute)
	number := func(name, def string, lo, hi float64) float64 {
		v := get(name, def)
		f, err := strconv.ParseFloat(v, 64)
		if err != nil || f < lo || f > hi {
			bad(name, "%q is not a number between %g and %g", v, lo, hi)
		}
		return f
	}
	c.RateLimitRPS = number(contract.EnvRateLimitRPS, "20", 0.1, 100000)
	c.RateLimitBurst = int(number(contract.EnvRateLimitBurst, "40", 1, 100000))
	c.DBMaxConns = int32(number(contract.EnvDBMaxConns, "10", 1, 1000))
	c.MaxBodyBytes = int64(number(contract.EnvMaxBodyBytes, "16384", 256, 1<<20))
	c.RateLimitIPv6Prefix = int(number(contract.EnvRateLimitIPv6Prefix, "64", 32, 128))
	c.LoginRateLimitRPS = number(contract.EnvLoginRateLimitRPS, "1", 0.001, 100000)
	c.LoginRateLimitBurst = int(number(contract.EnvLoginRateLimitBurst, "10", 1, 100000))
	c.WeChatRateLimitRPS = number(contract.EnvWeChatRateLimitRPS, "50", 0.01, 100000)
	c.WeChatRateLimitBurst = int(number(contract.EnvWeChatRateLimitBurst, "100", 1, 1000000))
	c.DBTimeout = duration(contract.EnvDBTimeout, "2s", 10*time.Millisecond, time.Minute)
	c.DBAcquireTimeout = duration(contract.EnvDBAcquireTimeout, "1s", 10*time.Millisecond, time.Minute)
	if c.DBAcquireTimeout > c.DBTimeout {
		bad(contract.EnvDBAcquireTimeout, "%s is longer than %s (%s), which includes the acquisition", c.DBAcquireTimeout,
			contract.EnvDBTimeout, c.DBTimeout)
	}
	// The drain is part of the shutdown budget: by default a quarter of it, at most 5s.
	c.DrainDelay = duration(contract.EnvDrainDelay, min(5*time.Second, c.ShutdownTimeout/4).String(), 0, 5*time.Minute)
	if c.DrainDelay >= c.ShutdownTimeout && c.ShutdownTimeout > 0 {
		bad(contract.EnvDrainDelay, "%s is not shorter than %s (%s), which includes it", c.DrainDelay,
			contract.EnvShutdownTimeout, c.ShutdownTimeout)
	}
	if v := get(contract.EnvTrustedProxies, ""); v != "" {
		prefixes, err := ParseTrustedProxies(v)
		if err != nil {
			bad(contract.EnvTrustedProxies, "%v", err)
		}
		c.TrustedProxies = prefixes
	}
	c.loadTracing(get, bad)

	dir := get(contract.EnvSecretsDir, contract.DefaultSecretsDir)
	secret := func(name string, required bool) string {
		env := contract.SecretEnv[name]
		path := filepath.Join(dir, name)
		b, err := src.ReadFile(path)
		switch {
		case err == nil:
			return strings.TrimSpace(string(b))
		case !errors.Is(err, os.ErrNotExist):
			bad(name, "reading %s: %v", path, err)
			return ""
		}
		if v, ok := src.Env(env); ok && v != "" {
			return strings.TrimSpace(v)
		}
		if required {
			bad(name, "is missing: mount it as %s or set %s", path, env)
		}
		return ""
	}
	c.WeChatAppID = secret(contract.SecretWeChatAppID, true)
	c.WeChatAppSecret = secret(contract.SecretWeChatAppSecret, true)
	c.JWTSigningKey = []byte(secret(contract.SecretJWTSigningKey, true))
	c.DatabaseURL = secret(contract.SecretDatabaseURL, false)
	if c.WeChatAppID != "" && (!strings.HasPrefix(c.WeChatAppID, "wx") || len(c.WeChatAppID) != 18) {
		bad(contract.SecretWeChatAppID, "is not a WeChat AppID (wx followed by 16 characters)")
	}
	if n := len(c.JWTSigningKey); n > 0 && n < 32 {
		bad(contract.SecretJWTSigningKey, "is %d bytes; at least 32 are needed", n)
	}
	if c.DatabaseURL != "" {
		if u, err := url.Parse(c.DatabaseURL); err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
			bad(contract.SecretDatabaseURL, "is not a postgres:// URL")
		}
	}
	if len(errs) > 0 {
		return c, fmt.Errorf("invalid configuration:\n  %w", errors.Join(errs...))
	}
	return c, nil
}

// validPort reports whether port is a port number a server can be scraped on (1 to 65535).
func validPort(port string) bool {
	n, err := strconv.Atoi(port)
	return err == nil && n >= 1 && n <= 65535
}

// samePort reports whether two listen ports are the same port, numerically when both are numbers (":09090" is
// ":9090"), and by name otherwise.
func samePort(a, b string) bool {
	x, errX := strconv.Atoi(a)
	y, errY := strconv.Atoi(b)
	if errX == nil && errY == nil {
		return x == y
	}
	return a == b
}

// samplers are the values of OTEL_TRACES_SAMPLER the OpenTelemetry SDK understands; the ones that take
// OTEL_TRACES_SAMPLER_ARG (a ratio) are true.
var samplers = map[string]bool{
	"always_on": false, "always_off": false, "traceidratio": true,
	"parentbased_always_on": false, "parentbased_always_off": false, "parentbased_traceidratio": true,
}

// loadTracing reads the tracing settings: tracing is on when OTEL_EXPORTER_OTLP_ENDPOINT is set. The SDK reads
// the sampler variables itself and falls back to its default on a value it does not understand, silently; they
// are checked here so a typo stops the start instead.
func (c *Config) loadTracing(get func(name, def string) string, bad func(name, format string, args ...any)) {
	c.ServiceName = get(contract.EnvOTelServiceName, DefaultServiceName)
	c.OTLPEndpoint = get(contract.EnvOTLPEndpoint, "")
	if c.OTLPEndpoint == "" {
		return
	}
	if u, err := url.Parse(c.OTLPEndpoint); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		bad(contract.EnvOTLPEndpoint, "%q is not an http(s) URL such as http://otel-collector:4318", c.OTLPEndpoint)
	}
	sampler := strings.ToLower(get(contract.EnvOTelSampler, ""))
	if sampler == "" {
		return
	}
	takesRatio, known := samplers[sampler]
	if !known {
		bad(contract.EnvOTelSampler, "%q is not a sampler the SDK supports (always_on, always_off, traceidratio, "+
			"parentbased_always_on, parentbased_always_off, parentbased_traceidratio)", sampler)
		return
	}
	if arg := get(contract.EnvOTelSamplerArg, ""); takesRatio && arg != "" {
		if f, err := strconv.ParseFloat(arg, 64); err != nil || !(f >= 0 && f <= 1) { // NaN is neither
			bad(contract.EnvOTelSamplerArg, "%q is not a ratio between 0 and 1 (for %s)", arg, sampler)
		}
	}
}

// ParseTrustedProxies reads a comma-separated list of CIDRs or single addresses; "none" is the empty list (no
// proxy is trusted). A prefix of length 0 is refused: it would let every client choose its address.
func ParseTrustedProxies(v string) ([]netip.Prefix, error) {
	out := []netip.Prefix{}
	if strings.EqualFold(strings.TrimSpace(v), "none") {
		return out, nil
	}
	var bad []string
	for _, item := range strings.Split(v, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		var p netip.Prefix
		var err error
		if strings.Contains(item, "/") {
			p, err = netip.ParsePrefix(item)
		} else {
			var a netip.Addr
			if a, err = netip.ParseAddr(item); err == nil && a.Zone() == "" {
				p = netip.PrefixFrom(a, a.BitLen())
			}
		}
		if err != nil || !p.IsValid() || p.Bits() == 0 {
			bad = append(bad, strconv.Quote(item))
			continue
		}
		p = p.Masked()
		if p.Addr().Is4In6() && p.Bits() >= 96 {
			p = netip.PrefixFrom(p.Addr().Unmap(), p.Bits()-96)
		}
		out = append(out, p)
	}
	if len(out) == 0 && len(bad) == 0 {
		bad = append(bad, strconv.Quote(v))
	}
	if len(bad) > 0 {
		return out, fmt.Errorf("%s: not a CIDR (10.0.0.0/16) or address, or a /0 that would trust every client", strings.Join(bad, ", "))
	}
	return out, nil
}
