package githubworkflowreceiver // import "github.com/otelcol-diagnostics/otelcol-diagnostics/receiver/githubworkflowreceiver"

import (
	"strconv"
	"strings"
	"time"

	"github.com/google/go-github/v66/github"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
)

const scopeName = "github.com/otelcol-diagnostics/otelcol-diagnostics/receiver/githubworkflowreceiver"

// traceBuilder turns run attempts into traces. It holds no mutable state and
// is safe for concurrent use.
type traceBuilder struct {
	host string
}

// newTraceBuilder returns a builder for runs of the GitHub instance whose API
// is at host ("api.github.com", or a GitHub Enterprise Server host). The host
// is part of every id, so two instances never share ids.
func newTraceBuilder(host string) *traceBuilder {
	return &traceBuilder{host: host}
}

func (b *traceBuilder) key(a runAttempt, attempt int) attemptKey {
	return attemptKey{host: b.host, repo: a.Repo, runID: a.Run.GetID(), attempt: attempt}
}

// build returns one resource with one trace: the attempt's root span (kind
// SERVER), a span per job (INTERNAL) with a "queue" child and a child per
// step. Attempt n > 1 links to attempt n-1's root span; the ids of that span
// are derived, so nothing is fetched. An attempt without a run gives empty
// traces.
func (b *traceBuilder) build(a runAttempt) ptrace.Traces {
	td := ptrace.NewTraces()
	if a.Run == nil {
		return td
	}
	times := sanitize(a)
	attempt := a.attempt()
	key := b.key(a, attempt)
	traceID := key.traceID()

	rs := td.ResourceSpans().AppendEmpty()
	rs.SetSchemaUrl(semconv.SchemaURL)
	res := rs.Resource().Attributes()
	res.PutStr(attrServiceName, a.Repo)
	res.PutStr(attrVCSProviderName, providerGitHub)
	res.PutStr(attrVCSOwnerName, a.repoOwner())
	ss := rs.ScopeSpans().AppendEmpty()
	ss.Scope().SetName(scopeName)
	ss.SetSchemaUrl(semconv.SchemaURL)
	spans := ss.Spans()

	rootID := key.rootSpanID()
	root := spans.AppendEmpty()
	root.SetTraceID(traceID)
	root.SetSpanID(rootID)
	// semconv: "{action} {pipeline}", the workflow name being low-cardinality.
	root.SetName(actionRun + " " + a.pipelineName())
	root.SetKind(ptrace.SpanKindServer)
	b.rootAttributes(root.Attributes(), a)
	setTimes(root, times.root)
	setStatus(root, a.Run.GetConclusion())
	if attempt > 1 {
		prev := b.key(a, attempt-1)
		link := root.Links().AppendEmpty()
		link.SetTraceID(prev.traceID())
		link.SetSpanID(prev.rootSpanID())
		link.Attributes().PutInt(attrGHRunAttempt, int64(attempt-1))
	}

	for i, job := range a.Jobs {
		jt := times.jobs[i]
		if jt.skip {
			continue
		}
		jobID := job.GetID()
		js := spans.AppendEmpty()
		js.SetTraceID(traceID)
		js.SetSpanID(key.jobSpanID(jobID))
		js.SetParentSpanID(rootID)
		js.SetName(jobName(job))
		js.SetKind(ptrace.SpanKindInternal)
		jobAttributes(js.Attributes(), job)
		setTimes(js, jt.span)
		setStatus(js, job.GetConclusion())
		if jt.carried {
			js.Attributes().PutBool(attrGHJobCarriedOver, true)
			orig := int(job.GetRunAttempt())
			link := js.Links().AppendEmpty()
			link.SetTraceID(b.key(a, orig).traceID())
			link.SetSpanID(b.key(a, orig).jobSpanID(jobID))
			link.Attributes().PutInt(attrGHRunAttempt, int64(orig))
			continue
		}
		if jt.started {
			q := spans.AppendEmpty()
			q.SetTraceID(traceID)
			q.SetSpanID(key.queueSpanID(jobID))
			q.SetParentSpanID(js.SpanID())
			q.SetName("queue")
			q.SetKind(ptrace.SpanKindInternal)
			setTimes(q, jt.queue)
		}
		seen := make(map[int64]bool, len(job.Steps))
		for k, step := range job.Steps {
			if !jt.steps[k].ran {
				continue
			}
			// Step numbers identify steps; a missing or repeated number (never
			// seen from GitHub) falls back to a negative position so ids stay unique.
			num := step.GetNumber()
			if num <= 0 || seen[num] {
				num = -int64(k + 1)
			}
			seen[num] = true
			st := spans.AppendEmpty()
			st.SetTraceID(traceID)
			st.SetSpanID(key.stepSpanID(jobID, num))
			st.SetParentSpanID(js.SpanID())
			st.SetName(stepName(step, k))
			st.SetKind(ptrace.SpanKindInternal)
			sa := st.Attributes()
			sa.PutInt(attrGHStepNumber, step.GetNumber())
			putStr(sa, attrGHStatus, step.GetStatus())
			putStr(sa, attrGHConclusion, step.GetConclusion())
			setTimes(st, jt.steps[k].span)
			setStatus(st, step.GetConclusion())
		}
	}
	return td
}

