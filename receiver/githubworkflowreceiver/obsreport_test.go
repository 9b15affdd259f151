package githubworkflowreceiver

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
)

// Every hand-off downstream is reported as the collector's standard receiver telemetry
// (accepted and refused spans and metric points, and one span per operation), beside the
// receiver's own API telemetry.
func TestStandardReceiverTelemetry(t *testing.T) {
	w := newWorld(t)
	w.put(testRepo, 1, 1, time.Hour, "completed", 2)
	w.put(testRepo, 2, 1, time.Hour, "completed", 1)
	in := w.newInstance(t, w.config(testRepo), nil)
	in.poll(t)
	in.r.poller.emitter.flushMetrics(t.Context())
	require.Len(t, in.attempts(), 2)
	spans := int64(in.traces.SpanCount())
	points := int64(0)
	for _, md := range in.metrics.AllMetrics() {
		points += int64(md.DataPointCount())
	}
	require.Positive(t, points)
	assert.Equal(t, spans, telemetrySum(t, in, "otelcol_receiver_accepted_spans"))
	assert.Equal(t, points, telemetrySum(t, in, "otelcol_receiver_accepted_metric_points"))
	assert.Equal(t, int64(0), telemetrySum(t, in, "otelcol_receiver_refused_spans"))

	// The consumer refuses run 3: counted refused, retried at the next poll, then accepted.
	w.put(testRepo, 3, 1, time.Minute, "completed", 1)
	in.r.poller.emitter.traces = consumertest.NewErr(errors.New("downstream refused"))
	in.poll(t)
	in.r.poller.emitter.traces = in.traces
	in.poll(t)
	require.Len(t, in.attempts(), 3)
	third := int64(in.traces.AllTraces()[2].SpanCount())
	assert.Equal(t, third, telemetrySum(t, in, "otelcol_receiver_refused_spans"))
	assert.Equal(t, spans+third, telemetrySum(t, in, "otelcol_receiver_accepted_spans"))

	m, err := in.tel.GetMetric("otelcol_receiver_accepted_spans")
	require.NoError(t, err)
	for _, dp := range m.Data.(metricdata.Sum[int64]).DataPoints {
		transport, _ := dp.Attributes.Value("transport")
		assert.Equal(t, obsTransport, transport.AsString())
		id, _ := dp.Attributes.Value("receiver")
		assert.Equal(t, "githubworkflow", id.AsString())
	}
	var ops []string
	for _, s := range in.tel.SpanRecorder.Ended() {
		if !strings.HasPrefix(s.Name(), "receiver/githubworkflow/") {
			continue
		}
		ops = append(ops, strings.TrimPrefix(s.Name(), "receiver/githubworkflow/"))
		for _, kv := range s.Attributes() {
			if kv.Key == attribute.Key("format") {
				assert.Equal(t, obsFormat, kv.Value.AsString())
			}
		}
	}
	assert.Contains(t, ops, "TraceDataReceived")
	assert.Contains(t, ops, "MetricsReceived")
	// The receiver's own telemetry is still there.
	assert.Equal(t, int64(3), telemetrySum(t, in, "otelcol_githubworkflow_attempts_emitted"))
	assert.Positive(t, telemetrySum(t, in, "otelcol_githubworkflow_api_requests"))
}
