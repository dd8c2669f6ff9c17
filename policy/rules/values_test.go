package rules

import (
	"net/netip"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
)

func TestOpenToInternet(t *testing.T) {
	for _, tc := range []struct {
		name  string
		cidrs []string
		open  bool
	}{
		{"everything", []string{"0.0.0.0/0"}, true},
		{"two halves", []string{"0.0.0.0/1", "128.0.0.0/1"}, true},
		{"one half", []string{"128.0.0.0/1"}, true},
		{"sixteen /4s", []string{"0.0.0.0/4", "16.0.0.0/4", "32.0.0.0/4", "48.0.0.0/4", "64.0.0.0/4", "80.0.0.0/4", "96.0.0.0/4", "112.0.0.0/4", "128.0.0.0/4", "144.0.0.0/4", "160.0.0.0/4", "176.0.0.0/4", "192.0.0.0/4", "208.0.0.0/4", "224.0.0.0/4", "240.0.0.0/4"}, true},
		{"a public /8", []string{"11.0.0.0/8"}, true},
		{"two /9s make a /8", []string{"11.0.0.0/9", "11.128.0.0/9"}, true},
		{"host bits set", []string{"128.1.2.3/1"}, true},
		{"ipv6 everything", []string{"::/0"}, true},
		{"ipv6 global unicast", []string{"2000::/3"}, true},
		{"an ISP's ipv6 /32", []string{"2400:cb00::/32"}, true},
		{"ipv4-mapped ipv6 world", []string{"::ffff:0.0.0.0/96"}, true},
		{"documentation /24", []string{"203.0.113.0/24"}, false},
		{"office, VPN and CI", []string{"203.0.113.0/24", "198.51.100.0/24", "52.94.76.0/22", "3.0.5.32/29"}, false},
		{"a public /9", []string{"11.0.0.0/9"}, false},
		{"overlapping /9s count once", []string{"11.0.0.0/9", "11.0.0.0/9", "11.0.0.0/10"}, false},
		{"private ranges", []string{"10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16"}, false},
		{"multicast and reserved", []string{"224.0.0.0/3"}, false},
		{"ipv6 ULA and link-local", []string{"fc00::/7", "fe80::/10"}, false},
		{"a site's ipv6 /48", []string{"2400:cb00:2048::/48"}, false},
		{"a bare address", []string{"8.8.8.8"}, false},
		{"garbage", []string{"everyone"}, false},
		{"nothing", nil, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			how, open := OpenToInternet(tc.cidrs)
			if open != tc.open {
				t.Fatalf("OpenToInternet(%v) = %v (%s), want %v", tc.cidrs, open, how, tc.open)
			}
		})
	}
}

// The non-public ranges must be disjoint within a family, or CoverageOf would subtract an address twice.
func TestNonPublicRangesDisjoint(t *testing.T) {
	for v4, list := range nonPublic {
		for i, a := range list {
			for _, b := range list[i+1:] {
				if a.Overlaps(b) {
					t.Errorf("ipv4=%v: %s overlaps %s", v4, a, b)
				}
			}
			if a.Addr().Is4() != v4 {
				t.Errorf("%s is in the wrong family", a)
			}
		}
	}
	if got := CoverageOf([]string{"0.0.0.0/0"}).PublicIPv4.Int64(); got <= 3_600_000_000 || got >= 1<<32 {
		t.Errorf("public IPv4 space = %d", got)
	}
	if _, ok := parseCIDR("::ffff:10.0.0.0/104"); !ok {
		t.Error("mapped prefix not parsed")
	} else if p, _ := parseCIDR("::ffff:10.0.0.0/104"); p != netip.MustParsePrefix("10.0.0.0/8") {
		t.Errorf("mapped prefix = %s", p)
	}
}

func TestEstimateKeyBits(t *testing.T) {
	for _, tc := range []struct {
		key      string
		min, max float64
	}{
		{strings.Repeat("a", 48), 0, 8},
		{strings.Repeat("ab", 24), 0, 8},
		{strings.Repeat("0123456789abcdef", 3), 0, 24},
		{"abcdefghijklmnopqrstuvwxyz0123456789", 0, 24},
		{"my-super-secret-jwt-signing-key-for-production", 0, 16},
		{"thisismysupersecretjwtkeyforproduction2024", 0, 64},
		{"Passw0rd!Passw0rd!Passw0rd!Passw0rd!", 0, 40},
		{"changeme-changeme-changeme-changeme", 0, 8},
		// Random keys keep (about) their entropy.
		{strongKey, 300, 400},
		{"9f86d081884c7d659a2feaa0c55ad0159f86d081884c7d659a2feaa0c55ad015"[:64], 96, 260},
		{"fake-jwt-signing-key-9f86d081884c7d659a2feaa0c55ad015", MinJWTKeyBits + 10, 200},
		// The keys the end-to-end test deploys (and rotates to) on the local stack under the policy pack.
		{"e2e-jwt-signing-key-8c2f6e1a9d4b7c3e5f0a2d6b8e1c4f7a", MinJWTKeyBits + 20, 200},
		{"e2e-rotated-jwt-signing-key-5d8a2f7c1e9b4a6d3c0f", MinJWTKeyBits + 10, 200},
		{"550e8400-e29b-41d4-a716-446655440000-7c9e6679-7425-40de-944b", MinJWTKeyBits, 300},
	} {
		if got := EstimateKeyBits(tc.key); got < tc.min || got > tc.max {
			t.Errorf("EstimateKeyBits(%q) = %.1f, want %g..%g", tc.key, got, tc.min, tc.max)
		}
	}
}

