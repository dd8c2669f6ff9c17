package release

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/pulumi/pulumi/sdk/v3/go/auto"

	"github.com/wechat-deploy/wechat-deploy/infra/config"
)

// OpRollback redeploys the image and the non-secret configuration of an earlier successful update, through the
// same engine run and policy pack as up. Secrets stay as they are now: rolling them back would bring revoked
// credentials back to life.
const OpRollback = "rollback"

// RegistryImageCheck is the default Options.ImageAvailable: the manifest must still be in its registry (a HEAD
// request with the credentials of the Docker config and helpers, as docker push uses).
func RegistryImageCheck(ctx context.Context, ref string) error {
	r, err := name.ParseReference(ref)
	if err != nil {
		return fmt.Errorf("image %q: %w", ref, err)
	}
	if _, err := remote.Head(r, remote.WithContext(ctx), remote.WithAuthFromKeychain(authn.DefaultKeychain)); err != nil {
		return fmt.Errorf("image %s is not in its registry any more (retention may have removed it): %w", ref, err)
	}
	return nil
}

// rollbackTarget picks the update to go back to from the stack's history (newest first): the one whose version
// is to, or whose image has the digest to, or (to empty) the newest successful update whose image differs from
// the latest update's.
func rollbackTarget(history []auto.UpdateSummary, to string) (auto.UpdateSummary, string, error) {
	var latest string
	for _, u := range history {
		if u.Kind == "update" {
			latest = imageOf(u.Config)
			break
		}
	}
	for _, u := range history {
		if u.Kind != "update" || u.Result != "succeeded" {
			continue
		}
		img := imageOf(u.Config)
		switch {
		case to == "" && (img == "" || img == latest):
			continue
		case to != "" && strings.HasPrefix(to, "sha256:") && !strings.HasSuffix(img, "@"+to):
			continue
		case to != "" && !strings.HasPrefix(to, "sha256:") && strconv.Itoa(u.Version) != to:
			continue
		}
		if img == "" {
			return u, "", fmt.Errorf("update %d built its image from source (app.image unset): its digest is not in the history; "+
				"roll back with TO=sha256:<digest> of an image still in the registry", u.Version)
		}
		return u, img, nil
	}
	if to == "" {
		return auto.UpdateSummary{}, "", fmt.Errorf("no earlier successful update runs an image other than %q", latest)
	}
	return auto.UpdateSummary{}, "", fmt.Errorf("no successful update matches %q (an update number or an image digest sha256:…)", to)
}

// imageOf reads app.image from an update's configuration.
func imageOf(cfg auto.ConfigMap) string {
	v, ok := cfg[config.Project+":app"]
	if !ok || v.Secret {
		return ""
	}
	var app struct {
		Image string `json:"image"`
	}
	if json.Unmarshal([]byte(v.Value), &app) != nil {
		return ""
	}
	return app.Image
}

// applyRollback writes the target update's non-secret configuration into the work directory's stack file (the
// repository's is never written; the next up deploys the stack file again), after checking that its image is
// still available.
func applyRollback(ctx context.Context, stack auto.Stack, o Options, workDir string) error {
	history, err := stack.History(ctx, 0, 0)
	if err != nil {
		return fmt.Errorf("reading the history of stack %s: %w", o.Stack, err)
	}
	target, img, err := rollbackTarget(history, o.RollbackTo)
	if err != nil {
		return fmt.Errorf("rollback of stack %s: %w", o.Stack, err)
	}
	check := o.ImageAvailable
	if check == nil {
		check = RegistryImageCheck
	}
	if err := check(ctx, img); err != nil {
		return fmt.Errorf("rollback of stack %s to update %d refused: %w", o.Stack, target.Version, err)
	}
	workFile := filepath.Join(workDir, "Pulumi."+o.Stack+".yaml")
	var doc struct {
		Config map[string]any `yaml:"config"`
	}
	if err := readYAML(workFile, &doc); err != nil {
		return err
	}
	cfg := map[string]any{}
	for k, v := range doc.Config {
		if m, ok := v.(map[string]any); ok && m["secure"] != nil {
			cfg[k] = v // secrets as they are now
		}
	}
	for k, v := range target.Config {
		if v.Secret {
			continue
		}
		var obj any
		if t := strings.TrimSpace(v.Value); (strings.HasPrefix(t, "{") || strings.HasPrefix(t, "[")) && json.Unmarshal([]byte(t), &obj) == nil {
			cfg[k] = obj
		} else {
			cfg[k] = v.Value
		}
	}
	if err := rewriteConfig(workFile, cfg); err != nil {
		return err
	}
	fmt.Fprintf(o.Out, "Rolling back stack %s to update %d (%s): image %s and that update's configuration; secrets unchanged.\n",
		o.Stack, target.Version, target.StartTime, img)
	return nil
}
