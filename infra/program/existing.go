package program

import (
	"github.com/wechat-deploy/wechat-deploy/components/existing"
	"github.com/wechat-deploy/wechat-deploy/infra/config"
)

func existingArgs(cfg *config.Config) *existing.PlatformArgs {
	e := cfg.Existing
	return &existing.PlatformArgs{
		KubeconfigData:   e.KubeconfigData(),
		KubeconfigPath:   e.KubeconfigPath,
		Context:          e.Context,
		RegistryServer:   e.RegistryServer,
		RegistryUsername: e.RegistryUsername,
		RegistryPassword: cfg.Secrets.RegistryPassword,
		Repository:       cfg.Registry.Name,
		// Nodes of an arbitrary cluster hold no credentials for the registry.
		PullWithCredentials: e.RegistryUsername != "",
	}
}
