// Package e2etest runs the built otelcol-diagnostics binary with a YAML
// config against real processes, for end-to-end tests of every component.
package e2etest
