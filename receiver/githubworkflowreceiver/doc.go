//go:generate go tool -modfile=../../internal/tools/mdatagen/go.mod mdatagen metadata.yaml

// Package githubworkflowreceiver turns GitHub Actions workflow runs into traces (one trace per
// run attempt: run, jobs, queue and steps) and CI/CD metrics. It polls the REST API with
// conditional requests, accepts signed webhook deliveries, and emits every completed attempt
// exactly once across polls, webhooks and restarts.
package githubworkflowreceiver // import "github.com/otelcol-diagnostics/otelcol-diagnostics/receiver/githubworkflowreceiver"
