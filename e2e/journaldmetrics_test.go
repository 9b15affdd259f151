package e2e

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/coreos/go-systemd/v22/journal"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/otelcol-diagnostics/otelcol-diagnostics/internal/e2etest"
	"github.com/otelcol-diagnostics/otelcol-diagnostics/internal/journaltest"
)

// journaldConfig reads the entries of one test run (matched on the run
// field) from the live journal, keeping its cursor in file_storage.
func journaldConfig(t *testing.T, runID, storageDir, health, metrics, telemetry string) string {
	t.Helper()
	return fmt.Sprintf(`
extensions:
  health_check:
    endpoint: %[4]s
  file_storage:
    directory: %[2]s

receivers:
  journaldmetrics:
    reader: sdjournal
    start_at: beginning
    storage: file_storage
    collection_interval: 200ms
    entries_metric: false
    matches:
      - {%[6]s: %[1]s}
    metrics:
      - name: e2e.orders
        description: Orders by outcome
        type: counter
        match:
          fields: {SYSLOG_IDENTIFIER: e2eapp}
          regex: {MESSAGE: '^order (?P<state>\w+) in (?P<ms>\d+)ms$'}
        attributes: {state: state}
      - name: e2e.order.duration
        type: histogram
        match:
          fields: {SYSLOG_IDENTIFIER: e2eapp}
          regex: {MESSAGE: '^order (?P<state>\w+) in (?P<ms>\d+)ms$'}
        value: ms
        buckets: [10, 100]
      - name: e2e.queue.depth
        type: gauge
        match:
          fields: {SYSLOG_IDENTIFIER: e2eapp}
        value: QUEUE_DEPTH
        attributes: {queue: QUEUE_NAME}

exporters:
  prometheus:
    endpoint: %[3]s

service:
  extensions: [health_check, file_storage]
  telemetry:
%[5]s
  pipelines:
    metrics:
      receivers: [journaldmetrics]
      exporters: [prometheus]
`, runID, storageDir, metrics, health, telemetryMetrics(t, telemetry, ""), journaltest.RunField)
}

// scrape fetches and parses a Prometheus text exposition.
func scrape(t testing.TB, url string) map[string]*dto.MetricFamily {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, url, http.NoBody)
	require.NoError(t, err)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer func() { assert.NoError(t, resp.Body.Close()) }()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(resp.Body)
	require.NoError(t, err)
	return families
}

// sample returns the value of family name's series carrying label=value
// ("" for any), and whether there is one.
func sample(families map[string]*dto.MetricFamily, name, label, value string) (float64, bool) {
	f, ok := families[name]
	if !ok {
		// The family of a counter is named without _total by OpenMetrics-aware exposers.
		if f, ok = families[strings.TrimSuffix(name, "_total")]; !ok {
			return 0, false
		}
	}
	for _, m := range f.GetMetric() {
		if label != "" && !hasLabel(m, label, value) {
			continue
		}
		switch {
		case m.GetCounter() != nil:
			return m.GetCounter().GetValue(), true
		case m.GetGauge() != nil:
			return m.GetGauge().GetValue(), true
		case m.GetHistogram() != nil:
			return float64(m.GetHistogram().GetSampleCount()), true
		}
	}
	return 0, false
}

func hasLabel(m *dto.Metric, name, value string) bool {
	for _, l := range m.GetLabel() {
		if l.GetName() == name && l.GetValue() == value {
			return true
		}
	}
	return false
}

func sendOrders(t *testing.T, runID string, states []string, firstMS int) {
	t.Helper()
	for i, state := range states {
		journaltest.Send(t, "order "+state+" in "+strconv.Itoa(firstMS+i)+"ms", journal.PriInfo, map[string]string{
			journaltest.RunField: runID,
			"SYSLOG_IDENTIFIER":  "e2eapp",
			"QUEUE_NAME":         "orders",
			"QUEUE_DEPTH":        strconv.Itoa(firstMS + i),
		})
	}
	// The last entry readable means all are.
	journaltest.WaitVisible(t, 10*time.Second, 1, journaltest.RunField+"="+runID, "QUEUE_DEPTH="+strconv.Itoa(firstMS+len(states)-1))
}

