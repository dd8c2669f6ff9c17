package config

import (
	"fmt"
	"net/url"
	"regexp"
	"strings"

	alic "github.com/wechat-deploy/wechat-deploy/components/alicloud"
	"github.com/wechat-deploy/wechat-deploy/policy/rules"
)

// SecretSpec describes one config secret: its key, when it is required and how its value is checked.
// Checks read the raw value but never put it into a message.
type SecretSpec struct {
	// Key is the key without namespace, e.g. wechatAppSecret.
	Key string
	// Doc is the one-line description used in Pulumi.yaml and the README.
	Doc string
	// Placeholder is what the fix command shows in place of the value.
	Placeholder string
	// Required reports whether the stack must set it.
	Required func(c *Config) bool
	// Check returns a problem with the value, or "" when it is acceptable.
	Check func(c *Config, value string) string
}

var wechatAppIDPattern = regexp.MustCompile(`^wx[0-9a-f]{16}$`)

// The length of a provisioned database's master password: RDS allows 8-128 characters; below 16 a password is
// guessable offline from a leaked hash.
const (
	minDatabasePassword = 16
	maxDatabasePassword = 128
)

// minJWTKeyBytes is the HS256 key floor: a key shorter than the hash output weakens the MAC.
const minJWTKeyBytes = 32

// Keys of the config secrets.
const (
	KeyWeChatAppID      = "wechatAppId"
	KeyWeChatAppSecret  = "wechatAppSecret"
	KeyJWTSigningKey    = "jwtSigningKey"
	KeyDatabaseURL      = "databaseUrl"
	KeyDatabasePassword = "databasePassword"
	KeyRegistryPassword = "registryPassword"
	KeyKubeconfig       = "kubeconfig"
)

// SecretSpecs lists every config secret in the order the README shows them.
var SecretSpecs = []SecretSpec{
	{
		Key:         KeyWeChatAppID,
		Doc:         "WeChat Mini Program AppID (wx followed by 16 hex digits).",
		Placeholder: "wx0123456789abcdef",
		Required:    func(*Config) bool { return true },
		Check: func(_ *Config, v string) string {
			if !wechatAppIDPattern.MatchString(v) {
				return "is not a WeChat AppID (want wx followed by 16 lower-case hex digits)"
			}
			return ""
		},
	},
	{
		Key:         KeyWeChatAppSecret,
		Doc:         "WeChat Mini Program AppSecret (32 hex digits).",
		Placeholder: "<AppSecret from mp.weixin.qq.com>",
		Required:    func(*Config) bool { return true },
		Check: func(_ *Config, v string) string {
			if len(v) < 16 || strings.ContainsAny(v, " \t\r\n") {
				return "is not a WeChat AppSecret (want at least 16 characters without spaces)"
			}
			return ""
		},
	},
	{
		Key:         KeyJWTSigningKey,
		Doc:         "HS256 key that signs the app's session tokens (at least 32 bytes).",
		Placeholder: "\"$(openssl rand -base64 48)\"",
		Required:    func(*Config) bool { return true },
		Check: func(_ *Config, v string) string {
			if len(v) < minJWTKeyBytes {
				return fmt.Sprintf("is %d bytes; an HS256 key needs at least %d", len(v), minJWTKeyBytes)
			}
			// The policy pack's estimate: repeats, sequences and words count for little.
			if bits := rules.EstimateKeyBits(v); bits < rules.MinJWTKeyBits {
				return fmt.Sprintf("has about %.0f bits of entropy (repeats, sequences or words); an HS256 key needs at least %d random bits", bits, rules.MinJWTKeyBits)
			}
			return ""
		},
	},
	{
		Key:         KeyDatabaseURL,
		Doc:         "PostgreSQL URL of an external database for the app; without it (and without database.provision) the app keeps users in memory, which production refuses.",
		Placeholder: "postgres://USER:PASSWORD@HOST:5432/DB?sslmode=require",
		Required:    func(c *Config) bool { return c.IsProduction() && !c.Database.Provision },
		Check: func(c *Config, v string) string {
			if c.Database.Provision {
				return "is set, but database.provision creates the app's database: one database only; unset this secret (pulumi config rm --stack " + c.Stack + " " + Namespace + ":" + KeyDatabaseURL + ") or set database.provision: false"
			}
			u, err := url.Parse(v)
			if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") || u.Host == "" {
				return "is not a PostgreSQL URL (want postgres://user:password@host:5432/db)"
			}
			// TLS everywhere but the sandbox (the policy pack's rule k8s-database-tls, the same test).
			if problem := rules.DatabaseTLSProblem(v); problem != "" && (c.IsProduction() || c.Stack != "local") {
				return problem
			}
			return ""
		},
	},
	{
		Key: KeyDatabasePassword,
		Doc: "Password of the database the stack provisions (database.provision). aws and existing: 16-128 printable ASCII characters without '/', '@', '\"', ' or spaces (RDS's rule). " +
			"alicloud: 16-32 characters from letters, digits and !@#$%^&*()_+-=, with three of upper case, lower case, digits and those symbols (ApsaraDB's rule).",
		Placeholder: "\"$(openssl rand -hex 12)Aa1-\"",
		Required:    func(c *Config) bool { return c.Database.Provision },
		Check: func(c *Config, v string) string {
			if !c.Database.Provision {
				return "is set, but the stack provisions no database (database.provision is false)"
			}
			if c.Cloud == CloudAlicloud {
				return apsaraDBPasswordProblem(v)
			}
			if len(v) < minDatabasePassword || len(v) > maxDatabasePassword {
				return fmt.Sprintf("is %d characters; use %d to %d", len(v), minDatabasePassword, maxDatabasePassword)
			}
			for _, r := range v {
				if r < '!' || r > '~' || strings.ContainsRune(`/@"'`, r) {
					return "has a character RDS refuses in a master password (only printable ASCII without '/', '@', '\"', ' and spaces)"
				}
			}
			return ""
		},
	},
	{
		Key:         KeyRegistryPassword,
		Doc:         "Password or token for existing.registryServer (cloud: existing, when the image is built).",
		Placeholder: "<registry token>",
		Required: func(c *Config) bool {
			return c.Cloud == CloudExisting && c.App.Image == "" && c.Existing.RegistryUsername != ""
		},
	},
	{
		Key:         KeyKubeconfig,
		Doc:         "Kubeconfig contents for cloud: existing; wins over existing.kubeconfigPath.",
		Placeholder: "\"$(cat ~/.kube/config)\"",
		Required:    func(*Config) bool { return false },
	},
}

