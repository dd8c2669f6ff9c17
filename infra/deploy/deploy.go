// Package deploy reads the Pulumi Deployments settings kept beside each stack (stacks/Pulumi.<stack>.deploy.yaml,
// the file format of `pulumi deployment settings`) and pushes them to Pulumi Cloud.
package deploy

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/pulumi/pulumi-cloud-sdk/go/apiclient"
	cloudapi "github.com/pulumi/pulumi-cloud-sdk/go/apitype"
	"github.com/pulumi/pulumi-cloud-sdk/go/apitype/jsonvalue"
	"github.com/pulumi/pulumi/sdk/v3/go/common/apitype"
	"gopkg.in/yaml.v3"
)

// File is the on-disk shape: the settings under a `settings` key, and this project's drift schedule beside them.
type File struct {
	Settings apitype.DeploymentSettings `yaml:"settings"`
	// Drift is the stack's drift detection schedule; none removes any.
	Drift *Drift `yaml:"drift"`
}

// Drift is a scheduled drift detection: a refresh in preview mode (detect-drift) on a cron schedule, followed by
// an update that puts the cloud back as the code says when AutoRemediate is on.
type Drift struct {
	// Schedule is a cron expression (UTC), e.g. "0 */4 * * *".
	Schedule string `yaml:"schedule"`
	// AutoRemediate runs `pulumi up` when drift is found; production keeps it off (a person reviews drift).
	AutoRemediate bool `yaml:"autoRemediate"`
}

// Load parses a settings file strictly (see LoadFile) and returns its settings.
func Load(path string) (apitype.DeploymentSettings, error) {
	f, err := LoadFile(path)
	return f.Settings, err
}

// LoadFile parses a settings file strictly: an unknown or misspelt field is an error, not silently dropped.
func LoadFile(path string) (File, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return File{}, err
	}
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	var f File
	if err := dec.Decode(&f); err != nil {
		return File{}, fmt.Errorf("parsing %s: %w", path, err)
	}
	if f.Drift != nil && len(strings.Fields(f.Drift.Schedule)) != 5 {
		return File{}, fmt.Errorf("%s: drift.schedule %q is not a five-field cron expression", path, f.Drift.Schedule)
	}
	return f, nil
}

// Client talks to the Pulumi Cloud API: through the Pulumi Cloud SDK (github.com/pulumi/pulumi-cloud-sdk/go)
// wherever it covers the call.
type Client struct {
	// API is the service URL, e.g. https://api.pulumi.com.
	API   string
	Token string
	HTTP  *http.Client
}

// sdk is the Pulumi Cloud SDK client with the access token.
func (c *Client) sdk() *apiclient.CloudClient {
	hc := c.HTTP
	if hc == nil {
		hc = &http.Client{Timeout: 30 * time.Second}
	}
	return &apiclient.CloudClient{BaseURL: strings.TrimRight(c.API, "/"), Executor: func(r *http.Request) (*http.Response, error) {
		if c.Token != "" {
			r.Header.Set("Authorization", "token "+c.Token)
		}
		return hc.Do(r)
	}}
}

// Push replaces the stack's deployment settings with s (PUT .../deployments/settings).
func (c *Client) Push(ctx context.Context, org, project, stack string, s apitype.DeploymentSettings) error {
	req, err := settingsRequest(s)
	if err == nil {
		_, err = c.sdk().ReplaceDeploymentSettings(ctx, org, project, stack, req)
	}
	if err != nil {
		return fmt.Errorf("pushing deployment settings of %s/%s/%s: %w", org, project, stack, err)
	}
	return nil
}

