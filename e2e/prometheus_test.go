package e2e

import (
	"fmt"
	"math"
	"strconv"
	"testing"
	"time"

	"github.com/coreos/go-systemd/v22/journal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/otelcol-diagnostics/otelcol-diagnostics/internal/e2etest"
	"github.com/otelcol-diagnostics/otelcol-diagnostics/internal/journaltest"
	"github.com/otelcol-diagnostics/otelcol-diagnostics/internal/promtest"
)

// promConfig turns the live journal entries of one run (matched on the run
// field) into a counter, a histogram and a gauge from custom fields, served
// by the prometheus exporter.
func promConfig(runID, health, metrics string) string {
	return fmt.Sprintf(`
extensions:
  health_check:
    endpoint: %[2]s

receivers:
  journaldmetrics:
    reader: sdjournal
    start_at: beginning
    collection_interval: 200ms
    entries_metric: false
    matches:
      - {%[4]s: %[1]s}
    metrics:
      - name: e2e.prom.jobs
        description: Jobs by outcome
        type: counter
        match:
          fields: {SYSLOG_IDENTIFIER: e2eprom}
        attributes: {outcome: JOB_OUTCOME}
      - name: e2e.prom.job.duration
        description: Job durations in milliseconds
        type: histogram
        match:
          fields: {SYSLOG_IDENTIFIER: e2eprom}
        value: JOB_MS
        buckets: [10, 100, 1000]
      - name: e2e.prom.queue.depth
        description: Queue depth
        type: gauge
        match:
          fields: {SYSLOG_IDENTIFIER: e2eprom}
        value: QUEUE_DEPTH
        attributes: {queue: QUEUE_NAME}

exporters:
  prometheus:
    endpoint: %[3]s

service:
  extensions: [health_check]
  telemetry:
    metrics:
      level: none
  pipelines:
    metrics:
      receivers: [journaldmetrics]
      exporters: [prometheus]
`, runID, health, metrics, journaltest.RunField)
}

// promJob is one entry of the run: a job's outcome, duration and the queue
// depth after it.
type promJob struct {
	outcome string
	ms      int
	depth   int
}

// promScalar runs a query that must return one sample and returns its value.
func promScalar(t *testing.T, srv *promtest.Server, query string) (float64, error) {
	t.Helper()
	got, err := srv.Query(t.Context(), query)
	if err != nil {
		return 0, err
	}
	if len(got) != 1 {
		return 0, fmt.Errorf("%d samples, want 1: %v", len(got), got)
	}
	return got[0].Value, nil
}

// promWait polls query through Prometheus until it returns one sample
// whose value satisfies ok, failing with the last answer after 30 s.
func promWait(t *testing.T, srv *promtest.Server, query, want string, ok func(float64) bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		v, err := promScalar(t, srv, query)
		if err == nil && ok(v) {
			return
		}
		if time.Now().After(deadline) {
			if err != nil {
				t.Fatalf("%s: want %s through Prometheus, last answer: %v", query, want, err)
			}
			t.Fatalf("%s: want %s through Prometheus, last answer: %v", query, want, v)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// promWaitEqual polls query until its one sample equals want.
func promWaitEqual(t *testing.T, srv *promtest.Server, query string, want float64) {
	t.Helper()
	promWait(t, srv, query, fmt.Sprint(want), func(v float64) bool { return v == want })
}

// promBuckets returns the cumulative bucket counts of a histogram by upper
// bound, read through Prometheus.
func promBuckets(t *testing.T, srv *promtest.Server, metric string) map[float64]float64 {
	t.Helper()
	got, err := srv.Query(t.Context(), "sum by (le) ("+metric+"_bucket)")
	require.NoError(t, err)
	out := make(map[float64]float64, len(got))
	for _, s := range got {
		le, err := strconv.ParseFloat(s.Labels["le"], 64)
		require.NoError(t, err, "le label %q", s.Labels["le"])
		out[le] = s.Value
	}
	return out
}

// TestJournaldMetricsThroughPrometheus sends entries with custom fields to
// the live journald while a real Prometheus scrapes the built binary's
// prometheus exporter every second, and checks the exact counter,
// histogram and gauge values through PromQL.
func TestJournaldMetricsThroughPrometheus(t *testing.T) {
	journaltest.RequireLive(t)
	runID := journaltest.RunID(t)
	health, metrics := e2etest.FreeAddr(t), e2etest.FreeAddr(t)

	col := e2etest.Start(t, promConfig(runID, health, metrics))
	col.WaitHTTP("http://"+health+"/", 30*time.Second)
	prom := promtest.Start(t, time.Second, metrics)
	promWaitEqual(t, prom, `up{job="otelcol"}`, 1)

	jobs := []promJob{
		{"ok", 4, 3}, {"ok", 12, 5}, {"failed", 250, 2}, {"ok", 40, 8}, {"failed", 7, 1}, {"ok", 1500, 6},
	}
	for i, j := range jobs {
		journaltest.Send(t, "job done", journal.PriInfo, map[string]string{
			journaltest.RunField: runID,
			"SYSLOG_IDENTIFIER":  "e2eprom",
			"JOB_SEQ":            strconv.Itoa(i),
			"JOB_OUTCOME":        j.outcome,
			"JOB_MS":             strconv.Itoa(j.ms),
			"QUEUE_NAME":         "builds",
			"QUEUE_DEPTH":        strconv.Itoa(j.depth),
		})
	}
	// Another program's entry of the same run: no rule selects it.
	journaltest.Send(t, "job done", journal.PriInfo, map[string]string{
		journaltest.RunField: runID,
		"SYSLOG_IDENTIFIER":  "e2eprom-other",
		"JOB_OUTCOME":        "ok",
		"JOB_MS":             "1",
		"QUEUE_NAME":         "builds",
		"QUEUE_DEPTH":        "99",
	})
	journaltest.WaitVisible(t, 10*time.Second, len(jobs)+1, journaltest.RunField+"="+runID)

	// 4, 12, 250, 40, 7, 1500 ms into buckets (…,10] (10,100] (100,1000] (1000,+Inf).
	want := map[string]float64{
		`sum(e2e_prom_jobs_total{outcome="ok"})`:     4,
		`sum(e2e_prom_jobs_total{outcome="failed"})`: 2,
		`sum(e2e_prom_jobs_total)`:                   6,
		`sum(e2e_prom_job_duration_count)`:           6,
		`sum(e2e_prom_job_duration_sum)`:             4 + 12 + 250 + 40 + 7 + 1500,
		`e2e_prom_queue_depth{queue="builds"}`:       6, // the last entry's value
	}
	for q, v := range want {
		promWaitEqual(t, prom, q, v)
	}
	wantBuckets := map[float64]float64{10: 2, 100: 4, 1000: 5, math.Inf(1): 6}
	assert.Equal(t, wantBuckets, promBuckets(t, prom, "e2e_prom_job_duration"))

	// Two more scrapes later the values have not moved: nothing is counted twice.
	scrapes, err := promScalar(t, prom, `count_over_time(up{job="otelcol"}[10m])`)
	require.NoError(t, err)
	promWait(t, prom, `count_over_time(up{job="otelcol"}[10m])`, fmt.Sprint("≥ ", scrapes+2), func(v float64) bool { return v >= scrapes+2 })
	for q, v := range want {
		got, err := promScalar(t, prom, q)
		if assert.NoError(t, err, q) {
			assert.Equal(t, v, got, q)
		}
	}
	assert.Equal(t, wantBuckets, promBuckets(t, prom, "e2e_prom_job_duration"))
	require.NoError(t, col.Stop(5*time.Second), "clean exit on SIGTERM")
}
