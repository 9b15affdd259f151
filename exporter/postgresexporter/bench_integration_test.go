//go:build unix

package postgresexporter

import (
	"context"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
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
	"github.com/otelcol-diagnostics/otelcol-diagnostics/internal/pgtest"
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
			benchIntegration(b, cfg, "spans", tableSpans, func(e *pgExporter, shift func() int64) (int, func(context.Context) error) {
				td := integrationTraces()
				spans := td.ResourceSpans()
				return td.SpanCount(), func(ctx context.Context) error {
					d := pcommon.Timestamp(shift()) //nolint:gosec // a small positive shift
					for _, rs := range spans.All() {
						for _, ss := range rs.ScopeSpans().All() {
							for _, s := range ss.Spans().All() {
								s.SetStartTimestamp(s.StartTimestamp() + d)
							}
						}
					}
					return e.pushTraces(ctx, td)
				}
			})
		})
	}
}

func BenchmarkIntegrationMetrics(b *testing.B) {
	benchIntegration(b, itConfig(cluster.NewDatabase(b)), "points", tablePoints, func(e *pgExporter, shift func() int64) (int, func(context.Context) error) {
		md := integrationMetrics()
		rms := md.ResourceMetrics()
		return md.DataPointCount(), func(ctx context.Context) error {
			d := pcommon.Timestamp(shift()) //nolint:gosec // a small positive shift
			for _, rm := range rms.All() {
				for _, sm := range rm.ScopeMetrics().All() {
					for _, metric := range sm.Metrics().All() {
						for _, dp := range metric.Sum().DataPoints().All() {
							dp.SetTimestamp(dp.Timestamp() + d)
						}
					}
				}
			}
			return e.pushMetrics(ctx, md)
		}
	})
}

// benchIntegration times writes of new rows: push returns a request's row count and a write
// that first moves the request's times by shift() (1 µs more than the last write's, across every
// goroutine), so that every write stores new rows, as a live stream does.
func benchIntegration(b *testing.B, cfg *Config, unit, table string, push func(e *pgExporter, shift func() int64) (int, func(context.Context) error)) {
	dsn := string(cfg.DSN)
	e, err := newExporter(exportertest.NewNopSettings(metadata.Type), cfg)
	require.NoError(b, err)
	require.NoError(b, e.start(b.Context(), componenttest.NewNopHost()))
	b.Cleanup(func() { require.NoError(b, e.shutdown(context.Background())) })
	var writes atomic.Int64
	// Each writer has its own request; its shift is the difference to its last one, so its times
	// move to 1 µs × the writes so far.
	newShift := func() func() int64 {
		last := int64(0)
		return func() int64 {
			n := writes.Add(1) * int64(time.Microsecond)
			d := n - last
			last = n
			return d
		}
	}
	rows, write := push(e, newShift())
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

	// A request stored already, written again (a queue's re-dispatch after a crash): every row
	// meets its key and is skipped.
	b.Run("exporter_resend", func(b *testing.B) {
		_, again := push(e, func() int64 { return 0 })
		require.NoError(b, again(b.Context()))
		for b.Loop() {
			if err := again(b.Context()); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(b.N*rows)/b.Elapsed().Seconds(), unit+"/s")
	})

	// As exporterhelper runs it: several queue consumers, each with its own connection.
	b.Run("exporter_parallel", func(b *testing.B) {
		b.RunParallel(func(pb *testing.PB) {
			_, write := push(e, newShift())
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
	// into a plain table with the same columns and indexes, the unique key included.
	conn := pgtest.Connect(b, dsn)
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
			// The same rows again would meet the unique key: empty the table, untimed. Its indexes
			// stay small, so this ceiling is if anything higher than the exporter's growing table.
			b.StopTimer()
			mustExec(b, conn, "TRUNCATE raw_copy")
			b.StartTimer()
		}
		b.ReportMetric(float64(b.N*rows)/b.Elapsed().Seconds(), unit+"/s")
	})
}

func mustExec(b *testing.B, conn *pgx.Conn, sql string) {
	b.Helper()
	_, err := conn.Exec(b.Context(), sql)
	require.NoError(b, err)
}
