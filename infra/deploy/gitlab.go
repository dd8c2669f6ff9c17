package deploy

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
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
	return sendJSON(ctx, g.HTTP, method, strings.TrimRight(g.API, "/")+path, map[string]string{"PRIVATE-TOKEN": g.Token}, body, out)
}