func (b *traceBuilder) rootAttributes(m pcommon.Map, a runAttempt) {
	run := a.Run
	m.PutStr(attrPipelineName, a.pipelineName())
	m.PutStr(attrPipelineActionName, actionRun)
	m.PutStr(attrPipelineRunID, strconv.FormatInt(run.GetID(), 10))
	putStr(m, attrPipelineRunURL, attemptURL(run.GetHTMLURL(), a.attempt()))
	if r, _ := cicdResult(run.GetConclusion()); r != "" {
		m.PutStr(attrPipelineResult, r)
	}
	m.PutStr(attrVCSProviderName, providerGitHub)
	m.PutStr(attrVCSRepositoryName, a.repoName())
	putStr(m, attrVCSRepositoryURL, repositoryURL(run))
	putStr(m, attrVCSRefHeadName, run.GetHeadBranch())
	putStr(m, attrVCSRefHeadRevision, run.GetHeadSHA())

	m.PutInt(attrGHRunAttempt, int64(a.attempt()))
	if n := run.GetRunNumber(); n > 0 {
		m.PutInt(attrGHRunNumber, int64(n))
	}
	putStr(m, attrGHEvent, run.GetEvent())
	putStr(m, attrGHStatus, run.GetStatus())
	putStr(m, attrGHConclusion, run.GetConclusion())
	if id := run.GetWorkflowID(); id != 0 {
		m.PutInt(attrGHWorkflowID, id)
	}
	putTime(m, attrGHRunCreatedAt, run.CreatedAt)
	putStr(m, attrGHWorkflowPath, run.GetPath())
	putStr(m, attrGHDisplayTitle, run.GetDisplayTitle())
	putStr(m, attrGHActor, run.GetActor().GetLogin())
	putStr(m, attrGHTriggeringActor, run.GetTriggeringActor().GetLogin())
	if len(run.PullRequests) > 0 {
		prs := m.PutEmptySlice(attrGHPullRequests)
		for _, pr := range run.PullRequests {
			if n := pr.GetNumber(); n > 0 {
				prs.AppendEmpty().SetInt(int64(n))
			}
		}
	}
}

