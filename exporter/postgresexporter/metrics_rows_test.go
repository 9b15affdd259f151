package postgresexporter

import (
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/pmetric"
)

const (
	testTS    = pcommon.Timestamp(1_700_000_000_123_456_789) // 2023-11-14T22:13:20.123456789Z
	testStart = pcommon.Timestamp(1_699_999_000_000_000_999)
)

var (
	wantTS    = time.Unix(1_700_000_000, 123_456_000).UTC()
	wantStart = time.Unix(1_699_999_000, 0).UTC()
)

// testMetrics returns metrics with one resource (service "svc") and one scope,
// and the metric slice to fill.
func testMetrics() (pmetric.Metrics, pmetric.MetricSlice) {
	md := pmetric.NewMetrics()
	rm := md.ResourceMetrics().AppendEmpty()
	rm.SetSchemaUrl("https://opentelemetry.io/schemas/1.26.0")
	rm.Resource().Attributes().PutStr("service.name", "svc")
	rm.Resource().Attributes().PutStr("host.name", "h1")
	sm := rm.ScopeMetrics().AppendEmpty()
	sm.Scope().SetName("lib")
	sm.Scope().SetVersion("1.0")
	return md, sm.Metrics()
}

func testIDs(t *testing.T) (resID, scopeID int64) {
	t.Helper()
	md, _ := testMetrics()
	rm := md.ResourceMetrics().At(0)
	var h idHasher
	return h.resourceID(rm.SchemaUrl(), rm.Resource().Attributes()), h.scopeID(rm.ScopeMetrics().At(0).Scope(), "")
}

// attrMap builds a map from key/value pairs, in order (FromRaw of a Go map would not be).
func attrMap(t *testing.T, kvs ...any) pcommon.Map {
	t.Helper()
	m := pcommon.NewMap()
	for i := 0; i+1 < len(kvs); i += 2 {
		require.NoError(t, m.PutEmpty(kvs[i].(string)).FromRaw(kvs[i+1]))
	}
	return m
}

func TestMetricsToRowsDimensions(t *testing.T) {
	md, ms := testMetrics()
	g := ms.AppendEmpty()
	g.SetName("g")
	g.SetEmptyGauge().DataPoints().AppendEmpty().SetIntValue(1)
	// The same resource and scope again in a second ResourceMetrics: deduplicated.
	md.ResourceMetrics().At(0).CopyTo(md.ResourceMetrics().AppendEmpty())

	rs := metricsToRows(md)
	resID, scopeID := testIDs(t)
	assert.Equal(t, []resourceRow{{
		ID:          resID,
		ServiceName: "svc",
		Attributes:  []byte(`{"service.name":"svc","host.name":"h1"}`),
		SchemaURL:   "https://opentelemetry.io/schemas/1.26.0",
	}}, rs.Resources)
	assert.Equal(t, []scopeRow{{ID: scopeID, Name: "lib", Version: "1.0", Attributes: []byte(`{}`)}}, rs.Scopes)
	require.Len(t, rs.Series, 1, "same series twice")
	assert.Len(t, rs.Points, 2)
	assert.Equal(t, rs.Points[0], rs.Points[1])
}

