package githubworkflowreceiver // import "github.com/otelcol-diagnostics/otelcol-diagnostics/receiver/githubworkflowreceiver"

import (
	"strings"

	"github.com/google/go-github/v66/github"
)

// runAttempt is one attempt of a workflow run with all its jobs.
type runAttempt struct {
	Repo string                // "owner/name"
	Run  *github.WorkflowRun   // the attempt's run (GET /repos/{o}/{r}/actions/runs/{id}/attempts/{n}); RunAttempt set
	Jobs []*github.WorkflowJob // every job of that attempt (GET .../attempts/{n}/jobs, all pages)
}

// attempt is the run attempt number; GitHub numbers attempts from 1.
func (a runAttempt) attempt() int {
	if n := a.Run.GetRunAttempt(); n > 0 {
		return n
	}
	return 1
}

// repoName is the repository name without its owner.
func (a runAttempt) repoName() string {
	if _, name, ok := strings.Cut(a.Repo, "/"); ok {
		return name
	}
	return a.Repo
}

// repoOwner is the owner part of Repo.
func (a runAttempt) repoOwner() string {
	owner, _, _ := strings.Cut(a.Repo, "/")
	return owner
}

// pipelineName is the workflow's name. A run whose name is empty (GitHub sends
// "" for some events) falls back to the workflow file path, then to the
// name the jobs carry.
func (a runAttempt) pipelineName() string {
	if n := a.Run.GetName(); n != "" {
		return n
	}
	if p := a.Run.GetPath(); p != "" {
		return p
	}
	for _, j := range a.Jobs {
		if n := j.GetWorkflowName(); n != "" {
			return n
		}
	}
	return "unknown"
}

// carriedOver reports whether job ran in an earlier attempt and was only
// carried into this attempt by a partial re-run ("re-run failed jobs").
func (a runAttempt) carriedOver(job *github.WorkflowJob) bool {
	n := job.GetRunAttempt()
	return n > 0 && n < int64(a.attempt())
}
