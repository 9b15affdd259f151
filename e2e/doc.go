// Package e2e holds end-to-end tests of the built otelcol-diagnostics binary.
package e2e