func TestMetricsToRows(t *testing.T) {
	resID, scopeID := testIDs(t)
	var h idHasher
	seriesID := func(name, unit, typ, temp string, mono bool, attrs pcommon.Map) int64 {
		return h.seriesID(h.seriesPrefix(nil, resID, scopeID, name, unit, typ, temp, mono), attrs)
	}
	series := func(name, typ, temp string, mono bool, attrs pcommon.Map, attrsJSON string) seriesRow {
		return seriesRow{
			ID: seriesID(name, "By", typ, temp, mono, attrs), MetricName: name, ServiceName: "svc",
			Description: "desc " + name, Unit: "By", Type: typ, Temporality: temp, IsMonotonic: mono,
			Attributes: []byte(attrsJSON), ResourceID: resID, ScopeID: scopeID,
		}
	}
	newMetric := func(ms pmetric.MetricSlice, name string) pmetric.Metric {
		m := ms.AppendEmpty()
		m.SetName(name)
		m.SetDescription("desc " + name)
		m.SetUnit("By")
		return m
	}
	a1 := attrMap(t, "state", "idle")
	a2 := attrMap(t, "state", "busy", "cpu", 1)

	tests := []struct {
		name  string
		build func(ms pmetric.MetricSlice)
		want  rowSet // Series and fact rows only
	}{
		{
			name: "gauge int and double, two series",
			build: func(ms pmetric.MetricSlice) {
				dps := newMetric(ms, "g").SetEmptyGauge().DataPoints()
				dp := dps.AppendEmpty()
				dp.SetTimestamp(testTS)
				dp.SetIntValue(1<<53 + 1) // not representable as float64
				a1.CopyTo(dp.Attributes())
				dp = dps.AppendEmpty()
				dp.SetTimestamp(testTS)
				dp.SetStartTimestamp(testStart)
				dp.SetDoubleValue(-2.25)
				dp.SetFlags(pmetric.DefaultDataPointFlags.WithNoRecordedValue(true))
				a2.CopyTo(dp.Attributes())
			},
			want: rowSet{
				Series: []seriesRow{
					series("g", "gauge", "unspecified", false, a1, `{"state":"idle"}`),
					series("g", "gauge", "unspecified", false, a2, `{"state":"busy","cpu":1}`),
				},
				Points: []pointRow{
					{SeriesID: seriesID("g", "By", "gauge", "unspecified", false, a1), Time: wantTS, Value: 1 << 53, IntValue: 1<<53 + 1, HasInt: true},
					{SeriesID: seriesID("g", "By", "gauge", "unspecified", false, a2), Time: wantTS, StartTime: wantStart, Value: -2.25, Flags: 1},
				},
			},
		},
		{
			name: "sum int cumulative monotonic with exemplars",
			build: func(ms pmetric.MetricSlice) {
				s := newMetric(ms, "c").SetEmptySum()
				s.SetAggregationTemporality(pmetric.AggregationTemporalityCumulative)
				s.SetIsMonotonic(true)
				dp := s.DataPoints().AppendEmpty()
				dp.SetTimestamp(testTS)
				dp.SetStartTimestamp(testStart)
				dp.SetIntValue(math.MaxInt64)
				e := dp.Exemplars().AppendEmpty()
				e.SetTimestamp(testTS)
				e.SetIntValue(1<<62 + 1)
				e.SetTraceID(pcommon.TraceID{0: 0xab, 15: 0x01})
				e.SetSpanID(pcommon.SpanID{7: 0x0f})
				e.FilteredAttributes().PutStr("user", "u\x00")
				e = dp.Exemplars().AppendEmpty()
				e.SetDoubleValue(math.Inf(-1))
			},
			want: rowSet{
				Series: []seriesRow{series("c", "sum", "cumulative", true, pcommon.NewMap(), `{}`)},
				Points: []pointRow{{
					SeriesID: seriesID("c", "By", "sum", "cumulative", true, pcommon.NewMap()),
					Time:     wantTS, StartTime: wantStart, Value: math.MaxInt64, IntValue: math.MaxInt64, HasInt: true,
					Exemplars: []byte(`[{"time":"2023-11-14T22:13:20.123456Z","value":4611686018427387905,` +
						`"trace_id":"ab000000000000000000000000000001","span_id":"000000000000000f","filtered_attributes":{"user":"u"}},` +
						`{"time":"1970-01-01T00:00:00Z","value":"-Infinity","trace_id":"","span_id":"","filtered_attributes":{}}]`),
				}},
			},
		},
		{
			name: "sum double delta non-monotonic",
			build: func(ms pmetric.MetricSlice) {
				s := newMetric(ms, "ud").SetEmptySum()
				s.SetAggregationTemporality(pmetric.AggregationTemporalityDelta)
				dp := s.DataPoints().AppendEmpty()
				dp.SetTimestamp(testTS)
				dp.SetDoubleValue(math.Inf(1))
			},
			want: rowSet{
				Series: []seriesRow{series("ud", "sum", "delta", false, pcommon.NewMap(), `{}`)},
				Points: []pointRow{{SeriesID: seriesID("ud", "By", "sum", "delta", false, pcommon.NewMap()), Time: wantTS, Value: math.Inf(1)}},
			},
		},
		{
			name: "histogram full and minimal, counts beyond int64 clamped",
			build: func(ms pmetric.MetricSlice) {
				hs := newMetric(ms, "h").SetEmptyHistogram()
				hs.SetAggregationTemporality(pmetric.AggregationTemporalityDelta)
				dp := hs.DataPoints().AppendEmpty()
				dp.SetTimestamp(testTS)
				dp.SetStartTimestamp(testStart)
				dp.SetCount(1 << 63)
				dp.SetSum(12.5)
				dp.SetMin(-1)
				dp.SetMax(10)
				dp.ExplicitBounds().FromRaw([]float64{0, 5, 10})
				dp.BucketCounts().FromRaw([]uint64{1, 2, math.MaxUint64, 4})
				dp.Exemplars().AppendEmpty().SetDoubleValue(0.5)
				dp = hs.DataPoints().AppendEmpty() // no sum/min/max, no buckets
				dp.SetTimestamp(testTS)
				dp.SetCount(0)
			},
			want: rowSet{
				Series: []seriesRow{series("h", "histogram", "delta", false, pcommon.NewMap(), `{}`)},
				Histograms: []histogramRow{
					{
						SeriesID: seriesID("h", "By", "histogram", "delta", false, pcommon.NewMap()),
						Time:     wantTS, StartTime: wantStart, Count: math.MaxInt64,
						Sum: optFloat{12.5, true}, Min: optFloat{-1, true}, Max: optFloat{10, true},
						ExplicitBounds: []float64{0, 5, 10}, BucketCounts: []int64{1, 2, math.MaxInt64, 4},
						Exemplars: []byte(`[{"time":"1970-01-01T00:00:00Z","value":0.5,"trace_id":"","span_id":"","filtered_attributes":{}}]`),
					},
					{
						SeriesID: seriesID("h", "By", "histogram", "delta", false, pcommon.NewMap()),
						Time:     wantTS, ExplicitBounds: []float64{}, BucketCounts: []int64{},
					},
				},
			},
		},
		{
			name: "exponential histogram",
			build: func(ms pmetric.MetricSlice) {
				eh := newMetric(ms, "e").SetEmptyExponentialHistogram()
				eh.SetAggregationTemporality(pmetric.AggregationTemporalityCumulative)
				dp := eh.DataPoints().AppendEmpty()
				a1.CopyTo(dp.Attributes())
				dp.SetTimestamp(testTS)
				dp.SetStartTimestamp(testStart)
				dp.SetCount(10)
				dp.SetSum(-3.5)
				dp.SetMax(4)
				dp.SetScale(-3)
				dp.SetZeroCount(math.MaxUint64)
				dp.SetZeroThreshold(1e-9)
				dp.Positive().SetOffset(-2)
				dp.Positive().BucketCounts().FromRaw([]uint64{3, 0, 5})
				dp.Negative().SetOffset(7)
				dp.Negative().BucketCounts().FromRaw([]uint64{1})
				dp.SetFlags(pmetric.DefaultDataPointFlags.WithNoRecordedValue(true))
			},
			want: rowSet{
				Series: []seriesRow{series("e", "exponential_histogram", "cumulative", false, a1, `{"state":"idle"}`)},
				ExpHistograms: []expHistogramRow{{
					SeriesID: seriesID("e", "By", "exponential_histogram", "cumulative", false, a1),
					Time:     wantTS, StartTime: wantStart, Count: 10,
					Sum: optFloat{-3.5, true}, Max: optFloat{4, true},
					Scale: -3, ZeroCount: math.MaxInt64, ZeroThreshold: 1e-9,
					PositiveOffset: -2, PositiveBucketCounts: []int64{3, 0, 5},
					NegativeOffset: 7, NegativeBucketCounts: []int64{1},
					Flags: 1,
				}},
			},
		},
		{
			name: "summary with and without quantiles",
			build: func(ms pmetric.MetricSlice) {
				s := newMetric(ms, "s").SetEmptySummary()
				dp := s.DataPoints().AppendEmpty()
				dp.SetTimestamp(testTS)
				dp.SetStartTimestamp(testStart)
				dp.SetCount(1<<63 + 5)
				dp.SetSum(99.5)
				for _, q := range [][2]float64{{0, 1}, {0.5, 7}, {1, 42}} {
					qv := dp.QuantileValues().AppendEmpty()
					qv.SetQuantile(q[0])
					qv.SetValue(q[1])
				}
				dp = s.DataPoints().AppendEmpty()
				dp.SetTimestamp(testTS)
				a2.CopyTo(dp.Attributes())
			},
			want: rowSet{
				Series: []seriesRow{
					series("s", "summary", "unspecified", false, pcommon.NewMap(), `{}`),
					series("s", "summary", "unspecified", false, a2, `{"state":"busy","cpu":1}`),
				},
				Summaries: []summaryRow{
					{
						SeriesID: seriesID("s", "By", "summary", "unspecified", false, pcommon.NewMap()),
						Time:     wantTS, StartTime: wantStart, Count: math.MaxInt64, Sum: 99.5,
						Quantiles: []float64{0, 0.5, 1}, QuantileValues: []float64{1, 7, 42},
					},
					{
						SeriesID:  seriesID("s", "By", "summary", "unspecified", false, a2),
						Time:      wantTS,
						Quantiles: []float64{}, QuantileValues: []float64{},
					},
				},
			},
		},
		{
			name:  "metric without type or points",
			build: func(ms pmetric.MetricSlice) { newMetric(ms, "empty") },
			want:  rowSet{},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			md, ms := testMetrics()
			tc.build(ms)
			got := metricsToRows(md)
			require.Len(t, got.Resources, 1)
			require.Len(t, got.Scopes, 1)
			got.Resources, got.Scopes = nil, nil
			normalise := func(rs *rowSet) {
				// Compare empty and nil slices alike at the rowSet level.
				if len(rs.Series) == 0 {
					rs.Series = nil
				}
				if len(rs.Points) == 0 {
					rs.Points = nil
				}
				if len(rs.Histograms) == 0 {
					rs.Histograms = nil
				}
				if len(rs.ExpHistograms) == 0 {
					rs.ExpHistograms = nil
				}
				if len(rs.Summaries) == 0 {
					rs.Summaries = nil
				}
			}
			normalise(got)
			normalise(&tc.want)
			assert.Equal(t, tc.want, *got)
		})
	}
}

