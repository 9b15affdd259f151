package githubworkflowreceiver

import (
	"net/http"
	"path/filepath"
	"testing"
	"testing/synctest"
	"time"

	"github.com/google/go-github/v66/github"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/otelcol-diagnostics/otelcol-diagnostics/internal/fakegithub"
)

// GitHub Enterprise Server: the API lives under https://HOST/api/v3/. Polling with Link
// pagination, App installation tokens, owner/* and the span links of re-runs all work
// there, and trace ids hold the server's host.
func TestEnterpriseServer(t *testing.T) {
	key, keyFile := appKey(t)
	base, err := fakegithub.LoadRun(filepath.Join(fixturesDir, "webhooks", "workflow_run", "completed.payload.json"))
	require.NoError(t, err)
	job, err := fakegithub.LoadJob(filepath.Join(fixturesDir, "webhooks", "workflow_job", "completed.success.with-organization.payload.json"))
	require.NoError(t, err)
	synctest.Test(t, func(t *testing.T) {
		gh := fakegithub.New(nil)
		gh.Enterprise()
		gh.AddRepo("Organization", "octo-org", "octo-repo")
		gh.EnableApp(testAppID, testInstallationID, &key.PublicKey, time.Hour)
		now := time.Now()
		for i := range 150 { // two pages of completed runs
			gh.PutAttempt(testRepo, fakegithub.ShapeRun(base, testRepo, int64(1000+i), 1, now.Add(-time.Duration(i)*time.Minute), "completed", "success"), nil)
		}
		rerun := now.Add(-3 * time.Hour)
		gh.PutAttempt(testRepo, fakegithub.ShapeRun(base, testRepo, 7, 1, rerun, "completed", "failure"),
			[]*github.WorkflowJob{fakegithub.ShapeJob(job, 70, 7, 1, rerun)})
		gh.PutAttempt(testRepo, fakegithub.ShapeRun(base, testRepo, 7, 2, rerun, "completed", "success"),
			[]*github.WorkflowJob{fakegithub.ShapeJob(job, 71, 7, 2, rerun)})

		cfg := appConfig("https://ghe.example.com/api/v3/", keyFile, "octo-org/*")
		r, traces := loopReceiver(t, cfg, gh.Transport())
		runLoop(t, r, 3*cfg.CollectionInterval, nil)

		assert.Len(t, attemptsOf(traces), 150+2)
		assert.Zero(t, gh.Requests(fakegithub.EndpointOther, http.StatusNotFound), "every request went under /api/v3/")
		assert.Zero(t, gh.Total(http.StatusUnauthorized))
		assert.Equal(t, 1, gh.TokensMinted())
		assert.Equal(t, 1, gh.Requests(fakegithub.EndpointInstallationRepos, http.StatusOK))
		assert.Positive(t, gh.LaterPages(), "Link pagination under /api/v3/")

		roots := map[int64]ptrace.Span{}
		for _, td := range traces.AllTraces() {
			root := rootOf(td)
			id, _ := root.Attributes().Get("cicd.pipeline.run.id")
			if id.AsString() != "7" {
				continue
			}
			att, _ := root.Attributes().Get("github.actions.run.attempt")
			roots[att.Int()] = root
		}
		require.Len(t, roots, 2)
		for n, root := range roots {
			want := attemptKey{host: "ghe.example.com", repo: testRepo, runID: 7, attempt: int(n)}
			assert.Equal(t, want.traceID(), root.TraceID(), "the trace id holds the host")
			assert.Equal(t, want.rootSpanID(), root.SpanID())
		}
		require.Equal(t, 1, roots[2].Links().Len())
		assert.Equal(t, roots[1].TraceID(), roots[2].Links().At(0).TraceID())
		assert.Equal(t, roots[1].SpanID(), roots[2].Links().At(0).SpanID())
	})
}
