package postgresexporter

import (
	"context"
	"fmt"
	"io"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/otelcol-diagnostics/otelcol-diagnostics/internal/pgtest"
)

// identityTables are the fact tables with their key, as the unique indexes of 0008 hold them.
var identityTables = []struct{ table, key string }{
	{tablePoints, "series_id, time, start_time"},
	{tableHistograms, "series_id, time, start_time"},
	{tableExpHistograms, "series_id, time, start_time"},
	{tableSummaries, "series_id, time, start_time"},
	{tableSpans, "trace_id, span_id, start_time"},
	{tableLogs, "time, record_hash"},
}

// assertEachKeyOnce checks that every fact table holds want[table] rows, each key once.
func assertEachKeyOnce(t *testing.T, conn *pgx.Conn, schema string, want map[string]int64) {
	t.Helper()
	for _, it := range identityTables {
		var rows, keys int64
		// DISTINCT over a row value: NULL start times compare equal, as NULLS NOT DISTINCT does.
		require.NoError(t, conn.QueryRow(t.Context(), "SELECT count(*), count(DISTINCT ("+it.key+")) FROM "+
			pgx.Identifier{schema, it.table}.Sanitize()).Scan(&rows, &keys))
		assert.Equal(t, want[it.table], rows, it.table)
		assert.Equal(t, rows, keys, "%s: each key once", it.table)
	}
}

// itRowCounts is what one push of itMetrics, itTraces and itLogs stores.
var itRowCounts = map[string]int64{
	tablePoints: 4, tableHistograms: 1, tableExpHistograms: 1, tableSummaries: 1, tableSpans: 2, tableLogs: 2,
}

// fixedTraces is numberedTraces with a start time that does not move between calls: the same
// spans each time.
func fixedTraces(first, n uint64, name string) ptrace.Traces {
	td := numberedTraces(first, n, name)
	spans := td.ResourceSpans().At(0).ScopeSpans().At(0).Spans()
	for i := range spans.Len() {
		spans.At(i).SetStartTimestamp(pts(itTime))
		spans.At(i).SetEndTimestamp(pts(itTime.Add(time.Millisecond)))
	}
	return td
}

func pushAll(t *testing.T, e *pgExporter) {
	t.Helper()
	require.NoError(t, e.pushMetrics(t.Context(), itMetrics()))
	require.NoError(t, e.pushTraces(t.Context(), itTraces()))
	require.NoError(t, e.pushLogs(t.Context(), itLogs()))
}

// TestWritesIdempotentByIdentity writes the same rows again in other requests: the same request,
// and requests re-batched around new rows, as a queue re-dispatches after a crash.
func TestWritesIdempotentByIdentity(t *testing.T) {
	dsn := cluster.NewDatabase(t)
	e := startExporter(t, itConfig(dsn))
	conn := pgtest.Connect(t, dsn)
	pushAll(t, e)
	pushAll(t, e)
	assertEachKeyOnce(t, conn, "otel", itRowCounts)

	// Re-batched: half stored, half new, in one request; then the stored half alone.
	require.NoError(t, e.pushTraces(t.Context(), fixedTraces(0, 100, "a")))
	require.NoError(t, e.pushTraces(t.Context(), fixedTraces(50, 100, "a")))
	require.NoError(t, e.pushTraces(t.Context(), fixedTraces(0, 150, "a")))
	require.NoError(t, e.pushMetrics(t.Context(), numberedGauge(0, 100)))
	require.NoError(t, e.pushMetrics(t.Context(), numberedGauge(50, 100)))
	require.NoError(t, e.pushLogs(t.Context(), numberedLogs(0, 100)))
	require.NoError(t, e.pushLogs(t.Context(), numberedLogs(50, 100)))
	// A request holding the same row twice stores it once.
	twice := numberedLogs(1000, 10)
	numberedLogs(1000, 10).ResourceLogs().MoveAndAppendTo(twice.ResourceLogs())
	require.NoError(t, e.pushLogs(t.Context(), twice))

	want := map[string]int64{}
	for k, v := range itRowCounts {
		want[k] = v
	}
	want[tableSpans] += 150
	want[tablePoints] += 150
	want[tableLogs] += 150 + 10
	assertEachKeyOnce(t, conn, "otel", want)
}

