//go:build unix

package postgresexporter

import (
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgtype"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/pdata/ptrace"
)

// The benchmarks convert one push of a realistic shape and report the rate per
// wall-second of one goroutine (points/s, spans/s, logs/s) and per CPU-second of
// the whole process, garbage collection included (points/cpu-s, …), which stays
// meaningful on a busy machine. The *ToCopy variants
// also drain the COPY sources and encode every value with pgx's binary encoders,
// which is the client-side CPU cost of a write without the network and server.
//
//	go test -run '^$' -bench . -benchtime 2s ./exporter/postgresexporter/

const benchBatch = 1000

func benchResource(r pcommon.Resource) {
	a := r.Attributes()
	a.PutStr("service.name", "checkout")
	a.PutStr("service.version", "1.4.2")
	a.PutStr("host.name", "ci-runner-17")
	a.PutStr("os.type", "linux")
	a.PutInt("process.pid", 4242)
}

// benchMetrics: 10 cumulative int sums × 100 series (3 attributes each).
func benchMetrics() pmetric.Metrics {
	md := pmetric.NewMetrics()
	rm := md.ResourceMetrics().AppendEmpty()
	benchResource(rm.Resource())
	sm := rm.ScopeMetrics().AppendEmpty()
	sm.Scope().SetName("journaldmetrics")
	for m := range 10 {
		metric := sm.Metrics().AppendEmpty()
		metric.SetName("app.requests." + strconv.Itoa(m))
		metric.SetUnit("{request}")
		sum := metric.SetEmptySum()
		sum.SetIsMonotonic(true)
		sum.SetAggregationTemporality(pmetric.AggregationTemporalityCumulative)
		for p := range benchBatch / 10 {
			dp := sum.DataPoints().AppendEmpty()
			dp.SetTimestamp(testTS)
			dp.SetStartTimestamp(testStart)
			dp.SetIntValue(int64(p) * 1000)
			dp.Attributes().PutStr("unit", "app-"+strconv.Itoa(p)+".service")
			dp.Attributes().PutStr("state", "ok")
			dp.Attributes().PutInt("priority", int64(p%8))
		}
	}
	return md
}

// benchHistograms: 100 histograms with 10 bounds (11 buckets) and 2 attributes.
func benchHistograms() pmetric.Metrics {
	md := pmetric.NewMetrics()
	rm := md.ResourceMetrics().AppendEmpty()
	benchResource(rm.Resource())
	metric := rm.ScopeMetrics().AppendEmpty().Metrics().AppendEmpty()
	metric.SetName("http.server.duration")
	h := metric.SetEmptyHistogram()
	h.SetAggregationTemporality(pmetric.AggregationTemporalityCumulative)
	for p := range 100 {
		dp := h.DataPoints().AppendEmpty()
		dp.SetTimestamp(testTS)
		dp.SetCount(1000)
		dp.SetSum(1234.5)
		dp.ExplicitBounds().FromRaw([]float64{5, 10, 25, 50, 75, 100, 250, 500, 750, 1000})
		dp.BucketCounts().FromRaw([]uint64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11})
		dp.Attributes().PutStr("http.route", "/api/"+strconv.Itoa(p))
		dp.Attributes().PutInt("http.status_code", 200)
	}
	return md
}

// benchTraces: 1000 spans, 8 attributes each, one event on every tenth span.
func benchTraces() ptrace.Traces {
	td := ptrace.NewTraces()
	rs := td.ResourceSpans().AppendEmpty()
	benchResource(rs.Resource())
	ss := rs.ScopeSpans().AppendEmpty()
	ss.Scope().SetName("githubworkflow")
	for i := range benchBatch {
		s := ss.Spans().AppendEmpty()
		s.SetTraceID(pcommon.TraceID{0: byte(i), 1: byte(i >> 8), 15: 1})
		s.SetSpanID(pcommon.SpanID{0: byte(i), 7: 2})
		if i%10 != 0 {
			s.SetParentSpanID(pcommon.SpanID{0: byte(i / 10), 7: 2})
		}
		s.SetName("step " + strconv.Itoa(i%20))
		s.SetKind(ptrace.SpanKindInternal)
		s.SetStartTimestamp(testTS)
		s.SetEndTimestamp(testTS + 1_234_567)
		s.Status().SetCode(ptrace.StatusCodeOk)
		a := s.Attributes()
		a.PutStr("cicd.pipeline.name", "build")
		a.PutStr("cicd.pipeline.task.name", "test")
		a.PutInt("cicd.pipeline.run.id", 123456789)
		a.PutStr("vcs.ref.head.name", "main")
		a.PutStr("vcs.ref.head.revision", "3f1c2a9e8b7d6c5b4a39281706f5e4d3c2b1a098")
		a.PutBool("cicd.pipeline.task.run.result.success", true)
		a.PutDouble("queue.seconds", 1.25)
		a.PutStr("runner", "ubuntu-latest")
		if i%10 == 0 {
			e := s.Events().AppendEmpty()
			e.SetName("retry")
			e.SetTimestamp(testTS + 1000)
			e.Attributes().PutInt("attempt", 2)
		}
	}
	return td
}

