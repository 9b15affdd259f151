package journaldmetricsreceiver

import (
	"context"
	"flag"
	"path/filepath"
	"testing"
	"time"

	"github.com/open-telemetry/opentelemetry-collector-contrib/pkg/golden"
	"github.com/open-telemetry/opentelemetry-collector-contrib/pkg/pdatatest/pmetrictest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	"go.opentelemetry.io/otel/sdk/metric/metricdata/metricdatatest"

	"github.com/otelcol-diagnostics/otelcol-diagnostics/receiver/journaldmetricsreceiver/internal/metadata"
	"github.com/otelcol-diagnostics/otelcol-diagnostics/receiver/journaldmetricsreceiver/internal/metadatatest"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/golden")

// goldenConfig covers every metric kind, captures, custom fields and the overflow series.
func goldenConfig() *Config {
	c := contractDefaults()
	c.MaxSeriesPerMetric = 2
	c.Metrics = []MetricConfig{
		{
			Name: "legacyapp.orders", Description: "Orders handled, by outcome", Unit: "{order}", Type: typeCounter,
			Match: MatchConfig{
				Fields: map[string]string{"SYSLOG_IDENTIFIER": "legacyapp"},
				Regex:  map[string]string{"MESSAGE": orderRegex},
			},
			Attributes: map[string]string{"state": "state", "unit": "_SYSTEMD_UNIT"},
		},
		{
			Name: "legacyapp.order.time", Description: "Total order handling time", Unit: "ms", Type: typeCounter,
			Match: MatchConfig{
				Fields: map[string]string{"SYSLOG_IDENTIFIER": "legacyapp"},
				Regex:  map[string]string{"MESSAGE": orderRegex},
			},
			Value: "ms",
		},
		{
			Name: "legacyapp.order.duration", Description: "Order handling time", Unit: "ms", Type: typeHistogram,
			Match: MatchConfig{
				Fields: map[string]string{"SYSLOG_IDENTIFIER": "legacyapp"},
				Regex:  map[string]string{"MESSAGE": orderRegex},
			},
			Value: "ms", Attributes: map[string]string{"state": "state"}, Buckets: []float64{10, 100, 1000},
		},
		{
			Name: "legacyapp.queue.depth", Description: "Queue depth", Unit: "{item}", Type: typeGauge,
			Match: MatchConfig{Fields: map[string]string{"SYSLOG_IDENTIFIER": "legacyapp"}},
			Value: "QUEUE_DEPTH", Attributes: map[string]string{"queue": "QUEUE_NAME"},
		},
	}
	return c
}

func goldenEntries() []*fakeEntry {
	app := func(kv ...string) *fakeEntry {
		return newEntry(append([]string{"SYSLOG_IDENTIFIER", "legacyapp", "_SYSTEMD_UNIT", "legacyapp.service", "PRIORITY", "6"}, kv...)...)
	}
	return []*fakeEntry{
		app("MESSAGE", "order done in 12ms"),
		app("MESSAGE", "order done in 250ms"),
		app("MESSAGE", "order failed in 7ms"),
		app("MESSAGE", "order lost in 5000ms"), // third state: overflow for the state-keyed metrics
		app("MESSAGE", "order done in soon"),   // regex miss
		app("MESSAGE", "queue", "QUEUE_NAME", "in", "QUEUE_DEPTH", "4"),
		app("MESSAGE", "queue", "QUEUE_NAME", "in", "QUEUE_DEPTH", "9"),
		app("MESSAGE", "queue", "QUEUE_NAME", "out", "QUEUE_DEPTH", "2.5"),
		app("MESSAGE", "queue", "QUEUE_NAME", "out", "QUEUE_DEPTH", "n/a"), // not a number
		newEntry("_SYSTEMD_UNIT", "sshd.service", "PRIORITY", "5", "SYSLOG_IDENTIFIER", "sshd", "MESSAGE", "order done in 1ms"),
	}
}

func TestCollectGolden(t *testing.T) {
	e := mustEngine(t, goldenConfig())
	for _, ent := range goldenEntries() {
		e.Observe(t.Context(), ent)
	}
	tests := []struct {
		file string
		now  time.Time
	}{
		{"collect_first.yaml", testStart.Add(10 * time.Second)},
		{"collect_second.yaml", testStart.Add(20 * time.Second)}, // unchanged state, later timestamp
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			got := e.Collect(tt.now)
			path := filepath.Join("testdata", "golden", tt.file)
			if *update {
				require.NoError(t, golden.WriteMetrics(t, path, got, golden.SkipMetricTimestampNormalization()))
			}
			want, err := golden.ReadMetrics(path)
			require.NoError(t, err)
			require.NoError(t, pmetrictest.CompareMetrics(want, got, pmetrictest.IgnoreMetricDataPointsOrder()))
		})
	}
}

func TestOwnTelemetry(t *testing.T) {
	tel := componenttest.NewTelemetry()
	t.Cleanup(func() { require.NoError(t, tel.Shutdown(context.Background())) })
	tb, err := metadata.NewTelemetryBuilder(tel.NewTelemetrySettings())
	require.NoError(t, err)
	t.Cleanup(tb.Shutdown)

	e, err := newEngine(goldenConfig(), tb, testStart)
	require.NoError(t, err)
	for _, ent := range goldenEntries() {
		e.Observe(t.Context(), ent)
	}
	e.Collect(testStart.Add(10 * time.Second))
	e.Collect(testStart.Add(20 * time.Second)) // nothing new: nothing added

	rule := func(name string, v int64) metricdata.DataPoint[int64] {
		return metricdata.DataPoint[int64]{Attributes: attribute.NewSet(attribute.String("rule", name)), Value: v}
	}
	opts := []metricdatatest.Option{metricdatatest.IgnoreTimestamp()}
	metadatatest.AssertEqualJournaldmetricsRuleMatches(t, tel, []metricdata.DataPoint[int64]{
		rule("legacyapp.orders", 4), rule("legacyapp.order.time", 4), rule("legacyapp.order.duration", 4),
		rule("legacyapp.queue.depth", 3),
	}, opts...)
	metadatatest.AssertEqualJournaldmetricsRegexMisses(t, tel, []metricdata.DataPoint[int64]{
		rule("legacyapp.orders", 5), rule("legacyapp.order.time", 5), rule("legacyapp.order.duration", 5),
	}, opts...)
	metadatatest.AssertEqualJournaldmetricsSeriesOverflows(t, tel, []metricdata.DataPoint[int64]{
		rule("legacyapp.orders", 1), rule("legacyapp.order.duration", 1),
	}, opts...)
	skipped := func(reason string, v int64) metricdata.DataPoint[int64] {
		return metricdata.DataPoint[int64]{Attributes: attribute.NewSet(
			attribute.String("rule", "legacyapp.queue.depth"), attribute.String("reason", reason)), Value: v}
	}
	metadatatest.AssertEqualJournaldmetricsEntriesSkipped(t, tel, []metricdata.DataPoint[int64]{
		skipped("missing_field", 5), skipped("not_a_number", 1),
	}, opts...)
	assert.Zero(t, e.rules[0].stats.matches, "flushed counts are reset")
}
