package githubworkflowreceiver // import "github.com/otelcol-diagnostics/otelcol-diagnostics/receiver/githubworkflowreceiver"

import (
	"math"
	"time"

	"github.com/google/go-github/v66/github"
)

// maxRunDuration bounds a root span: GitHub ends a workflow run after 35
// days at most (waiting for approvals included), so anything longer is a
// timestamp error, not a real run.
const maxRunDuration = 35 * 24 * time.Hour

// interval is a span's sanitised start and end. corrected is set when a
// timestamp was missing, negative or outside its parent and had to be
// changed; the span then carries github.actions.timestamps_corrected=true.
type interval struct {
	start, end time.Time
	corrected  bool
}

func (iv interval) duration() time.Duration { return iv.end.Sub(iv.start) }

// attemptTimes holds the sanitised timestamps of every span of an attempt,
// computed once for both the trace and the metrics.
type attemptTimes struct {
	root interval
	jobs []jobTimes // jobs[i] belongs to runAttempt.Jobs[i]
}

type jobTimes struct {
	span    interval
	queue   interval
	started bool // the job ran on a runner: the queue span exists
	carried bool // carried over from an earlier attempt by a partial re-run
	skip    bool // nil, or a repeated job id: gets no span and no metrics
	steps   []stepTimes
}

type stepTimes struct {
	span interval
	ran  bool // the step has a start time: it gets a span
}

// maxUnixSeconds bounds the timestamps kept: OTLP timestamps are nanoseconds
// since 1970 and Go's UnixNano overflows in 2262, so a GitHub timestamp outside
// that range counts as missing.
const maxUnixSeconds = math.MaxInt64 / int64(time.Second)

// ts is a GitHub timestamp, or the zero time when it is missing or unrepresentable.
func ts(t *github.Timestamp) time.Time {
	if t == nil || t.Unix() < 0 || t.Unix() >= maxUnixSeconds {
		return time.Time{}
	}
	return t.Time
}

// clampTime puts t into [lo, hi] (lo <= hi) and reports whether it moved.
func clampTime(t, lo, hi time.Time) (time.Time, bool) {
	switch {
	case t.Before(lo):
		return lo, true
	case t.After(hi):
		return hi, true
	default:
		return t, false
	}
}

// within sanitises [start, end] into parent: a missing start becomes the
// parent's start, a missing end the parent's end, then both are clamped into
// the parent and end is kept at or after start.
func within(start, end time.Time, parent interval) interval {
	var iv interval
	if start.IsZero() {
		start, iv.corrected = parent.start, true
	}
	if end.IsZero() {
		end, iv.corrected = parent.end, true
	}
	var moved bool
	iv.start, moved = clampTime(start, parent.start, parent.end)
	iv.corrected = iv.corrected || moved
	iv.end, moved = clampTime(end, iv.start, parent.end)
	iv.corrected = iv.corrected || moved
	return iv
}

// rootInterval is run_started_at → updated_at, sanitised: a missing start
// falls back to created_at, the end is kept at or after the start and at
// most maxRunDuration after it.
func rootInterval(run *github.WorkflowRun) interval {
	var iv interval
	iv.start = ts(run.RunStartedAt)
	if iv.start.IsZero() {
		iv.start, iv.corrected = ts(run.CreatedAt), true
	}
	iv.end = ts(run.UpdatedAt)
	if iv.start.IsZero() {
		iv.start = iv.end
	}
	var moved bool
	iv.end, moved = clampTime(iv.end, iv.start, iv.start.Add(maxRunDuration))
	iv.corrected = iv.corrected || moved
	return iv
}

// jobStarted reports whether a job ran on a runner. Jobs that never started
// (skipped, or cancelled while queued or waiting for approval) have no
// runner and no steps, and GitHub still fills started_at for them, even
// before created_at (see fixtures/github/contrib).
func jobStarted(job *github.WorkflowJob) bool {
	if job.StartedAt == nil || job.StartedAt.IsZero() {
		return false
	}
	if job.GetConclusion() == "skipped" {
		return false
	}
	return job.GetRunnerName() != "" || len(job.Steps) > 0
}

// sanitize computes the spans' intervals: root from the run, each job
// clamped into the root, its queue into the job, and its steps into the
// part of the job after the queue.
//
// A job carried over from an earlier attempt (a partial re-run reuses the
// jobs that succeeded) keeps its original timestamps, which lie before this
// attempt's start; it becomes an instant at the root's start, with no queue
// and no steps (those are in the earlier attempt's trace, which it links to).
func sanitize(a runAttempt) attemptTimes {
	at := attemptTimes{root: rootInterval(a.Run), jobs: make([]jobTimes, len(a.Jobs))}
	seen := make(map[int64]bool, len(a.Jobs))
	for i, job := range a.Jobs {
		jt := &at.jobs[i]
		if job == nil || seen[job.GetID()] {
			jt.skip = true
			continue
		}
		seen[job.GetID()] = true
		if a.carriedOver(job) {
			jt.carried = true
			jt.span = interval{start: at.root.start, end: at.root.start, corrected: true}
			continue
		}
		created := ts(job.CreatedAt)
		if created.IsZero() {
			created = ts(job.StartedAt)
		}
		jt.span = within(created, ts(job.CompletedAt), at.root)
		if jt.started = jobStarted(job); jt.started {
			q := within(jt.span.start, ts(job.StartedAt), jt.span)
			jt.queue = q
		}
		// Steps run once the job has a runner: after the queue, not during it.
		running := jt.span
		if jt.started {
			running.start = jt.queue.end
		}
		jt.steps = make([]stepTimes, len(job.Steps))
		for k, step := range job.Steps {
			if step == nil || step.StartedAt == nil || step.StartedAt.IsZero() {
				continue // never ran (queued when the job ended)
			}
			jt.steps[k] = stepTimes{span: within(ts(step.StartedAt), ts(step.CompletedAt), running), ran: true}
		}
	}
	return at
}
