package release

import (
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/auto"
)

func update(version int, result, image string) auto.UpdateSummary {
	cfg := auto.ConfigMap{"wechat-deploy:cloud": {Value: "existing"}, "wechat-deploy:jwtSigningKey": {Value: "[secret]", Secret: true}}
	if image != "-" {
		cfg["wechat-deploy:app"] = auto.ConfigValue{Value: `{"image":"` + image + `","replicas":2}`}
	}
	return auto.UpdateSummary{Version: version, Kind: "update", Result: result, Config: cfg}
}

// TestRollbackTarget: the history is newest first, as the engine lists it.
func TestRollbackTarget(t *testing.T) {
	const a, b, bad = "r/app@sha256:aaa", "r/app@sha256:bbb", "r/app@sha256:bad"
	history := []auto.UpdateSummary{
		update(7, "failed", bad),
		{Version: 6, Kind: "refresh", Result: "succeeded"},
		update(5, "succeeded", b),
		update(4, "succeeded", b),
		update(3, "failed", a),
		update(2, "succeeded", a),
		update(1, "succeeded", ""),
	}
	for _, c := range []struct {
		name, to      string
		history       []auto.UpdateSummary
		version       int
		image, errHas string
	}{
		{name: "after a failed release: the last good one", history: history, version: 5, image: b},
		{name: "after a good release: the one before it", history: history[2:], version: 2, image: a},
		{name: "by number", to: "2", history: history, version: 2, image: a},
		{name: "by digest", to: "sha256:aaa", history: history, version: 2, image: a},
		{name: "a failed update is no target", to: "3", history: history, errHas: "no successful update matches"},
		{name: "an update that built its image", to: "1", history: history, errHas: "TO=sha256:"},
		{name: "nothing else to go back to", history: history[4:5], errHas: "no earlier successful update"},
	} {
		t.Run(c.name, func(t *testing.T) {
			u, img, err := rollbackTarget(c.history, c.to)
			if c.errHas != "" {
				if err == nil || !strings.Contains(err.Error(), c.errHas) {
					t.Fatalf("error %v, want one with %q", err, c.errHas)
				}
				return
			}
			if err != nil || u.Version != c.version || img != c.image {
				t.Fatalf("got update %d image %q err %v, want %d %q", u.Version, img, err, c.version, c.image)
			}
		})
	}
}

func TestImageOfIgnoresSecretsAndJunk(t *testing.T) {
	for _, cfg := range []auto.ConfigMap{
		{},
		{"wechat-deploy:app": {Value: `{"image":"x@sha256:1"}`, Secret: true}},
		{"wechat-deploy:app": {Value: `not json`}},
	} {
		if got := imageOf(cfg); got != "" {
			t.Errorf("imageOf(%v) = %q", cfg, got)
		}
	}
}
