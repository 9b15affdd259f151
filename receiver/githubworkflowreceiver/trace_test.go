package githubworkflowreceiver

import (
	"encoding/json"
	"flag"
	"path/filepath"
	"testing"

	"github.com/google/go-github/v66/github"
	"github.com/open-telemetry/opentelemetry-collector-contrib/pkg/golden"
	"github.com/open-telemetry/opentelemetry-collector-contrib/pkg/pdatatest/ptracetest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

const testHost = "api.github.com"

// goldenAttempts are run attempts built from the real fixture payloads.
func goldenAttempts(t *testing.T) map[string]runAttempt {
	t.Helper()
	run, repo := runFixture(t, "webhooks/workflow_run/completed.payload.json")
	prRun, prRepo := runFixture(t, "webhooks/workflow_run/completed.with-pull-requests.payload.json")
	success := jobFixture(t, "webhooks/workflow_job/completed.success.with-organization.payload.json")
	failure := jobFixture(t, "webhooks/workflow_job/completed.failure.with-organization.payload.json")
	skipped := jobFixture(t, "contrib/workflow_job.completed.skipped.payload.json")

	// A partial re-run ("re-run failed jobs"): attempt 2 re-runs the failed
	// job and carries over the one that succeeded in attempt 1. Both
	// deliveries have the same job id, so the carried-over job gets another.
	rerun := attemptFromJob(jobFixture(t, "webhooks/workflow_job/completed.success.with-organization.payload.json"))
	rerun.Run.RunAttempt = github.Int(2)
	rerun.Jobs[0].RunAttempt = github.Int64(2)
	carried := jobFixture(t, "webhooks/workflow_job/completed.success.with-organization.payload.json").GetWorkflowJob()
	carried.ID = github.Int64(carried.GetID() + 1)
	carried.Name = github.String("tests")
	rerun.Jobs = append(rerun.Jobs, carried)

	return map[string]runAttempt{
		// The workflow_run delivery as it is, with a job delivery: its steps
		// start before the job's created_at and the job lies outside the
		// run's run_started_at → updated_at, so everything is clamped.
		"run_completed":              {Repo: repo, Run: run, Jobs: []*github.WorkflowJob{success.GetWorkflowJob()}},
		"run_completed_pull_request": {Repo: prRepo, Run: prRun},
		"job_failure":                attemptFromJob(failure),
		"job_skipped_attempt13":      attemptFromJob(skipped),
		"partial_rerun_attempt2":     rerun,
	}
}

func TestBuildGolden(t *testing.T) {
	b := newTraceBuilder(testHost)
	for name, a := range goldenAttempts(t) {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join("testdata", "golden", name+".yaml")
			got := b.build(a)
			if *update {
				require.NoError(t, golden.WriteTraces(t, path, got))
			}
			want, err := golden.ReadTraces(path)
			require.NoError(t, err)
			require.NoError(t, ptracetest.CompareTraces(want, got))
			assertWellFormed(t, got)
		})
	}
}

// assertWellFormed checks the invariants every trace must hold: one trace
// id, unique span ids, parents present, and each child within its parent.
func assertWellFormed(t *testing.T, td ptrace.Traces) {
	t.Helper()
	require.Equal(t, 1, td.ResourceSpans().Len())
	spans := td.ResourceSpans().At(0).ScopeSpans().At(0).Spans()
	byID := map[pcommon.SpanID]ptrace.Span{}
	for i := range spans.Len() {
		s := spans.At(i)
		assert.Equal(t, spans.At(0).TraceID(), s.TraceID())
		assert.NotContains(t, byID, s.SpanID(), "duplicate span id")
		byID[s.SpanID()] = s
		assert.GreaterOrEqual(t, s.EndTimestamp(), s.StartTimestamp(), "negative span %q", s.Name())
	}
	for i := range spans.Len() {
		s := spans.At(i)
		if i == 0 {
			assert.True(t, s.ParentSpanID().IsEmpty())
			assert.Equal(t, ptrace.SpanKindServer, s.Kind())
			continue
		}
		assert.Equal(t, ptrace.SpanKindInternal, s.Kind())
		p, ok := byID[s.ParentSpanID()]
		require.True(t, ok, "span %q has no parent", s.Name())
		assert.GreaterOrEqual(t, s.StartTimestamp(), p.StartTimestamp(), "span %q starts before its parent", s.Name())
		assert.LessOrEqual(t, s.EndTimestamp(), p.EndTimestamp(), "span %q ends after its parent", s.Name())
	}
}

