// Command bootstrap is a separate, one-time Pulumi program (infra/bootstrap/Pulumi.yaml) that creates what
// Pulumi Deployments and the GitHub workflows need in AWS: OIDC trust and per-environment roles.
package main

import (
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/wechat-deploy/wechat-deploy/infra/bootstrap/program"
)

func main() {
	pulumi.Run(program.Run)
}
