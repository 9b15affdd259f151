package e2e

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/plog/plogotlp"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/pdata/pmetric/pmetricotlp"

	"github.com/otelcol-diagnostics/otelcol-diagnostics/internal/e2etest"
	"github.com/otelcol-diagnostics/otelcol-diagnostics/internal/pgtest"
)

// crashMetrics builds request r of a load: perRequest gauge points of 10 series and one
// histogram point. Points of one series are 1 µs apart or more (the database keeps microseconds),
// so every point has its own key (series, time, start time).
func crashMetrics(r, perRequest int, now time.Time) []byte {
	md := pmetric.NewMetrics()
	rm := md.ResourceMetrics().AppendEmpty()
	rm.Resource().Attributes().PutStr("service.name", "crashload")
	ms := rm.ScopeMetrics().AppendEmpty().Metrics()
	g := ms.AppendEmpty()
	g.SetName("crash.gauge")
	gauge := g.SetEmptyGauge()
	for i := range perRequest {
		n := r*perRequest + i
		dp := gauge.DataPoints().AppendEmpty()
		dp.Attributes().PutStr("series", strconv.Itoa(n%10))
		dp.SetTimestamp(pcommon.NewTimestampFromTime(now.Add(time.Duration(n) * time.Microsecond)))
		dp.SetIntValue(int64(n))
	}
	h := ms.AppendEmpty()
	h.SetName("crash.histogram")
	hist := h.SetEmptyHistogram()
	hist.SetAggregationTemporality(pmetric.AggregationTemporalityCumulative)
	hp := hist.DataPoints().AppendEmpty()
	hp.SetStartTimestamp(pcommon.NewTimestampFromTime(now.Add(-time.Hour)))
	hp.SetTimestamp(pcommon.NewTimestampFromTime(now.Add(time.Duration(r) * time.Microsecond)))
	hp.SetCount(uint64(r))
	hp.ExplicitBounds().FromRaw([]float64{1})
	hp.BucketCounts().FromRaw([]uint64{uint64(r), 0})
	b, err := pmetricotlp.NewExportRequestFromMetrics(md).MarshalProto()
	if err != nil {
		panic(err) // a freshly built request always marshals
	}
	return b
}

// crashLogs builds request r of a load: perRequest log records, each with its own body.
func crashLogs(r, perRequest int, now time.Time) []byte {
	ld := plog.NewLogs()
	rl := ld.ResourceLogs().AppendEmpty()
	rl.Resource().Attributes().PutStr("service.name", "crashload")
	lrs := rl.ScopeLogs().AppendEmpty().LogRecords()
	for i := range perRequest {
		lr := lrs.AppendEmpty()
		lr.SetTimestamp(pcommon.NewTimestampFromTime(now))
		lr.SetSeverityNumber(plog.SeverityNumberInfo)
		lr.Body().SetStr("record " + strconv.Itoa(r*perRequest+i))
	}
	b, err := plogotlp.NewExportRequestFromLogs(ld).MarshalProto()
	if err != nil {
		panic(err) // a freshly built request always marshals
	}
	return b
}

