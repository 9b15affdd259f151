package postgresexporter

import (
	"math"
	"strconv"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/pmetric"
)

// metricsToRows converts md into rows: one metric_series row per distinct
// series in the push and one point row per data point, in the table of its kind.
// Metrics of an unknown (empty) type carry no points and produce no rows.
func metricsToRows(md pmetric.Metrics) *rowSet {
	var nPoints, nHist, nExp, nSum int
	rms := md.ResourceMetrics()
	for i := range rms.Len() {
		sms := rms.At(i).ScopeMetrics()
		for j := range sms.Len() {
			ms := sms.At(j).Metrics()
			for k := range ms.Len() {
				switch m := ms.At(k); m.Type() {
				case pmetric.MetricTypeGauge:
					nPoints += m.Gauge().DataPoints().Len()
				case pmetric.MetricTypeSum:
					nPoints += m.Sum().DataPoints().Len()
				case pmetric.MetricTypeHistogram:
					nHist += m.Histogram().DataPoints().Len()
				case pmetric.MetricTypeExponentialHistogram:
					nExp += m.ExponentialHistogram().DataPoints().Len()
				case pmetric.MetricTypeSummary:
					nSum += m.Summary().DataPoints().Len()
				}
			}
		}
	}

	n := nPoints + nHist + nExp + nSum
	// Sized for the worst case (every point its own series), capped so a push
	// of many points of few series does not over-allocate much.
	guess := min(n, 4096)
	c := newConverter(guess * 64)
	c.series = make(map[int64]struct{}, guess)
	c.rs.Series = make([]seriesRow, 0, guess)
	rs := c.rs
	rs.Points = make([]pointRow, 0, nPoints)
	rs.Histograms = make([]histogramRow, 0, nHist)
	rs.ExpHistograms = make([]expHistogramRow, 0, nExp)
	rs.Summaries = make([]summaryRow, 0, nSum)

	mc := metricConverter{converter: c}
	for i := range rms.Len() {
		rm := rms.At(i)
		resID, service := c.resource(rm.Resource(), rm.SchemaUrl())
		sms := rm.ScopeMetrics()
		for j := range sms.Len() {
			sm := sms.At(j)
			scopeID := c.scope(sm.Scope(), sm.SchemaUrl())
			ms := sm.Metrics()
			for k := range ms.Len() {
				mc.metric(ms.At(k), resID, scopeID, service)
			}
		}
	}
	return rs
}

// metricConverter holds the per-metric state shared by its points.
type metricConverter struct {
	*converter
	prefix []byte // canonical series encoding up to the point attributes

	m           pmetric.Metric
	name        string // sanitised once per metric
	description string
	unit        string
	resourceID  int64
	scopeID     int64
	service     string
	typ         string
	temporality string
	monotonic   bool
}

func temporalityName(t pmetric.AggregationTemporality) string {
	switch t {
	case pmetric.AggregationTemporalityCumulative:
		return "cumulative"
	case pmetric.AggregationTemporalityDelta:
		return "delta"
	default:
		return "unspecified"
	}
}

func (mc *metricConverter) metric(m pmetric.Metric, resourceID, scopeID int64, service string) {
	mc.m, mc.resourceID, mc.scopeID, mc.service = m, resourceID, scopeID, service
	switch m.Type() {
	case pmetric.MetricTypeGauge:
		mc.begin(metricTypeGauge, "unspecified", false)
		mc.numberPoints(m.Gauge().DataPoints())
	case pmetric.MetricTypeSum:
		s := m.Sum()
		mc.begin(metricTypeSum, temporalityName(s.AggregationTemporality()), s.IsMonotonic())
		mc.numberPoints(s.DataPoints())
	case pmetric.MetricTypeHistogram:
		h := m.Histogram()
		mc.begin(metricTypeHistogram, temporalityName(h.AggregationTemporality()), false)
		mc.histogramPoints(h.DataPoints())
	case pmetric.MetricTypeExponentialHistogram:
		h := m.ExponentialHistogram()
		mc.begin(metricTypeExpHistogram, temporalityName(h.AggregationTemporality()), false)
		mc.expHistogramPoints(h.DataPoints())
	case pmetric.MetricTypeSummary:
		mc.begin(metricTypeSummary, "unspecified", false)
		mc.summaryPoints(m.Summary().DataPoints())
	}
}

