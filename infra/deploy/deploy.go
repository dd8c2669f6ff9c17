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

	"github.com/pulumi/pulumi/sdk/v3/go/common/apitype"
	"gopkg.in/yaml.v3"
)

// File is the on-disk shape: the settings under a `settings` key.
type File struct {
	Settings apitype.DeploymentSettings `yaml:"settings"`
}

// Load parses a settings file strictly: an unknown or misspelt field is an error, not silently dropped.
func Load(path string) (apitype.DeploymentSettings, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return apitype.DeploymentSettings{}, err
	}
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	var f File
	if err := dec.Decode(&f); err != nil {
		return apitype.DeploymentSettings{}, fmt.Errorf("parsing %s: %w", path, err)
	}
	return f.Settings, nil
}

// Client talks to the Pulumi Cloud API.
type Client struct {
	// API is the service URL, e.g. https://api.pulumi.com.
	API   string
	Token string
	HTTP  *http.Client
}

// Push replaces the stack's deployment settings with s (PUT .../deployments/settings).
func (c *Client) Push(ctx context.Context, org, project, stack string, s apitype.DeploymentSettings) error {
	if err := c.do(ctx, http.MethodPut, stackPath(org, project, stack)+"/deployments/settings", s, nil); err != nil {
		return fmt.Errorf("pushing deployment settings of %s/%s/%s: %w", org, project, stack, err)
	}
	return nil
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
