package rules

import (
	"encoding/base64"
	"fmt"
	"math"
	"net"
	"net/url"
	"regexp"
	"slices"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"

	"github.com/wechat-deploy/wechat-deploy/components/propertypath"
)

// Checks on values, some of them secrets. Whatever they find, their messages never quote the value: policy
// output lands in CI logs and pull-request comments.

// secretValue reads one key of a Kubernetes Secret, from stringData or (base64) data, through secret markers.
// found is false when the key is absent or its value is not known yet.
func secretValue(props resource.PropertyMap, key string) (string, bool) {
	for _, field := range []string{"stringData", "data"} {
		v, ok := get(props, field)
		if !ok || !v.IsObject() {
			continue
		}
		e, present := v.ObjectValue()[resource.PropertyKey(key)]
		if !present {
			continue
		}
		u, known := propertypath.Unwrap(e)
		if !known || !u.IsString() {
			return "", false
		}
		if field == "data" {
			b, err := base64.StdEncoding.DecodeString(u.StringValue())
			if err != nil {
				return "", false
			}
			return string(b), true
		}
		return u.StringValue(), true
	}
	return "", false
}

// stringEntries returns the known string values of an object property (a ConfigMap's data), by key.
func stringEntries(props resource.PropertyMap, path string) map[string]string {
	v, ok := get(props, path)
	if !ok || !v.IsObject() {
		return nil
	}
	out := map[string]string{}
	for k, e := range v.ObjectValue() {
		if u, known := propertypath.Unwrap(e); known && u.IsString() {
			out[string(k)] = u.StringValue()
		}
	}
	return out
}

// Secret-looking setting names beyond contract.LooksSecret (…PASSWORD, …SECRET, …TOKEN, …KEY): the last word
// says the value is a password or credentials (DB_PASS, SMTP_PASSPHRASE, REDIS_AUTH, GCP_CREDS).
var moreSecretNames = regexp.MustCompile(`(?i)(^|[_.-])(pass|passphrase|auth|creds|private|cookie)$`)

// settingValues that are plainly not secrets (switches), whatever the name says (REQUIRE_AUTH=true).
var switchValues = []string{"", "true", "false", "yes", "no", "on", "off", "0", "1", "none", "disabled", "enabled"}

var (
	// scheme://user:password@ or scheme://:password@ anywhere in the value.
	urlWithPassword = regexp.MustCompile(`[A-Za-z][A-Za-z0-9+.-]*://[^\s/?#@:]*:[^\s/?#@]+@`)
	// user:password@host… without a scheme (MySQL's user:pw@tcp(host)/db, a bare postgres DSN).
	bareCredentials = regexp.MustCompile(`^[^\s:/@]+:[^\s/@]+@\S+`)
	// key=value DSNs: password=… (libpq, SQL Server, ODBC).
	dsnPassword = regexp.MustCompile(`(?i)(^|[\s;])(password|pwd|pass)\s*=\s*[^\s;]`)
	pemKey      = regexp.MustCompile(`-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----`)
)

// SecretInSetting says why a plain setting holds a secret, or "" when it does not look like one. The reason
// names the key, never the value.
func SecretInSetting(key, value string, looksSecret func(string) bool) string {
	switch {
	case looksSecret(key):
		return "its name says it is a secret"
	case moreSecretNames.MatchString(key) && !slices.Contains(switchValues, strings.ToLower(strings.TrimSpace(value))):
		return "its name says it is a password or credentials"
	case urlWithPassword.MatchString(value):
		return "its value is a URL with a password (user:password@)"
	case bareCredentials.MatchString(value) && !strings.HasPrefix(strings.ToLower(value), "mailto:"):
		return "its value carries user:password@ credentials"
	case dsnPassword.MatchString(value):
		return "its value is a connection string with a password="
	case pemKey.MatchString(value):
		return "its value is a PEM private key"
	}
	return ""
}

// WeChatAPIHosts are the hosts the app may send its AppSecret to: WeChat's API domain, its disaster-recovery
// domain and its regional domains (Shanghai, Shenzhen, Hong Kong), as WeChat's server API documentation lists
// them. Any other host, a look-alike included, would receive the AppSecret with every login.
var WeChatAPIHosts = []string{
	"api.weixin.qq.com", "api2.weixin.qq.com", "sh.api.weixin.qq.com", "sz.api.weixin.qq.com", "hk.api.weixin.qq.com",
}

