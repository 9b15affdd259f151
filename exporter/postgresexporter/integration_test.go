package postgresexporter

import (
	"context"
	"encoding/json"
	"math"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/config/configopaque"
	"go.opentelemetry.io/collector/exporter/exportertest"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/otelcol-diagnostics/otelcol-diagnostics/exporter/postgresexporter/internal/metadata"
	"github.com/otelcol-diagnostics/otelcol-diagnostics/internal/pgtest"
)

// itTime is inside the partitions the exporter creates around now, on a whole microsecond.
var itTime = time.Now().UTC().Truncate(time.Hour).Add(-time.Hour)

func itConfig(dsn string) *Config {
	cfg := createDefaultConfig().(*Config)
	cfg.DSN = configopaque.String(dsn)
	return cfg
}

// startExporter starts a bare pgExporter (no exporterhelper), shut down when t ends.
func startExporter(t *testing.T, cfg *Config) *pgExporter {
	t.Helper()
	e, err := newExporter(exportertest.NewNopSettings(metadata.Type), cfg)
	require.NoError(t, err)
	require.NoError(t, e.start(t.Context(), componenttest.NewNopHost()))
	t.Cleanup(func() { assert.NoError(t, e.shutdown(context.Background())) })
	return e
}

func countRows(t testing.TB, conn *pgx.Conn, schema, table string) int64 {
	t.Helper()
	var n int64
	require.NoError(t, conn.QueryRow(context.Background(), "SELECT count(*) FROM "+pgx.Identifier{schema, table}.Sanitize()).Scan(&n))
	return n
}

func pts(t time.Time) pcommon.Timestamp { return pcommon.NewTimestampFromTime(t) }

// testMetrics holds one metric of every kind for service "checkout".
func itMetrics() pmetric.Metrics {
	md := pmetric.NewMetrics()
	rm := md.ResourceMetrics().AppendEmpty()
	rm.Resource().Attributes().PutStr("service.name", "checkout")
	rm.Resource().Attributes().PutStr("host.name", "web-1")
	sm := rm.ScopeMetrics().AppendEmpty()
	sm.Scope().SetName("legacyapp")
	sm.Scope().SetVersion("1.2.3")

	g := sm.Metrics().AppendEmpty()
	g.SetName("queue.depth")
	g.SetUnit("{item}")
	g.SetEmptyGauge()
	for i, q := range []string{"a", "b"} {
		dp := g.Gauge().DataPoints().AppendEmpty()
		dp.Attributes().PutStr("queue", q)
		dp.SetTimestamp(pts(itTime))
		dp.SetDoubleValue(1.5 + float64(i))
	}

	s := sm.Metrics().AppendEmpty()
	s.SetName("orders")
	s.SetEmptySum().SetIsMonotonic(true)
	s.Sum().SetAggregationTemporality(pmetric.AggregationTemporalityCumulative)
	for _, v := range []int64{1<<53 + 1, math.MaxInt64} {
		dp := s.Sum().DataPoints().AppendEmpty()
		dp.Attributes().PutInt("exact", v)
		dp.SetStartTimestamp(pts(itTime.Add(-time.Minute)))
		dp.SetTimestamp(pts(itTime))
		dp.SetIntValue(v)
	}

	h := sm.Metrics().AppendEmpty()
	h.SetName("latency")
	h.SetUnit("ms")
	h.SetEmptyHistogram().SetAggregationTemporality(pmetric.AggregationTemporalityDelta)
	hp := h.Histogram().DataPoints().AppendEmpty()
	hp.SetTimestamp(pts(itTime))
	hp.SetCount(6)
	hp.SetSum(123.5)
	hp.SetMin(0.5)
	hp.SetMax(99)
	hp.ExplicitBounds().FromRaw([]float64{1, 10, 100})
	hp.BucketCounts().FromRaw([]uint64{1, 2, 3, 0})

	e := sm.Metrics().AppendEmpty()
	e.SetName("latency.exp")
	e.SetEmptyExponentialHistogram().SetAggregationTemporality(pmetric.AggregationTemporalityCumulative)
	ep := e.ExponentialHistogram().DataPoints().AppendEmpty()
	ep.SetTimestamp(pts(itTime))
	ep.SetCount(7)
	ep.SetScale(3)
	ep.SetZeroCount(1)
	ep.SetZeroThreshold(1e-9)
	ep.Positive().SetOffset(-2)
	ep.Positive().BucketCounts().FromRaw([]uint64{1, 2, 3})
	ep.Negative().SetOffset(5)
	ep.Negative().BucketCounts().FromRaw([]uint64{0})

	su := sm.Metrics().AppendEmpty()
	su.SetName("rpc.summary")
	sp := su.SetEmptySummary().DataPoints().AppendEmpty()
	sp.SetTimestamp(pts(itTime))
	sp.SetCount(10)
	sp.SetSum(55)
	for _, q := range [][2]float64{{0.5, 5}, {0.99, 9.9}} {
		qv := sp.QuantileValues().AppendEmpty()
		qv.SetQuantile(q[0])
		qv.SetValue(q[1])
	}
	return md
}

