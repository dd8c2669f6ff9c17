package program

import (
	"fmt"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/wechat-deploy/wechat-deploy/components/existing"
	"github.com/wechat-deploy/wechat-deploy/components/platform"
	"github.com/wechat-deploy/wechat-deploy/infra/config"
)

func newExistingPlatform(ctx *pulumi.Context, cfg *config.Config) (platform.Outputs, error) {
	e := cfg.Existing
	p, err := existing.NewPlatform(ctx, cfg.Environment, &existing.PlatformArgs{
		KubeconfigData:   e.KubeconfigData(),
		KubeconfigPath:   e.KubeconfigPath,
		Context:          e.Context,
		RegistryServer:   e.RegistryServer,
		RegistryUsername: e.RegistryUsername,
		RegistryPassword: cfg.Secrets.RegistryPassword,
		Repository:       cfg.Registry.Name,
		// Nodes of an arbitrary cluster hold no credentials for the registry.
		PullWithCredentials: e.RegistryUsername != "",
	})
	if err != nil {
		return platform.Outputs{}, fmt.Errorf("%s: %s:existing: %w", cfg.File, config.Namespace, err)
	}
	return p.Outputs, nil
}
