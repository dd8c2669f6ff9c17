package program

import (
	"github.com/wechat-deploy/wechat-deploy/components/existing"
	"github.com/wechat-deploy/wechat-deploy/components/incluster"
	"github.com/wechat-deploy/wechat-deploy/components/workload"
	"github.com/wechat-deploy/wechat-deploy/infra/config"
)

func existingArgs(cfg *config.Config) *existing.PlatformArgs {
	e := cfg.Existing
	var db *incluster.PostgresArgs
	if d := cfg.Database; d.Provision {
		db = &incluster.PostgresArgs{
			Namespace: config.DatabaseNamespace(cfg), Image: d.Image,
			DatabaseName: d.Name, Username: d.Username, Password: cfg.Secrets.DatabasePassword,
			StorageGiB: d.StorageGiB, StorageClass: d.StorageClass,
			ClientNamespace: cfg.App.Namespace, ClientLabels: workload.SelectorLabels(cfg.App.Name, cfg.Stack),
		}
	}
	return &existing.PlatformArgs{
		Database:         db,
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
