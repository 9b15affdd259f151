package e2e

import (
	"fmt"
	"os"
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

// TestGitHubWorkflowToPostgresReemissionAfterCrash reproduces what a kill between an export and
// its mark-done leaves: the attempt's spans are in the database, but the receiver's done record
// is not in its storage. The collector (githubworkflow → postgres, both on file_storage) emits
// every attempt, is killed with SIGKILL once all of them are stored, and restarts with the
// receiver's storage emptied, so it emits every attempt again. The database still holds each
// span once, and the CI views count each run once; the exporter counts the re-emitted spans as
// skipped.
func TestGitHubWorkflowToPostgresReemissionAfterCrash(t *testing.T) {
	fixtures := fakegithub.FixturesDir()
	base, err := fakegithub.LoadRun(filepath.Join(fixtures, "webhooks", "workflow_run", "completed.payload.json"))
	require.NoError(t, err)
	job, err := fakegithub.LoadJob(filepath.Join(fixtures, "webhooks/workflow_job/completed.success.with-organization.payload.json"))
	require.NoError(t, err)

	const (
		repo = "octo-org/app"
		runs = 20
	)
	now := time.Now().UTC().Truncate(time.Second)
	gh := fakegithub.New(nil)
	gh.AddRepo("Organization", "octo-org", "app")
	for i := range int64(runs) {
		created := now.Add(-time.Hour + time.Duration(i)*time.Minute)
		run := 1000 + i
		gh.PutAttempt(repo, fakegithub.ShapeRun(base, repo, run, 1, created, "completed", "success"),
			[]*github.WorkflowJob{
				fakegithub.ShapeJob(job, run*10+1, run, 1, created.Add(5*time.Second)),
				fakegithub.ShapeJob(job, run*10+2, run, 1, created.Add(5*time.Second)),
			})
	}
	apiURL := gh.Start()
	t.Cleanup(gh.Close)

	dsn := sharedDatabase(t)
	receiverState, queue := t.TempDir(), t.TempDir()
	health := e2etest.FreeAddr(t)
	telemetry := e2etest.FreeAddr(t)
	config := fmt.Sprintf(`
extensions:
  health_check:
    endpoint: %s
  file_storage/github:
    directory: %s
  file_storage/queue:
    directory: %s
receivers:
  githubworkflow:
    endpoint: %s
    token: ${env:GITHUB_TOKEN}
    repositories: [%s]
    collection_interval: 1s
    lookback: 24h
    storage: file_storage/github
exporters:
  postgres:
    dsn: ${env:POSTGRES_DSN}
    schema: ghcrash
    sending_queue:
      storage: file_storage/queue
      batch:
        flush_timeout: 100ms
service:
  extensions: [health_check, file_storage/github, file_storage/queue]
  telemetry:
%s
  pipelines:
    traces:
      receivers: [githubworkflow]
      exporters: [postgres]
`, health, receiverState, queue, apiURL, repo, telemetryMetrics(t, telemetry, ""))
	start := func() *e2etest.Collector {
		c := e2etest.Start(t, config, "GITHUB_TOKEN=ghp_e2e", "POSTGRES_DSN="+dsn)
		c.WaitHTTP("http://"+health+"/", 30*time.Second)
		return c
	}

	conn := pgtest.Connect(t, dsn)
	count := func(query string) int64 {
		var n int64
		if err := conn.QueryRow(t.Context(), query).Scan(&n); err != nil {
			return -1 // not migrated yet
		}
		return n
	}
	const spansQuery = "SELECT count(*) FROM ghcrash.spans"

	col := start()
	e2etest.Eventually(t, 60*time.Second, func() bool { return count("SELECT count(*) FROM ghcrash.cicd_runs") == runs },
		"the runs did not arrive:\n%s", col.Output())
	// Every attempt's spans are written in one request; wait for the count to settle.
	spans := count(spansQuery)
	e2etest.Eventually(t, 10*time.Second, func() bool {
		time.Sleep(500 * time.Millisecond)
		n := count(spansQuery)
		settled := n == spans
		spans = n
		return settled
	}, "spans still arriving")
	require.Positive(t, spans)

	col.Kill()
	require.NoError(t, os.RemoveAll(receiverState))
	require.NoError(t, os.MkdirAll(receiverState, 0o700))
	col = start()
	metrics := "http://" + telemetry + "/metrics"
	e2etest.Eventually(t, 60*time.Second, func() bool {
		skipped, _ := sample(scrape(t, metrics), "otelcol_exporter_postgres_rows_skipped_total", "table", "spans")
		return int64(skipped) >= spans
	}, "the receiver did not emit the attempts again:\n%s", col.Output())
	require.NoError(t, col.Stop(10*time.Second))

	assert.Equal(t, spans, count(spansQuery), "each span once")
	assert.Equal(t, spans, count("SELECT count(DISTINCT (trace_id, span_id)) FROM ghcrash.spans"))
	assert.Equal(t, int64(runs), count("SELECT count(*) FROM ghcrash.cicd_runs"), "each run once")
	assert.Equal(t, int64(2*runs), count("SELECT count(*) FROM ghcrash.cicd_jobs"), "each job once")
}