var (
	itTraceID     = pcommon.TraceID{0x5b, 0x8a, 0xa5, 0xa2, 0xd2, 0xc8, 0x72, 0xe8, 0x32, 0x1c, 0xf3, 0x73, 0x08, 0xd6, 0x9d, 0xf2}
	itRootSpanID  = pcommon.SpanID{1, 2, 3, 4, 5, 6, 7, 8}
	itChildSpanID = pcommon.SpanID{8, 7, 6, 5, 4, 3, 2, 1}
)

func itTraces() ptrace.Traces {
	td := ptrace.NewTraces()
	rs := td.ResourceSpans().AppendEmpty()
	rs.Resource().Attributes().PutStr("service.name", "ci")
	ss := rs.ScopeSpans().AppendEmpty()
	ss.Scope().SetName("githubworkflow")

	root := ss.Spans().AppendEmpty()
	root.SetTraceID(itTraceID)
	root.SetSpanID(itRootSpanID)
	root.SetName("build")
	root.SetKind(ptrace.SpanKindServer)
	root.SetStartTimestamp(pts(itTime))
	root.SetEndTimestamp(pts(itTime.Add(1500 * time.Millisecond)))
	root.Status().SetCode(ptrace.StatusCodeError)
	root.Status().SetMessage("failed")
	root.Attributes().PutStr("cicd.pipeline.name", "build")

	child := ss.Spans().AppendEmpty()
	child.SetTraceID(itTraceID)
	child.SetSpanID(itChildSpanID)
	child.SetParentSpanID(itRootSpanID)
	child.SetName("step 1")
	child.SetStartTimestamp(pts(itTime.Add(time.Millisecond)))
	child.SetEndTimestamp(pts(itTime.Add(2 * time.Millisecond)))
	ev := child.Events().AppendEmpty()
	ev.SetName("exception")
	ev.SetTimestamp(pts(itTime.Add(1500 * time.Microsecond)))
	ev.Attributes().PutStr("exception.message", "boom")
	ev2 := child.Events().AppendEmpty()
	ev2.SetName("retry")
	ev2.SetTimestamp(pts(itTime.Add(1600 * time.Microsecond)))
	link := child.Links().AppendEmpty()
	link.SetTraceID(pcommon.TraceID{15: 1})
	link.SetSpanID(pcommon.SpanID{7: 2})
	link.Attributes().PutInt("attempt", 1)
	return td
}

func itLogs() plog.Logs {
	ld := plog.NewLogs()
	rl := ld.ResourceLogs().AppendEmpty()
	rl.Resource().Attributes().PutStr("service.name", "legacyapp")
	sl := rl.ScopeLogs().AppendEmpty()
	r1 := sl.LogRecords().AppendEmpty()
	r1.SetTimestamp(pts(itTime))
	r1.SetObservedTimestamp(pts(itTime.Add(time.Second)))
	r1.SetSeverityNumber(plog.SeverityNumberError)
	r1.SetSeverityText("ERROR")
	r1.Body().SetStr("order 42 failed\x00 \xff")
	r1.SetTraceID(itTraceID)
	r1.SetSpanID(itRootSpanID)
	r1.Attributes().PutStr("order", "42")
	r2 := sl.LogRecords().AppendEmpty()
	r2.SetObservedTimestamp(pts(itTime.Add(2 * time.Second)))
	r2.Body().SetEmptyMap().PutInt("n", 1)
	return ld
}