func TestMetricsToRowsNaNAndEmptyValue(t *testing.T) {
	md, ms := testMetrics()
	g := ms.AppendEmpty()
	g.SetName("g")
	dps := g.SetEmptyGauge().DataPoints()
	dps.AppendEmpty().SetDoubleValue(math.NaN())
	dps.AppendEmpty() // neither int nor double
	got := metricsToRows(md)
	require.Len(t, got.Points, 2)
	for _, p := range got.Points {
		assert.True(t, math.IsNaN(p.Value))
		assert.False(t, p.HasInt)
	}
}

func TestMetricsToRowsSanitises(t *testing.T) {
	md, ms := testMetrics()
	md.ResourceMetrics().At(0).Resource().Attributes().PutStr("service.name", "s\x00v\xffc")
	m := ms.AppendEmpty()
	m.SetName("bad\x00name")
	m.SetDescription("d\xfe")
	m.SetUnit("\x00")
	m.SetEmptyGauge().DataPoints().AppendEmpty().Attributes().PutStr("k\x00", "v\xff")
	got := metricsToRows(md)
	require.Len(t, got.Series, 1)
	s := got.Series[0]
	assert.Equal(t, "sv\ufffdc", s.ServiceName)
	assert.Equal(t, "badname", s.MetricName)
	assert.Equal(t, "d\ufffd", s.Description)
	assert.Empty(t, s.Unit)
	assert.Equal(t, "{\"k\":\"v\ufffd\"}", string(s.Attributes))
	assert.Equal(t, "sv\ufffdc", got.Resources[0].ServiceName)
}