func (mc *metricConverter) begin(typ, temporality string, monotonic bool) {
	mc.typ, mc.temporality, mc.monotonic = typ, temporality, monotonic
	mc.name, mc.description, mc.unit = sanitize(mc.m.Name()), sanitize(mc.m.Description()), sanitize(mc.m.Unit())
	mc.prefix = mc.ids.seriesPrefix(mc.prefix, mc.resourceID, mc.scopeID, mc.m.Name(), mc.m.Unit(), typ, temporality, monotonic)
}

// seriesID returns the id of the series of a point with attrs, adding its row on first sight.
func (mc *metricConverter) seriesID(attrs pcommon.Map) int64 {
	id := mc.ids.seriesID(mc.prefix, attrs)
	if _, ok := mc.series[id]; ok {
		return id
	}
	mc.series[id] = struct{}{}
	mc.rs.Series = append(mc.rs.Series, seriesRow{
		ID:          id,
		MetricName:  mc.name,
		ServiceName: mc.service,
		Description: mc.description,
		Unit:        mc.unit,
		Type:        mc.typ,
		Temporality: mc.temporality,
		IsMonotonic: mc.monotonic,
		Attributes:  mc.jsonMap(attrs),
		ResourceID:  mc.resourceID,
		ScopeID:     mc.scopeID,
	})
	return id
}

// numberPoints converts gauge and sum points. Int points keep their exact value
// in int_value and its float8 rounding in value; a point without a value (a
// malformed point of neither kind) is stored as NaN.
func (mc *metricConverter) numberPoints(dps pmetric.NumberDataPointSlice) {
	for i := range dps.Len() {
		dp := dps.At(i)
		row := pointRow{
			SeriesID:  mc.seriesID(dp.Attributes()),
			Time:      toTime(dp.Timestamp()),
			StartTime: toOptTime(dp.StartTimestamp()),
			Flags:     flags32(uint32(dp.Flags())),
			Exemplars: mc.exemplars(dp.Exemplars()),
		}
		switch dp.ValueType() {
		case pmetric.NumberDataPointValueTypeInt:
			row.IntValue = dp.IntValue()
			row.HasInt = true
			row.Value = float64(row.IntValue)
		case pmetric.NumberDataPointValueTypeDouble:
			row.Value = dp.DoubleValue()
		default:
			row.Value = math.NaN()
		}
		mc.rs.Points = append(mc.rs.Points, row)
	}
}

func optional(v float64, ok bool) optFloat {
	return optFloat{V: v, Valid: ok}
}

func (mc *metricConverter) histogramPoints(dps pmetric.HistogramDataPointSlice) {
	for i := range dps.Len() {
		dp := dps.At(i)
		mc.rs.Histograms = append(mc.rs.Histograms, histogramRow{
			SeriesID:       mc.seriesID(dp.Attributes()),
			Time:           toTime(dp.Timestamp()),
			StartTime:      toOptTime(dp.StartTimestamp()),
			Count:          clampInt64(dp.Count()),
			Sum:            optional(dp.Sum(), dp.HasSum()),
			Min:            optional(dp.Min(), dp.HasMin()),
			Max:            optional(dp.Max(), dp.HasMax()),
			ExplicitBounds: mc.floatArray(dp.ExplicitBounds()),
			BucketCounts:   mc.countArray(dp.BucketCounts()),
			Flags:          flags32(uint32(dp.Flags())),
			Exemplars:      mc.exemplars(dp.Exemplars()),
		})
	}
}

