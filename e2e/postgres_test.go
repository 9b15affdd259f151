package e2e

import (
	"fmt"
	"os/exec"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/otelcol-diagnostics/otelcol-diagnostics/internal/e2etest"
	"github.com/otelcol-diagnostics/otelcol-diagnostics/internal/pgtest"
)

// TestPostgresExporterTelemetrygen runs the built collector with an OTLP receiver and the
// postgres exporter against a throwaway PostgreSQL cluster, sends a known number of spans,
// metric points and log records with telemetrygen, and counts the rows: each lands exactly once.
func TestPostgresExporterTelemetrygen(t *testing.T) {
	dsn := sharedDatabase(t)

	otlp, health := e2etest.FreeAddr(t), e2etest.FreeAddr(t)
	col := e2etest.Start(t, allSignalsConfig(health, otlp, `    schema: e2e
    sending_queue:
      batch:
        flush_timeout: 100ms`), "POSTGRES_DSN="+dsn)
	col.WaitHTTP("http://"+health+"/", 30*time.Second)

	load := signalLoad{traces: 300, childSpans: 2, metrics: 500, logs: 400}
	load.send(t, otlp)

	conn := pgtest.Connect(t, dsn)
	count := rowCounter(t, conn, "e2e")
	want := load.rows()
	waitRows(t, col, count, want)
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

// TestPostgresExporterPersistentQueueAcrossRestart sends spans while PostgreSQL is down to a
// collector whose sending queue is kept by file_storage, stops that collector, brings the
// database back and starts a new collector on the same storage: every span lands exactly once.
func TestPostgresExporterPersistentQueueAcrossRestart(t *testing.T) {
	cluster, err := pgtest.Start()
	require.NoError(t, err, "the postgres exporter's end-to-end test needs a PostgreSQL server")
	t.Cleanup(func() { assert.NoError(t, cluster.Close()) })
	dsn := cluster.NewDatabase(t)
	storage := t.TempDir()

	config := func(otlp, health string) string {
		return fmt.Sprintf(`
extensions:
  health_check:
    endpoint: %s
  file_storage:
    directory: %s
receivers:
  otlp:
    protocols:
      grpc:
        endpoint: %s
exporters:
  postgres:
    dsn: ${env:POSTGRES_DSN}
    sending_queue:
      storage: file_storage
    retry_on_failure:
      initial_interval: 100ms
      max_interval: 500ms
      max_elapsed_time: 0
service:
  extensions: [health_check, file_storage]
  telemetry:
    metrics:
      level: none
  pipelines:
    traces:
      receivers: [otlp]
      exporters: [postgres]
`, health, storage, otlp)
	}

	require.NoError(t, cluster.Stop(), "the database is down from the start")
	otlp, health := e2etest.FreeAddr(t), e2etest.FreeAddr(t)
	first := e2etest.Start(t, config(otlp, health), "POSTGRES_DSN="+dsn)
	first.WaitHTTP("http://"+health+"/", 30*time.Second)
	const traces = 200 // × 2 spans
	out, err := exec.CommandContext(t.Context(), e2etest.Telemetrygen(t), "traces", "--traces", strconv.Itoa(traces),
		"--otlp-endpoint", otlp, "--otlp-insecure", "--workers", "1", "--rate", "0").CombinedOutput()
	require.NoError(t, err, string(out))
	require.NoError(t, first.Stop(30*time.Second), "clean exit with the queue still full")

	require.NoError(t, cluster.Start())
	otlp, health = e2etest.FreeAddr(t), e2etest.FreeAddr(t)
	second := e2etest.Start(t, config(otlp, health), "POSTGRES_DSN="+dsn)
	second.WaitHTTP("http://"+health+"/", 30*time.Second)

	conn := pgtest.Connect(t, dsn)
	rows := rowCounter(t, conn, "otel")
	count := func() int64 { return rows("spans") }
	e2etest.Eventually(t, 60*time.Second, func() bool { return count() >= 2*traces },
		"queued spans did not arrive; first collector:\n%s\nsecond collector:\n%s", first.Output(), second.Output())
	require.NoError(t, second.Stop(10*time.Second))
	assert.Equal(t, int64(2*traces), count(), "exactly once across the restart")
}