// TestPostgresExporterExactlyOnceAcrossKills sends spans, metric points and logs with a client
// that retries until each request is accepted, to a collector whose sending queue is kept by
// file_storage. While the exporter drains the queue, the collector is killed with SIGKILL five
// times at random moments and restarted on the same storage; then the queue drains. Every item
// of every accepted request is in the database exactly once: the batches committed but not yet
// marked done at each kill, dispatched again (re-batched) after the restart, and the requests
// the client sent again for want of an answer, add nothing twice.
func TestPostgresExporterExactlyOnceAcrossKills(t *testing.T) {
	dsn := sharedDatabase(t)
	storage := t.TempDir()
	otlp, health := e2etest.FreeAddr(t), e2etest.FreeAddr(t)
	config := fmt.Sprintf(`
extensions:
  health_check:
    endpoint: %s
  file_storage:
    directory: %s
receivers:
  otlp:
    protocols:
      http:
        endpoint: %s
exporters:
  postgres:
    dsn: ${env:POSTGRES_DSN}
    schema: crash
    sending_queue:
      storage: file_storage
      # One writer per pipeline and batches of a request or two: the drain lasts long enough,
      # even on a fast machine, for five kills to land in it.
      num_consumers: 1
      batch:
        min_size: 1000
        max_size: 2000
    retry_on_failure:
      initial_interval: 100ms
      max_interval: 500ms
      max_elapsed_time: 0
service:
  extensions: [health_check, file_storage]
%s`, health, storage, otlp, allSignalsService)
	start := func() *e2etest.Collector {
		c := e2etest.Start(t, config, "POSTGRES_DSN="+dsn)
		c.WaitHTTP("http://"+health+"/", 30*time.Second)
		return c
	}

	const (
		requests   = 150
		perRequest = 1000
	)
	now := time.Now().UTC().Truncate(time.Second)
	load := map[string][][]byte{"traces": nil, "metrics": nil, "logs": nil}
	for r := range requests {
		load["traces"] = append(load["traces"], throughputTraces(r, perRequest/2, now)) // 2 spans a trace
		load["metrics"] = append(load["metrics"], crashMetrics(r, perRequest, now))
		load["logs"] = append(load["logs"], crashLogs(r, perRequest, now))
	}
	want := map[string]int64{
		"spans": requests * perRequest, "metric_points": requests * perRequest,
		"metric_histogram_points": requests, "logs": requests * perRequest,
	}

	conn := pgtest.Connect(t, dsn)
	rows := rowCounter(t, conn, "crash")
	count := func(table string) int64 { return max(rows(table), 0) } // 0 until migrated
	stored := func() (total int64, done bool) {
		done = true
		for table, n := range want {
			c := count(table)
			total += c
			done = done && c >= n
		}
		return total, done
	}

	collector := start()
	ctx, cancel := context.WithTimeout(t.Context(), 90*time.Second)
	defer cancel()
	var clients sync.WaitGroup
	accepted := map[string]int64{}
	var mu sync.Mutex
	for signal, reqs := range load {
		clients.Go(func() {
			n, err := sendAll(ctx, "http://"+otlp+"/v1/"+signal, reqs, 2)
			assert.NoError(t, err, signal)
			mu.Lock()
			accepted[signal] = n
			mu.Unlock()
		})
	}

	for kill := range 5 {
		// Kill while the exporter is writing: once rows arrived since this collector started.
		before, _ := stored()
		e2etest.Eventually(t, 30*time.Second, func() bool { n, _ := stored(); return n > before },
			"no rows written after start %d:\n%s", kill, collector.Output())
		time.Sleep(time.Duration(rand.IntN(300)) * time.Millisecond) //nolint:gosec // a random moment, not a secret
		collector.Kill()
		at, done := stored()
		require.False(t, done, "kill %d came after the drain (%d rows stored): the load is too small for this machine", kill+1, at)
		t.Logf("kill %d with %d rows stored", kill+1, at)
		collector = start()
	}

	clients.Wait()
	for signal, n := range accepted {
		require.Equal(t, int64(requests), n, "%s: every request accepted in the end", signal)
	}
	e2etest.Eventually(t, 60*time.Second, func() bool { _, done := stored(); return done },
		"the queue did not drain:\n%s", collector.Output())
	require.NoError(t, collector.Stop(30*time.Second))

	// Each check: rows, rows by the item's own identity (what the client sent), rows by the key.
	for table, q := range map[string]string{
		"spans":                   "count(DISTINCT (trace_id, span_id)), count(DISTINCT (trace_id, span_id, start_time))",
		"metric_points":           "count(DISTINCT int_value), count(DISTINCT (series_id, time, start_time))",
		"metric_histogram_points": "count(DISTINCT count), count(DISTINCT (series_id, time, start_time))",
		"logs":                    "count(DISTINCT body), count(DISTINCT (time, record_hash))",
	} {
		var rows, items, keys int64
		require.NoError(t, conn.QueryRow(t.Context(), "SELECT count(*), "+q+" FROM "+
			pgx.Identifier{"crash", table}.Sanitize()).Scan(&rows, &items, &keys))
		assert.Equal(t, want[table], rows, "%s: every accepted item, once", table)
		assert.Equal(t, want[table], items, "%s: distinct items", table)
		assert.Equal(t, want[table], keys, "%s: distinct keys", table)
	}
}
