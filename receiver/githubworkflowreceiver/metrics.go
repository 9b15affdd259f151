package githubworkflowreceiver // import "github.com/otelcol-diagnostics/otelcol-diagnostics/receiver/githubworkflowreceiver"

import (
	"slices"
	"strings"
	"sync"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/pmetric"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/semconv/v1.43.0/cicdconv"
)

// Job metrics have no semantic convention yet; they live under github.actions.*.
const (
	metricJobDuration      = "github.actions.job.duration"
	metricJobQueueDuration = "github.actions.job.queue.duration"
)

// Explicit histogram bounds in seconds, from a second to a day.
func runDurationBounds() []float64 {
	return []float64{1, 5, 10, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 14400, 21600, 43200, 86400}
}

func queueBounds() []float64 {
	return []float64{1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 1800, 3600, 7200, 21600, 86400}
}

// cicdMetrics aggregates the CI/CD metrics of completed attempts as
// cumulative histograms, plus the current number of active runs by state. It
// is safe for concurrent use.
type cicdMetrics struct {
	start pcommon.Timestamp

	mu          sync.Mutex
	runDuration *histogram // cicd.pipeline.run.duration
	jobDuration *histogram // github.actions.job.duration: started_at → completed_at
	jobQueue    *histogram // github.actions.job.queue.duration: created_at → started_at
	active      map[string]int64
}

func newCICDMetrics(start time.Time) *cicdMetrics {
	return &cicdMetrics{
		start: pcommon.NewTimestampFromTime(start),
		runDuration: newHistogram(runDurationBounds(),
			attrPipelineName, attrPipelineRunState, attrPipelineResult, attrVCSOwnerName, attrVCSRepositoryName),
		jobDuration: newHistogram(runDurationBounds(),
			attrPipelineName, attrTaskName, attrTaskRunResult, attrVCSOwnerName, attrVCSRepositoryName),
		jobQueue: newHistogram(queueBounds(),
			attrPipelineName, attrTaskName, attrVCSOwnerName, attrVCSRepositoryName),
	}
}

// recordCompleted records one completed attempt: its run duration (the root
// span, run_started_at → updated_at, in state "executing"), and for each job
// that ran in this attempt its queue time (if it started) and its execution
// time (0 for a job that never started). Jobs carried over from an earlier
// attempt were recorded with that attempt. Durations are the sanitised ones
// of the trace.
func (m *cicdMetrics) recordCompleted(a runAttempt) {
	if a.Run == nil {
		return
	}
	times := sanitize(a)
	pipeline := a.pipelineName()
	owner, repo := a.repoOwner(), a.repoName()
	result, _ := cicdResult(a.Run.GetConclusion())

	m.mu.Lock()
	defer m.mu.Unlock()
	m.runDuration.record(times.root.duration().Seconds(), pipeline, runStateExecuting, result, owner, repo)
	for i, job := range a.Jobs {
		jt := times.jobs[i]
		if jt.skip || jt.carried {
			continue
		}
		name := jobName(job)
		var exec time.Duration
		if jt.started {
			exec = jt.span.end.Sub(jt.queue.end)
			m.jobQueue.record(jt.queue.duration().Seconds(), pipeline, name, owner, repo)
		}
		jobResult, _ := cicdResult(job.GetConclusion())
		m.jobDuration.record(exec.Seconds(), pipeline, name, jobResult, owner, repo)
	}
}

// setActive replaces the number of active runs by cicd.pipeline.run.state
// (pending | executing | finalizing).
func (m *cicdMetrics) setActive(counts map[string]int64) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.active = make(map[string]int64, len(counts))
	for k, v := range counts {
		m.active[k] = v
	}
}