// TestLogRecordsDifferingOnlyInContentAreKept checks that the log key is the whole record: two
// records at the same time that differ in one field are two rows.
func TestLogRecordsDifferingOnlyInContentAreKept(t *testing.T) {
	dsn := cluster.NewDatabase(t)
	e := startExporter(t, itConfig(dsn))
	ld := numberedLogs(0, 1)
	lr := ld.ResourceLogs().At(0).ScopeLogs().At(0).LogRecords()
	for _, change := range []func(){
		func() { lr.AppendEmpty() }, // empty record, same time
		func() { lr.At(0).CopyTo(lr.AppendEmpty()); lr.At(2).SetSeverityText("WARN") },
		func() { lr.At(0).CopyTo(lr.AppendEmpty()); lr.At(3).Attributes().PutStr("x", "y") },
		func() { lr.At(0).CopyTo(lr.AppendEmpty()); lr.At(4).SetObservedTimestamp(1) },
	} {
		change()
	}
	require.NoError(t, e.pushLogs(t.Context(), ld))
	require.NoError(t, e.pushLogs(t.Context(), ld))
	assert.Equal(t, int64(5), countRows(t, pgtest.Connect(t, dsn), "otel", tableLogs))
}

// TestCommitInDoubt loses the answer of a COMMIT, once after the server applied it and once after
// it did not, and checks that exporterhelper's retry of the same request writes it exactly once.
func TestCommitInDoubt(t *testing.T) {
	lostAnswer := fmt.Errorf("read commit answer: %w", io.ErrUnexpectedEOF)
	tests := []struct {
		name   string
		commit func(context.Context, pgx.Tx) error
	}{
		{name: "committed", commit: func(ctx context.Context, tx pgx.Tx) error {
			if err := tx.Commit(ctx); err != nil {
				return err
			}
			return lostAnswer
		}},
		{name: "rolled back", commit: func(ctx context.Context, tx pgx.Tx) error {
			if err := tx.Rollback(ctx); err != nil {
				return err
			}
			return lostAnswer
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dsn := cluster.NewDatabase(t)
			e := startExporter(t, itConfig(dsn))
			real := e.commit
			e.commit = tt.commit
			err := e.pushTraces(t.Context(), itTraces())
			require.ErrorIs(t, err, io.ErrUnexpectedEOF)
			assert.False(t, isPermanent(err), "retried")

			e.commit = real
			require.NoError(t, e.pushTraces(t.Context(), itTraces()), "the retry")
			conn := pgtest.Connect(t, dsn)
			assert.Equal(t, int64(2), countRows(t, conn, "otel", "spans"), "exactly once")
		})
	}
}

// TestTransactionPoolerIdempotentWrites writes every request twice, from concurrent writers,
// through a transaction-mode pgbouncer: the staging tables of the second writes are the
// transaction's own, so a server connection handed on holds none of them.
func TestTransactionPoolerIdempotentWrites(t *testing.T) {
	_, direct, pooled := startPgbouncer(t)
	e := startExporter(t, itConfig(pooled))
	var wg sync.WaitGroup
	for w := range uint64(4) {
		wg.Go(func() {
			for i := range uint64(10) {
				first := (w*10 + i) % 20 * 10 // two writers write each request
				assert.NoError(t, e.pushTraces(t.Context(), fixedTraces(first, 10, "pooled")))
				assert.NoError(t, e.pushMetrics(t.Context(), numberedGauge(first, 10)))
				assert.NoError(t, e.pushLogs(t.Context(), numberedLogs(first, 10)))
				assert.NoError(t, e.pushLogs(t.Context(), numberedLogs(first, 10)))
			}
		})
	}
	wg.Wait()
	assertEachKeyOnce(t, pgtest.Connect(t, direct), "otel", map[string]int64{tableSpans: 200, tablePoints: 200, tableLogs: 200})
}
