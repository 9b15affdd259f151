package githubworkflowreceiver

import (
	"context"
	"net/http"
	"path/filepath"
	"sync"
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

// completesBetweenListings serves the fake API and counts the completed listings. After the
// first one it completes the in-progress run, so that the unfiltered listing that follows in
// the same poll is the first to see (and emit) that completion.
type completesBetweenListings struct {
	next     http.RoundTripper
	complete func()

	mu        sync.Mutex
	completed int
}

func (c *completesBetweenListings) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := c.next.RoundTrip(req)
	if req.URL.Query().Get("status") == statusCompleted {
		c.mu.Lock()
		c.completed++
		first := c.completed == 1
		c.mu.Unlock()
		if first {
			c.complete()
		}
	}
	return resp, err
}

func (c *completesBetweenListings) listings() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.completed
}

// The scenario of a polled repository that no delivery ever names, beside a configured
// webhook: a completion the unfiltered listing emitted must not make it webhook-covered. It
// is listed every collection_interval for as long as the receiver runs.
func TestUncoveredRepositoryIsListedEveryInterval(t *testing.T) {
	base, err := fakegithub.LoadRun(filepath.Join(fixturesDir, "webhooks", "workflow_run", "completed.payload.json"))
	require.NoError(t, err)
	synctest.Test(t, func(t *testing.T) {
		start := time.Now()
		gh := fakegithub.New(nil)
		gh.AddRepo("Organization", "octo-org", "octo-repo")
		created := start.Add(-time.Minute)
		gh.PutAttempt(testRepo, fakegithub.ShapeRun(base, testRepo, 1, 1, created, "in_progress", ""), nil)
		rt := &completesBetweenListings{next: gh.Transport(), complete: func() {
			gh.PutAttempt(testRepo, fakegithub.ShapeRun(base, testRepo, 1, 1, created, "completed", "success"), nil)
		}}

		cfg := createDefaultConfig().(*Config)
		cfg.Endpoint = "http://api.test/"
		cfg.Repositories = []string{testRepo}
		cfg.CollectionInterval = 2 * time.Second
		r := newReceiver(receivertest.NewNopSettings(metadata.Type), cfg, nil)
		traces := new(consumertest.TracesSink)
		r.traces = traces
		r.client, err = newAPIClient(&http.Client{Transport: rt}, cfg, r.clock, func(string, string, int, bool) {})
		require.NoError(t, err)
		r.state = newStateStore(nil, r.clock, cfg.Lookback)
		em := newEmitter(zap.NewNop(), "api.test", traces, nil, r.state, r.clock, nil, nil)
		r.poller = newPoller(cfg, r.client, r.state, em, r.clock, zap.NewNop())
		r.poller.webhooks = true // a webhook is configured; it never names this repository

		ctx, cancel := context.WithCancel(t.Context())
		done := make(chan struct{})
		go func() {
			defer close(done)
			r.pollLoop(ctx)
		}()
		synctest.Wait()
		require.Equal(t, []string{"1/1"}, attemptsOf(traces), "the unfiltered listing emitted the completion")

		// 7s, then 15s more: one completed listing per interval throughout.
		time.Sleep(7 * time.Second)
		synctest.Wait()
		assert.Equal(t, 1+3, rt.listings())
		time.Sleep(15 * time.Second)
		synctest.Wait()
		assert.Equal(t, 1+11, rt.listings())
		assert.False(t, r.poller.lastPages(repoOf(t, r.poller, testRepo).key).covered)

		// A later completion is seen within one interval.
		gh.PutAttempt(testRepo, fakegithub.ShapeRun(base, testRepo, 2, 1, time.Now(), "completed", "success"), nil)
		time.Sleep(cfg.CollectionInterval)
		synctest.Wait()
		assert.Equal(t, []string{"1/1", "2/1"}, attemptsOf(traces))
		assert.Zero(t, gh.Requests(fakegithub.EndpointRepoRuns, http.StatusForbidden))

		cancel()
		<-done
	})
}

