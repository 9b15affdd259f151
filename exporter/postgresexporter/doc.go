// Package postgresexporter stores OpenTelemetry metrics, traces and logs in PostgreSQL, in a schema
// made for Grafana's stock PostgreSQL data source: deduplicated resources, scopes and metric series,
// narrow daily-partitioned point, span and log tables written with COPY, and the views v_metrics and
// v_trace_spans.
//
//go:generate go tool -modfile=../../internal/tools/mdatagen/go.mod mdatagen metadata.yaml
package postgresexporter // import "github.com/otelcol-diagnostics/otelcol-diagnostics/exporter/postgresexporter"