// benchLogs: 1000 records, ~80-byte string body, 4 attributes.
func benchLogs() plog.Logs {
	ld := plog.NewLogs()
	rl := ld.ResourceLogs().AppendEmpty()
	benchResource(rl.Resource())
	sl := rl.ScopeLogs().AppendEmpty()
	for i := range benchBatch {
		lr := sl.LogRecords().AppendEmpty()
		lr.SetTimestamp(testTS)
		lr.SetObservedTimestamp(testTS + 1000)
		lr.SetSeverityNumber(plog.SeverityNumberInfo)
		lr.SetSeverityText("INFO")
		lr.Body().SetStr("order " + strconv.Itoa(i) + " completed in 42ms for customer 1234 via checkout api")
		lr.Attributes().PutStr("_SYSTEMD_UNIT", "legacyapp.service")
		lr.Attributes().PutStr("SYSLOG_IDENTIFIER", "legacyapp")
		lr.Attributes().PutInt("_PID", 4242)
		lr.Attributes().PutStr("_HOSTNAME", "ci-runner-17")
	}
	return ld
}

// encodeAll drains the COPY sources and binary-encodes every value as pgx CopyFrom does.
func encodeAll(b *testing.B, m *pgtype.Map, buf []byte, tables []copyTable) []byte {
	for _, tb := range tables {
		oids := make([]uint32, len(tb.Columns))
		for i, c := range tb.Columns {
			oids[i] = columnOIDs[c]
		}
		for tb.Source.Next() {
			vals, _ := tb.Source.Values()
			buf = buf[:0]
			for i, v := range vals {
				out, err := m.Encode(oids[i], pgtype.BinaryFormatCode, v, buf)
				if err != nil {
					b.Fatal(err)
				}
				if out != nil { // nil is NULL
					buf = out
				}
			}
		}
	}
	return buf
}

func runConversion(b *testing.B, unit string, n int, convert func() *rowSet, encode bool) {
	b.ReportAllocs()
	m := pgtype.NewMap()
	buf := make([]byte, 0, 64<<10)
	cpu0 := cpuTime(b)
	for b.Loop() {
		rs := convert()
		if encode {
			buf = encodeAll(b, m, buf, append(rs.dimensions(), rs.facts()...))
		}
	}
	cpu := cpuTime(b) - cpu0
	b.ReportMetric(float64(b.N*n)/b.Elapsed().Seconds(), unit)
	b.ReportMetric(float64(b.N*n)/cpu.Seconds(), unit[:len(unit)-2]+"/cpu-s")
}

// cpuTime is the user+system CPU time of the process so far.
func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func BenchmarkMetricsToRows(b *testing.B) {
	md := benchMetrics()
	for _, encode := range []bool{false, true} {
		b.Run(map[bool]string{false: "convert", true: "convert+encode"}[encode], func(b *testing.B) {
			runConversion(b, "points/s", md.DataPointCount(), func() *rowSet { return metricsToRows(md) }, encode)
		})
	}
}

func BenchmarkHistogramsToRows(b *testing.B) {
	md := benchHistograms()
	for _, encode := range []bool{false, true} {
		b.Run(map[bool]string{false: "convert", true: "convert+encode"}[encode], func(b *testing.B) {
			runConversion(b, "points/s", md.DataPointCount(), func() *rowSet { return metricsToRows(md) }, encode)
		})
	}
}

func BenchmarkTracesToRows(b *testing.B) {
	td := benchTraces()
	for _, encode := range []bool{false, true} {
		b.Run(map[bool]string{false: "convert", true: "convert+encode"}[encode], func(b *testing.B) {
			runConversion(b, "spans/s", td.SpanCount(), func() *rowSet { return tracesToRows(td) }, encode)
		})
	}
}

func BenchmarkLogsToRows(b *testing.B) {
	ld := benchLogs()
	for _, encode := range []bool{false, true} {
		b.Run(map[bool]string{false: "convert", true: "convert+encode"}[encode], func(b *testing.B) {
			runConversion(b, "logs/s", ld.LogRecordCount(), func() *rowSet { return logsToRows(ld) }, encode)
		})
	}
}
