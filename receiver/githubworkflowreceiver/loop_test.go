package githubworkflowreceiver

import (
	"context"
	"net/http"
	"path/filepath"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/receiver/receivertest"
	"go.uber.org/zap"

	"github.com/otelcol-diagnostics/otelcol-diagnostics/internal/fakegithub"
	"github.com/otelcol-diagnostics/otelcol-diagnostics/receiver/githubworkflowreceiver/internal/metadata"
)

// TestPollLoopInterval runs the real poll loop, real clock and real rate-limit pause inside a
// synctest bubble: time only moves when every goroutine waits, so the test takes no time.
// fakegithub serves in process (no sockets, which would keep the bubble from idling).
func TestPollLoopInterval(t *testing.T) {
	run, err := fakegithub.LoadRun(filepath.Join(fixturesDir, "webhooks", "workflow_run", "completed.payload.json"))
	require.NoError(t, err)
	synctest.Test(t, func(t *testing.T) {
		start := time.Now()
		gh := fakegithub.New(nil)
		gh.AddRepo("Organization", "octo-org", "octo-repo")
		gh.PutAttempt(testRepo, fakegithub.ShapeRun(run, testRepo, 1, 1, start.Add(-time.Hour), "completed", "success"), nil)
		gh.SetRateLimit(5000, 101, start.Add(10*time.Minute)) // one request above the reserve

		cfg := createDefaultConfig().(*Config)
		cfg.Endpoint = "http://api.test/"
		cfg.Repositories = []string{testRepo}
		r := newReceiver(receivertest.NewNopSettings(metadata.Type), cfg, nil)
		traces, metrics := new(consumertest.TracesSink), new(consumertest.MetricsSink)
		r.traces, r.metrics = traces, metrics
		r.client, err = newAPIClient(&http.Client{Transport: gh.Transport()}, cfg, r.clock, func(string, string, int, bool) {})
		require.NoError(t, err)
		r.state = newStateStore(nil, r.clock, cfg.Lookback)
		em := newEmitter(zap.NewNop(), "api.test", traces, metrics, r.state, r.clock, nil, nil)
		r.poller = newPoller(cfg, r.client, r.state, em, r.clock, zap.NewNop())

		ctx, cancel := context.WithCancel(t.Context())
		done := make(chan struct{})
		go func() {
			defer close(done)
			r.pollLoop(ctx)
		}()

		// The first poll lists (1 request, reaching the reserve), then pauses for the jobs
		// until the window resets ten minutes later.
		synctest.Wait()
		assert.Empty(t, traces.AllTraces())
		time.Sleep(10*time.Minute + time.Second)
		synctest.Wait()
		assert.Len(t, traces.AllTraces(), 1)
		// A tick fell during the pause: one catch-up poll followed at once (the ticker drops
		// the others). Metrics go out after each poll.
		assert.Len(t, metrics.AllMetrics(), 2)

		// Then one poll per collection_interval, answered 304.
		polls := gh.Requests(fakegithub.EndpointRepoRuns, http.StatusNotModified)
		time.Sleep(cfg.CollectionInterval)
		synctest.Wait()
		assert.Equal(t, polls+1, gh.Requests(fakegithub.EndpointRepoRuns, http.StatusNotModified))
		time.Sleep(5 * cfg.CollectionInterval)
		synctest.Wait()
		assert.Equal(t, polls+6, gh.Requests(fakegithub.EndpointRepoRuns, http.StatusNotModified))
		assert.Len(t, traces.AllTraces(), 1)

		cancel()
		<-done
	})
}