// settingsRequest carries the settings over to the SDK's request type: both are the API's JSON shape. The SDK
// sends an unset pullRequestTemplate as null, so an omitted one becomes an explicit false.
func settingsRequest(s apitype.DeploymentSettings) (cloudapi.DeploymentSettingsRequest, error) {
	var req cloudapi.DeploymentSettingsRequest
	b, err := json.Marshal(s)
	if err != nil {
		return req, err
	}
	if err := json.Unmarshal(b, &req); err != nil {
		return req, fmt.Errorf("converting the settings for the Pulumi Cloud SDK: %w", err)
	}
	if gh, ok := req.GitHub.Value(); ok && gh != nil && gh.PullRequestTemplate.Undefined() {
		gh.PullRequestTemplate = jsonvalue.NotNull(false)
		req.GitHub = jsonvalue.NotNull(*gh)
	}
	return req, nil
}

// SyncDrift makes the stack's drift detection schedules what d says: the first one updated (or one created),
// any other removed; d nil removes them all.
func (c *Client) SyncDrift(ctx context.Context, org, project, stack string, d *Drift) error {
	api := c.sdk()
	list, err := api.ListScheduledDeployment(ctx, org, project, stack)
	if err != nil {
		return fmt.Errorf("listing the schedules of %s/%s/%s: %w", org, project, stack, err)
	}
	var drift []string
	for _, a := range list.Schedules {
		if IsDriftSchedule(a) {
			drift = append(drift, a.ID)
		}
	}
	if d != nil {
		req := cloudapi.CreateScheduledDriftDeploymentRequest{
			ScheduleCron: jsonvalue.NotNull(d.Schedule), AutoRemediate: jsonvalue.NotNull(d.AutoRemediate),
		}
		if len(drift) > 0 {
			_, err = api.UpdateScheduledDriftDeployment(ctx, org, project, stack, drift[0], req)
			drift = drift[1:]
		} else {
			_, err = api.CreateScheduledDriftDeployment(ctx, org, project, stack, req)
		}
		if err != nil {
			return fmt.Errorf("scheduling drift detection of %s/%s/%s: %w", org, project, stack, err)
		}
	}
	for _, id := range drift {
		if err := api.DeleteScheduledDeployment(ctx, org, project, stack, id); err != nil {
			return fmt.Errorf("removing drift schedule %s of %s/%s/%s: %w", id, org, project, stack, err)
		}
	}
	return nil
}

// IsDriftSchedule tells a drift detection schedule from other scheduled deployments (TTL destroys, updates):
// its deployment request runs the detect-drift or remediate-drift operation.
func IsDriftSchedule(a cloudapi.ScheduledAction) bool {
	if a.Kind != cloudapi.ScheduledActionKindDeployment {
		return false
	}
	req, _ := a.Definition["request"].(map[string]any)
	op, _ := req["operation"].(string)
	return op == string(cloudapi.PulumiOperationDetectDrift) || op == string(cloudapi.PulumiOperationRemediateDrift)
}

// do sends body as JSON to the Pulumi Cloud API and decodes a 2xx answer into out (when not nil).
func (c *Client) do(ctx context.Context, method, path string, body, out any) error {
	headers := map[string]string{"Accept": "application/vnd.pulumi+8"}
	if c.Token != "" {
		headers["Authorization"] = "token " + c.Token
	}
	return sendJSON(ctx, c.HTTP, method, strings.TrimRight(c.API, "/")+path, headers, body, out)
}

// sendJSON sends body (when not nil) as JSON with the headers and decodes a 2xx answer into out (when not nil);
// other answers are errors with the start of the service's message.
func sendJSON(ctx context.Context, hc *http.Client, method, url string, headers map[string]string, body, out any) error {
	var r io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		r = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, url, r)
	if err != nil {
		return err
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if hc == nil {
		hc = &http.Client{Timeout: 30 * time.Second}
	}
	resp, err := hc.Do(req)
	if err != nil {
		return err
	}
	// A response body is read-only: closing it frees the connection, and its error cannot change the answer.
	defer func() { _ = resp.Body.Close() }()
	if resp.StatusCode/100 != 2 {
		msg, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
		return fmt.Errorf("HTTP %d: %s", resp.StatusCode, msg)
	}
	if out == nil {
		return nil
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 8<<20)).Decode(out); err != nil {
		return fmt.Errorf("reading the answer: %w", err)
	}
	return nil
}