func TestBuildIDsDeterministic(t *testing.T) {
	attempts := goldenAttempts(t)
	a := attempts["job_failure"]
	first := newTraceBuilder(testHost).build(a)
	again := newTraceBuilder(testHost).build(a)
	require.NoError(t, ptracetest.CompareTraces(first, again))

	// The repository and host are case-insensitive on GitHub.
	upper := a
	upper.Repo = "CODERTOCAT/hello-world"
	assert.Equal(t, traceID(first), traceID(newTraceBuilder("API.GitHub.com").build(upper)))

	other := newTraceBuilder("ghe.example.com").build(a)
	assert.NotEqual(t, traceID(first), traceID(other), "another host gives other ids")
}

func TestBuildLinksPreviousAttempt(t *testing.T) {
	b := newTraceBuilder(testHost)
	ev := jobFixture(t, "webhooks/workflow_job/completed.failure.with-organization.payload.json")
	first := attemptFromJob(ev)
	second := attemptFromJob(jobFixture(t, "webhooks/workflow_job/completed.failure.with-organization.payload.json"))
	second.Run.RunAttempt = github.Int(2)
	second.Jobs[0].RunAttempt = github.Int64(2)

	td1, td2 := b.build(first), b.build(second)
	root1, root2 := rootSpan(td1), rootSpan(td2)
	assert.Equal(t, 0, root1.Links().Len(), "attempt 1 links nowhere")
	require.Equal(t, 1, root2.Links().Len())
	assert.Equal(t, root1.TraceID(), root2.Links().At(0).TraceID())
	assert.Equal(t, root1.SpanID(), root2.Links().At(0).SpanID())
	assert.NotEqual(t, root1.TraceID(), root2.TraceID())
	assert.NotEqual(t, root1.SpanID(), root2.SpanID())
}

func TestBuildCarriedOverJobLinksWhereItRan(t *testing.T) {
	b := newTraceBuilder(testHost)
	rerun := goldenAttempts(t)["partial_rerun_attempt2"]
	carried := rerun.Jobs[1]
	require.Equal(t, int64(1), carried.GetRunAttempt())

	first := rerun
	first.Run = ptrClone(rerun.Run)
	first.Run.RunAttempt = github.Int(1)
	first.Jobs = []*github.WorkflowJob{carried}

	ran := findSpan(t, b.build(first), carried.GetName())
	stub := findSpan(t, b.build(rerun), carried.GetName())
	require.Equal(t, 1, stub.Links().Len())
	assert.Equal(t, ran.TraceID(), stub.Links().At(0).TraceID())
	assert.Equal(t, ran.SpanID(), stub.Links().At(0).SpanID())
	v, _ := stub.Attributes().Get(attrGHJobCarriedOver)
	assert.True(t, v.Bool())
	assert.Equal(t, stub.StartTimestamp(), stub.EndTimestamp())
}

func TestBuildStatusAndResult(t *testing.T) {
	tests := []struct {
		conclusion string
		result     string
		code       ptrace.StatusCode
	}{
		{"success", "success", ptrace.StatusCodeUnset},
		{"failure", "failure", ptrace.StatusCodeError},
		{"cancelled", "cancellation", ptrace.StatusCodeUnset},
		{"skipped", "skip", ptrace.StatusCodeUnset},
		{"timed_out", "timeout", ptrace.StatusCodeError},
		{"startup_failure", "error", ptrace.StatusCodeError},
		{"action_required", "skip", ptrace.StatusCodeUnset},
		{"stale", "cancellation", ptrace.StatusCodeUnset},
		{"neutral", "success", ptrace.StatusCodeUnset},
		{"something_new", "", ptrace.StatusCodeUnset},
	}
	b := newTraceBuilder(testHost)
	for _, tt := range tests {
		t.Run(tt.conclusion, func(t *testing.T) {
			a := attemptFromJob(jobFixture(t, "webhooks/workflow_job/completed.success.with-organization.payload.json"))
			a.Run.Conclusion = github.String(tt.conclusion)
			a.Jobs[0].Conclusion = github.String(tt.conclusion)
			td := b.build(a)
			for _, s := range []ptrace.Span{rootSpan(td), findSpan(t, td, "linters")} {
				assert.Equal(t, tt.code, s.Status().Code(), s.Name())
				key := attrPipelineResult
				if s.Name() == "linters" {
					key = attrTaskRunResult
				}
				v, ok := s.Attributes().Get(key)
				if assert.Equal(t, tt.result != "", ok) && ok {
					assert.Equal(t, tt.result, v.Str())
				}
				raw, _ := s.Attributes().Get(attrGHConclusion)
				assert.Equal(t, tt.conclusion, raw.Str())
			}
		})
	}
}

