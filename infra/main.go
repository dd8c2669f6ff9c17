// Command infra is the wechat-deploy Pulumi program (runtime: go, main: infra/).
package main

import (
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/wechat-deploy/wechat-deploy/infra/program"
)

func main() {
	pulumi.Run(program.New().Run)
}