// WeChatBaseProblem returns what is wrong with a WeChat API base URL, or "".
func WeChatBaseProblem(v string) string {
	u, err := url.Parse(strings.TrimSpace(v))
	switch {
	case err != nil || u.Opaque != "":
		return "is not a URL"
	case u.Scheme != "https":
		return fmt.Sprintf("uses %q: the AppSecret travels to WeChat over https only", u.Scheme)
	case u.User != nil:
		return "carries user information before an @: the host that receives the AppSecret is the one after it"
	case !slices.Contains(WeChatAPIHosts, strings.ToLower(u.Hostname())):
		return fmt.Sprintf("names host %q, which is not WeChat's API (allowed: %s)", u.Hostname(), strings.Join(WeChatAPIHosts, ", "))
	case u.Port() != "" && u.Port() != "443":
		return fmt.Sprintf("names port %s; WeChat's API answers on 443", u.Port())
	case (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.ForceQuery || u.Fragment != "":
		return "has a path, query or fragment; the base is the scheme and host only"
	}
	return ""
}

// Database TLS: the sslmode values that guarantee an encrypted connection. Without sslmode libpq and pgx use
// "prefer", which silently falls back to plain text when the server (or someone in between) declines TLS.
var tlsSSLModes = []string{"require", "verify-ca", "verify-full"}

var knownSSLModes = []string{"disable", "allow", "prefer", "require", "verify-ca", "verify-full"}

// DatabaseTLSProblem returns why a PostgreSQL URL or key=value DSN does not require TLS, or "". A database on
// the loopback interface or a Unix socket never crosses the network and needs none. Messages quote nothing of
// the value but a known sslmode.
func DatabaseTLSProblem(dsn string) string {
	modes, hosts, ok := parseDSN(strings.TrimSpace(dsn))
	if !ok {
		return "is not a PostgreSQL URL or key=value string the policy can read; write it as postgres://user:password@host:5432/db?sslmode=verify-full"
	}
	if len(hosts) > 0 && !slices.ContainsFunc(hosts, func(h string) bool { return !loopbackHost(h) }) {
		return ""
	}
	switch {
	case len(modes) == 0:
		return "sets no sslmode, so the connection falls back to plain text when TLS is refused (sslmode=prefer); add sslmode=require (or verify-full)"
	case len(modes) > 1:
		return "sets sslmode more than once; set it once, to require or verify-full"
	case !slices.Contains(tlsSSLModes, modes[0]):
		mode := "an unknown value"
		if slices.Contains(knownSSLModes, modes[0]) {
			mode = modes[0]
		}
		return fmt.Sprintf("sets sslmode to %s, which allows a plain-text connection; use require or verify-full", mode)
	}
	return ""
}

// parseDSN reads the sslmode values and hosts of a PostgreSQL URL or key=value connection string. An empty
// host list means the default (a local Unix socket).
func parseDSN(dsn string) (modes, hosts []string, ok bool) {
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		u, err := url.Parse(dsn)
		if err != nil {
			return nil, nil, false
		}
		q := u.Query()
		modes = q["sslmode"]
		for _, h := range strings.Split(u.Host, ",") {
			if host := hostOnly(h); host != "" {
				hosts = append(hosts, host)
			}
		}
		hosts = append(hosts, q["host"]...)
		if len(hosts) == 0 {
			hosts = []string{"/"}
		}
		return modes, hosts, true
	}
	if !strings.Contains(dsn, "=") {
		return nil, nil, false
	}
	for _, field := range strings.Fields(dsn) {
		k, v, found := strings.Cut(field, "=")
		if !found {
			return nil, nil, false
		}
		v = strings.Trim(v, `'"`)
		switch strings.ToLower(k) {
		case "sslmode":
			modes = append(modes, v)
		case "host", "hostaddr":
			hosts = append(hosts, strings.Split(v, ",")...)
		}
	}
	if len(hosts) == 0 {
		hosts = []string{"/"}
	}
	return modes, hosts, true
}

func hostOnly(hostport string) string {
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		return h
	}
	return strings.Trim(hostport, "[]")
}

