package otlpload

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/pmetric/pmetricotlp"
	"go.opentelemetry.io/collector/pdata/ptrace/ptraceotlp"
)

func TestTraces(t *testing.T) {
	now := time.Now()
	reqs := Traces(25, 10, now)
	require.Len(t, reqs, 3)
	spans := map[pcommon.SpanID]bool{}
	traces := map[pcommon.TraceID]int{}
	total := 0
	for i, r := range reqs {
		req := ptraceotlp.NewExportRequest()
		require.NoError(t, req.UnmarshalProto(r.Body))
		assert.Equal(t, req.Traces().SpanCount(), r.Items, "request %d", i)
		total += r.Items
		for _, rs := range req.Traces().ResourceSpans().All() {
			for _, ss := range rs.ScopeSpans().All() {
				for _, sp := range ss.Spans().All() {
					assert.False(t, spans[sp.SpanID()], "span id %s twice", sp.SpanID())
					spans[sp.SpanID()] = true
					traces[sp.TraceID()]++
				}
			}
		}
	}
	assert.Equal(t, 50, total)
	assert.Len(t, traces, 25)
	for tid, n := range traces {
		assert.Equal(t, 2, n, "trace %s", tid)
	}
}

func TestMetrics(t *testing.T) {
	now := time.Now()
	reqs := Metrics(2500, 1000, 100, now)
	require.Len(t, reqs, 3)
	type key struct {
		route string
		ts    pcommon.Timestamp
	}
	seen := map[key]bool{}
	routes := map[string]bool{}
	total := 0
	for i, r := range reqs {
		req := pmetricotlp.NewExportRequest()
		require.NoError(t, req.UnmarshalProto(r.Body))
		assert.Equal(t, req.Metrics().DataPointCount(), r.Items, "request %d", i)
		total += r.Items
		dps := req.Metrics().ResourceMetrics().At(0).ScopeMetrics().At(0).Metrics().At(0).Sum().DataPoints()
		for _, dp := range dps.All() {
			route, _ := dp.Attributes().Get("http.route")
			k := key{route.Str(), dp.Timestamp()}
			assert.False(t, seen[k], "series %s has two points at %s", k.route, k.ts)
			seen[k] = true
			routes[k.route] = true
		}
	}
	assert.Equal(t, 2500, total)
	assert.Len(t, routes, 100)
}