func TestRoundTripMetrics(t *testing.T) {
	dsn := cluster.NewDatabase(t)
	e := startExporter(t, itConfig(dsn))
	require.NoError(t, e.pushMetrics(t.Context(), itMetrics()))
	conn := pgtest.Connect(t, dsn)
	ctx := t.Context()

	for table, want := range map[string]int64{
		"resources": 1, "scopes": 1, "metric_series": 7, "metric_points": 4, "metric_histogram_points": 1,
		"metric_exp_histogram_points": 1, "metric_summary_points": 1,
	} {
		assert.Equal(t, want, countRows(t, conn, "otel", table), table)
	}

	// Gauge and sum through v_metrics; int sums keep their exact value beyond 2^53.
	rows, err := conn.Query(ctx, `SELECT metric_name, service_name, type, temporality, is_monotonic, value, int_value, time
		FROM otel.v_metrics ORDER BY metric_name, value, int_value`)
	require.NoError(t, err)
	type pointOut struct {
		Name, Service, Type, Temporality string
		Monotonic                        bool
		Value                            float64
		Int                              *int64
		Time                             time.Time
	}
	got, err := pgx.CollectRows(rows, pgx.RowToStructByPos[pointOut])
	require.NoError(t, err)
	i53, imax := int64(1<<53+1), int64(math.MaxInt64)
	want := []pointOut{
		{"orders", "checkout", "sum", "cumulative", true, float64(i53), &i53, itTime},
		{"orders", "checkout", "sum", "cumulative", true, float64(imax), &imax, itTime},
		{"queue.depth", "checkout", "gauge", "unspecified", false, 1.5, nil, itTime},
		{"queue.depth", "checkout", "gauge", "unspecified", false, 2.5, nil, itTime},
	}
	require.Len(t, got, len(want))
	for i := range want {
		assert.Equal(t, want[i].Name, got[i].Name)
		assert.Equal(t, want[i].Type, got[i].Type)
		assert.Equal(t, want[i].Temporality, got[i].Temporality)
		assert.Equal(t, want[i].Monotonic, got[i].Monotonic)
		assert.Equal(t, want[i].Value, got[i].Value)
		assert.Equal(t, want[i].Int, got[i].Int)
		assert.True(t, want[i].Time.Equal(got[i].Time), "time %v != %v", got[i].Time, want[i].Time)
	}

	var (
		count                     int64
		sum, minV, maxV           *float64
		bounds                    []float64
		buckets                   []int64
		partition, unit, tempo    string
		scale, posOff, negOff     int32
		zeroCount                 int64
		zeroThreshold             float64
		posBuckets, negBuckets    []int64
		quantiles, quantileValues []float64
	)
	require.NoError(t, conn.QueryRow(ctx, `SELECT h.count, h.sum, h.min, h.max, h.explicit_bounds, h.bucket_counts,
			h.tableoid::regclass::text, s.unit, s.temporality
		FROM otel.metric_histogram_points h JOIN otel.metric_series s USING (series_id)`).
		Scan(&count, &sum, &minV, &maxV, &bounds, &buckets, &partition, &unit, &tempo))
	assert.Equal(t, int64(6), count)
	assert.Equal(t, 123.5, *sum)
	assert.Equal(t, 0.5, *minV)
	assert.Equal(t, 99.0, *maxV)
	assert.Equal(t, []float64{1, 10, 100}, bounds)
	assert.Equal(t, []int64{1, 2, 3, 0}, buckets)
	assert.Equal(t, "otel.metric_histogram_points_p"+itTime.Format("20060102"), partition, "rows land in the day's partition")
	assert.Equal(t, "ms", unit)
	assert.Equal(t, "delta", tempo)

	require.NoError(t, conn.QueryRow(ctx, `SELECT count, sum, scale, zero_count, zero_threshold, positive_offset,
			positive_bucket_counts, negative_offset, negative_bucket_counts FROM otel.metric_exp_histogram_points`).
		Scan(&count, &sum, &scale, &zeroCount, &zeroThreshold, &posOff, &posBuckets, &negOff, &negBuckets))
	assert.Equal(t, int64(7), count)
	assert.Nil(t, sum, "no sum sent: NULL")
	assert.Equal(t, int32(3), scale)
	assert.Equal(t, int64(1), zeroCount)
	assert.Equal(t, 1e-9, zeroThreshold)
	assert.Equal(t, int32(-2), posOff)
	assert.Equal(t, []int64{1, 2, 3}, posBuckets)
	assert.Equal(t, int32(5), negOff)
	assert.Equal(t, []int64{0}, negBuckets)

	var ssum float64
	require.NoError(t, conn.QueryRow(ctx, `SELECT count, sum, quantiles, quantile_values FROM otel.metric_summary_points`).
		Scan(&count, &ssum, &quantiles, &quantileValues))
	assert.Equal(t, int64(10), count)
	assert.Equal(t, 55.0, ssum)
	assert.Equal(t, []float64{0.5, 0.99}, quantiles)
	assert.Equal(t, []float64{5, 9.9}, quantileValues)

	var resAttrs map[string]any
	var scopeName, scopeVersion string
	require.NoError(t, conn.QueryRow(ctx, `SELECT r.attributes, sc.name, sc.version FROM otel.metric_series s
		JOIN otel.resources r USING (resource_id) JOIN otel.scopes sc USING (scope_id) LIMIT 1`).Scan(&resAttrs, &scopeName, &scopeVersion))
	assert.Equal(t, map[string]any{"service.name": "checkout", "host.name": "web-1"}, resAttrs)
	assert.Equal(t, "legacyapp", scopeName)
	assert.Equal(t, "1.2.3", scopeVersion)
}

