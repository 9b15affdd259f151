package githubworkflowreceiver

import (
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/google/go-github/v66/github"
	"github.com/stretchr/testify/require"

	"github.com/otelcol-diagnostics/otelcol-diagnostics/internal/fakegithub"
)

// fixturesDir holds the real GitHub payloads (see its README).
var fixturesDir = fakegithub.FixturesDir()

func readFixture(tb testing.TB, rel string) []byte {
	tb.Helper()
	b, err := os.ReadFile(filepath.Join(fixturesDir, rel))
	require.NoError(tb, err, "fixture %s", rel)
	return b
}

func parseFixture(tb testing.TB, event, rel string) any {
	tb.Helper()
	ev, err := github.ParseWebHook(event, readFixture(tb, rel))
	require.NoError(tb, err, rel)
	return ev
}

// runFixture returns the workflow_run and repository of a workflow_run delivery.
func runFixture(tb testing.TB, rel string) (*github.WorkflowRun, string) {
	tb.Helper()
	ev, ok := parseFixture(tb, "workflow_run", rel).(*github.WorkflowRunEvent)
	require.True(tb, ok)
	return ev.GetWorkflowRun(), ev.GetRepo().GetFullName()
}

// jobFixture returns the workflow_job delivery.
func jobFixture(tb testing.TB, rel string) *github.WorkflowJobEvent {
	tb.Helper()
	ev, ok := parseFixture(tb, "workflow_job", rel).(*github.WorkflowJobEvent)
	require.True(tb, ok)
	return ev
}

// attemptFromJob builds the run attempt a workflow_job delivery belongs to,
// for job deliveries that have no matching workflow_run delivery: the run
// takes the job's run id, attempt, workflow name, branch, commit and
// conclusion, and spans the job's timestamps (as a real run does).
func attemptFromJob(ev *github.WorkflowJobEvent) runAttempt {
	job := ev.GetWorkflowJob()
	repo := ev.GetRepo()
	run := &github.WorkflowRun{
		ID:           job.RunID,
		Name:         job.WorkflowName,
		HeadBranch:   job.HeadBranch,
		HeadSHA:      job.HeadSHA,
		RunAttempt:   github.Int(int(job.GetRunAttempt())),
		Status:       github.String("completed"),
		Conclusion:   job.Conclusion,
		HTMLURL:      github.String(repo.GetHTMLURL() + "/actions/runs/" + strconv.FormatInt(job.GetRunID(), 10)),
		CreatedAt:    earliest(job.CreatedAt, job.StartedAt),
		RunStartedAt: earliest(job.CreatedAt, job.StartedAt),
		UpdatedAt:    latest(job.CreatedAt, job.CompletedAt),
		Repository:   repo,
	}
	return runAttempt{Repo: repo.GetFullName(), Run: run, Jobs: []*github.WorkflowJob{job}}
}

func earliest(a, b *github.Timestamp) *github.Timestamp {
	if b.GetTime().Before(*a.GetTime()) {
		return b
	}
	return a
}

func latest(a, b *github.Timestamp) *github.Timestamp {
	if b.GetTime().After(*a.GetTime()) {
		return b
	}
	return a
}
