// Command deploysettings pushes a stack's Pulumi Deployments settings (stacks/Pulumi.<stack>.deploy.yaml) to
// Pulumi Cloud with its drift detection schedule, or prints them as JSON with -dry-run. Settings whose executor
// image lacks a command they run are refused before anything is sent. The files are written for the GitHub integration; with
// -gitlab-project the same settings are pushed for a GitLab repository instead.
//
//	PULUMI_ACCESS_TOKEN=... go run ./infra/cmd/deploysettings push -stack dev -org acme
//	PULUMI_ACCESS_TOKEN=... go run ./infra/cmd/deploysettings push -stack dev -org acme -gitlab-project acme/wechat
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/wechat-deploy/wechat-deploy/infra/config"
	"github.com/wechat-deploy/wechat-deploy/infra/deploy"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "deploysettings:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	if len(args) == 0 || args[0] != "push" {
		return fmt.Errorf("usage: deploysettings push -stack STACK -org ORG [-api URL] [-gitlab-project GROUP/PROJECT [-gitlab-url URL]] [-dry-run]")
	}
	fs := flag.NewFlagSet("push", flag.ContinueOnError)
	stack := fs.String("stack", "", "stack name")
	org := fs.String("org", os.Getenv("PULUMI_ORG"), "Pulumi Cloud organization")
	api := fs.String("api", "https://api.pulumi.com", "Pulumi Cloud API")
	dir := fs.String("dir", "stacks", "directory of the stack files")
	dry := fs.Bool("dry-run", false, "print the settings instead of pushing them")
	gitlabProject := fs.String("gitlab-project", "", "push for this GitLab repository (group/project) instead of GitHub")
	gitlabURL := fs.String("gitlab-url", "https://gitlab.com", "GitLab instance of -gitlab-project")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	if *stack == "" {
		return fmt.Errorf("-stack is required")
	}
	path := filepath.Join(*dir, "Pulumi."+*stack+".deploy.yaml")
	f, err := deploy.LoadFile(path)
	if err != nil {
		return err
	}
	s := f.Settings
	if err := deploy.CheckExecutor(s, nil); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	if *gitlabProject != "" {
		if s, err = deploy.ForGitLab(s, *gitlabProject, *gitlabURL); err != nil {
			return err
		}
	}
	if *dry {
		b, _ := json.MarshalIndent(map[string]any{"settings": s, "drift": f.Drift}, "", "  ")
		fmt.Println(string(b))
		return nil
	}
	token := os.Getenv("PULUMI_ACCESS_TOKEN")
	if token == "" || *org == "" {
		return fmt.Errorf("set PULUMI_ACCESS_TOKEN and -org (or PULUMI_ORG)")
	}
	c := &deploy.Client{API: *api, Token: token}
	if err := c.Push(context.Background(), *org, config.Project, *stack, s); err != nil {
		return err
	}
	if err := c.SyncDrift(context.Background(), *org, config.Project, *stack, f.Drift); err != nil {
		return err
	}
	drift := "no drift detection"
	if f.Drift != nil {
		drift = fmt.Sprintf("drift detection %q (auto-remediate %t)", f.Drift.Schedule, f.Drift.AutoRemediate)
	}
	fmt.Printf("deployment settings of %s/%s/%s pushed, %s\n", *org, config.Project, *stack, drift)
	return nil
}
