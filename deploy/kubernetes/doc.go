// Package kubernetes holds the manifests that run `imapshift batch` as a
// Kubernetes Indexed Job (job.yaml, secret.yaml, pvc.yaml); its test
// reads them with Kubernetes' own types, strictly.
package kubernetes