// collect returns the metrics as of now. It returns no resource at all when
// nothing was recorded yet.
func (m *cicdMetrics) collect(now time.Time) pmetric.Metrics {
	md := pmetric.NewMetrics()
	ts := pcommon.NewTimestampFromTime(now)

	m.mu.Lock()
	defer m.mu.Unlock()
	if m.runDuration.empty() && m.jobDuration.empty() && m.jobQueue.empty() && m.active == nil {
		return md
	}
	rm := md.ResourceMetrics().AppendEmpty()
	rm.SetSchemaUrl(semconv.SchemaURL)
	rm.Resource().Attributes().PutStr(attrVCSProviderName, providerGitHub)
	sm := rm.ScopeMetrics().AppendEmpty()
	sm.SetSchemaUrl(semconv.SchemaURL)
	sm.Scope().SetName(scopeName)
	ms := sm.Metrics()

	runDur := cicdconv.PipelineRunDuration{}
	m.runDuration.appendTo(ms, runDur.Name(), runDur.Description(), runDur.Unit(), m.start, ts)
	m.jobDuration.appendTo(ms, metricJobDuration,
		"Execution time of a job (started_at to completed_at; 0 for a job that never started).", "s", m.start, ts)
	m.jobQueue.appendTo(ms, metricJobQueueDuration,
		"Time a job waited for a runner (created_at to started_at).", "s", m.start, ts)

	if m.active != nil {
		active := cicdconv.PipelineRunActive{}
		metric := ms.AppendEmpty()
		metric.SetName(active.Name())
		metric.SetDescription(active.Description())
		metric.SetUnit(active.Unit())
		sum := metric.SetEmptySum()
		sum.SetIsMonotonic(false)
		sum.SetAggregationTemporality(pmetric.AggregationTemporalityCumulative)
		states := []string{runStatePending, runStateExecuting, runStateFinalizing}
		for k := range m.active {
			if !slices.Contains(states, k) {
				states = append(states, k)
			}
		}
		slices.Sort(states)
		for _, state := range states {
			dp := sum.DataPoints().AppendEmpty()
			dp.SetStartTimestamp(m.start)
			dp.SetTimestamp(ts)
			dp.SetIntValue(m.active[state])
			dp.Attributes().PutStr(attrPipelineRunState, state)
		}
	}
	return md
}

// histogram is one cumulative explicit-bucket histogram with a series per
// combination of attribute values. Not safe for concurrent use on its own.
type histogram struct {
	bounds []float64
	keys   []string // attribute names, in the order record takes values
	series map[string]*series
}

type series struct {
	values   []string
	counts   []uint64
	count    uint64
	sum      float64
	min, max float64
}

func newHistogram(bounds []float64, keys ...string) *histogram {
	return &histogram{bounds: bounds, keys: keys, series: make(map[string]*series)}
}

func (h *histogram) empty() bool { return len(h.series) == 0 }

// record adds v to the series of values (one per key; empty values leave the
// attribute out).
func (h *histogram) record(v float64, values ...string) {
	id := strings.Join(values, "\x00")
	s, ok := h.series[id]
	if !ok {
		s = &series{values: slices.Clone(values), counts: make([]uint64, len(h.bounds)+1), min: v, max: v}
		h.series[id] = s
	}
	i, _ := slices.BinarySearch(h.bounds, v) // bucket i holds (bounds[i-1], bounds[i]]
	s.counts[i]++
	s.count++
	s.sum += v
	s.min = min(s.min, v)
	s.max = max(s.max, v)
}

func (h *histogram) appendTo(ms pmetric.MetricSlice, name, description, unit string, start, now pcommon.Timestamp) {
	if h.empty() {
		return
	}
	metric := ms.AppendEmpty()
	metric.SetName(name)
	metric.SetDescription(description)
	metric.SetUnit(unit)
	hist := metric.SetEmptyHistogram()
	hist.SetAggregationTemporality(pmetric.AggregationTemporalityCumulative)
	ids := make([]string, 0, len(h.series))
	for id := range h.series {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for _, id := range ids {
		s := h.series[id]
		dp := hist.DataPoints().AppendEmpty()
		dp.SetStartTimestamp(start)
		dp.SetTimestamp(now)
		for i, k := range h.keys {
			if s.values[i] != "" {
				dp.Attributes().PutStr(k, s.values[i])
			}
		}
		dp.ExplicitBounds().FromRaw(h.bounds)
		dp.BucketCounts().FromRaw(s.counts)
		dp.SetCount(s.count)
		dp.SetSum(s.sum)
		dp.SetMin(s.min)
		dp.SetMax(s.max)
	}
}
