package postgresexporter

import (
	"context"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/pmetric"

	"github.com/otelcol-diagnostics/otelcol-diagnostics/internal/pgtest"
)

// numberedGauge returns n gauge points of one series whose values are first..first+n-1.
func numberedGauge(first, n uint64) pmetric.Metrics {
	md := pmetric.NewMetrics()
	rm := md.ResourceMetrics().AppendEmpty()
	rm.Resource().Attributes().PutStr("service.name", "pooled")
	m := rm.ScopeMetrics().AppendEmpty().Metrics().AppendEmpty()
	m.SetName("numbered")
	g := m.SetEmptyGauge()
	for i := first; i < first+n; i++ {
		dp := g.DataPoints().AppendEmpty()
		dp.SetTimestamp(pts(itTime.Add(time.Duration(i) * time.Microsecond)))
		dp.SetDoubleValue(float64(i))
	}
	return md
}

// numberedLogs returns n log records whose attribute i is first..first+n-1.
func numberedLogs(first, n uint64) plog.Logs {
	ld := plog.NewLogs()
	rl := ld.ResourceLogs().AppendEmpty()
	rl.Resource().Attributes().PutStr("service.name", "pooled")
	sl := rl.ScopeLogs().AppendEmpty()
	for i := first; i < first+n; i++ {
		lr := sl.LogRecords().AppendEmpty()
		lr.SetTimestamp(pts(itTime))
		lr.Body().SetStr("record " + strconv.FormatUint(i, 10))
		lr.Attributes().PutInt("i", int64(i))
	}
	return ld
}

// startPgbouncer puts a transaction-mode pgbouncer in front of the test cluster for t and returns
// the DSN of a fresh database through it.
func startPgbouncer(t *testing.T) (*pgtest.Pgbouncer, string, string) {
	t.Helper()
	b, err := cluster.StartPgbouncer()
	require.NoError(t, err, "the pooler tests need the Debian pgbouncer package (scripts/install-deps.sh test)")
	t.Cleanup(func() { assert.NoError(t, b.Close()) })
	direct := cluster.NewDatabase(t)
	pooled, err := b.Route(direct)
	require.NoError(t, err)
	return b, direct, pooled
}

// TestTransactionPoolerAllSignals runs metrics, traces and logs through pgbouncer in
// pool_mode=transaction (2 server connections for 4 exporter connections: every transaction may
// land on a server connection another client used before), with an outage of the database and
// one of the pooler in the middle of the stream, and checks that every row landed exactly once.
func TestTransactionPoolerAllSignals(t *testing.T) {
	b, direct, pooled := startPgbouncer(t)
	t.Cleanup(func() { require.NoError(t, cluster.Start()) })
	cfg := pipelineConfig(pooled+"&pool_max_conns=4", true)
	m, tr, l := threePipelines(t, NewFactory(), cfg)
	for _, c := range []component.Component{m, tr, l} {
		require.NoError(t, c.Start(t.Context(), componenttest.NewNopHost()))
	}

	const perRequest = 50
	var sent uint64 // requests sent per signal so far
	send := func(requests uint64) {
		var wg sync.WaitGroup
		for i := sent; i < sent+requests; i++ {
			wg.Go(func() { assert.NoError(t, m.ConsumeMetrics(t.Context(), numberedGauge(i*perRequest, perRequest))) })
			wg.Go(func() {
				assert.NoError(t, tr.ConsumeTraces(t.Context(), numberedTraces(i*perRequest, perRequest, "pooled")))
			})
			wg.Go(func() { assert.NoError(t, l.ConsumeLogs(t.Context(), numberedLogs(i*perRequest, perRequest))) })
		}
		wg.Wait()
		sent += requests
	}
	conn := pgtest.Connect(t, direct)
	count := func(table string) int64 {
		var n int64
		if err := conn.QueryRow(t.Context(), "SELECT count(*) FROM "+pgx.Identifier{"otel", table}.Sanitize()).Scan(&n); err != nil {
			return -1 // not migrated yet
		}
		return n
	}

	send(20)
	require.Eventually(t, func() bool { return count("spans") > 0 }, time.Minute, 5*time.Millisecond)
	require.NoError(t, cluster.Stop(), "database outage behind the pooler")
	send(20)
	require.NoError(t, cluster.Start())
	send(20)
	require.NoError(t, b.Stop(), "pooler outage")
	send(20)
	require.NoError(t, b.Start())
	send(20)

	conn = pgtest.Connect(t, direct)
	total := int64(sent * perRequest)
	require.Eventually(t, func() bool {
		return count("metric_points") >= total && count("spans") >= total && count("logs") >= total
	}, 2*time.Minute, 20*time.Millisecond)
	for _, c := range []component.Component{m, tr, l} {
		require.NoError(t, c.Shutdown(context.Background()))
	}

	for _, q := range []struct{ table, key string }{
		{"metric_points", "value::bigint"},
		{"spans", "(attributes->>'i')::bigint"},
		{"logs", "(attributes->>'i')::bigint"},
	} {
		var rows, distinct, lo, hi int64
		require.NoError(t, conn.QueryRow(t.Context(), "SELECT count(*), count(DISTINCT "+q.key+"), min("+q.key+"), max("+q.key+
			") FROM "+pgx.Identifier{"otel", q.table}.Sanitize()).Scan(&rows, &distinct, &lo, &hi))
		assert.Equal(t, total, rows, "%s: nothing lost, nothing twice", q.table)
		assert.Equal(t, total, distinct, q.table)
		assert.Equal(t, int64(0), lo, q.table)
		assert.Equal(t, total-1, hi, q.table)
	}
	assert.Equal(t, int64(1), countRows(t, conn, "otel", "metric_series"))
	assert.Equal(t, int64(2), countRows(t, conn, "otel", "resources"), "service outage (spans) and pooled")
}

// TestTransactionPoolerNeedsNoRetry sends every signal through pgbouncer in transaction mode with
// retries off: no request may fail on session state another client left on a server connection
// (pgx's default statement cache fails here with 42P05 or 26000).
func TestTransactionPoolerNeedsNoRetry(t *testing.T) {
	_, direct, pooled := startPgbouncer(t)
	cfg := pipelineConfig(pooled+"&pool_max_conns=4", false)
	cfg.BackOff.Enabled = false
	m, tr, l := threePipelines(t, NewFactory(), cfg)
	for _, c := range []component.Component{m, tr, l} {
		require.NoError(t, c.Start(t.Context(), componenttest.NewNopHost()))
	}
	const requests, perRequest = 60, 20
	var wg sync.WaitGroup
	for i := range uint64(requests) {
		wg.Go(func() { assert.NoError(t, m.ConsumeMetrics(t.Context(), numberedGauge(i*perRequest, perRequest))) })
		wg.Go(func() {
			assert.NoError(t, tr.ConsumeTraces(t.Context(), numberedTraces(i*perRequest, perRequest, "pooled")))
		})
		wg.Go(func() { assert.NoError(t, l.ConsumeLogs(t.Context(), numberedLogs(i*perRequest, perRequest))) })
	}
	wg.Wait()
	for _, c := range []component.Component{m, tr, l} {
		require.NoError(t, c.Shutdown(context.Background()), "shutdown drains the queues")
	}
	conn := pgtest.Connect(t, direct)
	for _, table := range []string{"metric_points", "spans", "logs"} {
		assert.Equal(t, int64(requests*perRequest), countRows(t, conn, "otel", table), table)
	}
}