func TestLooksProduction(t *testing.T) {
	for name, want := range map[string]bool{
		"prod": true, "prod-cn": true, "production": true, "Prod-EU": true, "prod2": true, "eu-prod": true,
		"app_production": true, "shop.prd": true,
		"dev": false, "staging": false, "local": false, "preprod": false, "nonprod": false, "dev-cn": false, "": false,
	} {
		if got := LooksProduction(name); got != want {
			t.Errorf("LooksProduction(%q) = %v, want %v", name, got, want)
		}
	}
}

func TestStackConfig(t *testing.T) {
	for _, tc := range []struct {
		name, stack string
		config      map[string]string
		want        Config
	}{
		{"dev", "dev", nil, Config{Stack: "dev", Environment: "dev"}},
		{"declared", "main", map[string]string{"wechat-deploy:production": "true"}, Config{Production: true, DeclaredProduction: true, Stack: "main", Environment: "main"}},
		{"prod switched off", "prod", map[string]string{"wechat-deploy:production": "false"}, Config{Production: true, Stack: "prod", Environment: "prod"}},
		{"environment", "blue", map[string]string{"wechat-deploy:environment": "prod-blue"}, Config{Production: true, Stack: "blue", Environment: "prod-blue"}},
		{"not a boolean counts as yes", "x", map[string]string{"wechat-deploy:production": "maybe"}, Config{Production: true, DeclaredProduction: true, Stack: "x", Environment: "x"}},
		{"autoscaling off", "prod", map[string]string{"wechat-deploy:production": "true", "wechat-deploy:app": `{"autoscaling":false,"replicas":3}`}, Config{Production: true, DeclaredProduction: true, Stack: "prod", Environment: "prod", AutoscalingOff: true}},
		{"autoscaling unset", "dev", map[string]string{"wechat-deploy:app": `{"replicas":1}`}, Config{Stack: "dev", Environment: "dev"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := StackConfig(tc.stack, lookup(tc.config)); got != tc.want {
				t.Fatalf("StackConfig = %+v, want %+v", got, tc.want)
			}
		})
	}
}

func TestParseQuantity(t *testing.T) {
	for in, want := range map[string]float64{
		"500m": 0.5, "1": 1, "1.5": 1.5, "2Gi": 2 << 30, "512Mi": 512 << 20, "1e3": 1000, "1k": 1000, ".5": 0.5, "64": 64, "1Ti": 1 << 40,
	} {
		if got, ok := parseQuantity(in); !ok || got != want {
			t.Errorf("parseQuantity(%q) = %v, %v; want %v", in, got, ok, want)
		}
	}
	for _, bad := range []string{"", "lots", "1Gb", "-1"} {
		if _, ok := parseQuantity(bad); ok {
			t.Errorf("parseQuantity(%q) accepted", bad)
		}
	}
}

// TestSecretValuesNeverInMessages: the rules that read secrets (and values that may be secrets) report what is
// wrong without quoting the value, whether it is marked secret or not.
func TestSecretValuesNeverInMessages(t *testing.T) {
	const password = "Zq8-hunter2-db-password"
	values := []struct{ typ, key, value string }{
		{"kubernetes:core/v1:Secret", "jwt-signing-key", strings.Repeat("weakkey1", 6)},
		{"kubernetes:core/v1:Secret", "jwt-signing-key", "my-super-secret-jwt-signing-key-for-production"},
		{"kubernetes:core/v1:Secret", "jwt-signing-key", "Short-Key-Zq8x"},
		{"kubernetes:core/v1:Secret", "database-url", "postgres://app:" + password + "@db.internal:5432/app"},
		{"kubernetes:core/v1:Secret", "database-url", "postgres://app:" + password + "@db.internal:5432/app?sslmode=" + password},
		{"kubernetes:core/v1:Secret", "database-url", "host=db.internal user=app password=" + password + " sslmode=allow"},
		{"kubernetes:core/v1:Secret", "database-url", "not a url " + password},
		{"kubernetes:core/v1:ConfigMap", "ANALYTICS_DSN", "postgres://report:" + password + "@analytics:5432/events"},
		{"kubernetes:core/v1:ConfigMap", "SMTP_PASS", password},
		{"kubernetes:core/v1:ConfigMap", "CACHE", "redis://:" + password + "@cache:6379"},
	}
	for _, v := range values {
		for _, secret := range []bool{true, false} {
			val := resource.NewStringProperty(v.value)
			if secret {
				val = resource.MakeSecret(val)
			}
			field := "stringData"
			if v.typ == "kubernetes:core/v1:ConfigMap" {
				field = "data"
			}
			p := resource.PropertyMap{resource.PropertyKey(field): resource.NewObjectProperty(resource.PropertyMap{resource.PropertyKey(v.key): val})}
			got := Evaluate(All(), []Resource{{Type: v.typ, Name: "r", Props: p}}, Config{Production: true, Stack: "prod"})
			if len(got) == 0 {
				t.Errorf("%s %s (secret %v): no violation", v.typ, v.key, secret)
			}
			for _, viol := range got {
				for _, needle := range []string{v.value, password, "hunter2", "weakkey1", "Zq8"} {
					if strings.Contains(viol.Message, needle) && strings.Contains(v.value, needle) {
						t.Errorf("%s message quotes the value (%q): %s", viol.Rule, needle, viol.Message)
					}
				}
			}
		}
	}
}