func (mc *metricConverter) expHistogramPoints(dps pmetric.ExponentialHistogramDataPointSlice) {
	for i := range dps.Len() {
		dp := dps.At(i)
		pos, neg := dp.Positive(), dp.Negative()
		mc.rs.ExpHistograms = append(mc.rs.ExpHistograms, expHistogramRow{
			SeriesID:             mc.seriesID(dp.Attributes()),
			Time:                 toTime(dp.Timestamp()),
			StartTime:            toOptTime(dp.StartTimestamp()),
			Count:                clampInt64(dp.Count()),
			Sum:                  optional(dp.Sum(), dp.HasSum()),
			Min:                  optional(dp.Min(), dp.HasMin()),
			Max:                  optional(dp.Max(), dp.HasMax()),
			Scale:                dp.Scale(),
			ZeroCount:            clampInt64(dp.ZeroCount()),
			ZeroThreshold:        dp.ZeroThreshold(),
			PositiveOffset:       pos.Offset(),
			PositiveBucketCounts: mc.countArray(pos.BucketCounts()),
			NegativeOffset:       neg.Offset(),
			NegativeBucketCounts: mc.countArray(neg.BucketCounts()),
			Flags:                flags32(uint32(dp.Flags())),
			Exemplars:            mc.exemplars(dp.Exemplars()),
		})
	}
}

func (mc *metricConverter) summaryPoints(dps pmetric.SummaryDataPointSlice) {
	for i := range dps.Len() {
		dp := dps.At(i)
		qs := dp.QuantileValues()
		mc.floatRoom(2 * qs.Len())
		start := len(mc.floats)
		for j := range qs.Len() {
			mc.floats = append(mc.floats, qs.At(j).Quantile())
		}
		for j := range qs.Len() {
			mc.floats = append(mc.floats, qs.At(j).Value())
		}
		mid, end := start+qs.Len(), len(mc.floats)
		mc.rs.Summaries = append(mc.rs.Summaries, summaryRow{
			SeriesID:       mc.seriesID(dp.Attributes()),
			Time:           toTime(dp.Timestamp()),
			StartTime:      toOptTime(dp.StartTimestamp()),
			Count:          clampInt64(dp.Count()),
			Sum:            dp.Sum(),
			Quantiles:      nonNil(mc.floats[start:mid:mid]),
			QuantileValues: nonNil(mc.floats[mid:end:end]),
			Flags:          flags32(uint32(dp.Flags())),
		})
	}
}

// nonNil makes an empty array '{}' rather than NULL.
func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

func (mc *metricConverter) floatArray(fs pcommon.Float64Slice) []float64 {
	mc.floatRoom(fs.Len())
	start := len(mc.floats)
	for _, f := range fs.All() {
		mc.floats = append(mc.floats, f)
	}
	end := len(mc.floats)
	return nonNil(mc.floats[start:end:end])
}

// countArray stores uint64 counts as int8[], clamping values above math.MaxInt64.
func (mc *metricConverter) countArray(us pcommon.UInt64Slice) []int64 {
	mc.intRoom(us.Len())
	start := len(mc.ints)
	for _, u := range us.All() {
		mc.ints = append(mc.ints, clampInt64(u))
	}
	end := len(mc.ints)
	return nonNil(mc.ints[start:end:end])
}

// exemplars returns the exemplars as a JSON array of
// {"time", "value", "trace_id", "span_id", "filtered_attributes"}, or nil (NULL) when
// there are none. Int exemplar values are exact JSON integers.
func (mc *metricConverter) exemplars(es pmetric.ExemplarSlice) []byte {
	if es.Len() == 0 {
		return nil
	}
	start := mc.docStart()
	b := append(mc.json, '[')
	var hexBuf [32]byte
	for i := range es.Len() {
		e := es.At(i)
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"time":`...)
		b = appendJSONTime(b, toTime(e.Timestamp()))
		b = append(b, `,"value":`...)
		switch e.ValueType() {
		case pmetric.ExemplarValueTypeInt:
			b = strconv.AppendInt(b, e.IntValue(), 10)
		case pmetric.ExemplarValueTypeDouble:
			b = appendJSONFloat(b, e.DoubleValue())
		default:
			b = append(b, "null"...)
		}
		tid, sid := e.TraceID(), e.SpanID()
		b = append(b, `,"trace_id":"`...)
		b = append(b, hexID(hexBuf[:], tid[:])...)
		b = append(b, `","span_id":"`...)
		b = append(b, hexID(hexBuf[:16], sid[:])...)
		b = append(b, `","filtered_attributes":`...)
		b = appendMapJSON(b, e.FilteredAttributes())
		b = append(b, '}')
	}
	mc.json = append(b, ']')
	return mc.doc(start)
}
