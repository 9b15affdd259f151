package postgresexporter

import (
	"context"
	"encoding/binary"
	"strconv"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/config/configoptional"
	"go.opentelemetry.io/collector/exporter"
	"go.opentelemetry.io/collector/exporter/exporterhelper"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	"go.opentelemetry.io/otel/sdk/metric/metricdata/metricdatatest"

	"github.com/otelcol-diagnostics/otelcol-diagnostics/exporter/postgresexporter/internal/metadatatest"
	"github.com/otelcol-diagnostics/otelcol-diagnostics/internal/pgtest"
)

// numberedTraces returns n spans whose span ids encode first..first+n-1, named name.
func numberedTraces(first, n uint64, name string) ptrace.Traces {
	td := ptrace.NewTraces()
	rs := td.ResourceSpans().AppendEmpty()
	rs.Resource().Attributes().PutStr("service.name", "outage")
	ss := rs.ScopeSpans().AppendEmpty()
	now := time.Now()
	for i := first; i < first+n; i++ {
		sp := ss.Spans().AppendEmpty()
		var tid pcommon.TraceID
		var sid pcommon.SpanID
		binary.BigEndian.PutUint64(tid[8:], i+1)
		binary.BigEndian.PutUint64(sid[:], i+1)
		sp.SetTraceID(tid)
		sp.SetSpanID(sid)
		sp.SetName(name)
		sp.SetStartTimestamp(pcommon.NewTimestampFromTime(now))
		sp.SetEndTimestamp(pcommon.NewTimestampFromTime(now.Add(time.Millisecond)))
		sp.Attributes().PutStr("i", strconv.FormatUint(i, 10))
	}
	return td
}

func pipelineConfig(dsn string, batching bool) *Config {
	cfg := itConfig(dsn)
	cfg.Timeout = 10 * time.Second
	cfg.BackOff.InitialInterval = 10 * time.Millisecond
	cfg.BackOff.MaxInterval = 200 * time.Millisecond
	cfg.BackOff.MaxElapsedTime = 0 // retry until the database is back
	q := exporterhelper.NewDefaultQueueConfig()
	q.QueueSize = 100_000
	q.NumConsumers = 2
	q.BlockOnOverflow = true
	q.Batch = configoptional.None[exporterhelper.BatchConfig]()
	if batching {
		q.Batch = configoptional.Some(exporterhelper.BatchConfig{
			FlushTimeout: 20 * time.Millisecond, Sizer: exporterhelper.RequestSizerTypeItems, MinSize: 500, MaxSize: 2000,
		})
	}
	cfg.QueueConfig = configoptional.Some(q)
	return cfg
}

func startPipeline(t *testing.T, cfg *Config, set exporter.Settings) exporter.Traces {
	t.Helper()
	exp, err := NewFactory().CreateTraces(t.Context(), set, cfg)
	require.NoError(t, err)
	require.NoError(t, exp.Start(t.Context(), componenttest.NewNopHost()))
	return exp
}

