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
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error lacks %q:\n%v", w, err)
				}
			}
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
