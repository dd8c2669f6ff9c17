// Package e2e holds the end-to-end test (build tag e2e, `make e2e`): the local stack deployed with the real
// Pulumi engine and Kubernetes provider into the sandbox control plane, through the release driver.
package e2e
