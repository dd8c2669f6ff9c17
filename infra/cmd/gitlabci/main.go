// Command gitlabci is what .gitlab-ci.yml's jobs call to talk to Pulumi Cloud and GitLab without long-lived
// keys:
//
//	gitlabci token  -org ORG                  exchange the job's PULUMI_ID_TOKEN for a Pulumi access token (stdout)
//	gitlabci note   -stack STACK -file FILE   put FILE (a preview) on the merge request, editing the stack's note
//	gitlabci deploy -org ORG -stack STACK     start a Pulumi Deployment (update) of STACK with its pushed settings
//
// note reads CI_API_V4_URL, CI_PROJECT_ID and CI_MERGE_REQUEST_IID (set by GitLab) and GITLAB_NOTES_TOKEN (a
// project access token with the api scope, stored as a masked variable); deploy reads PULUMI_ACCESS_TOKEN.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"strconv"
	"time"

	"github.com/wechat-deploy/wechat-deploy/infra/config"
	"github.com/wechat-deploy/wechat-deploy/infra/deploy"
)

func main() {
	if err := run(context.Background(), os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "gitlabci:", err)
		os.Exit(1)
	}
}

const usage = "usage: gitlabci token -org ORG | note -stack STACK -file FILE | deploy -org ORG -stack STACK"

func run(ctx context.Context, args []string) error {
	if len(args) == 0 {
		return errors.New(usage)
	}
	fs := flag.NewFlagSet(args[0], flag.ContinueOnError)
	org := fs.String("org", os.Getenv("PULUMI_ORG"), "Pulumi Cloud organization")
	api := fs.String("api", envOr("PULUMI_API", "https://api.pulumi.com"), "Pulumi Cloud API")
	stack := fs.String("stack", "", "stack name")
	file := fs.String("file", "", "preview output to post")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	switch args[0] {
	case "token":
		idToken := os.Getenv("PULUMI_ID_TOKEN")
		if idToken == "" || *org == "" {
			return errors.New("token: set -org (or PULUMI_ORG) and request PULUMI_ID_TOKEN in the job's id_tokens with aud " + deploy.PulumiAudience("<org>"))
		}
		token, err := (&deploy.Client{API: *api}).ExchangeIDToken(ctx, *org, idToken, 3600)
		if err != nil {
			return err
		}
		fmt.Println(token)
		return nil
	case "note":
		mr, err := strconv.Atoi(os.Getenv("CI_MERGE_REQUEST_IID"))
		if err != nil || *stack == "" || *file == "" || os.Getenv("GITLAB_NOTES_TOKEN") == "" {
			return errors.New("note: runs in a merge request pipeline with -stack, -file and the GITLAB_NOTES_TOKEN variable set")
		}
		preview, err := os.ReadFile(*file)
		if err != nil {
			return err
		}
		g := &deploy.GitLab{API: os.Getenv("CI_API_V4_URL"), Token: os.Getenv("GITLAB_NOTES_TOKEN")}
		body := fmt.Sprintf("**pulumi preview** of `%s` (policy pack enforced)\n\n```\n%s\n```\n", *stack, tail(string(preview), 60000))
		return g.UpsertNote(ctx, os.Getenv("CI_PROJECT_ID"), mr, deploy.PreviewMarker(*stack), body)
	case "deploy":
		token := os.Getenv("PULUMI_ACCESS_TOKEN")
		if token == "" || *org == "" || *stack == "" {
			return errors.New("deploy: set -org, -stack and PULUMI_ACCESS_TOKEN (from gitlabci token)")
		}
		d, err := (&deploy.Client{API: *api, Token: token}).Deploy(ctx, *org, config.Project, *stack, "update")
		if err != nil {
			return err
		}
		fmt.Printf("deployment %s (version %d) of %s/%s/%s started\n", d.ID, d.Version, *org, config.Project, *stack)
		return nil
	}
	return errors.New(usage)
}

// tail keeps the end of a long preview: notes have a size limit and the summary is last.
func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return "…\n" + s[len(s)-n:]
}

func envOr(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}
