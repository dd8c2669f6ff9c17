package deploy

import (
	"context"
	"fmt"
	"strings"

	cloudapi "github.com/pulumi/pulumi-cloud-sdk/go/apitype"
	"github.com/pulumi/pulumi/sdk/v3/go/common/apitype"
)

// Deployment is the service's answer to a started deployment.
type Deployment struct {
	ID      string
	Version int
}

// Deploy starts a deployment of the stack (operation "update" or "preview") with its pushed settings and returns
// its id (POST .../deployments, through the Pulumi Cloud SDK).
func (c *Client) Deploy(ctx context.Context, org, project, stack, operation string) (Deployment, error) {
	inherit := true
	res, err := c.sdk().CreateAPIDeploymentHandlerV2(ctx, org, project, stack, cloudapi.CreateDeploymentRequest{
		Op: cloudapi.PulumiOperation(operation), InheritSettings: &inherit,
	})
	if err != nil {
		return Deployment{}, fmt.Errorf("starting a %s deployment of %s/%s/%s: %w", operation, org, project, stack, err)
	}
	return Deployment{ID: res.ID, Version: res.Version}, nil
}

// TokenExchange is an OAuth 2.0 token exchange (RFC 8693) of a CI job's OIDC id_token for a Pulumi access token.
type TokenExchange struct {
	Audience           string `json:"audience"`
	GrantType          string `json:"grant_type"`
	SubjectTokenType   string `json:"subject_token_type"`
	RequestedTokenType string `json:"requested_token_type"`
	SubjectToken       string `json:"subject_token"`
	Expiration         int    `json:"expiration,omitempty"`
}

// PulumiAudience is the audience of id_tokens Pulumi Cloud exchanges for an organization's access tokens.
func PulumiAudience(org string) string { return "urn:pulumi:org:" + org }

// ExchangeIDToken trades a CI job's OIDC id_token (whose issuer the organization trusts) for a short-lived
// organization access token (POST /api/oauth/token). The Client needs no token for this call.
func (c *Client) ExchangeIDToken(ctx context.Context, org, idToken string, seconds int) (string, error) {
	var out struct {
		AccessToken string `json:"access_token"`
	}
	err := c.do(ctx, "POST", "/api/oauth/token", TokenExchange{
		Audience:           PulumiAudience(org),
		GrantType:          "urn:ietf:params:oauth:grant-type:token-exchange",
		SubjectTokenType:   "urn:ietf:params:oauth:token-type:id_token",
		RequestedTokenType: "urn:pulumi:token-type:access_token:organization",
		SubjectToken:       idToken,
		Expiration:         seconds,
	}, &out)
	if err != nil {
		return "", fmt.Errorf("exchanging the job's id_token for a Pulumi token of %s: %w", org, err)
	}
	if out.AccessToken == "" {
		return "", fmt.Errorf("exchanging the job's id_token for a Pulumi token of %s: no access_token in the answer", org)
	}
	return out.AccessToken, nil
}

// ForGitLab turns settings written for the GitHub integration into the same settings for a GitLab repository
// (group/project on gitLabURL, default https://gitlab.com): the repository URL, and the push, merge request and
// path settings moved to the provider-neutral vcs block Pulumi Deployments' GitLab integration reads.
func ForGitLab(s apitype.DeploymentSettings, project, gitLabURL string) (apitype.DeploymentSettings, error) {
	if strings.Count(project, "/") < 1 || strings.HasPrefix(project, "/") || strings.HasSuffix(project, "/") {
		return s, fmt.Errorf("GitLab project %q is not group/project", project)
	}
	base := strings.TrimRight(gitLabURL, "/")
	if base == "" {
		base = "https://gitlab.com"
	}
	out := s
	if s.SourceContext != nil && s.SourceContext.Git != nil {
		git := *s.SourceContext.Git
		git.RepoURL = base + "/" + project + ".git"
		out.SourceContext = &apitype.SourceContext{Git: &git}
	}
	out.VCS = &apitype.DeploymentSettingsVCS{Provider: apitype.VCSProviderGitLab, Repository: project}
	if gh := s.GitHub; gh != nil {
		out.VCS.DeployCommits = gh.DeployCommits
		out.VCS.PreviewPullRequests = gh.PreviewPullRequests
		out.VCS.PullRequestTemplate = gh.PullRequestTemplate
		out.VCS.Paths = gh.Paths
	}
	out.GitHub = nil
	return out, nil
}