func TestRoundTripTraces(t *testing.T) {
	dsn := cluster.NewDatabase(t)
	e := startExporter(t, itConfig(dsn))
	require.NoError(t, e.pushTraces(t.Context(), itTraces()))
	conn := pgtest.Connect(t, dsn)

	type spanOut struct {
		TraceID, SpanID   string
		ParentSpanID      *string
		Operation, Svc    string
		StartTime, Dur    float64
		Tags, ServiceTags []map[string]any
		Logs, References  []map[string]any
		Kind              string
		StatusCode        int32
		StatusMessage     string
		Library           *string
	}
	rows, err := conn.Query(t.Context(), `SELECT "traceID", "spanID", "parentSpanID", "operationName", "serviceName",
			"startTime", "duration", "tags", "serviceTags", "logs", "references", "kind", "statusCode", "statusMessage",
			"instrumentationLibraryName"
		FROM otel.v_trace_spans WHERE "traceID" = $1 ORDER BY "startTime"`, "5b8aa5a2d2c872e8321cf37308d69df2")
	require.NoError(t, err)
	got, err := pgx.CollectRows(rows, pgx.RowToStructByPos[spanOut])
	require.NoError(t, err)
	require.Len(t, got, 2)

	root, child := got[0], got[1]
	startMS := float64(itTime.UnixMicro()) / 1000
	assert.Equal(t, "0102030405060708", root.SpanID)
	assert.Nil(t, root.ParentSpanID, "roots have no parent for Grafana")
	assert.Equal(t, "build", root.Operation)
	assert.Equal(t, "ci", root.Svc)
	assert.InDelta(t, startMS, root.StartTime, 0.001)
	assert.InDelta(t, 1500.0, root.Dur, 1e-9)
	assert.Equal(t, []map[string]any{{"key": "cicd.pipeline.name", "value": "build"}}, root.Tags)
	assert.Equal(t, []map[string]any{{"key": "service.name", "value": "ci"}}, root.ServiceTags)
	assert.Equal(t, "server", root.Kind)
	assert.Equal(t, int32(2), root.StatusCode)
	assert.Equal(t, "failed", root.StatusMessage)
	require.NotNil(t, root.Library)
	assert.Equal(t, "githubworkflow", *root.Library)
	assert.Empty(t, root.Logs)
	assert.Empty(t, root.References)

	require.NotNil(t, child.ParentSpanID)
	assert.Equal(t, "0102030405060708", *child.ParentSpanID)
	assert.InDelta(t, 1.0, child.Dur, 1e-9)
	require.Len(t, child.Logs, 2)
	assert.Equal(t, "exception", child.Logs[0]["name"])
	assert.InDelta(t, startMS+1.5, child.Logs[0]["timestamp"], 0.001)
	assert.Equal(t, []any{map[string]any{"key": "exception.message", "value": "boom"}}, child.Logs[0]["fields"])
	assert.Equal(t, "retry", child.Logs[1]["name"])
	require.Len(t, child.References, 1)
	assert.Equal(t, "00000000000000000000000000000001", child.References[0]["traceID"])
	assert.Equal(t, "0000000000000002", child.References[0]["spanID"])
	assert.Equal(t, []any{map[string]any{"key": "attempt", "value": float64(1)}}, child.References[0]["tags"])

	// The raw table keeps nanosecond durations and valid jsonb events and links.
	var duration int64
	var events, links []map[string]any
	require.NoError(t, conn.QueryRow(t.Context(), `SELECT duration, events, links FROM otel.spans WHERE span_id = $1`,
		"0807060504030201").Scan(&duration, &events, &links))
	assert.Equal(t, int64(time.Millisecond), duration)
	assert.Len(t, events, 2)
	assert.Len(t, links, 1)
}

