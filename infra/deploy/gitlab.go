package deploy

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// GitLab is the part of GitLab's REST API (v4) a merge request pipeline needs to keep one preview note per stack
// up to date, as the GitHub workflow keeps one comment per stack.
type GitLab struct {
	// API is the v4 API root (CI_API_V4_URL in a job); Token a project access token with the api scope.
	API   string
	Token string
	HTTP  *http.Client
}

type note struct {
	ID   int64  `json:"id"`
	Body string `json:"body"`
}

// PreviewMarker starts the note of a stack's preview, so that a later pipeline edits it instead of adding one.
func PreviewMarker(stack string) string { return "<!-- wechat-deploy preview: " + stack + " -->" }

// UpsertNote edits the merge request's note that starts with marker, or adds one: marker, then body.
func (g *GitLab) UpsertNote(ctx context.Context, project string, mergeRequest int, marker, body string) error {
	base := fmt.Sprintf("/projects/%s/merge_requests/%d/notes", url.PathEscape(project), mergeRequest)
	var notes []note
	if err := g.do(ctx, http.MethodGet, base+"?per_page=100&sort=desc&order_by=updated_at", nil, &notes); err != nil {
		return fmt.Errorf("listing the notes of merge request !%d: %w", mergeRequest, err)
	}
	text := marker + "\n" + body
	for _, n := range notes {
		if strings.HasPrefix(n.Body, marker) {
			if err := g.do(ctx, http.MethodPut, fmt.Sprintf("%s/%d", base, n.ID), map[string]string{"body": text}, nil); err != nil {
				return fmt.Errorf("editing note %d of merge request !%d: %w", n.ID, mergeRequest, err)
			}
			return nil
		}
	}
	if err := g.do(ctx, http.MethodPost, base, map[string]string{"body": text}, nil); err != nil {
		return fmt.Errorf("adding a note to merge request !%d: %w", mergeRequest, err)
	}
	return nil
}

func (g *GitLab) do(ctx context.Context, method, path string, body, out any) error {
	var r io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		r = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, strings.TrimRight(g.API, "/")+path, r)
	if err != nil {
		return err
	}
	req.Header.Set("PRIVATE-TOKEN", g.Token)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	hc := g.HTTP
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
	if out != nil {
		return json.NewDecoder(io.LimitReader(resp.Body, 8<<20)).Decode(out)
	}
	return nil
}