func loopbackHost(h string) bool {
	if strings.HasPrefix(h, "/") || strings.EqualFold(h, "localhost") {
		return true
	}
	ip := net.ParseIP(h)
	return ip != nil && ip.IsLoopback()
}

// EstimateKeyBits is a deliberately pessimistic estimate of how many bits an attacker must guess
// to find a key: it keeps only one period of a repeated key, removes words that keys are made of (secret, jwt,
// prod, ...), counts runs (aaaa) and steady sequences (abcd, 1234) as one character, and prices every remaining
// character by the alphabet of its token (16 for hex, 26 for lower case, 62 for base64-like, ...), never more
// than the token's own variety supports. A random key scores close to its true entropy (openssl rand -base64
// 48: about 380 bits; 32 hex digits: about 120); a long key built from words and patterns scores little. It
// cannot recognise a passphrase of words it does not know.
func EstimateKeyBits(key string) float64 {
	s := shortestPeriod(key)
	masked := maskWords(s)
	bits := 0.0
	start := -1
	for i := 0; i <= len(s); i++ {
		sep := i == len(s) || masked[i] || isSeparator(s[i])
		switch {
		case !sep && start < 0:
			start = i
		case sep && start >= 0:
			bits += tokenBits(s[start:i])
			start = -1
		}
	}
	return bits
}

// keyWords are what weak keys are made of; they contribute nothing. Longest first, so "signing" goes before
// "sign".
var keyWords = func() []string {
	words := strings.Fields(`secret secrets password passwd pass passphrase key keys jwt jws token tokens sign signing
		signature hmac sha256 hs256 session auth login admin root user prod production staging stage test testing
		dev develop development local default change changeme example sample demo dummy fake placeholder wechat
		weixin mini program app api server backend service super secure security the for and not use this that
		very long strong random string value company todo qwerty letmein welcome please private public`)
	slices.SortStableFunc(words, func(a, b string) int { return len(b) - len(a) })
	return words
}()

func maskWords(s string) []bool {
	lower := strings.ToLower(s)
	masked := make([]bool, len(s))
	for _, w := range keyWords {
		for from := 0; ; {
			i := strings.Index(lower[from:], w)
			if i < 0 {
				break
			}
			i += from
			if !slices.Contains(masked[i:i+len(w)], true) {
				for j := i; j < i+len(w); j++ {
					masked[j] = true
				}
			}
			from = i + 1
		}
	}
	return masked
}

func isSeparator(c byte) bool { return strings.IndexByte("-_.:/+= ,;|\t", c) >= 0 }

// shortestPeriod returns the shortest prefix the string repeats (possibly cut short at the end).
func shortestPeriod(s string) string {
	for p := 1; p < len(s); p++ {
		periodic := true
		for i := p; i < len(s); i++ {
			if s[i] != s[i-p] {
				periodic = false
				break
			}
		}
		if periodic {
			return s[:p]
		}
	}
	return s
}

func tokenBits(t string) float64 {
	t = shortestPeriod(t)
	effective := 0
	for i := range len(t) {
		step := func(j int) int { return int(t[j]) - int(t[j-1]) }
		switch {
		case i > 0 && t[i] == t[i-1]:
			// a run: no new information
		case i > 1 && step(i) == step(i-1) && step(i) >= -2 && step(i) <= 2:
			// a steady sequence (abcd, 1357, 9876)
		default:
			effective++
		}
	}
	var digit, lower, upper, other, hex bool
	hex = true
	distinct := map[byte]bool{}
	for i := range len(t) {
		c := t[i]
		distinct[c] = true
		switch {
		case c >= '0' && c <= '9':
			digit = true
		case c >= 'a' && c <= 'z':
			lower = true
			hex = hex && c <= 'f'
		case c >= 'A' && c <= 'Z':
			upper = true
			hex = hex && c <= 'F'
		default:
			other, hex = true, false
		}
	}
	alphabet := 0
	switch {
	case digit && !lower && !upper && !other:
		alphabet = 10
	case hex && digit && lower != upper:
		alphabet = 16
	default:
		for _, c := range []struct {
			on   bool
			size int
		}{{digit, 10}, {lower, 26}, {upper, 26}, {other, 33}} {
			if c.on {
				alphabet += c.size
			}
		}
	}
	perChar := math.Min(math.Log2(float64(alphabet)), math.Log2(float64(2*len(distinct))))
	return float64(effective) * perChar
}
