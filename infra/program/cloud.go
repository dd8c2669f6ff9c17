package program

import (
	"fmt"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/wechat-deploy/wechat-deploy/infra/config"
)

// newCloudPlatform builds the AWS or Alibaba Cloud platform.
func newCloudPlatform(ctx *pulumi.Context, cfg *config.Config) (*builtPlatform, error) {
	return nil, fmt.Errorf("%s: %s:cloud: %q platform is not wired yet", cfg.File, config.Namespace, cfg.Cloud)
}