func TestRoundTripLogs(t *testing.T) {
	dsn := cluster.NewDatabase(t)
	e := startExporter(t, itConfig(dsn))
	require.NoError(t, e.pushLogs(t.Context(), itLogs()))
	conn := pgtest.Connect(t, dsn)

	type logOut struct {
		Time         time.Time
		Observed     *time.Time
		TraceID      string
		SpanID       string
		Severity     int32
		SeverityText string
		Service      string
		Body         any
		Attributes   map[string]any
	}
	rows, err := conn.Query(t.Context(), `SELECT time, observed_time, trace_id, span_id, severity_number, severity_text,
		service_name, body, attributes FROM otel.logs ORDER BY time`)
	require.NoError(t, err)
	got, err := pgx.CollectRows(rows, pgx.RowToStructByPos[logOut])
	require.NoError(t, err)
	require.Len(t, got, 2)
	assert.True(t, itTime.Equal(got[0].Time))
	require.NotNil(t, got[0].Observed)
	assert.True(t, itTime.Add(time.Second).Equal(*got[0].Observed))
	assert.Equal(t, "5b8aa5a2d2c872e8321cf37308d69df2", got[0].TraceID)
	assert.Equal(t, "0102030405060708", got[0].SpanID)
	assert.Equal(t, int32(plog.SeverityNumberError), got[0].Severity)
	assert.Equal(t, "ERROR", got[0].SeverityText)
	assert.Equal(t, "legacyapp", got[0].Service)
	assert.Equal(t, "order 42 failed \uFFFD", got[0].Body, "NUL removed, invalid UTF-8 replaced")
	assert.Equal(t, map[string]any{"order": "42"}, got[0].Attributes)

	assert.True(t, itTime.Add(2*time.Second).Equal(got[1].Time), "no timestamp: the observed time")
	assert.Empty(t, got[1].TraceID)
	assert.Equal(t, map[string]any{"n": float64(1)}, got[1].Body)
}