// SecretKeys returns the keys of all config secrets.
func SecretKeys() []string {
	keys := make([]string, len(SecretSpecs))
	for i, s := range SecretSpecs {
		keys[i] = s.Key
	}
	return keys
}

// FixCommand is the exact command that sets a secret for a stack.
func FixCommand(stack, key, placeholder string) string {
	return fmt.Sprintf("pulumi config set --secret --stack %s %s:%s %s", stack, Namespace, key, placeholder)
}

// apsaraDBPasswordProblem checks an ApsaraDB account password: at most 32 characters (ApsaraDB's limit; the
// program asks for at least 16), letters, digits and the symbols ApsaraDB takes, three of the four kinds.
func apsaraDBPasswordProblem(v string) string {
	if len(v) < minDatabasePassword || len(v) > alic.ApsaraDBMaxPassword {
		return fmt.Sprintf("is %d characters; ApsaraDB takes %d to %d here", len(v), minDatabasePassword, alic.ApsaraDBMaxPassword)
	}
	kinds := map[string]bool{}
	for _, r := range v {
		switch {
		case r >= 'a' && r <= 'z':
			kinds["lower"] = true
		case r >= 'A' && r <= 'Z':
			kinds["upper"] = true
		case r >= '0' && r <= '9':
			kinds["digit"] = true
		case strings.ContainsRune(alic.ApsaraDBPasswordSymbols, r):
			kinds["symbol"] = true
		default:
			return fmt.Sprintf("has %q, which ApsaraDB refuses (letters, digits and %s only)", r, alic.ApsaraDBPasswordSymbols)
		}
	}
	if len(kinds) < 3 {
		return "uses fewer than three of upper case, lower case, digits and symbols, which ApsaraDB requires (e.g. \"$(openssl rand -hex 12)Aa1-\")"
	}
	return ""
}
