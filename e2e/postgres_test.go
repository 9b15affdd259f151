package e2e

import (
	"context"
	"fmt"
	"os/exec"
	"strconv"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/otelcol-diagnostics/otelcol-diagnostics/internal/e2etest"
	"github.com/otelcol-diagnostics/otelcol-diagnostics/internal/pgtest"
)

// TestPostgresExporterTelemetrygen runs the built collector with an OTLP receiver and the
// postgres exporter against a throwaway PostgreSQL cluster, sends a known number of spans,
// metric points and log records with telemetrygen, and counts the rows: each lands exactly once.
func TestPostgresExporterTelemetrygen(t *testing.T) {
	cluster, err := pgtest.Start()
	require.NoError(t, err, "the postgres exporter's end-to-end test needs a PostgreSQL server")
	t.Cleanup(func() { assert.NoError(t, cluster.Close()) })
	dsn := cluster.NewDatabase(t)

	otlp := e2etest.FreeAddr(t)
	health := e2etest.FreeAddr(t)
	config := fmt.Sprintf(`
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
    schema: e2e
    sending_queue:
      batch:
        flush_timeout: 100ms
service:
  extensions: [health_check]
  telemetry:
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
`, health, otlp)
	col := e2etest.Start(t, config, "POSTGRES_DSN="+dsn)
	col.WaitHTTP("http://"+health+"/", 30*time.Second)

	const traces, childSpans, metrics, logs = 300, 2, 500, 400
	tg := e2etest.Telemetrygen(t)
	common := []string{"--otlp-endpoint", otlp, "--otlp-insecure", "--workers", "1", "--rate", "0"}
	run := func(args ...string) {
		out, err := exec.CommandContext(t.Context(), tg, append(args, common...)...).CombinedOutput()
		require.NoError(t, err, string(out))
	}
	run("traces", "--traces", strconv.Itoa(traces), "--child-spans", strconv.Itoa(childSpans))
	run("metrics", "--metrics", strconv.Itoa(metrics))
	run("logs", "--logs", strconv.Itoa(logs))

	conn, err := pgx.Connect(t.Context(), dsn)
	require.NoError(t, err)
	t.Cleanup(func() { _ = conn.Close(context.Background()) })
	count := func(table string) int64 {
		var n int64
		if err := conn.QueryRow(t.Context(), "SELECT count(*) FROM e2e."+table).Scan(&n); err != nil {
			return -1 // not migrated yet
		}
		return n
	}
	want := map[string]int64{
		"spans":         traces * (1 + childSpans),
		"metric_points": metrics,
		"logs":          logs,
	}
	e2etest.Eventually(t, 60*time.Second, func() bool {
		for table, n := range want {
			if count(table) < n {
				return false
			}
		}
		return true
	}, "rows did not arrive; collector output:\n%s", col.Output())
	require.NoError(t, col.Stop(10*time.Second), "clean exit on SIGTERM")

	for table, n := range want {
		assert.Equal(t, n, count(table), "%s: exactly once", table)
	}
	var distinct int64
	require.NoError(t, conn.QueryRow(t.Context(), "SELECT count(DISTINCT (trace_id, span_id)) FROM e2e.spans").Scan(&distinct))
	assert.Equal(t, want["spans"], distinct)
	var viewRows int64
	require.NoError(t, conn.QueryRow(t.Context(), `SELECT count(*) FROM e2e.v_trace_spans WHERE "serviceName" = 'telemetrygen'`).Scan(&viewRows))
	assert.Equal(t, want["spans"], viewRows)
	require.NoError(t, conn.QueryRow(t.Context(), `SELECT count(*) FROM e2e.v_metrics WHERE service_name = 'telemetrygen'`).Scan(&viewRows))
	assert.Equal(t, want["metric_points"], viewRows)
}
