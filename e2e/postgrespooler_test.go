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

// TestPostgresExporterBehindTransactionPooler runs the built collector with one postgres
// exporter named by the traces, metrics and logs pipelines, through pgbouncer in
// pool_mode=transaction, with retries off: every span, point and record lands exactly once, and
// the one pool never holds more than pool_max_conns connections.
func TestPostgresExporterBehindTransactionPooler(t *testing.T) {
	cluster, err := pgtest.Start()
	require.NoError(t, err, "the postgres exporter's end-to-end test needs a PostgreSQL server")
	t.Cleanup(func() { assert.NoError(t, cluster.Close()) })
	bouncer, err := cluster.StartPgbouncer()
	require.NoError(t, err, "the pooler end-to-end test needs the Debian pgbouncer package")
	t.Cleanup(func() { assert.NoError(t, bouncer.Close()) })
	direct := cluster.NewDatabase(t)
	pooled, err := bouncer.Route(direct)
	require.NoError(t, err)

	otlp, health := e2etest.FreeAddr(t), e2etest.FreeAddr(t)
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
    sending_queue:
      batch:
        flush_timeout: 50ms
    retry_on_failure:
      enabled: false
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
	col := e2etest.Start(t, config, "POSTGRES_DSN="+pooled+"&pool_max_conns=2")
	col.WaitHTTP("http://"+health+"/", 30*time.Second)

	const traces, childSpans, metrics, logs = 300, 2, 500, 400
	tg := e2etest.Telemetrygen(t)
	common := []string{"--otlp-endpoint", otlp, "--otlp-insecure", "--workers", "1"}
	run := func(args ...string) {
		out, err := exec.CommandContext(t.Context(), tg, append(args, common...)...).CombinedOutput()
		require.NoError(t, err, string(out))
	}
	run("traces", "--traces", strconv.Itoa(traces), "--child-spans", strconv.Itoa(childSpans), "--rate", "0")
	// Points of one series are one point when their time and start time are equal to the
	// microsecond (the database's precision), and telemetrygen's gauge points of its one series
	// come closer than that: each point gets a series of its own.
	run("metrics", "--metrics", strconv.Itoa(metrics), "--rate", "0", "--unique-timeseries")
	run("logs", "--logs", strconv.Itoa(logs), "--rate", "0")

	conn, err := pgx.Connect(t.Context(), direct)
	require.NoError(t, err)
	t.Cleanup(func() { _ = conn.Close(context.Background()) })
	count := func(table string) int64 {
		var n int64
		if err := conn.QueryRow(t.Context(), "SELECT count(*) FROM otel."+table).Scan(&n); err != nil {
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

	// pgbouncer's console lists its clients: the collector is the only one, with its one pool.
	admin, err := pgx.Connect(t.Context(), bouncer.DSN("pgbouncer")+"&default_query_exec_mode=simple_protocol")
	require.NoError(t, err)
	t.Cleanup(func() { _ = admin.Close(context.Background()) })
	rows, err := admin.Query(t.Context(), "SHOW CLIENTS")
	require.NoError(t, err)
	list, err := pgx.CollectRows(rows, pgx.RowToMap)
	require.NoError(t, err)
	clients := 0
	for _, c := range list {
		if c["database"] != "pgbouncer" { // the console connection itself
			clients++
		}
	}
	assert.Positive(t, clients, "the collector's idle pool connections")
	assert.LessOrEqual(t, clients, 2, "one pool of pool_max_conns=2 for three pipelines")

	require.NoError(t, col.Stop(10*time.Second), "clean exit on SIGTERM")
	for table, n := range want {
		assert.Equal(t, n, count(table), "%s: exactly once", table)
	}
	var distinct int64
	require.NoError(t, conn.QueryRow(t.Context(), "SELECT count(DISTINCT (trace_id, span_id)) FROM otel.spans").Scan(&distinct))
	assert.Equal(t, want["spans"], distinct)
	assert.NotContains(t, col.Output(), "42P05", "no prepared statement met another client's")
}