func TestBuildWithoutRun(t *testing.T) {
	assert.Equal(t, 0, newTraceBuilder(testHost).build(runAttempt{Repo: "o/r"}).SpanCount())
}

func rootSpan(td ptrace.Traces) ptrace.Span {
	return td.ResourceSpans().At(0).ScopeSpans().At(0).Spans().At(0)
}

func traceID(td ptrace.Traces) pcommon.TraceID { return rootSpan(td).TraceID() }

func findSpan(t *testing.T, td ptrace.Traces, name string) ptrace.Span {
	t.Helper()
	spans := td.ResourceSpans().At(0).ScopeSpans().At(0).Spans()
	for i := range spans.Len() {
		if spans.At(i).Name() == name {
			return spans.At(i)
		}
	}
	require.Failf(t, "span not found", "%q", name)
	return ptrace.Span{}
}

func ptrClone[T any](p *T) *T {
	c := *p
	return &c
}

func TestBuildRepeatedJobID(t *testing.T) {
	a := attemptFromJob(jobFixture(t, "webhooks/workflow_job/completed.failure.with-organization.payload.json"))
	a.Jobs = append(a.Jobs, a.Jobs[0], nil)
	td := newTraceBuilder(testHost).build(a)
	assertWellFormed(t, td)
	assert.Equal(t, newTraceBuilder(testHost).build(attemptFromJob(jobFixture(t,
		"webhooks/workflow_job/completed.failure.with-organization.payload.json"))).SpanCount(), td.SpanCount())
}

// FuzzBuild decodes a run and a job the way go-github does and checks that
// any input gives a well-formed trace: no panic, unique ids, no negative
// span, every child within its parent.
func FuzzBuild(f *testing.F) {
	run, _ := runFixture(f, "webhooks/workflow_run/completed.payload.json")
	runJSON, err := json.Marshal(run)
	require.NoError(f, err)
	for _, rel := range []string{
		"webhooks/workflow_job/completed.failure.with-organization.payload.json",
		"webhooks/workflow_job/in_progress.with-queued-steps.payload.json",
		"contrib/workflow_job.completed.skipped.payload.json",
	} {
		jobJSON, err := json.Marshal(jobFixture(f, rel).GetWorkflowJob())
		require.NoError(f, err)
		f.Add(runJSON, jobJSON)
	}
	f.Add([]byte(`{"run_attempt":3,"run_started_at":"2026-01-01T00:00:10Z","updated_at":"2026-01-01T00:00:00Z"}`),
		[]byte(`{"run_attempt":1,"steps":[{"number":1,"started_at":"2030-01-01T00:00:00Z"},{"number":1}]}`))
	f.Add([]byte(`{"run_started_at":"1960-01-01T00:00:00Z","created_at":"2300-01-01T00:00:00Z","updated_at":"1971-01-01T00:00:00Z"}`),
		[]byte(`{"created_at":"2400-01-01T00:00:00Z","started_at":"0001-01-01T00:00:00Z","steps":[{"number":2,"started_at":"1969-12-31T23:59:59Z"}]}`))
	b := newTraceBuilder(testHost)
	f.Fuzz(func(t *testing.T, runJSON, jobJSON []byte) {
		var run github.WorkflowRun
		var job github.WorkflowJob
		if json.Unmarshal(runJSON, &run) != nil || json.Unmarshal(jobJSON, &job) != nil {
			return
		}
		td := b.build(runAttempt{Repo: "o/r", Run: &run, Jobs: []*github.WorkflowJob{&job, &job}})
		assertWellFormed(t, td)
		newCICDMetrics(t0).recordCompleted(runAttempt{Repo: "o/r", Run: &run, Jobs: []*github.WorkflowJob{&job}})
	})
}

// BenchmarkBuild builds the trace of an attempt with 20 jobs of 13 steps
// (the failure fixture's job, with distinct ids) and records its metrics.
func BenchmarkBuild(b *testing.B) {
	a := attemptFromJob(jobFixture(b, "webhooks/workflow_job/completed.failure.with-organization.payload.json"))
	job := a.Jobs[0]
	for i := 1; i < 20; i++ {
		c := *job
		c.ID = github.Int64(job.GetID() + int64(i))
		a.Jobs = append(a.Jobs, &c)
	}
	builder := newTraceBuilder(testHost)
	m := newCICDMetrics(t0)
	spans := builder.build(a).SpanCount()
	b.ReportAllocs()
	for b.Loop() {
		_ = builder.build(a)
		m.recordCompleted(a)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "attempts/s")
	b.ReportMetric(float64(b.N*spans)/b.Elapsed().Seconds(), "spans/s")
}
