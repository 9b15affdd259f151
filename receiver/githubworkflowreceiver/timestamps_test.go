package githubworkflowreceiver

import (
	"testing"
	"time"

	"github.com/google/go-github/v66/github"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func at(sec int) *github.Timestamp {
	return &github.Timestamp{Time: t0.Add(time.Duration(sec) * time.Second)}
}

// iv is an expected interval in seconds from t0.
func iv(start, end int, corrected bool) interval {
	return interval{start: t0.Add(time.Duration(start) * time.Second), end: t0.Add(time.Duration(end) * time.Second), corrected: corrected}
}

func TestRootInterval(t *testing.T) {
	tests := []struct {
		name string
		run  *github.WorkflowRun
		want interval
	}{
		{"normal", &github.WorkflowRun{RunStartedAt: at(0), UpdatedAt: at(300)}, iv(0, 300, false)},
		{"updated before started", &github.WorkflowRun{RunStartedAt: at(10), UpdatedAt: at(5)}, iv(10, 10, true)},
		{"no run_started_at", &github.WorkflowRun{CreatedAt: at(-5), UpdatedAt: at(60)}, iv(-5, 60, true)},
		{"no updated_at", &github.WorkflowRun{RunStartedAt: at(0)}, iv(0, 0, true)},
		{"absurd length", &github.WorkflowRun{RunStartedAt: at(0), UpdatedAt: at(40 * 86400)}, iv(0, 35*86400, true)},
		{
			"start before 1970", &github.WorkflowRun{RunStartedAt: &github.Timestamp{Time: time.Date(1960, 1, 1, 0, 0, 0, 0, time.UTC)}, CreatedAt: at(-5), UpdatedAt: at(60)},
			iv(-5, 60, true),
		},
		{
			"end after 2262", &github.WorkflowRun{RunStartedAt: at(0), UpdatedAt: &github.Timestamp{Time: time.Date(2300, 1, 1, 0, 0, 0, 0, time.UTC)}},
			iv(0, 0, true),
		},
		{"no timestamps at all", &github.WorkflowRun{}, interval{corrected: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, rootInterval(tt.run))
		})
	}
}

func TestSanitizeJobs(t *testing.T) {
	run := &github.WorkflowRun{ID: github.Int64(1), RunAttempt: github.Int(2), RunStartedAt: at(0), UpdatedAt: at(600)}
	step := func(n int64, start, end *github.Timestamp) *github.TaskStep {
		return &github.TaskStep{Number: github.Int64(n), StartedAt: start, CompletedAt: end}
	}
	tests := []struct {
		name      string
		job       *github.WorkflowJob
		wantSpan  interval
		started   bool
		wantQueue interval
		wantSteps []stepTimes
		carried   bool
	}{
		{
			name: "normal",
			job: &github.WorkflowJob{
				CreatedAt: at(10), StartedAt: at(40), CompletedAt: at(100), RunnerName: github.String("r"),
				Steps: []*github.TaskStep{step(1, at(40), at(50)), step(2, at(50), at(100))},
			},
			wantSpan: iv(10, 100, false), started: true, wantQueue: iv(10, 40, false),
			wantSteps: []stepTimes{{iv(40, 50, false), true}, {iv(50, 100, false), true}},
		},
		{
			name: "steps before created_at (fixtures' completed.*)",
			job: &github.WorkflowJob{
				CreatedAt: at(10), StartedAt: at(40), CompletedAt: at(100), RunnerName: github.String("r"),
				Steps: []*github.TaskStep{step(1, at(-500), at(-497)), step(2, at(-497), at(45))},
			},
			wantSpan: iv(10, 100, false), started: true, wantQueue: iv(10, 40, false),
			wantSteps: []stepTimes{{iv(40, 40, true), true}, {iv(40, 45, true), true}},
		},
		{
			name: "skipped: no steps, no runner, created after started and completed (contrib fixture)",
			job: &github.WorkflowJob{
				Conclusion: github.String("skipped"), CreatedAt: at(55), StartedAt: at(54), CompletedAt: at(54),
			},
			wantSpan: iv(55, 55, true), wantSteps: []stepTimes{},
		},
		{
			name: "started before created",
			job: &github.WorkflowJob{
				CreatedAt: at(20), StartedAt: at(19), CompletedAt: at(30), RunnerName: github.String("r"),
			},
			wantSpan: iv(20, 30, false), started: true, wantQueue: iv(20, 20, true), wantSteps: []stepTimes{},
		},
		{
			name: "job outside the run",
			job: &github.WorkflowJob{
				CreatedAt: at(-100), StartedAt: at(500), CompletedAt: at(900), RunnerName: github.String("r"),
			},
			wantSpan: iv(0, 600, true), started: true, wantQueue: iv(0, 500, false), wantSteps: []stepTimes{},
		},
		{
			name: "cancelled with steps that never ran, no completed_at",
			job: &github.WorkflowJob{
				Conclusion: github.String("cancelled"), CreatedAt: at(10), StartedAt: at(20), RunnerName: github.String("r"),
				Steps: []*github.TaskStep{step(1, at(20), nil), step(2, nil, nil), nil},
			},
			wantSpan: iv(10, 600, true), started: true, wantQueue: iv(10, 20, false),
			wantSteps: []stepTimes{{iv(20, 600, true), true}, {}, {}},
		},
		{
			name:     "never started: no started_at",
			job:      &github.WorkflowJob{Conclusion: github.String("cancelled"), CreatedAt: at(10), CompletedAt: at(70)},
			wantSpan: iv(10, 70, false), wantSteps: []stepTimes{},
		},
		{
			name: "carried over from attempt 1 by a partial re-run",
			job: &github.WorkflowJob{
				RunAttempt: github.Int64(1), CreatedAt: at(-9000), StartedAt: at(-8990), CompletedAt: at(-8000), RunnerName: github.String("r"),
				Steps: []*github.TaskStep{step(1, at(-8990), at(-8000))},
			},
			wantSpan: iv(0, 0, true), carried: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := sanitize(runAttempt{Repo: "o/r", Run: run, Jobs: []*github.WorkflowJob{tt.job}})
			require.Len(t, got.jobs, 1)
			jt := got.jobs[0]
			assert.Equal(t, tt.wantSpan, jt.span)
			assert.Equal(t, tt.started, jt.started)
			assert.Equal(t, tt.carried, jt.carried)
			if tt.started {
				assert.Equal(t, tt.wantQueue, jt.queue)
			}
			assert.Equal(t, tt.wantSteps, jt.steps)
		})
	}
}

func TestSanitizeNilJob(t *testing.T) {
	run := &github.WorkflowRun{RunStartedAt: at(0), UpdatedAt: at(1)}
	got := sanitize(runAttempt{Repo: "o/r", Run: run, Jobs: []*github.WorkflowJob{nil}})
	assert.Equal(t, []jobTimes{{skip: true}}, got.jobs)
}