// TestJournaldMetricsToPrometheus sends entries to the live journald and
// reads exact values at the prometheus exporter; after a restart on the
// same file_storage, entries written while the collector was down are
// counted exactly once.
func TestJournaldMetricsToPrometheus(t *testing.T) {
	journaltest.RequireLive(t)
	runID := journaltest.RunID(t)
	storageDir := t.TempDir()
	health, metrics, telemetry := e2etest.FreeAddr(t), e2etest.FreeAddr(t), e2etest.FreeAddr(t)
	config := journaldConfig(t, runID, storageDir, health, metrics, telemetry)
	metricsURL := "http://" + metrics + "/metrics"

	col := e2etest.Start(t, config)
	col.WaitHTTP("http://"+health+"/", 30*time.Second)
	sendOrders(t, runID, []string{"ok", "ok", "failed", "ok", "failed"}, 5) // 5..9 ms

	var fams map[string]*dto.MetricFamily
	e2etest.Eventually(t, 15*time.Second, func() bool {
		fams = scrape(t, metricsURL)
		v, ok := sample(fams, "e2e_orders_total", "state", "failed")
		w, _ := sample(fams, "e2e_orders_total", "state", "ok")
		return ok && v == 2 && w == 3
	}, "e2e_orders_total reaches ok=3 failed=2")
	hist := fams["e2e_order_duration"].GetMetric()[0].GetHistogram()
	assert.Equal(t, uint64(5), hist.GetSampleCount())
	assert.Equal(t, float64(5+6+7+8+9), hist.GetSampleSum())
	assert.Equal(t, uint64(5), hist.GetBucket()[0].GetCumulativeCount(), "all in le=10")
	depth, ok := sample(fams, "e2e_queue_depth", "queue", "orders")
	require.True(t, ok)
	assert.Equal(t, 9.0, depth, "gauge keeps the last value")

	require.NoError(t, col.Stop(5*time.Second), "clean exit on SIGTERM")

	// Written while the collector is down: counted once after the restart,
	// and the five entries before are not counted again.
	sendOrders(t, runID, []string{"ok", "failed", "failed", "ok", "ok", "ok", "failed"}, 100) // 100..106 ms
	col2 := e2etest.Start(t, config)
	col2.WaitHTTP("http://"+health+"/", 30*time.Second)
	e2etest.Eventually(t, 15*time.Second, func() bool {
		fams = scrape(t, metricsURL)
		v, ok := sample(fams, "e2e_orders_total", "state", "failed")
		w, _ := sample(fams, "e2e_orders_total", "state", "ok")
		return ok && v+w >= 7
	}, "e2e_orders_total reaches 7 after the restart")
	// A few more collection intervals: the values stay exact.
	e2etest.Eventually(t, 5*time.Second, func() bool {
		own := scrape(t, "http://"+telemetry+"/metrics")
		n, ok := sample(own, "otelcol_journaldmetrics_entries_read_total", "", "")
		return ok && n == 7
	}, "own telemetry reports 7 entries read")
	fams = scrape(t, metricsURL)
	failed, _ := sample(fams, "e2e_orders_total", "state", "failed")
	okCount, _ := sample(fams, "e2e_orders_total", "state", "ok")
	assert.Equal(t, 3.0, failed)
	assert.Equal(t, 4.0, okCount)
	hist = fams["e2e_order_duration"].GetMetric()[0].GetHistogram()
	assert.Equal(t, uint64(7), hist.GetSampleCount())
	assert.Equal(t, float64(100+101+102+103+104+105+106), hist.GetSampleSum())
	assert.Equal(t, uint64(1), hist.GetBucket()[1].GetCumulativeCount(), "only 100 in le=100")
	own := scrape(t, "http://"+telemetry+"/metrics")
	exact, ok := sample(own, "otelcol_journaldmetrics_cursor_resumes_total", "outcome", "exact")
	require.True(t, ok, "cursor_resumes{outcome=exact}")
	assert.Equal(t, 1.0, exact)
	require.NoError(t, col2.Stop(5*time.Second), "clean exit on SIGTERM")
}
