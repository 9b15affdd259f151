package journaldmetricsreceiver // import "github.com/otelcol-diagnostics/otelcol-diagnostics/receiver/journaldmetricsreceiver"

import (
	"context"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/otel/metric"

	"github.com/otelcol-diagnostics/otelcol-diagnostics/receiver/journaldmetricsreceiver/internal/metadata"
)

const (
	entriesMetricDescription = "Journal entries read, by systemd unit and priority."
	entriesMetricUnit        = "{entry}"
)

// Collect returns the cumulative state of every series at now. It first expires series
// idle for series_idle_timeout, and records the rules' own telemetry gathered since the
// previous Collect. The result holds no metric when there is nothing to report.
func (e *engine) Collect(now time.Time) pmetric.Metrics {
	e.mu.Lock()
	defer e.mu.Unlock()

	md := pmetric.NewMetrics()
	ts := pcommon.NewTimestampFromTime(now)
	kept := e.originList[:0]
	for _, o := range e.originList {
		if o.entries != nil {
			o.lastEntries.s = nil // the sweep may drop it
			o.entries.sweep(now, e.idleTimeout)
		}
		for _, st := range o.stores {
			st.sweep(now, e.idleTimeout)
		}
		if o.empty() {
			delete(e.origins, o.key)
			continue
		}
		kept = append(kept, o)
		e.emitOrigin(md.ResourceMetrics(), o, ts)
	}
	clear(e.originList[len(kept):])
	e.originList = kept
	e.cur, e.originGen = nil, 0
	e.lastCollect = now
	e.flushTelemetry()
	return md
}

// emitOrigin appends one ResourceMetrics with the origin's resource attributes and series.
func (e *engine) emitOrigin(rms pmetric.ResourceMetricsSlice, o *origin, ts pcommon.Timestamp) {
	rm := rms.AppendEmpty()
	attrs := rm.Resource().Attributes()
	for i, name := range e.resNames {
		if o.has[i] {
			attrs.PutStr(name, o.attrs[i])
		}
	}
	sm := rm.ScopeMetrics().AppendEmpty()
	sm.Scope().SetName(metadata.ScopeName)
	if o.entries != nil {
		o.entries.emit(sm.Metrics(), entriesMetricName, entriesMetricDescription, entriesMetricUnit, ts)
	}
	for i, r := range e.rules {
		o.stores[i].emit(sm.Metrics(), r.name, r.description, r.unit, ts)
	}
}

// flushTelemetry records the counts gathered since the previous Collect.
func (e *engine) flushTelemetry() {
	if e.tb == nil {
		return
	}
	ctx := context.Background()
	add := func(c metric.Int64Counter, n *int64, opt metric.AddOption) {
		if *n > 0 {
			c.Add(ctx, *n, opt)
			*n = 0
		}
	}
	add(e.tb.JournaldmetricsSeriesOverflows, &e.entriesOverflows, metric.WithAttributeSet(e.entriesOverflowSet))
	for _, r := range e.rules {
		st := &r.stats
		add(e.tb.JournaldmetricsRuleMatches, &st.matches, metric.WithAttributeSet(st.ruleSet))
		add(e.tb.JournaldmetricsRegexMisses, &st.regexMisses, metric.WithAttributeSet(st.ruleSet))
		add(e.tb.JournaldmetricsSeriesOverflows, &st.overflows, metric.WithAttributeSet(st.ruleSet))
		add(e.tb.JournaldmetricsEntriesSkipped, &st.skippedMissing, metric.WithAttributeSet(st.missingSet))
		add(e.tb.JournaldmetricsEntriesSkipped, &st.skippedNaN, metric.WithAttributeSet(st.nanSet))
	}
}

// emit appends the store's metric (when it has series) to ms.
func (st *seriesStore) emit(ms pmetric.MetricSlice, name, description, unit string, ts pcommon.Timestamp) {
	if len(st.list) == 0 && st.overflow == nil {
		return
	}
	m := ms.AppendEmpty()
	m.SetName(name)
	m.SetDescription(description)
	m.SetUnit(unit)

	each := func(fn func(s *series)) {
		for _, s := range st.list {
			fn(s)
		}
		if st.overflow != nil {
			fn(st.overflow)
		}
	}
	switch st.kind {
	case kindCounter:
		sum := m.SetEmptySum()
		sum.SetAggregationTemporality(pmetric.AggregationTemporalityCumulative)
		sum.SetIsMonotonic(true)
		dps := sum.DataPoints()
		dps.EnsureCapacity(len(st.list) + 1)
		each(func(s *series) {
			dp := dps.AppendEmpty()
			st.putAttributes(dp.Attributes(), s)
			dp.SetStartTimestamp(pcommon.NewTimestampFromTime(s.start))
			dp.SetTimestamp(ts)
			if st.doubleSum {
				dp.SetDoubleValue(s.value)
			} else {
				dp.SetIntValue(s.intSum)
			}
		})
	case kindGauge:
		dps := m.SetEmptyGauge().DataPoints()
		dps.EnsureCapacity(len(st.list) + 1)
		each(func(s *series) {
			dp := dps.AppendEmpty()
			st.putAttributes(dp.Attributes(), s)
			dp.SetTimestamp(ts)
			dp.SetDoubleValue(s.value)
		})
	case kindHistogram:
		h := m.SetEmptyHistogram()
		h.SetAggregationTemporality(pmetric.AggregationTemporalityCumulative)
		dps := h.DataPoints()
		dps.EnsureCapacity(len(st.list) + 1)
		each(func(s *series) {
			dp := dps.AppendEmpty()
			st.putAttributes(dp.Attributes(), s)
			dp.SetStartTimestamp(pcommon.NewTimestampFromTime(s.start))
			dp.SetTimestamp(ts)
			dp.SetCount(s.count)
			dp.SetSum(s.sum)
			if s.count > 0 {
				dp.SetMin(s.min)
				dp.SetMax(s.max)
			}
			dp.ExplicitBounds().FromRaw(st.bounds)
			dp.BucketCounts().FromRaw(s.buckets)
		})
	}
}

func (st *seriesStore) putAttributes(attrs pcommon.Map, s *series) {
	if s.attrs == nil {
		attrs.PutBool(overflowAttribute, true)
		return
	}
	attrs.EnsureCapacity(len(s.attrs))
	for i, name := range st.attrNames {
		attrs.PutStr(name, s.attrs[i])
	}
}
