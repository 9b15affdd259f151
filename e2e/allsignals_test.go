package e2e

import (
	"fmt"
	"os/exec"
	"strconv"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/otelcol-diagnostics/otelcol-diagnostics/internal/e2etest"
)

// allSignalsConfig is a collector whose traces, metrics and logs pipelines all go from one
// OTLP/gRPC receiver to one postgres exporter (dsn from POSTGRES_DSN); exporterKeys are the
// exporter's other keys, indented by four spaces.
func allSignalsConfig(health, otlp, exporterKeys string) string {
	return fmt.Sprintf(`
extensions:
  health_check:
    endpoint: %s
receivers:
  otlp:
    protocols:
      grpc:
        endpoint: %s
exporters:
  postgres:
    dsn: ${env:POSTGRES_DSN}
%s
service:
  extensions: [health_check]
%s`, health, otlp, exporterKeys, allSignalsService)
}

// allSignalsService is the service section's telemetry and pipelines of a collector whose
// traces, metrics and logs all go from the otlp receiver to the postgres exporter.
const allSignalsService = `  telemetry:
    metrics:
      level: none
  pipelines:
    traces:
      receivers: [otlp]
      exporters: [postgres]
    metrics:
      receivers: [otlp]
      exporters: [postgres]
    logs:
      receivers: [otlp]
      exporters: [postgres]
`

// signalLoad is what telemetrygen sends of each signal, one worker at a time.
type signalLoad struct{ traces, childSpans, metrics, logs int }

func (l signalLoad) send(t *testing.T, otlp string) {
	t.Helper()
	tg := e2etest.Telemetrygen(t)
	common := []string{"--otlp-endpoint", otlp, "--otlp-insecure", "--workers", "1", "--rate", "0"}
	for _, args := range [][]string{
		{"traces", "--traces", strconv.Itoa(l.traces), "--child-spans", strconv.Itoa(l.childSpans)},
		// Points of one series are one point when their time and start time are equal to the
		// microsecond (the database's precision), and telemetrygen's gauge points of its one
		// series come closer than that: each point gets a series of its own.
		{"metrics", "--metrics", strconv.Itoa(l.metrics), "--unique-timeseries"},
		{"logs", "--logs", strconv.Itoa(l.logs)},
	} {
		out, err := exec.CommandContext(t.Context(), tg, append(args, common...)...).CombinedOutput()
		require.NoError(t, err, string(out))
	}
}

// rows is the number of rows each table holds once the load has landed.
func (l signalLoad) rows() map[string]int64 {
	return map[string]int64{
		"spans":         int64(l.traces * (1 + l.childSpans)),
		"metric_points": int64(l.metrics),
		"logs":          int64(l.logs),
	}
}

// rowCounter counts a table of schema; -1 while the exporter has not migrated it yet.
func rowCounter(t *testing.T, conn *pgx.Conn, schema string) func(table string) int64 {
	return func(table string) int64 {
		var n int64
		if err := conn.QueryRow(t.Context(), "SELECT count(*) FROM "+pgx.Identifier{schema, table}.Sanitize()).Scan(&n); err != nil {
			return -1
		}
		return n
	}
}

// waitRows waits until every table holds at least its wanted rows.
func waitRows(t *testing.T, col *e2etest.Collector, count func(string) int64, want map[string]int64) {
	t.Helper()
	e2etest.Eventually(t, 60*time.Second, func() bool {
		for table, n := range want {
			if count(table) < n {
				return false
			}
		}
		return true
	}, "rows did not arrive; collector output:\n%s", col.Output())
}
