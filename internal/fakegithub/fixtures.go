package fakegithub // import "github.com/otelcol-diagnostics/otelcol-diagnostics/internal/fakegithub"

import (
	"encoding/json"
	"fmt"
	"os"
	"time"

	"github.com/google/go-github/v66/github"
)

// LoadRun reads the workflow_run object of a webhook delivery (the shape of an element of
// workflow_runs in GET /repos/{o}/{r}/actions/runs).
func LoadRun(path string) (*github.WorkflowRun, error) {
	var ev struct {
		WorkflowRun *github.WorkflowRun `json:"workflow_run"`
	}
	if err := load(path, &ev); err != nil {
		return nil, err
	}
	if ev.WorkflowRun == nil {
		return nil, fmt.Errorf("%s: no workflow_run object", path)
	}
	return ev.WorkflowRun, nil
}

// LoadJob reads the workflow_job object of a webhook delivery (the shape of an element of
// jobs in GET .../attempts/{n}/jobs).
func LoadJob(path string) (*github.WorkflowJob, error) {
	var ev struct {
		WorkflowJob *github.WorkflowJob `json:"workflow_job"`
	}
	if err := load(path, &ev); err != nil {
		return nil, err
	}
	if ev.WorkflowJob == nil {
		return nil, fmt.Errorf("%s: no workflow_job object", path)
	}
	return ev.WorkflowJob, nil
}

func load(path string, v any) error {
	raw, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("read fixture: %w", err)
	}
	if err := json.Unmarshal(raw, v); err != nil {
		return fmt.Errorf("decode fixture %s: %w", path, err)
	}
	return nil
}

// CloneRun returns a deep copy of run (a shallow one should JSON fail, which go-github types never do).
func CloneRun(run *github.WorkflowRun) *github.WorkflowRun {
	out := *run
	deepCopy(run, &out)
	return &out
}

// CloneJob returns a deep copy of job.
func CloneJob(job *github.WorkflowJob) *github.WorkflowJob {
	out := *job
	deepCopy(job, &out)
	return &out
}

func cloneJobs(jobs []*github.WorkflowJob) []*github.WorkflowJob {
	out := make([]*github.WorkflowJob, len(jobs))
	for i, j := range jobs {
		out[i] = CloneJob(j)
	}
	return out
}

// deepCopy overwrites out with a JSON round trip of in, leaving it as it is on failure.
func deepCopy[T any](in, out *T) {
	raw, err := json.Marshal(in)
	if err != nil {
		return
	}
	var tmp T
	if json.Unmarshal(raw, &tmp) == nil {
		*out = tmp
	}
}

// ShapeRun returns a copy of base as attempt n of run id in repo "owner/name", created at
// created, updated 5 minutes after it; status "completed" gets conclusion, other statuses none.
func ShapeRun(base *github.WorkflowRun, repo string, id int64, n int, created time.Time, status, conclusion string) *github.WorkflowRun {
	r := CloneRun(base)
	r.ID = github.Int64(id)
	r.RunAttempt = github.Int(n)
	r.RunNumber = github.Int(int(id % 100000))
	r.CreatedAt = &github.Timestamp{Time: created}
	r.RunStartedAt = &github.Timestamp{Time: created.Add(time.Duration(n-1) * 10 * time.Minute)}
	r.UpdatedAt = &github.Timestamp{Time: created.Add(time.Duration(n-1)*10*time.Minute + 5*time.Minute)}
	r.Status = github.String(status)
	r.Conclusion = nil
	if status == "completed" {
		r.Conclusion = github.String(conclusion)
	}
	r.HTMLURL = github.String(fmt.Sprintf("https://github.com/%s/actions/runs/%d", repo, id))
	r.URL = github.String(fmt.Sprintf("https://api.github.com/repos/%s/actions/runs/%d", repo, id))
	return r
}

// ShapeJob returns a copy of base as job id of attempt n of run runID, queued at created,
// started 10 seconds later and completed 2 minutes after that; its steps are moved inside.
func ShapeJob(base *github.WorkflowJob, id, runID int64, n int, created time.Time) *github.WorkflowJob {
	j := CloneJob(base)
	j.ID = github.Int64(id)
	j.RunID = github.Int64(runID)
	j.RunAttempt = github.Int64(int64(n))
	start := created.Add(10 * time.Second)
	j.CreatedAt = &github.Timestamp{Time: created}
	j.StartedAt = &github.Timestamp{Time: start}
	j.CompletedAt = &github.Timestamp{Time: start.Add(2 * time.Minute)}
	for i, st := range j.Steps {
		s0 := start.Add(time.Duration(i) * time.Second)
		st.StartedAt = &github.Timestamp{Time: s0}
		st.CompletedAt = &github.Timestamp{Time: s0.Add(time.Second)}
	}
	return j
}
