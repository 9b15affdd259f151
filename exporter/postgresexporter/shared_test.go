package postgresexporter

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/exporter"
	"go.opentelemetry.io/collector/exporter/exportertest"

	"github.com/otelcol-diagnostics/otelcol-diagnostics/exporter/postgresexporter/internal/metadata"
	"github.com/otelcol-diagnostics/otelcol-diagnostics/internal/pgtest"
)

// threePipelines creates the metrics, traces and logs exporters of one config through one factory,
// as the collector does for three pipelines naming the same exporter.
func threePipelines(t *testing.T, f exporter.Factory, cfg *Config) (exporter.Metrics, exporter.Traces, exporter.Logs) {
	t.Helper()
	set := exportertest.NewNopSettings(metadata.Type)
	m, err := f.CreateMetrics(t.Context(), set, cfg)
	require.NoError(t, err)
	tr, err := f.CreateTraces(t.Context(), set, cfg)
	require.NoError(t, err)
	l, err := f.CreateLogs(t.Context(), set, cfg)
	require.NoError(t, err)
	return m, tr, l
}

func TestOneExporterPerConfig(t *testing.T) {
	shared := newSharedExporters()
	set := exportertest.NewNopSettings(metadata.Type)
	cfg, other := itConfig("postgres://127.0.0.1:1/x"), itConfig("postgres://127.0.0.1:1/x")
	a, err := shared.use(set, cfg)
	require.NoError(t, err)
	b, err := shared.use(set, cfg)
	require.NoError(t, err)
	c, err := shared.use(set, other)
	require.NoError(t, err)
	assert.Same(t, a.exporter(), b.exporter(), "one config, one exporter")
	assert.NotSame(t, a.exporter(), c.exporter(), "another config, another exporter")

	require.NoError(t, a.shutdown(t.Context()))
	require.NoError(t, a.shutdown(t.Context()), "a pipeline's Shutdown is idempotent")
	assert.Len(t, shared.m, 2, "b still holds cfg's exporter")
	require.NoError(t, b.shutdown(t.Context()))
	require.NoError(t, c.shutdown(t.Context()))
	assert.Empty(t, shared.m, "shut down exporters are forgotten: a reload gets new ones")
}

// TestThreePipelinesShareOnePool runs metrics, traces and logs through one config with
// pool_max_conns=2 and watches pg_stat_activity while they write: never more than 2 connections
// of the exporter, the migrations ran once, and the pool closes after the last pipeline only.
func TestThreePipelinesShareOnePool(t *testing.T) {
	dsn := cluster.NewDatabase(t)
	const maxConns = 2
	cfg := pipelineConfig(dsn+"&pool_max_conns=2", false)
	m, tr, l := threePipelines(t, NewFactory(), cfg)
	host := componenttest.NewNopHost()
	for _, c := range []component.Component{m, tr, l} {
		require.NoError(t, c.Start(t.Context(), host))
	}

	admin := pgtest.Connect(t, cluster.DSN("postgres"))
	db := dsnDatabase(t, dsn)
	exporterConns := func() int {
		var n int
		require.NoError(t, admin.QueryRow(context.Background(), `SELECT count(*) FROM pg_stat_activity
			WHERE datname = $1 AND application_name = $2`, db, applicationName).Scan(&n))
		return n
	}

	var most int
	stop := make(chan struct{})
	var watcher sync.WaitGroup
	watcher.Go(func() {
		for {
			most = max(most, exporterConns())
			select {
			case <-stop:
				return
			case <-time.After(2 * time.Millisecond):
			}
		}
	})
	const requests = 60
	var senders sync.WaitGroup
	senders.Go(func() {
		for range requests {
			assert.NoError(t, m.ConsumeMetrics(t.Context(), itMetrics()))
		}
	})
	senders.Go(func() {
		for i := range uint64(requests) {
			assert.NoError(t, tr.ConsumeTraces(t.Context(), numberedTraces(i*10, 10, "span")))
		}
	})
	senders.Go(func() {
		for i := range uint64(requests) {
			assert.NoError(t, l.ConsumeLogs(t.Context(), numberedLogs(i*2, 2)))
		}
	})
	senders.Wait()

	conn := pgtest.Connect(t, dsn)
	landed := func(table string) int64 {
		var n int64
		if err := conn.QueryRow(t.Context(), "SELECT count(*) FROM "+pgx.Identifier{"otel", table}.Sanitize()).Scan(&n); err != nil {
			return -1 // not migrated yet
		}
		return n
	}
	require.Eventually(t, func() bool {
		return landed("spans") == requests*10 && landed("logs") == requests*2
	}, time.Minute, 10*time.Millisecond)
	close(stop)
	watcher.Wait()
	assert.Positive(t, most, "the watcher saw the exporter's connections")
	assert.LessOrEqual(t, most, maxConns, "one pool for the three pipelines")
	var migrations int
	require.NoError(t, conn.QueryRow(t.Context(), "SELECT count(*) FROM otel.schema_migrations").Scan(&migrations))
	all, err := loadMigrations(migrationFS)
	require.NoError(t, err)
	assert.Len(t, all, migrations)

	// The pool outlives the first two Shutdowns: the last pipeline still writes.
	require.NoError(t, m.Shutdown(context.Background()))
	require.NoError(t, tr.Shutdown(context.Background()))
	require.NoError(t, l.ConsumeLogs(t.Context(), itLogs()))
	require.NoError(t, l.Shutdown(context.Background()), "the last Shutdown drains the logs queue, then closes the pool")
	assert.Equal(t, int64(requests*2+2), countRows(t, conn, "otel", "logs"))
	// Backends leave pg_stat_activity a moment after the client's Terminate.
	assert.Eventually(t, func() bool { return exporterConns() == 0 }, 10*time.Second, 10*time.Millisecond,
		"the pool is closed after the last pipeline")
}

func dsnDatabase(t *testing.T, dsn string) string {
	t.Helper()
	cc, err := pgx.ParseConfig(dsn)
	require.NoError(t, err)
	return cc.Database
}
