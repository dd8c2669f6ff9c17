package config

// existingProfile is an existing cluster reached through a kubeconfig and any registry: nothing is provisioned,
// and the ingress class is the one its controller serves (existing.ingressClass).
var existingProfile = cloudProfile{
	ingressClass:  func(c *Config) string { return c.Existing.IngressClass },
	applyDefaults: noCloudDefaults,
	validate:      validateExisting,
}

func validateExisting(c *Config, p *problems) {
	e := &c.Existing
	if e.RegistryServer != "" && !registryHost.MatchString(e.RegistryServer) {
		p.add("existing.registryServer", "%q is not a registry host (e.g. registry.example.com or localhost:5000)", e.RegistryServer)
	}
	if c.App.Image == "" && e.RegistryServer == "" {
		p.add("existing.registryServer", "is required when app.image is empty (the image is built and pushed there); or set app.image to a prebuilt image@sha256:... reference")
	}
}