func TestDimensionsDeduplicated(t *testing.T) {
	dsn := cluster.NewDatabase(t)
	cfg := itConfig(dsn)
	tel := componenttest.NewTelemetry()
	t.Cleanup(func() { require.NoError(t, tel.Shutdown(context.Background())) })
	e := startExporter(t, cfg)
	require.NoError(t, e.pushMetrics(t.Context(), itMetrics()))
	require.NoError(t, e.pushMetrics(t.Context(), itMetrics()), "known dimensions are skipped")
	// A second collector (empty cache) writes the same series: ON CONFLICT DO NOTHING.
	other := startExporter(t, cfg)
	require.NoError(t, other.pushMetrics(t.Context(), itMetrics()))

	conn := pgtest.Connect(t, dsn)
	assert.Equal(t, int64(1), countRows(t, conn, "otel", "resources"))
	assert.Equal(t, int64(1), countRows(t, conn, "otel", "scopes"))
	assert.Equal(t, int64(7), countRows(t, conn, "otel", "metric_series"))
	assert.Equal(t, int64(4), countRows(t, conn, "otel", "metric_points"), "the same points, stored once")
}

func TestConcurrentWritersSameSeries(t *testing.T) {
	dsn := cluster.NewDatabase(t)
	cfg := itConfig(dsn)
	const writers = 4
	exps := make([]*pgExporter, writers)
	for i := range exps {
		exps[i] = startExporter(t, cfg)
	}
	var wg sync.WaitGroup
	errs := make([]error, writers)
	for i, e := range exps {
		wg.Go(func() { errs[i] = e.pushMetrics(t.Context(), itMetrics()) })
	}
	wg.Wait()
	for _, err := range errs {
		require.NoError(t, err)
	}
	conn := pgtest.Connect(t, dsn)
	assert.Equal(t, int64(7), countRows(t, conn, "otel", "metric_series"))
	assert.Equal(t, int64(4), countRows(t, conn, "otel", "metric_points"), "the same points, stored once")
}

func TestQuotedSchema(t *testing.T) {
	dsn := cluster.NewDatabase(t)
	cfg := itConfig(dsn)
	cfg.Schema = "Telemetry_2"
	e := startExporter(t, cfg)
	require.NoError(t, e.pushTraces(t.Context(), itTraces()))
	conn := pgtest.Connect(t, dsn)
	assert.Equal(t, int64(2), countRows(t, conn, "Telemetry_2", "spans"))
	var n int64
	require.NoError(t, conn.QueryRow(t.Context(), `SELECT count(*) FROM "Telemetry_2".v_trace_spans`).Scan(&n))
	assert.Equal(t, int64(2), n)
}

func TestSchemaDroppedIsRecreated(t *testing.T) {
	dsn := cluster.NewDatabase(t)
	e := startExporter(t, itConfig(dsn))
	require.NoError(t, e.pushLogs(t.Context(), itLogs()))
	conn := pgtest.Connect(t, dsn)
	_, err := conn.Exec(t.Context(), "DROP SCHEMA otel CASCADE")
	require.NoError(t, err)

	err = e.pushLogs(t.Context(), itLogs())
	require.Error(t, err)
	assert.False(t, isPermanent(err), "a missing schema is retried, not dropped")
	require.NoError(t, e.pushLogs(t.Context(), itLogs()), "the retry migrates again")
	assert.Equal(t, int64(2), countRows(t, conn, "otel", "logs"))
	assert.Equal(t, int64(1), countRows(t, conn, "otel", "resources"), "the dimension cache was reset")
}

func TestCreateSchemaFalse(t *testing.T) {
	dsn := cluster.NewDatabase(t)
	cfg := itConfig(dsn)
	cfg.CreateSchema = false
	e := startExporter(t, cfg)
	err := e.pushLogs(t.Context(), itLogs())
	require.ErrorIs(t, err, errSchemaNotMigrated)
	assert.False(t, isPermanent(err))

	cfg2 := itConfig(dsn)
	startExporter(t, cfg2)
	require.NoError(t, startExporter(t, cfg2).ensureReady(t.Context()))
	require.NoError(t, e.pushLogs(t.Context(), itLogs()), "a migrated schema is used as it is")
}