func jobAttributes(m pcommon.Map, job *github.WorkflowJob) {
	m.PutStr(attrTaskName, jobName(job))
	m.PutStr(attrTaskRunID, strconv.FormatInt(job.GetID(), 10))
	putStr(m, attrTaskRunURL, job.GetHTMLURL())
	if r, _ := cicdResult(job.GetConclusion()); r != "" {
		m.PutStr(attrTaskRunResult, r)
	}
	putStr(m, attrWorkerName, job.GetRunnerName())
	if id := job.GetRunnerID(); id != 0 {
		m.PutStr(attrWorkerID, strconv.FormatInt(id, 10))
	}
	putStr(m, attrGHStatus, job.GetStatus())
	putStr(m, attrGHConclusion, job.GetConclusion())
	if n := job.GetRunAttempt(); n > 0 {
		m.PutInt(attrGHJobRunAttempt, n)
	}
	if len(job.Labels) > 0 {
		labels := m.PutEmptySlice(attrGHRunnerLabels)
		for _, l := range job.Labels {
			labels.AppendEmpty().SetStr(l)
		}
	}
	putStr(m, attrGHRunnerGroupName, job.GetRunnerGroupName())
	if id := job.GetRunnerGroupID(); id != 0 {
		m.PutInt(attrGHRunnerGroupID, id)
	}
	putStr(m, attrGHJobNodeID, job.GetNodeID())
	putTime(m, attrGHJobCreatedAt, job.CreatedAt)
	if jobStarted(job) {
		putTime(m, attrGHJobStartedAt, job.StartedAt)
	}
	putTime(m, attrGHJobCompletedAt, job.CompletedAt)
}

func jobName(job *github.WorkflowJob) string {
	if n := job.GetName(); n != "" {
		return n
	}
	return "job " + strconv.FormatInt(job.GetID(), 10)
}

func stepName(step *github.TaskStep, index int) string {
	if n := step.GetName(); n != "" {
		return n
	}
	return "step " + strconv.Itoa(index+1)
}

// repositoryURL is the repository's web URL, from the run's repository or,
// failing that, cut from the run's own URL (".../owner/repo/actions/runs/ID").
func repositoryURL(run *github.WorkflowRun) string {
	if u := run.GetRepository().GetHTMLURL(); u != "" {
		return u
	}
	if prefix, _, ok := strings.Cut(run.GetHTMLURL(), "/actions/runs/"); ok {
		return prefix
	}
	return ""
}

func otlpTime(t time.Time) pcommon.Timestamp {
	if t.IsZero() {
		return 0 // no timestamp at all (never from GitHub for a completed run)
	}
	return pcommon.NewTimestampFromTime(t)
}

func setTimes(s ptrace.Span, iv interval) {
	s.SetStartTimestamp(otlpTime(iv.start))
	s.SetEndTimestamp(otlpTime(iv.end))
	if iv.corrected {
		s.Attributes().PutBool(attrGHTimestampsCorrected, true)
	}
}

// setStatus sets ERROR, with the raw conclusion as message and error.type,
// for failure, timed_out and startup_failure; the status stays unset
// otherwise.
func setStatus(s ptrace.Span, conclusion string) {
	if _, isErr := cicdResult(conclusion); isErr {
		s.Status().SetCode(ptrace.StatusCodeError)
		s.Status().SetMessage(conclusion)
		s.Attributes().PutStr(attrErrorType, conclusion)
	}
}

// attemptURL is the web page of one attempt: GitHub serves attempt n > 1 of
// a run at ".../actions/runs/ID/attempts/n", the run's html_url shows the latest.
func attemptURL(runURL string, attempt int) string {
	if runURL == "" || attempt <= 1 || strings.Contains(runURL, "/attempts/") {
		return runURL
	}
	return runURL + "/attempts/" + strconv.Itoa(attempt)
}

// putTime puts a GitHub timestamp as an RFC 3339 string in UTC, unless it is
// missing or unrepresentable.
func putTime(m pcommon.Map, k string, t *github.Timestamp) {
	if tt := ts(t); !tt.IsZero() {
		m.PutStr(k, tt.UTC().Format(time.RFC3339Nano))
	}
}

func putStr(m pcommon.Map, k, v string) {
	if v != "" {
		m.PutStr(k, v)
	}
}
