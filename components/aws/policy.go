package aws

import (
	"encoding/json"
	"strings"
)

// statement is one IAM policy statement.
type statement struct {
	Sid       string         `json:"Sid,omitempty"`
	Effect    string         `json:"Effect"`
	Principal map[string]any `json:"Principal,omitempty"`
	Action    any            `json:"Action"`
	Resource  any            `json:"Resource,omitempty"`
	Condition map[string]any `json:"Condition,omitempty"`
}

// policyDocument renders an IAM policy document. Building it in Go (rather than with the getPolicyDocument
// invoke) keeps it known during preview and visible in tests.
func policyDocument(statements ...statement) string {
	b, err := json.Marshal(map[string]any{"Version": "2012-10-17", "Statement": statements})
	if err != nil {
		panic(err) // only maps, slices and strings: cannot fail
	}
	return string(b)
}

// serviceTrust is the trust policy that lets an AWS service assume a role.
func serviceTrust(service string) string {
	return policyDocument(statement{
		Effect: "Allow", Principal: map[string]any{"Service": service}, Action: "sts:AssumeRole",
	})
}

// podIdentityTrust is the trust policy that lets EKS Pod Identity hand a role to the service accounts associated
// with it (the association names them; the agent tags the session with cluster, namespace and account).
func podIdentityTrust() string {
	return policyDocument(statement{
		Effect: "Allow", Principal: map[string]any{"Service": "pods.eks.amazonaws.com"},
		Action: []string{"sts:AssumeRole", "sts:TagSession"},
	})
}

// irsaTrust is the trust policy that lets one Kubernetes service account assume a role through the cluster's
// OIDC provider (IRSA): only that namespace/name, only for the STS audience.
func irsaTrust(oidcProviderARN, issuerURL, namespace, serviceAccount string) string {
	host := strings.TrimPrefix(issuerURL, "https://")
	return policyDocument(statement{
		Effect:    "Allow",
		Principal: map[string]any{"Federated": oidcProviderARN},
		Action:    "sts:AssumeRoleWithWebIdentity",
		Condition: map[string]any{"StringEquals": map[string]string{
			host + ":sub": "system:serviceaccount:" + namespace + ":" + serviceAccount,
			host + ":aud": "sts.amazonaws.com",
		}},
	})
}

// managedPolicy is the ARN of an AWS managed policy.
func managedPolicy(partition, name string) string {
	return "arn:" + partition + ":iam::aws:policy/" + name
}