func TestMigrationsTwiceAndConcurrently(t *testing.T) {
	dsn := cluster.NewDatabase(t)
	migrations, err := loadMigrations(migrationFS)
	require.NoError(t, err)
	require.NotEmpty(t, migrations)

	const n = 6
	pools := make([]*pgxpool.Pool, n)
	for i := range pools {
		pools[i], err = pgxpool.New(t.Context(), dsn)
		require.NoError(t, err)
		t.Cleanup(pools[i].Close)
	}
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i, p := range pools {
		wg.Go(func() {
			errs[i] = migrate(t.Context(), p, "otel", migrations)
			if errs[i] == nil {
				_, errs[i] = maintainPartitions(t.Context(), p, "otel", time.Now(), 0)
			}
		})
	}
	wg.Wait()
	for _, err := range errs {
		require.NoError(t, err)
	}
	// And once more, sequentially: nothing to do.
	require.NoError(t, migrate(t.Context(), pools[0], "otel", migrations))
	res, err := maintainPartitions(t.Context(), pools[0], "otel", time.Now(), 0)
	require.NoError(t, err)
	assert.Zero(t, res.Created)
	require.NoError(t, checkMigrated(t.Context(), pools[0], "otel", migrations))

	conn := pgtest.Connect(t, dsn)
	rows, err := conn.Query(t.Context(), "SELECT version FROM otel.schema_migrations ORDER BY version")
	require.NoError(t, err)
	versions, err := pgx.CollectRows(rows, pgx.RowTo[int32])
	require.NoError(t, err)
	require.Len(t, versions, len(migrations))
	for i, m := range migrations {
		assert.Equal(t, m.version, versions[i])
	}
	var partitions int
	require.NoError(t, conn.QueryRow(t.Context(), `SELECT count(*) FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
		WHERE c.relnamespace = 'otel'::regnamespace AND c.relkind = 'r'`).Scan(&partitions))
	assert.Equal(t, len(hotTables)*(2+partitionsBehind+partitionsAhead), partitions, "a DEFAULT and a partition per day, per hot table")
}

func TestLoadMigrationsRejectsBadNames(t *testing.T) {
	// The embedded set is valid; the loader's own checks are exercised on the real files' names.
	ms, err := loadMigrations(migrationFS)
	require.NoError(t, err)
	for i := 1; i < len(ms); i++ {
		assert.Greater(t, ms[i].version, ms[i-1].version)
		assert.NotEmpty(t, strings.TrimSpace(ms[i].sql))
	}
}

func TestJSONColumnsAreValidJSONB(t *testing.T) {
	dsn := cluster.NewDatabase(t)
	e := startExporter(t, itConfig(dsn))
	td := itTraces()
	sp := td.ResourceSpans().At(0).ScopeSpans().At(0).Spans().At(0)
	sp.Attributes().PutDouble("nan", math.NaN())
	sp.Attributes().PutDouble("inf", math.Inf(-1))
	sp.Attributes().PutStr("nul\x00key", "v\x00al\xc3")
	sp.Attributes().PutEmptyBytes("bytes").FromRaw([]byte{0, 1, 2})
	sp.Attributes().PutEmptySlice("list").AppendEmpty().SetEmptyMap().PutBool("b", true)
	require.NoError(t, e.pushTraces(t.Context(), td))

	conn := pgtest.Connect(t, dsn)
	var raw []byte
	require.NoError(t, conn.QueryRow(t.Context(), `SELECT attributes FROM otel.spans WHERE span_id = '0102030405060708'`).Scan(&raw))
	var attrs map[string]any
	require.NoError(t, json.Unmarshal(raw, &attrs))
	assert.Equal(t, "NaN", attrs["nan"])
	assert.Equal(t, "-Infinity", attrs["inf"])
	assert.Equal(t, "val\uFFFD", attrs["nulkey"])
	assert.Equal(t, "AAEC", attrs["bytes"])
	assert.Equal(t, []any{map[string]any{"b": true}}, attrs["list"])
}
