package journaldmetricsreceiver

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"go.opentelemetry.io/collector/pdata/pcommon"
)

func TestOverflowSeries(t *testing.T) {
	cfg := engineConfig(MetricConfig{
		Name: "by.user", Type: typeCounter, Attributes: map[string]string{"user": "USER"},
	})
	cfg.MaxSeriesPerMetric = 2
	e := mustEngine(t, cfg)
	for _, u := range []string{"a", "b", "c", "a", "d", "b", "c"} {
		e.Observe(t.Context(), newEntry("USER", u))
	}
	assert.Equal(t, map[string]float64{
		"by.user{user=a}":                    2,
		"by.user{user=b}":                    2,
		"by.user{otel.metric.overflow=true}": 3,
	}, points(e.Collect(testStart.Add(time.Second))))
	assert.Equal(t, int64(3), e.rules[0].stats.overflows)
}

func TestSeriesIdleExpiry(t *testing.T) {
	cfg := engineConfig(MetricConfig{
		Name: "by.user", Type: typeCounter, Attributes: map[string]string{"user": "USER"},
	})
	cfg.MaxSeriesPerMetric = 1
	cfg.SeriesIdleTimeout = time.Minute
	e := mustEngine(t, cfg)
	t0 := testStart

	e.Observe(t.Context(), newEntry("USER", "a"))
	e.Observe(t.Context(), newEntry("USER", "b")) // overflow
	assert.Equal(t, map[string]float64{"by.user{user=a}": 1, "by.user{otel.metric.overflow=true}": 1},
		points(e.Collect(t0.Add(10*time.Second))))

	// b stays active; a goes idle.
	e.Observe(t.Context(), newEntry("USER", "b"))
	assert.Len(t, points(e.Collect(t0.Add(40*time.Second))), 2)
	e.Observe(t.Context(), newEntry("USER", "b"))
	// a was last seen at 10s: at 69s it is idle for 59s and stays.
	assert.Len(t, points(e.Collect(t0.Add(69*time.Second))), 2)
	// at 70s it is idle for a full minute and goes; the overflow series (seen at 69s) stays.
	assert.Equal(t, map[string]float64{"by.user{otel.metric.overflow=true}": 3},
		points(e.Collect(t0.Add(70*time.Second))))

	// The freed slot takes the next new series, which restarts from zero with the previous
	// collection as its start time.
	e.Observe(t.Context(), newEntry("USER", "a"))
	md := e.Collect(t0.Add(80 * time.Second))
	assert.Equal(t, map[string]float64{"by.user{user=a}": 1, "by.user{otel.metric.overflow=true}": 3}, points(md))
	dp := md.ResourceMetrics().At(0).ScopeMetrics().At(0).Metrics().At(0).Sum().DataPoints().At(0)
	assert.Equal(t, pcommon.NewTimestampFromTime(t0.Add(70*time.Second)), dp.StartTimestamp())
	assert.Equal(t, pcommon.NewTimestampFromTime(t0.Add(80*time.Second)), dp.Timestamp())

	// With nothing observed, everything eventually expires and Collect reports nothing.
	md = e.Collect(t0.Add(time.Hour))
	assert.Equal(t, 0, md.MetricCount())
	assert.Empty(t, e.origins, "an origin without series is dropped with them")
}

func TestSeriesNeverExpireWithZeroTimeout(t *testing.T) {
	cfg := engineConfig(MetricConfig{Name: "n", Type: typeCounter})
	cfg.SeriesIdleTimeout = 0
	e := mustEngine(t, cfg)
	e.Observe(t.Context(), newEntry())
	e.Collect(testStart)
	assert.Equal(t, map[string]float64{"n{}": 1}, points(e.Collect(testStart.Add(1000*time.Hour))))
}

func TestEntriesSeriesExpiresAndComesBack(t *testing.T) {
	cfg := contractDefaults()
	cfg.SeriesIdleTimeout = time.Minute
	e := mustEngine(t, cfg)
	ent := newEntry("_SYSTEMD_UNIT", "a.service", "PRIORITY", "6")
	e.Observe(t.Context(), ent)
	e.Observe(t.Context(), ent)
	assert.Equal(t, map[string]float64{"journald.entries{priority=6,unit=a.service}": 2}, points(e.Collect(testStart.Add(time.Second))))
	assert.Empty(t, points(e.Collect(testStart.Add(2*time.Minute))))

	// The same unit again: a new series from zero, not the expired one.
	e.Observe(t.Context(), ent)
	md := e.Collect(testStart.Add(3 * time.Minute))
	assert.Equal(t, map[string]float64{"journald.entries{priority=6,unit=a.service}": 1}, points(md))
	dp := md.ResourceMetrics().At(0).ScopeMetrics().At(0).Metrics().At(0).Sum().DataPoints().At(0)
	assert.Equal(t, pcommon.NewTimestampFromTime(testStart.Add(2*time.Minute)), dp.StartTimestamp())
}