// Coverage is earned only by emissions deliveries caused since Start: after a restart on
// the same storage, the repository is listed every poll until a delivery names it again.
func TestCoverageAcrossRestart(t *testing.T) {
	w := newWorld(t)
	w.put(testRepo, 1, 1, time.Hour, "completed", 1)
	dir := t.TempDir()
	cfg := w.config(testRepo)
	listings := func() int {
		return w.gh.Requests(fakegithub.EndpointRepoRuns, http.StatusOK) + w.gh.Requests(fakegithub.EndpointRepoRuns, http.StatusNotModified)
	}
	deliver := func(p *poller, id int64) {
		w.put(testRepo, id, 1, 10*time.Minute, "completed", 1)
		p.fetchAnnounced(t.Context(), completedRun{
			Repo: testRepo, RunID: id, Attempt: 1,
			Run: fakegithub.ShapeRun(w.run, testRepo, id, 1, w.clock.Now().Add(-10*time.Minute), "completed", "success"),
		})
	}

	host, sid := newFileStorage(t, dir)
	cfg.StorageID = &sid
	first := w.newInstance(t, cfg, host)
	first.r.poller.webhooks = true
	first.poll(t)
	deliver(first.r.poller, 2)
	w.clock.advance(time.Minute)
	first.poll(t)
	require.True(t, first.r.poller.lastPages(repoOf(t, first.r.poller, testRepo).key).covered, "every new completion came by delivery")
	require.Equal(t, []string{"1/1", "2/1"}, first.attempts())
	require.NoError(t, first.r.Shutdown(t.Context()))

	host2, _ := newFileStorage(t, dir)
	second := w.newInstance(t, cfg, host2)
	second.r.poller.webhooks = true
	for range 5 {
		before := listings()
		w.clock.advance(time.Minute)
		second.poll(t)
		assert.Greater(t, listings(), before, "no delivery named it since Start: listed every poll")
	}
	assert.False(t, second.r.poller.lastPages(repoOf(t, second.r.poller, testRepo).key).covered)
	assert.Empty(t, second.attempts(), "nothing emitted twice")

	deliver(second.r.poller, 3)
	w.clock.advance(time.Minute)
	second.poll(t)
	assert.True(t, second.r.poller.lastPages(repoOf(t, second.r.poller, testRepo).key).covered)
	before := listings()
	w.clock.advance(time.Minute)
	second.poll(t)
	assert.Equal(t, before, listings(), "covered again: listed only every webhookReconcile")
	assert.Equal(t, []string{"3/1"}, second.attempts())
}

// A covered repository loses its coverage when a poll finds, among the new completions,
// one that polling emitted (here: emitted by the lookup of a run by id, not by a delivery).
func TestCoveredRepositoryLosesCoverageToPolledEmission(t *testing.T) {
	w := newWorld(t)
	w.put(testRepo, 1, 1, time.Hour, "completed", 1)
	in := w.newInstance(t, w.config(testRepo), nil)
	p := in.r.poller
	p.webhooks = true
	in.poll(t)
	w.put(testRepo, 2, 1, 10*time.Minute, "completed", 1)
	p.fetchAnnounced(t.Context(), completedRun{
		Repo: testRepo, RunID: 2, Attempt: 1,
		Run: fakegithub.ShapeRun(w.run, testRepo, 2, 1, w.clock.Now().Add(-10*time.Minute), "completed", "success"),
	})
	w.clock.advance(time.Minute)
	in.poll(t)
	require.True(t, p.lastPages(repoOf(t, p, testRepo).key).covered)

	// Run 3 completes; polling emits it before its delivery is handled.
	w.put(testRepo, 3, 1, 5*time.Minute, "completed", 1)
	run3 := fakegithub.ShapeRun(w.run, testRepo, 3, 1, w.clock.Now().Add(-5*time.Minute), "completed", "success")
	rs, err := in.r.state.repo(t.Context(), repoOf(t, p, testRepo))
	require.NoError(t, err)
	require.NoError(t, p.handleRun(t.Context(), repoOf(t, p, testRepo), run3, rs.Floor, sourcePoll))
	p.fetchAnnounced(t.Context(), completedRun{Repo: testRepo, RunID: 3, Attempt: 1, Run: run3}) // found done: no-op
	w.clock.advance(webhookReconcile)
	in.poll(t)
	assert.False(t, p.lastPages(repoOf(t, p, testRepo).key).covered, "a completion polling emitted first ends the coverage")
	assert.Equal(t, []string{"1/1", "2/1", "3/1"}, in.attempts())
	assert.Equal(t, 1, telemetrySumBySource(t, in, sourceWebhook))
}

// attemptsOf lists the emitted attempts of a sink as "run/attempt".
func attemptsOf(sink *consumertest.TracesSink) []string {
	in := &instance{traces: sink}
	return in.attempts()
}

// repoOf is the identity the poller gives fullName.
func repoOf(t testing.TB, p *poller, fullName string) repository {
	t.Helper()
	r, ok := newRepository(p.host, fullName)
	require.True(t, ok, fullName)
	return r
}