// TestOutageLosesNothingDuplicatesNothing stops PostgreSQL in the middle of a stream through the
// exporterhelper queue, keeps sending while it is down, starts it again and checks that every
// span landed exactly once.
func TestOutageLosesNothingDuplicatesNothing(t *testing.T) {
	dsn := cluster.NewDatabase(t)
	tel := componenttest.NewTelemetry()
	t.Cleanup(func() { require.NoError(t, tel.Shutdown(context.Background())) })
	exp := startPipeline(t, pipelineConfig(dsn, true), metadatatest.NewSettings(tel))

	const requests, perRequest = 150, 100
	send := func(from, to uint64) {
		for i := from; i < to; i++ {
			require.NoError(t, exp.ConsumeTraces(t.Context(), numberedTraces(i*perRequest, perRequest, "span")))
		}
	}
	countSpans := func(conn *pgx.Conn) int64 {
		var n int64
		if err := conn.QueryRow(t.Context(), "SELECT count(*) FROM otel.spans").Scan(&n); err != nil {
			return -1 // not migrated yet
		}
		return n
	}
	before := pgtest.Connect(t, dsn)
	send(0, requests/3)
	// The stream is flowing (the exporter holds live connections) when the server goes down.
	require.Eventually(t, func() bool { return countSpans(before) > 0 }, time.Minute, 5*time.Millisecond)
	require.NoError(t, cluster.Stop(), "outage begins while the first third is being written")
	send(requests/3, 2*requests/3)
	require.NoError(t, cluster.Start())
	send(2*requests/3, requests)

	total := int64(requests * perRequest)
	conn := pgtest.Connect(t, dsn)
	require.Eventually(t, func() bool { return countSpans(conn) >= total }, time.Minute, 20*time.Millisecond)
	require.NoError(t, exp.Shutdown(context.Background()))

	var rows, distinct, minI, maxI int64
	require.NoError(t, conn.QueryRow(t.Context(), `SELECT count(*), count(DISTINCT span_id),
		min((attributes->>'i')::bigint), max((attributes->>'i')::bigint) FROM otel.spans`).Scan(&rows, &distinct, &minI, &maxI))
	assert.Equal(t, total, rows, "nothing lost, nothing twice")
	assert.Equal(t, total, distinct)
	assert.Equal(t, int64(0), minI)
	assert.Equal(t, total-1, maxI)
	assert.Equal(t, int64(1), countRows(t, conn, "otel", "resources"))
	assert.Contains(t, cluster.Log(), "terminating connection due to administrator command", "the outage cut live connections")
}

// TestPermanentErrorDropsOnlyThatRequest makes PostgreSQL reject one request's data (a CHECK
// constraint a DBA added) and checks that only that request is dropped, and counted.
func TestPermanentErrorDropsOnlyThatRequest(t *testing.T) {
	dsn := cluster.NewDatabase(t)
	tel := componenttest.NewTelemetry()
	t.Cleanup(func() { require.NoError(t, tel.Shutdown(context.Background())) })

	// Migrate first, then add the constraint.
	e := startExporter(t, itConfig(dsn))
	require.NoError(t, e.ensureReady(t.Context()))
	conn := pgtest.Connect(t, dsn)
	_, err := conn.Exec(t.Context(), `ALTER TABLE otel.spans ADD CONSTRAINT no_poison CHECK (span_name <> 'poison')`)
	require.NoError(t, err)

	t.Run("direct", func(t *testing.T) {
		err := e.pushTraces(t.Context(), numberedTraces(0, 10, "poison"))
		require.Error(t, err)
		assert.True(t, isPermanent(err))
		assert.ErrorContains(t, err, "copy 10 rows into spans")
	})

	exp := startPipeline(t, pipelineConfig(dsn, false), metadatatest.NewSettings(tel))
	require.NoError(t, exp.ConsumeTraces(t.Context(), numberedTraces(100, 10, "good")))
	require.NoError(t, exp.ConsumeTraces(t.Context(), numberedTraces(200, 10, "poison")))
	require.NoError(t, exp.ConsumeTraces(t.Context(), numberedTraces(300, 10, "good")))
	require.NoError(t, exp.Shutdown(context.Background()), "shutdown drains the queue")

	var good, poison int64
	require.NoError(t, conn.QueryRow(t.Context(), `SELECT count(*) FILTER (WHERE span_name = 'good'),
		count(*) FILTER (WHERE span_name = 'poison') FROM otel.spans`).Scan(&good, &poison))
	assert.Equal(t, int64(20), good)
	assert.Zero(t, poison)
	metadatatest.AssertEqualExporterPostgresPermanentErrors(t, tel, []metricdata.DataPoint[int64]{
		{Value: 1, Attributes: attribute.NewSet(attribute.String("signal", "traces"))},
	}, metricdatatest.IgnoreTimestamp(), metricdatatest.IgnoreExemplars())
	// The resource and scope are stored already: the refused direct write above committed its
	// new dimension rows before its facts failed.
	metadatatest.AssertEqualExporterPostgresRowsWritten(t, tel, []metricdata.DataPoint[int64]{
		{Value: 20, Attributes: attribute.NewSet(attribute.String("table", "spans"))},
	}, metricdatatest.IgnoreTimestamp(), metricdatatest.IgnoreExemplars())
}
