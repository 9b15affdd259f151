package e2e

import (
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
	col := e2etest.Start(t, allSignalsConfig(health, otlp, `    sending_queue:
      batch:
        flush_timeout: 50ms
    retry_on_failure:
      enabled: false`), "POSTGRES_DSN="+pooled+"&pool_max_conns=2")
	col.WaitHTTP("http://"+health+"/", 30*time.Second)

	load := signalLoad{traces: 300, childSpans: 2, metrics: 500, logs: 400}
	load.send(t, otlp)

	conn := pgtest.Connect(t, direct)
	count := rowCounter(t, conn, "otel")
	want := load.rows()
	waitRows(t, col, count, want)

	// pgbouncer's console lists its clients: the collector is the only one, with its one pool.
	admin := pgtest.Connect(t, bouncer.DSN("pgbouncer")+"&default_query_exec_mode=simple_protocol")
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
