//go:generate go tool -modfile=../../internal/tools/mdatagen/go.mod mdatagen metadata.yaml

// Package journaldmetricsreceiver reads the systemd journal in process (or through
// `journalctl -o export`), applies user rules (field equality, RE2 regex with named captures)
// to every entry and emits the resulting counters, gauges and histograms as OTLP metrics.
package journaldmetricsreceiver // import "github.com/otelcol-diagnostics/otelcol-diagnostics/receiver/journaldmetricsreceiver"
