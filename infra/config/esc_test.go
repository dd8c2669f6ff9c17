package config

import (
	"fmt"
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// escEnvironment is the part of an ESC environment definition the program depends on.
type escEnvironment struct {
	Values struct {
		AWS struct {
			Login map[string]map[string]any `yaml:"login"`
		} `yaml:"aws"`
		PulumiConfig         map[string]any    `yaml:"pulumiConfig"`
		EnvironmentVariables map[string]string `yaml:"environmentVariables"`
	} `yaml:"values"`
}

func loadESC(t *testing.T) escEnvironment {
	t.Helper()
	b, err := os.ReadFile("../esc/dev.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var env escEnvironment
	if err := yaml.Unmarshal(b, &env); err != nil {
		t.Fatalf("infra/esc/dev.yaml: %v", err)
	}
	return env
}

// The example environment sets only keys the program reads, every secret under fn::secret, and cloud
// credentials only through OIDC.
func TestESCExampleEnvironment(t *testing.T) {
	env := loadESC(t)
	var topLevel []string
	ct := reflect.TypeOf(Config{})
	for i := range ct.NumField() {
		if name := jsonName(ct.Field(i)); name != "" {
			topLevel = append(topLevel, name)
		}
	}
	if len(env.Values.PulumiConfig) == 0 {
		t.Fatal("the example sets no config")
	}
	for key, v := range env.Values.PulumiConfig {
		short, ok := strings.CutPrefix(key, Namespace+":")
		if !ok {
			continue // other namespaces (aws:region, ...) belong to providers
		}
		_, wrapped := v.(map[string]any)["fn::secret"]
		switch {
		case slices.Contains(SecretKeys(), short):
			if !wrapped {
				t.Errorf("%s is a secret but not under fn::secret: ESC would hand it over in plain text", key)
			}
		case !slices.Contains(topLevel, short):
			t.Errorf("%s is not a key of the program", key)
		}
	}
	oidc, ok := env.Values.AWS.Login["fn::open::aws-login"]["oidc"]
	if !ok {
		t.Errorf("AWS credentials come from %v, want fn::open::aws-login with oidc", env.Values.AWS.Login)
	}
	if role, _ := oidc.(map[string]any)["roleArn"].(string); !strings.HasSuffix(role, ":role/wechat-deploy-dev-deploy") {
		t.Errorf("the ESC login assumes %q, want the bootstrap program's dev deploy role", role)
	}
	for k, v := range env.Values.EnvironmentVariables {
		if !strings.HasPrefix(v, "${aws.login.") {
			t.Errorf("environment variable %s = %q is not the OIDC login's output", k, v)
		}
	}
}

// Values that arrive from an ESC environment are config like any other: valid ones pass, and a bad one is
// named by its key and the stack file that imports the environment.
func TestConfigFromESC(t *testing.T) {
	stackOnly := map[string]any{
		"cloud": "aws", "region": "ap-southeast-1",
		"network": map[string]any{"cidr": "10.10.0.0/16"},
		"cluster": map[string]any{"endpoint": map[string]any{"public": true, "publicAccessCidrs": []any{"203.0.113.0/24"}}},
	}
	fromESC := func(edit func(values map[string]string, secret map[string]bool)) MapSource {
		src := source(t, stackOnly, nil)
		values := map[string]string{}
		secret := map[string]bool{}
		for key := range loadESC(t).Values.PulumiConfig {
			short := strings.TrimPrefix(key, Namespace+":")
			values[key], secret[key] = validSecrets[short], true
		}
		edit(values, secret)
		for k, v := range values {
			src.Values[k], src.Secrets[k] = v, secret[k]
		}
		return src
	}
	if _, err := Parse(Namespace, "dev", fromESC(func(map[string]string, map[string]bool) {})); err != nil {
		t.Fatalf("valid values from ESC: %v", err)
	}
	tests := []struct {
		name, key, want string
		edit            func(values map[string]string, secret map[string]bool)
	}{
		{"malformed secret", KeyWeChatAppSecret, "is not a WeChat AppSecret", func(v map[string]string, _ map[string]bool) {
			v[qualify(KeyWeChatAppSecret)] = "short"
		}},
		{"secret without fn::secret", KeyJWTSigningKey, "without fn::secret", func(_ map[string]string, s map[string]bool) {
			s[qualify(KeyJWTSigningKey)] = false
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse(Namespace, "dev", fromESC(tt.edit))
			want := fmt.Sprintf("stacks/Pulumi.dev.yaml: %s:%s", Namespace, tt.key)
			if err == nil || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %v, want %q ... %q", err, want, tt.want)
			}
			if strings.Contains(err.Error(), validSecrets[tt.key]) {
				t.Error("the error shows the secret's value")
			}
		})
	}
}
