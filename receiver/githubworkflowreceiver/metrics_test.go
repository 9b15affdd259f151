package githubworkflowreceiver

import (
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/open-telemetry/opentelemetry-collector-contrib/pkg/golden"
	"github.com/open-telemetry/opentelemetry-collector-contrib/pkg/pdatatest/pmetrictest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pmetric"
)

func TestMetricsGolden(t *testing.T) {
	m := newCICDMetrics(t0)
	attempts := goldenAttempts(t)
	for _, name := range []string{"run_completed", "job_failure", "job_skipped_attempt13", "partial_rerun_attempt2"} {
		m.recordCompleted(attempts[name])
	}
	m.setActive(map[string]int64{runStateExecuting: 3, runStatePending: 1})
	got := m.collect(t0.Add(time.Hour))

	path := filepath.Join("testdata", "golden", "metrics.yaml")
	if *update {
		require.NoError(t, golden.WriteMetrics(t, path, got, golden.SkipMetricTimestampNormalization()))
	}
	want, err := golden.ReadMetrics(path)
	require.NoError(t, err)
	require.NoError(t, pmetrictest.CompareMetrics(want, got))
}

func TestMetricsValues(t *testing.T) {
	a := attemptFromJob(jobFixture(t, "webhooks/workflow_job/completed.failure.with-organization.payload.json"))
	m := newCICDMetrics(t0)
	m.recordCompleted(a)
	m.recordCompleted(a)
	got := metricsByName(m.collect(t0))

	run := got["cicd.pipeline.run.duration"].Histogram().DataPoints()
	require.Equal(t, 1, run.Len())
	dp := run.At(0)
	assert.Equal(t, uint64(2), dp.Count())
	assert.InDelta(t, 2*258.0, dp.Sum(), 1e-9) // 10:33:58 → 10:38:16
	assert.Equal(t, map[string]any{
		"cicd.pipeline.name": "CodeQL", "cicd.pipeline.run.state": "executing", "cicd.pipeline.result": "failure",
		"vcs.owner.name": "Codertocat", "vcs.repository.name": "Hello-World",
	}, dp.Attributes().AsRaw())
	bucket := 0
	for i, b := range dp.ExplicitBounds().AsRaw() {
		if b >= 258 {
			bucket = i
			break
		}
	}
	assert.Equal(t, uint64(2), dp.BucketCounts().At(bucket))

	queue := got["github.actions.job.queue.duration"].Histogram().DataPoints().At(0)
	assert.InDelta(t, 2*60.0, queue.Sum(), 1e-9) // created 10:33:58, started 10:34:58
	exec := got["github.actions.job.duration"].Histogram().DataPoints().At(0)
	assert.InDelta(t, 2*198.0, exec.Sum(), 1e-9) // started 10:34:58, completed 10:38:16
	assert.NotContains(t, got, "cicd.pipeline.run.active", "no active counts before setActive")
}

func TestMetricsCarriedOverAndSkippedJobs(t *testing.T) {
	m := newCICDMetrics(t0)
	m.recordCompleted(goldenAttempts(t)["partial_rerun_attempt2"])
	m.recordCompleted(attemptFromJob(jobFixture(t, "contrib/workflow_job.completed.skipped.payload.json")))
	got := metricsByName(m.collect(t0))

	// The carried-over job was recorded with attempt 1; the skipped job never queued.
	assert.Equal(t, 1, got["github.actions.job.queue.duration"].Histogram().DataPoints().Len())
	jobs := got["github.actions.job.duration"].Histogram().DataPoints()
	require.Equal(t, 2, jobs.Len())
	for i := range jobs.Len() {
		dp := jobs.At(i)
		if v, _ := dp.Attributes().Get(attrTaskRunResult); v.Str() == resultSkip {
			assert.Zero(t, dp.Sum())
		}
		assert.GreaterOrEqual(t, dp.Min(), 0.0)
	}
}

func TestMetricsEmptyAndRunless(t *testing.T) {
	m := newCICDMetrics(t0)
	m.recordCompleted(runAttempt{Repo: "o/r"})
	assert.Equal(t, 0, m.collect(t0).ResourceMetrics().Len())

	m.setActive(map[string]int64{})
	active := metricsByName(m.collect(t0))["cicd.pipeline.run.active"].Sum()
	assert.False(t, active.IsMonotonic())
	require.Equal(t, 3, active.DataPoints().Len(), "every state, at zero")
	for i := range 3 {
		assert.Zero(t, active.DataPoints().At(i).IntValue())
	}
}

func TestMetricsSetActiveCopies(t *testing.T) {
	m := newCICDMetrics(t0)
	counts := map[string]int64{runStateFinalizing: 2, "waiting": 1}
	m.setActive(counts)
	counts[runStateFinalizing] = 99
	dps := metricsByName(m.collect(t0))["cicd.pipeline.run.active"].Sum().DataPoints()
	require.Equal(t, 4, dps.Len())
	got := map[string]int64{}
	for i := range dps.Len() {
		s, _ := dps.At(i).Attributes().Get(attrPipelineRunState)
		got[s.Str()] = dps.At(i).IntValue()
	}
	assert.Equal(t, map[string]int64{runStatePending: 0, runStateExecuting: 0, runStateFinalizing: 2, "waiting": 1}, got)
}

func TestMetricsConcurrent(t *testing.T) {
	m := newCICDMetrics(t0)
	a := attemptFromJob(jobFixture(t, "webhooks/workflow_job/completed.success.with-organization.payload.json"))
	var wg sync.WaitGroup
	for i := range 4 {
		wg.Go(func() {
			for range 50 {
				m.recordCompleted(a)
				m.setActive(map[string]int64{runStateExecuting: int64(i)})
				_ = m.collect(t0)
			}
		})
	}
	wg.Wait()
	dp := metricsByName(m.collect(t0))["cicd.pipeline.run.duration"].Histogram().DataPoints().At(0)
	assert.Equal(t, uint64(200), dp.Count())
}

func TestHistogramBuckets(t *testing.T) {
	h := newHistogram([]float64{1, 10}, "k")
	for _, v := range []float64{0, 1, 1.5, 10, 11} {
		h.record(v, "x")
	}
	assert.Equal(t, []uint64{2, 2, 1}, h.series["x"].counts, "(-inf,1], (1,10], (10,+inf)")
	assert.Equal(t, 0.0, h.series["x"].min)
	assert.Equal(t, 11.0, h.series["x"].max)
}

func metricsByName(md pmetric.Metrics) map[string]pmetric.Metric {
	out := map[string]pmetric.Metric{}
	for i := range md.ResourceMetrics().Len() {
		sms := md.ResourceMetrics().At(i).ScopeMetrics()
		for j := range sms.Len() {
			ms := sms.At(j).Metrics()
			for k := range ms.Len() {
				out[ms.At(k).Name()] = ms.At(k)
			}
		}
	}
	return out
}
