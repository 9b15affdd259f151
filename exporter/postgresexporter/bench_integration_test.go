//go:build unix

package postgresexporter

import (
	"context"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/exporter/exportertest"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/otelcol-diagnostics/otelcol-diagnostics/exporter/postgresexporter/internal/metadata"
)

// The integration benchmarks write pushes of 8000 rows (the size the default batching forms)
// through the exporter into the test cluster, conversion included: one goroutine and one
// connection ("exporter"), and GOMAXPROCS goroutines with a connection each
// ("exporter_parallel", as the queue's consumers do), and in the same run measure a raw server-side COPY of the very same rows, from a file
// the server reads itself, into a plain table with the same columns and indexes. The ratio of the
// two is the exporter's efficiency; the raw COPY is the ceiling of this server on this machine.
//
//	go test -run '^$' -bench Integration -benchtime 20x ./exporter/postgresexporter/

const benchPushes = 8 // × 1000 rows of the conversion benchmarks' shapes

func benchNow(i int) pcommon.Timestamp {
	return pcommon.NewTimestampFromTime(time.Now().Add(-time.Hour + time.Duration(i)*time.Millisecond))
}

// integrationTraces: 8000 OTLP-like spans (8 attributes, an event on every tenth span), today.
func integrationTraces() ptrace.Traces {
	td := ptrace.NewTraces()
	for range benchPushes {
		benchTraces().ResourceSpans().MoveAndAppendTo(td.ResourceSpans())
	}
	i := 0
	for _, rs := range td.ResourceSpans().All() {
		for _, ss := range rs.ScopeSpans().All() {
			for _, s := range ss.Spans().All() {
				s.SetStartTimestamp(benchNow(i))
				s.SetEndTimestamp(benchNow(i) + 1_234_567)
				i++
			}
		}
	}
	return td
}

// integrationMetrics: 8000 int sum points of 1000 series (8 timestamps each), today.
func integrationMetrics() pmetric.Metrics {
	md := pmetric.NewMetrics()
	for p := range benchPushes {
		m := benchMetrics()
		for _, rm := range m.ResourceMetrics().All() {
			for _, sm := range rm.ScopeMetrics().All() {
				for _, metric := range sm.Metrics().All() {
					for _, dp := range metric.Sum().DataPoints().All() {
						dp.SetTimestamp(benchNow(p))
					}
				}
			}
		}
		m.ResourceMetrics().MoveAndAppendTo(md.ResourceMetrics())
	}
	return md
}

// BenchmarkIntegrationTraces measures spans with and without the attribute index: the figures
// behind attribute_index's default.
func BenchmarkIntegrationTraces(b *testing.B) {
	for _, index := range []bool{true, false} {
		b.Run("attribute_index="+strconv.FormatBool(index), func(b *testing.B) {
			cfg := itConfig(cluster.NewDatabase(b))
			cfg.AttributeIndex = index
			benchIntegration(b, cfg, "spans", tableSpans, func(e *pgExporter) (int, func(context.Context) error) {
				td := integrationTraces()
				return td.SpanCount(), func(ctx context.Context) error { return e.pushTraces(ctx, td) }
			})
		})
	}
}

func BenchmarkIntegrationMetrics(b *testing.B) {
	benchIntegration(b, itConfig(cluster.NewDatabase(b)), "points", tablePoints, func(e *pgExporter) (int, func(context.Context) error) {
		md := integrationMetrics()
		return md.DataPointCount(), func(ctx context.Context) error { return e.pushMetrics(ctx, md) }
	})
}

func benchIntegration(b *testing.B, cfg *Config, unit, table string, push func(*pgExporter) (int, func(context.Context) error)) {
	dsn := string(cfg.DSN)
	e, err := newExporter(exportertest.NewNopSettings(metadata.Type), cfg)
	require.NoError(b, err)
	require.NoError(b, e.start(b.Context(), componenttest.NewNopHost()))
	b.Cleanup(func() { require.NoError(b, e.shutdown(context.Background())) })
	rows, write := push(e)
	require.NoError(b, write(b.Context())) // migrations, partitions and dimensions out of the way

	b.Run("exporter", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if err := write(b.Context()); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(b.N*rows)/b.Elapsed().Seconds(), unit+"/s")
	})

	// As exporterhelper runs it: several queue consumers, each with its own connection.
	b.Run("exporter_parallel", func(b *testing.B) {
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if err := write(b.Context()); err != nil {
					b.Error(err)
					return
				}
			}
		})
		b.ReportMetric(float64(b.N*rows)/b.Elapsed().Seconds(), unit+"/s")
	})

	// The same rows, dumped by the server to a file in the cluster's directory in COPY's binary
	// format (no text parsing: the fastest way into PostgreSQL), then loaded with a server-side COPY
	// into a plain table with the same columns and indexes.
	conn := connect(b, dsn)
	ctx := b.Context()
	src := pgx.Identifier{"otel", table}.Sanitize()
	mustExec(b, conn, "CREATE TABLE raw_copy (LIKE "+src+" INCLUDING ALL)")
	file := "'" + strings.ReplaceAll(filepath.Join(cluster.Dir(), "bench_raw_copy.dat"), "'", "''") + "'"
	mustExec(b, conn, "COPY (SELECT * FROM "+src+" LIMIT "+strconv.Itoa(rows)+") TO "+file+" WITH (FORMAT binary)")
	b.Run("raw_server_copy", func(b *testing.B) {
		for b.Loop() {
			if _, err := conn.Exec(ctx, "COPY raw_copy FROM "+file+" WITH (FORMAT binary)"); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(b.N*rows)/b.Elapsed().Seconds(), unit+"/s")
	})
}

func mustExec(b *testing.B, conn *pgx.Conn, sql string) {
	b.Helper()
	_, err := conn.Exec(b.Context(), sql)
	require.NoError(b, err)
}
