package otlpload

import (
	"encoding/binary"
	"strconv"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/pdata/pmetric/pmetricotlp"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/pdata/ptrace/ptraceotlp"
)

// Request is one whole OTLP/HTTP export request and the number of items (spans or data points)
// it carries.
type Request struct {
	Body  []byte
	Items int
}

// TracesBody builds request r of a load: perRequest two-span traces (a root and a child), ids
// unique across the load, attributes like an instrumented HTTP service's.
func TracesBody(r, perRequest int, now time.Time) []byte {
	return tracesBody(r*perRequest, perRequest, now)
}

// tracesBody builds n two-span traces, the first numbered first+1.
func tracesBody(first, n int, now time.Time) []byte {
	td := ptrace.NewTraces()
	rs := td.ResourceSpans().AppendEmpty()
	rs.Resource().Attributes().PutStr("service.name", "loadgen")
	rs.Resource().Attributes().PutStr("host.name", "bench-1")
	spans := rs.ScopeSpans().AppendEmpty().Spans()
	spans.EnsureCapacity(2 * n)
	for t := first + 1; t <= first+n; t++ {
		id := uint64(t) //nolint:gosec // t is positive
		var tid pcommon.TraceID
		binary.BigEndian.PutUint64(tid[8:], id)
		for s := range 2 {
			sp := spans.AppendEmpty()
			var sid pcommon.SpanID
			binary.BigEndian.PutUint64(sid[:], id<<1|uint64(s)) //nolint:gosec // s is 0 or 1
			sp.SetTraceID(tid)
			sp.SetSpanID(sid)
			if s == 1 {
				var parent pcommon.SpanID
				binary.BigEndian.PutUint64(parent[:], id<<1)
				sp.SetParentSpanID(parent)
			}
			sp.SetName("GET /api/orders")
			sp.SetKind(ptrace.SpanKindServer)
			sp.SetStartTimestamp(pcommon.NewTimestampFromTime(now))
			sp.SetEndTimestamp(pcommon.NewTimestampFromTime(now.Add(time.Millisecond)))
			sp.Attributes().PutStr("http.route", "/api/orders")
			sp.Attributes().PutInt("http.response.status_code", 200)
			sp.Attributes().PutStr("net.peer.name", "client-7")
		}
	}
	return marshal(ptraceotlp.NewExportRequestFromTraces(td).MarshalProto())
}

// Traces builds a load of traces two-span traces in requests of perRequest traces (the last one
// may be smaller).
func Traces(traces, perRequest int, now time.Time) []Request {
	reqs := make([]Request, 0, (traces+perRequest-1)/perRequest)
	for r := 0; r*perRequest < traces; r++ {
		n := min(perRequest, traces-r*perRequest)
		reqs = append(reqs, Request{Body: tracesBody(r*perRequest, n, now), Items: 2 * n})
	}
	return reqs
}

// Metrics builds a load of points cumulative int sum points in requests of perRequest points,
// spread over series series (distinct attribute sets). Point g of the load belongs to series
// g mod series and is stamped now + g/series milliseconds, so no series has two points at one time.
func Metrics(points, perRequest, series int, now time.Time) []Request {
	reqs := make([]Request, 0, (points+perRequest-1)/perRequest)
	for first := 0; first < points; first += perRequest {
		n := min(perRequest, points-first)
		reqs = append(reqs, Request{Body: metricsBody(first, n, series, now), Items: n})
	}
	return reqs
}

func metricsBody(first, n, series int, now time.Time) []byte {
	md := pmetric.NewMetrics()
	rm := md.ResourceMetrics().AppendEmpty()
	rm.Resource().Attributes().PutStr("service.name", "loadgen")
	rm.Resource().Attributes().PutStr("host.name", "bench-1")
	m := rm.ScopeMetrics().AppendEmpty().Metrics().AppendEmpty()
	m.SetName("http.server.requests")
	m.SetUnit("{request}")
	sum := m.SetEmptySum()
	sum.SetIsMonotonic(true)
	sum.SetAggregationTemporality(pmetric.AggregationTemporalityCumulative)
	dps := sum.DataPoints()
	dps.EnsureCapacity(n)
	start := pcommon.NewTimestampFromTime(now.Add(-time.Hour))
	for g := first; g < first+n; g++ {
		dp := dps.AppendEmpty()
		dp.SetStartTimestamp(start)
		dp.SetTimestamp(pcommon.NewTimestampFromTime(now.Add(time.Duration(g/series) * time.Millisecond)))
		dp.SetIntValue(int64(g))
		dp.Attributes().PutStr("http.route", "/api/r"+strconv.Itoa(g%series))
		dp.Attributes().PutInt("http.response.status_code", 200)
	}
	return marshal(pmetricotlp.NewExportRequestFromMetrics(md).MarshalProto())
}

func marshal(b []byte, err error) []byte {
	if err != nil {
		panic(err) // a freshly built request always marshals
	}
	return b
}
