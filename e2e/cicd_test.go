package e2e

import (
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-github/v66/github"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/otelcol-diagnostics/otelcol-diagnostics/internal/e2etest"
	"github.com/otelcol-diagnostics/otelcol-diagnostics/internal/fakegithub"
	"github.com/otelcol-diagnostics/otelcol-diagnostics/internal/pgtest"
)

const cicdE2EConfig = `
extensions:
  health_check:
    endpoint: %[1]s
receivers:
  githubworkflow:
    endpoint: %[2]s
    token: ${env:GITHUB_TOKEN}
    repositories: [octo-org/app]
    collection_interval: 1s
    lookback: 24h
exporters:
  postgres:
    dsn: ${env:POSTGRES_DSN}
    schema: ci
    sending_queue:
      batch:
        flush_timeout: 100ms
service:
  extensions: [health_check]
  telemetry:
    metrics:
      level: none
  pipelines:
    traces:
      receivers: [githubworkflow]
      exporters: [postgres]
`

// TestCICDViewsEndToEnd runs the built collector with the githubworkflow receiver polling the
// GitHub stand-in, fed with the real fixture payloads, and the postgres exporter into a
// throwaway PostgreSQL cluster, then reads the CI views. Run 100 fails its "linters" job in
// attempt 1 and passes it in a partial re-run (attempt 2: "tests" is carried over, "build" is
// skipped again): one flaky job. Run 200 passes at once.
func TestCICDViewsEndToEnd(t *testing.T) {
	fixtures := fakegithub.FixturesDir()
	base, err := fakegithub.LoadRun(filepath.Join(fixtures, "webhooks", "workflow_run", "completed.payload.json"))
	require.NoError(t, err, "fixtures in internal/fakegithub/testdata/github")
	load := func(name string) *github.WorkflowJob {
		job, err := fakegithub.LoadJob(filepath.Join(fixtures, name))
		require.NoError(t, err)
		return job
	}
	success := load("webhooks/workflow_job/completed.success.with-organization.payload.json") // "linters", 8 steps
	failure := load("webhooks/workflow_job/completed.failure.with-organization.payload.json") // "linters", 12 steps
	skipped := load("contrib/workflow_job.completed.skipped.payload.json")                    // "build", no runner
	named := func(j *github.WorkflowJob, name string) *github.WorkflowJob {
		j.Name = github.String(name)
		return j
	}

	const repo = "octo-org/app"
	now := time.Now().UTC().Truncate(time.Second)
	c1 := now.Add(-2 * time.Hour) // run 100; its attempt 2 starts 10 minutes later (fakegithub.ShapeRun)
	c2 := now.Add(-time.Hour)     // run 200
	tests := named(fakegithub.ShapeJob(success, 1003, 100, 1, c1.Add(20*time.Second)), "tests")

	gh := fakegithub.New(nil)
	gh.AddRepo("Organization", "octo-org", "app")
	gh.PutAttempt(repo, fakegithub.ShapeRun(base, repo, 100, 1, c1, "completed", "failure"), []*github.WorkflowJob{
		fakegithub.ShapeJob(failure, 1001, 100, 1, c1.Add(5*time.Second)),
		fakegithub.ShapeJob(skipped, 1002, 100, 1, c1.Add(5*time.Second)),
		tests,
	})
	gh.PutAttempt(repo, fakegithub.ShapeRun(base, repo, 100, 2, c1, "completed", "success"), []*github.WorkflowJob{
		fakegithub.ShapeJob(success, 2001, 100, 2, c1.Add(10*time.Minute+3*time.Second)),
		fakegithub.ShapeJob(skipped, 2002, 100, 2, c1.Add(10*time.Minute+3*time.Second)),
		tests, // carried over: it ran in attempt 1
	})
	gh.PutAttempt(repo, fakegithub.ShapeRun(base, repo, 200, 1, c2, "completed", "success"), []*github.WorkflowJob{
		named(fakegithub.ShapeJob(success, 3001, 200, 1, c2.Add(time.Second)), "tests"),
	})
	apiURL := gh.Start()
	t.Cleanup(gh.Close)

	dsn := sharedDatabase(t)

	health := e2etest.FreeAddr(t)
	col := e2etest.Start(t, fmt.Sprintf(cicdE2EConfig, health, apiURL), "GITHUB_TOKEN=ghp_e2e", "POSTGRES_DSN="+dsn)
	col.WaitHTTP("http://"+health+"/", 30*time.Second)

	conn := pgtest.Connect(t, dsn)
	// 3 attempts, 7 jobs, 12 + 8 + 8 + 8 steps that ran.
	want := map[string]int64{"cicd_runs": 3, "cicd_jobs": 7, "cicd_steps": 36}
	count := func(view string) int64 {
		var n int64
		if err := conn.QueryRow(t.Context(), "SELECT count(*) FROM ci."+view).Scan(&n); err != nil {
			return -1 // not migrated yet
		}
		return n
	}
	e2etest.Eventually(t, 60*time.Second, func() bool {
		for view, n := range want {
			if count(view) < n {
				return false
			}
		}
		return true
	}, "CI rows did not arrive; collector output:\n%s", col.Output())
	require.NoError(t, col.Stop(10*time.Second), "clean exit on SIGTERM")
	for view, n := range want {
		assert.Equal(t, n, count(view), view)
	}

	const (
		workflow = ".github/workflows/test.yml" // the fixture run has no name
		sha      = "3484a3fb816e0859fd6e1cea078d76385ff50625"
		runner   = "GitHub Actions 5"
	)
	labels := []any{"ubuntu-latest"}
	runURL := "https://github.com/octo-org/app/actions/runs/"
	traceIDs := map[string]string{}

	t.Run("runs", func(t *testing.T) {
		rows := pgtest.Rows(t, conn, `SELECT repository, workflow, workflow_id, run_id, attempt, branch, sha, event, status, result,
			conclusion, queued_at, started_at, completed_at, queue_seconds, duration_seconds, url, trace_id
			FROM ci.cicd_runs ORDER BY run_id, attempt`)
		require.Len(t, rows, 3)
		for _, r := range rows {
			traceIDs[fmt.Sprintf("%v/%v", r[3], r[4])] = r[17].(string)
			assert.Regexp(t, "^[0-9a-f]{32}$", r[17])
			r[17] = "trace"
		}
		assert.Equal(t, [][]any{
			{
				repo, workflow, int64(2823525), "100", int64(1), "master", sha, "repository_dispatch", "completed", "failure",
				"failure", c1, c1.Add(15 * time.Second), c1.Add(5 * time.Minute), 15.0, 300.0, runURL + "100", "trace",
			},
			{
				repo, workflow, int64(2823525), "100", int64(2), "master", sha, "repository_dispatch", "completed", "success",
				"success", c1.Add(10 * time.Minute), c1.Add(10*time.Minute + 13*time.Second), c1.Add(15 * time.Minute), 13.0, 300.0,
				runURL + "100/attempts/2", "trace",
			},
			{
				repo, workflow, int64(2823525), "200", int64(1), "master", sha, "repository_dispatch", "completed", "success",
				"success", c2, c2.Add(11 * time.Second), c2.Add(5 * time.Minute), 11.0, 300.0, runURL + "200", "trace",
			},
		}, rows)
		assert.Len(t, traceIDs, 3)
	})

	t.Run("jobs", func(t *testing.T) {
		rows := pgtest.Rows(t, conn, `SELECT run_id, attempt, job_id, job_node_id, job_name, job_run_attempt, carried_over, status,
			result, conclusion, queued_at, started_at, completed_at, queue_seconds, duration_seconds, runner_name,
			runner_labels, runner_group_name, branch, sha, workflow
			FROM ci.cicd_jobs ORDER BY run_id, attempt, job_id`)
		node := "MDExOldvcmtmbG93UnVuMjg5NzgyNDUx"
		skipNode := "CR_kwDOOjaRi88AAAAJrFr5Eg"
		ran := func(run string, attempt int64, id, name string, ranIn int64, carried bool, conclusion string,
			created time.Time, queue, dur any,
		) []any {
			result := map[string]string{"success": "success", "failure": "failure"}[conclusion]
			return []any{
				run, attempt, id, node, name, ranIn, carried, "completed", result, conclusion,
				created, created.Add(10 * time.Second), created.Add(130 * time.Second), queue, dur, runner, labels,
				"GitHub Actions", "master", sha, workflow,
			}
		}
		skip := func(attempt int64, id string, created time.Time) []any {
			return []any{
				"100", attempt, id, skipNode, "build", attempt, false, "completed", "skip", "skipped",
				created, nil, created.Add(130 * time.Second), nil, 0.0, nil,
				[]any{},
				nil, "master", sha, workflow,
			}
		}
		assert.Equal(t, [][]any{
			ran("100", 1, "1001", "linters", 1, false, "failure", c1.Add(5*time.Second), 10.0, 120.0),
			skip(1, "1002", c1.Add(5*time.Second)),
			ran("100", 1, "1003", "tests", 1, false, "success", c1.Add(20*time.Second), 10.0, 120.0),
			// carried over into attempt 2: attempt 1's times, no seconds of its own
			ran("100", 2, "1003", "tests", 1, true, "success", c1.Add(20*time.Second), nil, nil),
			ran("100", 2, "2001", "linters", 2, false, "success", c1.Add(10*time.Minute+3*time.Second), 10.0, 120.0),
			skip(2, "2002", c1.Add(10*time.Minute+3*time.Second)),
			ran("200", 1, "3001", "tests", 1, false, "success", c2.Add(time.Second), 10.0, 120.0),
		}, rows)
	})

	t.Run("steps", func(t *testing.T) {
		rows := pgtest.Rows(t, conn, `SELECT run_id, attempt, job_name, count(*), count(*) FILTER (WHERE result = 'failure'),
			count(*) FILTER (WHERE conclusion = 'skipped'), min(started_at), max(completed_at), sum(duration_seconds)
			FROM ci.cicd_steps GROUP BY run_id, attempt, job_name ORDER BY run_id, attempt, job_name`)
		// fakegithub.ShapeJob runs step i from started_at + i s for 1 s.
		started1 := c1.Add(15 * time.Second)
		started2 := c1.Add(10*time.Minute + 13*time.Second)
		assert.Equal(t, [][]any{
			{"100", int64(1), "linters", int64(12), int64(1), int64(2), started1, started1.Add(12 * time.Second), 12.0},
			{"100", int64(1), "tests", int64(8), int64(0), int64(0), started1.Add(15 * time.Second), started1.Add(23 * time.Second), 8.0},
			{"100", int64(2), "linters", int64(8), int64(0), int64(0), started2, started2.Add(8 * time.Second), 8.0},
			{"200", int64(1), "tests", int64(8), int64(0), int64(0), c2.Add(11 * time.Second), c2.Add(19 * time.Second), 8.0},
		}, rows)
		step := pgtest.Rows(t, conn, `SELECT step_number, step_name, status, result, conclusion, runner_name, trace_id
			FROM ci.cicd_steps WHERE run_id = '100' AND attempt = 1 AND job_name = 'linters' AND step_number = 8`)
		assert.Equal(t, [][]any{{int64(8), "Run yarn run format-check", "completed", "failure", "failure", runner, traceIDs["100/1"]}}, step)
	})

	t.Run("flaky jobs", func(t *testing.T) {
		rows := pgtest.Rows(t, conn, `SELECT repository, workflow, run_id, branch, sha, job_name, failed_attempt, failed_job_id,
			failed_conclusion, failed_completed_at, failed_trace_id, succeeded_attempt, succeeded_job_id,
			succeeded_started_at, succeeded_trace_id, start_time
			FROM ci.cicd_flaky_jobs`)
		assert.Equal(t, [][]any{{
			repo, workflow, "100", "master", sha, "linters", int64(1), "1001", "failure",
			c1.Add(5*time.Second + 130*time.Second), traceIDs["100/1"], int64(2), "2001",
			c1.Add(10*time.Minute + 13*time.Second), traceIDs["100/2"], c1.Add(10*time.Minute + 3*time.Second),
		}}, rows)
	})
}
