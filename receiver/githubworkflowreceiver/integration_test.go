package githubworkflowreceiver

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/google/go-github/v66/github"
	"github.com/open-telemetry/opentelemetry-collector-contrib/extension/storage/filestorage"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/extension/extensiontest"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/receiver/receivertest"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/otelcol-diagnostics/otelcol-diagnostics/internal/fakegithub"
	"github.com/otelcol-diagnostics/otelcol-diagnostics/receiver/githubworkflowreceiver/internal/metadata"
)

// These tests run the receiver against fakegithub, an httptest server that behaves like the
// REST API, on loopback; waits (rate limits, Retry-After, backoff) go through a fake clock.

const testRepo = "octo-org/octo-repo"

var testNow = time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)

// fakeClock advances only when slept on, so waits cost no time and are observable.
type fakeClock struct {
	mu    sync.Mutex
	now   time.Time
	slept []time.Duration
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Sleep(ctx context.Context, d time.Duration) error {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.slept = append(c.slept, d)
	c.mu.Unlock()
	return ctx.Err()
}

func (c *fakeClock) advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

func (c *fakeClock) sleeps() []time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]time.Duration(nil), c.slept...)
}

// world is a fake GitHub with real-shaped runs and jobs.
type world struct {
	t     testing.TB
	clock *fakeClock
	gh    *fakegithub.Server
	url   string
	run   *github.WorkflowRun
	job   *github.WorkflowJob
}

func newWorld(t testing.TB) *world {
	t.Helper()
	clock := &fakeClock{now: testNow}
	run, err := fakegithub.LoadRun(filepath.Join(fixturesDir, "webhooks", "workflow_run", "completed.payload.json"))
	require.NoError(t, err)
	job, err := fakegithub.LoadJob(filepath.Join(fixturesDir, "webhooks", "workflow_job", "completed.success.with-organization.payload.json"))
	require.NoError(t, err)
	gh := fakegithub.New(clock.Now)
	gh.AddRepo("Organization", "octo-org", "octo-repo")
	url := gh.Start()
	t.Cleanup(gh.Close)
	return &world{t: t, clock: clock, gh: gh, url: url, run: run, job: job}
}

// put stores attempt n of run id, created ago before now, with jobs jobs (completed runs only).
func (w *world) put(repo string, id int64, n int, ago time.Duration, status string, jobs int) {
	created := w.clock.Now().Add(-ago)
	run := fakegithub.ShapeRun(w.run, repo, id, n, created, status, "success")
	var js []*github.WorkflowJob
	for j := range jobs {
		js = append(js, fakegithub.ShapeJob(w.job, id*100+int64(j), id, n, created))
	}
	w.gh.PutAttempt(repo, run, js)
}

func (w *world) config(repos ...string) *Config {
	cfg := createDefaultConfig().(*Config)
	cfg.Endpoint = w.url
	cfg.Token = "ghp_test"
	cfg.Repositories = repos
	require.NoError(w.t, cfg.Validate())
	return cfg
}

// instance is a receiver set up (client, state, poller) without its background loops, so
// that each poll is driven by the test.
type instance struct {
	r       *githubReceiver
	traces  *consumertest.TracesSink
	metrics *consumertest.MetricsSink
	tel     *componenttest.Telemetry
}

func (w *world) newInstance(t testing.TB, cfg *Config, host component.Host) *instance {
	t.Helper()
	tel := componenttest.NewTelemetry()
	t.Cleanup(func() { require.NoError(t, tel.Shutdown(context.Background())) })
	set := receivertest.NewNopSettings(metadata.Type)
	set.ID = component.NewID(metadata.Type) // the storage client is named after it: stable across restarts
	set.TelemetrySettings = tel.NewTelemetrySettings()
	in := &instance{traces: new(consumertest.TracesSink), metrics: new(consumertest.MetricsSink), tel: tel}
	in.r = newReceiver(set, cfg, nil)
	in.r.clock = w.clock
	in.r.traces = in.traces
	in.r.metrics = in.metrics
	if host == nil {
		host = componenttest.NewNopHost()
	}
	require.NoError(t, in.r.setup(t.Context(), host))
	t.Cleanup(func() { require.NoError(t, in.r.Shutdown(context.Background())) })
	return in
}

func (in *instance) poll(t testing.TB) {
	in.r.poller.poll(t.Context())
}

// attempts lists the emitted attempts as "run/attempt", in emission order.
func (in *instance) attempts() []string {
	var out []string
	for _, td := range in.traces.AllTraces() {
		rs := td.ResourceSpans()
		for i := range rs.Len() {
			ss := rs.At(i).ScopeSpans()
			for j := range ss.Len() {
				spans := ss.At(j).Spans()
				for k := range spans.Len() {
					s := spans.At(k)
					if !s.ParentSpanID().IsEmpty() {
						continue
					}
					id, _ := s.Attributes().Get("cicd.pipeline.run.id")
					att, _ := s.Attributes().Get("github.actions.run.attempt")
					out = append(out, fmt.Sprintf("%s/%d", id.AsString(), att.Int()))
				}
			}
		}
	}
	return out
}

func rootOf(td ptrace.Traces) ptrace.Span {
	spans := td.ResourceSpans().At(0).ScopeSpans().At(0).Spans()
	for i := range spans.Len() {
		if spans.At(i).ParentSpanID().IsEmpty() {
			return spans.At(i)
		}
	}
	return ptrace.NewSpan()
}

func TestFirstSyncPaginatesWithinLookback(t *testing.T) {
	w := newWorld(t)
	for i := range 250 {
		w.put(testRepo, int64(1000+i), 1, time.Duration(i)*5*time.Minute, "completed", 2) // 250 runs over ~21h
	}
	w.put(testRepo, 999, 1, 30*time.Hour, "completed", 1) // beyond the 24h lookback
	in := w.newInstance(t, w.config(testRepo), nil)

	in.poll(t)
	assert.Len(t, in.attempts(), 250)
	assert.NotContains(t, in.attempts(), "999/1")
	assert.Equal(t, 3+1, w.gh.Requests(fakegithub.EndpointRepoRuns, http.StatusOK), "250 completed runs: three pages of 100, and one page of all runs for the active ones")
	assert.Equal(t, 250, w.gh.Requests(fakegithub.EndpointAttemptJobs, http.StatusOK), "one jobs request per attempt")
	assert.Zero(t, w.gh.Requests(fakegithub.EndpointRunAttempt, http.StatusOK), "the listed run is the latest attempt")
	assert.InDelta(t, 1.016, float64(w.gh.Charged())/250, 0.001)

	// Every trace is a real one: root, jobs with queue and steps.
	td := in.traces.AllTraces()[0]
	assert.Equal(t, 1+2*(1+1+8), td.SpanCount())
}

func TestIdlePollsAre304(t *testing.T) {
	w := newWorld(t)
	for i := range 30 {
		w.put(testRepo, int64(1000+i), 1, time.Duration(i)*time.Minute, "completed", 1)
	}
	in := w.newInstance(t, w.config(testRepo), nil)
	in.poll(t)
	require.Len(t, in.attempts(), 30)
	charged := w.gh.Charged()

	for range 10 {
		w.clock.advance(time.Minute)
		in.poll(t)
	}
	assert.Equal(t, 10+1, w.gh.Requests(fakegithub.EndpointRepoRuns, http.StatusNotModified), "the first sync's URLs are the idle poll's: one per poll, and the active runs' every activeRefresh")
	assert.Equal(t, 2, w.gh.Requests(fakegithub.EndpointRepoRuns, http.StatusOK), "only the first sync was charged")
	assert.Equal(t, charged, w.gh.Charged(), "idle polls cost no rate limit")
	assert.Len(t, in.attempts(), 30, "nothing emitted twice")

	// A new run changes the page: one 200, one jobs request, one more trace.
	w.put(testRepo, 2000, 1, 0, "completed", 1)
	in.poll(t)
	assert.Len(t, in.attempts(), 31)
	assert.Equal(t, charged+2, w.gh.Charged())
}

func TestInProgressEmittedOnceCompleted(t *testing.T) {
	w := newWorld(t)
	w.put(testRepo, 1, 1, time.Minute, "in_progress", 0)
	w.put(testRepo, 2, 1, time.Minute, "queued", 0)
	in := w.newInstance(t, w.config(testRepo), nil)
	in.poll(t)
	assert.Empty(t, in.attempts())
	in.r.poller.emitter.flushMetrics(t.Context())
	active := activeRuns(t, in)
	assert.Equal(t, map[string]int64{"executing": 1, "pending": 1}, active)
	in.poll(t) // unchanged: a 304, the active runs are those of the last page
	assert.Equal(t, 1, w.gh.Requests(fakegithub.EndpointRepoRuns, http.StatusNotModified))
	in.r.poller.emitter.flushMetrics(t.Context())
	assert.Equal(t, active, activeRuns(t, in))

	w.put(testRepo, 1, 1, time.Minute, "completed", 3)
	in.poll(t)
	assert.Equal(t, []string{"1/1"}, in.attempts())
	in.poll(t)
	assert.Equal(t, []string{"1/1"}, in.attempts())

	// Run 2 falls off the first page while queued: it is fetched by id, then completes.
	for i := range 120 {
		w.put(testRepo, int64(100+i), 1, 0, "completed", 0)
	}
	in.poll(t)
	w.put(testRepo, 2, 1, time.Minute, "completed", 1)
	in.poll(t)
	assert.Contains(t, in.attempts(), "2/1")
	assert.Len(t, in.attempts(), 122)
	assert.Positive(t, w.gh.Requests(fakegithub.EndpointRun, http.StatusOK))
}

func activeRuns(t *testing.T, in *instance) map[string]int64 {
	t.Helper()
	all := in.metrics.AllMetrics()
	require.NotEmpty(t, all)
	out := map[string]int64{}
	md := all[len(all)-1]
	ms := md.ResourceMetrics().At(0).ScopeMetrics().At(0).Metrics()
	for i := range ms.Len() {
		if ms.At(i).Name() != "cicd.pipeline.run.active" {
			continue
		}
		dps := ms.At(i).Sum().DataPoints()
		for j := range dps.Len() {
			state, _ := dps.At(j).Attributes().Get("cicd.pipeline.run.state")
			if v := dps.At(j).IntValue(); v > 0 {
				out[state.Str()] = v
			}
		}
	}
	return out
}

func TestRerunFetchesEarlierAttempts(t *testing.T) {
	w := newWorld(t)
	w.put(testRepo, 7, 1, time.Hour, "completed", 2)
	w.put(testRepo, 7, 2, time.Hour, "completed", 2)
	in := w.newInstance(t, w.config(testRepo), nil)
	in.poll(t)
	assert.ElementsMatch(t, []string{"7/1", "7/2"}, in.attempts())
	assert.Equal(t, 1, w.gh.Requests(fakegithub.EndpointRunAttempt, http.StatusOK), "only the earlier attempt is fetched")
	assert.Equal(t, 2, w.gh.Requests(fakegithub.EndpointAttemptJobs, http.StatusOK))

	byAttempt := map[int64]ptrace.Span{}
	for _, td := range in.traces.AllTraces() {
		root := rootOf(td)
		att, _ := root.Attributes().Get("github.actions.run.attempt")
		byAttempt[att.Int()] = root
	}
	require.Len(t, byAttempt, 2)
	links := byAttempt[2].Links()
	require.Equal(t, 1, links.Len())
	assert.Equal(t, byAttempt[1].TraceID(), links.At(0).TraceID())
	assert.Equal(t, byAttempt[1].SpanID(), links.At(0).SpanID())

	// A third attempt later: only it is fetched.
	w.put(testRepo, 7, 3, time.Hour, "completed", 1)
	in.poll(t)
	assert.ElementsMatch(t, []string{"7/1", "7/2", "7/3"}, in.attempts())
	assert.Equal(t, 1, w.gh.Requests(fakegithub.EndpointRunAttempt, http.StatusOK))
}

func TestDeletedRun(t *testing.T) {
	w := newWorld(t)
	w.put(testRepo, 1, 1, time.Minute, "in_progress", 0)
	w.put(testRepo, 2, 1, time.Minute, "completed", 1)
	in := w.newInstance(t, w.config(testRepo), nil)
	in.poll(t)
	w.gh.DeleteRun(testRepo, 1)
	for i := range 100 { // push run 1 off the first page, so it is looked up by id
		w.put(testRepo, int64(100+i), 1, 0, "completed", 0)
	}
	in.poll(t)
	assert.Equal(t, 1, w.gh.Requests(fakegithub.EndpointRun, http.StatusNotFound))
	in.poll(t)
	assert.Equal(t, 1, w.gh.Requests(fakegithub.EndpointRun, http.StatusNotFound), "a deleted run is forgotten")
	assert.Len(t, in.attempts(), 101)
}

func TestOwnerExpansion(t *testing.T) {
	w := newWorld(t)
	w.gh.AddRepo("Organization", "octo-org", "other")
	w.gh.AddRepo("User", "octocat", "hello-world")
	w.put("octo-org/octo-repo", 1, 1, time.Minute, "completed", 1)
	w.put("octo-org/other", 2, 1, time.Minute, "completed", 1)
	w.put("octocat/hello-world", 3, 1, time.Minute, "completed", 1)
	in := w.newInstance(t, w.config("octo-org/*", "octocat/*", "octo-org/octo-repo"), nil)
	in.poll(t)
	assert.ElementsMatch(t, []string{"1/1", "2/1", "3/1"}, in.attempts())
	assert.Equal(t, 2, w.gh.Requests(fakegithub.EndpointOrgRepos, http.StatusOK)+w.gh.Requests(fakegithub.EndpointOrgRepos, http.StatusNotFound))
	assert.Equal(t, 1, w.gh.Requests(fakegithub.EndpointUserRepos, http.StatusOK))
	assert.Equal(t, 3*2, w.gh.Requests(fakegithub.EndpointRepoRuns, http.StatusOK), "octo-org/octo-repo polled once (its completed and its active runs)")

	// A new repository appears; the expansion is refreshed every ownerRefreshPolls polls.
	w.gh.AddRepo("Organization", "octo-org", "newcomer")
	w.put("octo-org/newcomer", 4, 1, time.Minute, "completed", 1)
	for range ownerRefreshPolls {
		in.poll(t)
	}
	assert.Contains(t, in.attempts(), "4/1")
}

func TestRateLimitPause(t *testing.T) {
	w := newWorld(t)
	for i := range 5 {
		w.put(testRepo, int64(1+i), 1, time.Minute, "completed", 1)
	}
	cfg := w.config(testRepo)
	cfg.RateLimitReserve = 10
	reset := testNow.Add(20 * time.Minute)
	w.gh.SetRateLimit(5000, 12, reset) // two requests left above the reserve
	in := w.newInstance(t, cfg, nil)
	in.poll(t)
	assert.Len(t, in.attempts(), 5)
	assert.False(t, w.clock.Now().Before(reset), "paused until the window reset")
	assert.Zero(t, w.gh.Requests(fakegithub.EndpointAttemptJobs, http.StatusForbidden), "the reserve was never touched")
	assert.Contains(t, w.clock.sleeps(), reset.Add(time.Second).Sub(testNow))
	assert.Positive(t, telemetrySum(t, in, "otelcol_githubworkflow_rate_limit_pauses"))
	assert.Equal(t, int64(5), telemetrySum(t, in, "otelcol_githubworkflow_attempts_emitted"))
	assert.Equal(t, int64(w.gh.Total(0)), telemetrySum(t, in, "otelcol_githubworkflow_api_requests"))
}

func TestExhaustedBudgetWaitsForReset(t *testing.T) {
	w := newWorld(t)
	w.put(testRepo, 1, 1, time.Minute, "completed", 1)
	cfg := w.config(testRepo)
	cfg.RateLimitReserve = 0
	w.gh.SetRateLimit(5000, 0, testNow.Add(5*time.Minute)) // someone else used the token up
	in := w.newInstance(t, cfg, nil)
	in.poll(t)
	assert.Equal(t, []string{"1/1"}, in.attempts())
	assert.Equal(t, 1, w.gh.Requests(fakegithub.EndpointRepoRuns, http.StatusForbidden))
}

func TestRetryAfterAndServerErrors(t *testing.T) {
	tests := []struct {
		name   string
		faults []fakegithub.Fault
		sleeps []time.Duration
	}{
		{
			name:   "secondary limit 403 with Retry-After",
			faults: []fakegithub.Fault{{Endpoint: fakegithub.EndpointRepoRuns, Status: http.StatusForbidden, RetryAfter: "30"}},
			sleeps: []time.Duration{30 * time.Second},
		},
		{
			name:   "secondary limit 403 without headers waits a minute",
			faults: []fakegithub.Fault{{Endpoint: fakegithub.EndpointAttemptJobs, Status: http.StatusForbidden}},
			sleeps: []time.Duration{time.Minute},
		},
		{
			name:   "429 with Retry-After",
			faults: []fakegithub.Fault{{Endpoint: fakegithub.EndpointAttemptJobs, Status: http.StatusTooManyRequests, RetryAfter: "5"}},
			sleeps: []time.Duration{5 * time.Second},
		},
		{
			name:   "5xx retried with backoff",
			faults: []fakegithub.Fault{{Status: http.StatusBadGateway, Times: 3}},
			sleeps: []time.Duration{time.Second, 2 * time.Second, 4 * time.Second},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorld(t)
			w.put(testRepo, 1, 1, time.Minute, "completed", 1)
			for _, f := range tt.faults {
				w.gh.Inject(f)
			}
			in := w.newInstance(t, w.config(testRepo), nil)
			in.poll(t)
			assert.Equal(t, []string{"1/1"}, in.attempts())
			assert.Equal(t, tt.sleeps, w.clock.sleeps())
		})
	}
}

func TestPersistentServerErrorRetriedNextPoll(t *testing.T) {
	w := newWorld(t)
	w.put(testRepo, 1, 1, time.Minute, "completed", 1)
	w.gh.Inject(fakegithub.Fault{Endpoint: fakegithub.EndpointAttemptJobs, Status: http.StatusServiceUnavailable, Times: maxServerRetries + 1})
	in := w.newInstance(t, w.config(testRepo), nil)
	in.poll(t)
	assert.Empty(t, in.attempts())
	in.poll(t)
	assert.Equal(t, []string{"1/1"}, in.attempts())
	in.poll(t)
	assert.Equal(t, []string{"1/1"}, in.attempts())
}

func TestConsumerErrorRetriedNextPoll(t *testing.T) {
	w := newWorld(t)
	w.put(testRepo, 1, 1, time.Minute, "completed", 1)
	in := w.newInstance(t, w.config(testRepo), nil)
	failing := consumertest.NewErr(errors.New("downstream refused"))
	in.r.poller.emitter.traces = failing
	in.poll(t)
	in.r.poller.emitter.traces = in.traces
	in.poll(t)
	in.poll(t)
	assert.Equal(t, []string{"1/1"}, in.attempts())
}

// storageHost offers one real filestorage extension.
type storageHost struct {
	component.Host
	exts map[component.ID]component.Component
}

func (h storageHost) GetExtensions() map[component.ID]component.Component { return h.exts }

func newFileStorage(t *testing.T, dir string) (component.Host, component.ID) {
	t.Helper()
	f := filestorage.NewFactory()
	cfg := f.CreateDefaultConfig().(*filestorage.Config)
	cfg.Directory = dir
	id := component.NewID(f.Type())
	ext, err := f.Create(t.Context(), extensiontest.NewNopSettings(f.Type()), cfg)
	require.NoError(t, err)
	host := storageHost{Host: componenttest.NewNopHost(), exts: map[component.ID]component.Component{id: ext}}
	require.NoError(t, ext.Start(t.Context(), host))
	t.Cleanup(func() { require.NoError(t, ext.Shutdown(context.Background())) })
	return host, id
}

func TestRestartOnSameStorageEmitsNothingTwice(t *testing.T) {
	w := newWorld(t)
	for i := range 40 {
		w.put(testRepo, int64(1+i), 1, time.Duration(i)*time.Minute, "completed", 1)
	}
	w.put(testRepo, 100, 1, time.Minute, "in_progress", 0)
	w.put(testRepo, 101, 1, 2*time.Hour, "completed", 1)
	w.put(testRepo, 101, 2, 2*time.Hour, "in_progress", 0)
	dir := t.TempDir()
	cfg := w.config(testRepo)

	host, id := newFileStorage(t, dir)
	cfg.StorageID = &id
	first := w.newInstance(t, cfg, host)
	first.poll(t)
	assert.Len(t, first.attempts(), 41, "40 runs and the first attempt of the re-run")
	require.NoError(t, first.r.Shutdown(t.Context()))

	// Meanwhile run 100 and the re-run complete, and a run is added.
	w.put(testRepo, 100, 1, time.Minute, "completed", 1)
	w.put(testRepo, 101, 2, 2*time.Hour, "completed", 1)
	w.put(testRepo, 200, 1, 0, "completed", 1)

	host2, _ := newFileStorage(t, dir)
	second := w.newInstance(t, cfg, host2)
	second.poll(t)
	second.poll(t)
	assert.ElementsMatch(t, []string{"100/1", "101/2", "200/1"}, second.attempts())

	all := append(first.attempts(), second.attempts()...)
	seen := map[string]bool{}
	for _, a := range all {
		assert.False(t, seen[a], "emitted twice: %s", a)
		seen[a] = true
	}
}

func TestRestartWithoutStorageReemits(t *testing.T) {
	// The documented trade-off of running without a storage extension.
	w := newWorld(t)
	w.put(testRepo, 1, 1, time.Minute, "completed", 1)
	cfg := w.config(testRepo)
	w.newInstance(t, cfg, nil).poll(t)
	second := w.newInstance(t, cfg, nil)
	second.poll(t)
	assert.Equal(t, []string{"1/1"}, second.attempts())
}

func hubSignature(secret, body []byte) string {
	m := hmac.New(sha256.New, secret)
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

func postDelivery(t *testing.T, url, secret, event, id string, body []byte) int {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, url, bytes.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-GitHub-Event", event)
	req.Header.Set("X-GitHub-Delivery", id)
	req.Header.Set("X-Hub-Signature-256", hubSignature([]byte(secret), body))
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	_ = resp.Body.Close()
	return resp.StatusCode
}

// completedDelivery is the real completed workflow_run delivery, carrying the run object
// the fake API holds for attempt n of run id in repo (as GitHub's own deliveries do).
func (w *world) completedDelivery(t *testing.T, repo string, id int64, n int) []byte {
	t.Helper()
	var ev map[string]any
	require.NoError(t, json.Unmarshal(readFixture(t, "webhooks/workflow_run/completed.payload.json"), &ev))
	var run github.WorkflowRun
	owner, name, _ := cutRepo(repo)
	resp, err := http.Get(fmt.Sprintf("%srepos/%s/%s/actions/runs/%d/attempts/%d", w.url, owner, name, id, n)) //nolint:noctx // test helper
	require.NoError(t, err)
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&run))
	_ = resp.Body.Close()
	run.Repository.FullName = github.String(repo)
	ev["workflow_run"] = &run
	ev["repository"].(map[string]any)["full_name"] = repo
	raw, err := json.Marshal(ev)
	require.NoError(t, err)
	return raw
}

func TestWebhookTriggersFetchOnce(t *testing.T) {
	w := newWorld(t)
	w.gh.AddRepo("User", "octocat", "elsewhere") // not in repositories
	w.put("octocat/elsewhere", 55, 1, time.Hour, "completed", 1)
	w.put("octocat/elsewhere", 55, 2, time.Minute, "completed", 2)

	cfg := createDefaultConfig().(*Config)
	cfg.Endpoint = w.url
	cfg.Token = "ghp_test"
	wh := cfg.Webhook.GetOrInsertDefault()
	wh.NetAddr.Endpoint = "127.0.0.1:0"
	wh.Secret = "s3cret"
	require.NoError(t, cfg.Validate())

	traces := new(consumertest.TracesSink)
	tel := componenttest.NewTelemetry()
	t.Cleanup(func() { require.NoError(t, tel.Shutdown(context.Background())) })
	set := receivertest.NewNopSettings(metadata.Type)
	set.TelemetrySettings = tel.NewTelemetrySettings()
	f := NewFactory()
	tr, err := f.CreateTraces(t.Context(), set, cfg, traces)
	require.NoError(t, err)
	_, err = f.CreateMetrics(t.Context(), set, cfg, consumertest.NewNop())
	require.NoError(t, err)
	r := tr.(*githubReceiver)
	r.clock = w.clock
	require.NoError(t, r.Start(t.Context(), componenttest.NewNopHost()))
	require.NoError(t, r.Start(t.Context(), componenttest.NewNopHost()), "the second pipeline's Start is a no-op")
	t.Cleanup(func() { require.NoError(t, r.Shutdown(context.Background())) })

	url := "http://" + r.webhookAddr + "/events"
	w.put("octocat/elsewhere", 56, 1, time.Minute, "completed", 1)
	body := w.completedDelivery(t, "octocat/elsewhere", 55, 2)
	body56 := w.completedDelivery(t, "octocat/elsewhere", 56, 1)
	w.gh.ResetCounts() // the deliveries were built from the fake
	assert.Equal(t, http.StatusUnauthorized, postDelivery(t, url, "wrong", "workflow_run", "d-0", body))
	assert.Equal(t, http.StatusAccepted, postDelivery(t, url, "s3cret", "workflow_run", "d-1", body))
	require.Eventually(t, func() bool { return traces.SpanCount() > 0 && len(traces.AllTraces()) == 2 }, 10*time.Second, 10*time.Millisecond)
	// The delivered run object is attempt 2: only its jobs are fetched, and attempt 1 (never
	// emitted) with its jobs.
	assert.Equal(t, 1, w.gh.Requests(fakegithub.EndpointRunAttempt, http.StatusOK), "only the earlier attempt is fetched")
	assert.Equal(t, 2, w.gh.Requests(fakegithub.EndpointAttemptJobs, http.StatusOK))
	// The same delivery again is dropped by the handler; the same attempt announced by a new
	// delivery is found done and costs nothing. Deliveries are handled in order, so once the
	// trace of a third one is out, the second was handled.
	assert.Equal(t, http.StatusOK, postDelivery(t, url, "s3cret", "workflow_run", "d-1", body))
	assert.Equal(t, http.StatusAccepted, postDelivery(t, url, "s3cret", "workflow_run", "d-2", body))
	assert.Equal(t, http.StatusAccepted, postDelivery(t, url, "s3cret", "workflow_run", "d-3", body56))
	require.Eventually(t, func() bool { return len(traces.AllTraces()) == 3 }, 10*time.Second, 10*time.Millisecond)
	require.NoError(t, r.Shutdown(t.Context()))
	assert.Len(t, traces.AllTraces(), 3, "attempts 1 and 2 of run 55 and run 56, once each")
	assert.Equal(t, 3, w.gh.Requests(fakegithub.EndpointAttemptJobs, http.StatusOK), "jobs fetched once per attempt")
	assert.Equal(t, 1, w.gh.Requests(fakegithub.EndpointRunAttempt, http.StatusOK), "a complete delivered run is never fetched")
	assert.Equal(t, 2+2, w.gh.Charged(), "one (jobs) request per announced attempt; two for the earlier attempt never announced")
	in := &instance{tel: tel}
	assert.Equal(t, int64(5), telemetrySum(t, in, "otelcol_githubworkflow_webhook_deliveries"))
	assert.Equal(t, int64(3), telemetrySum(t, in, "otelcol_githubworkflow_attempts_emitted"))
}

func TestEnqueueWebhookNeverBlocks(t *testing.T) {
	r := newReceiver(receivertest.NewNopSettings(metadata.Type), createDefaultConfig().(*Config), nil)
	r.webhooks = make(chan completedRun, 1)
	assert.True(t, r.enqueueWebhook(completedRun{Repo: testRepo, RunID: 1, Attempt: 1}))
	assert.False(t, r.enqueueWebhook(completedRun{Repo: testRepo, RunID: 2, Attempt: 1}), "a full queue refuses")
	<-r.webhooks
	assert.True(t, r.enqueueWebhook(completedRun{Repo: testRepo, RunID: 2, Attempt: 1}))
}

func TestShutdownWithoutStartAndTwice(t *testing.T) {
	r := newReceiver(receivertest.NewNopSettings(metadata.Type), createDefaultConfig().(*Config), nil)
	require.NoError(t, r.Shutdown(t.Context()))
	require.NoError(t, r.Shutdown(t.Context()))
}

func TestStartFailsOnMissingStorage(t *testing.T) {
	cfg := createDefaultConfig().(*Config)
	cfg.Repositories = []string{testRepo}
	id := component.MustNewID("file_storage")
	cfg.StorageID = &id
	r := newReceiver(receivertest.NewNopSettings(metadata.Type), cfg, nil)
	err := r.Start(t.Context(), componenttest.NewNopHost())
	assert.ErrorContains(t, err, `storage: extension "file_storage" not found`)
	require.NoError(t, r.Shutdown(t.Context()))
}

func TestStartFailsOnBusyWebhookPort(t *testing.T) {
	w := newWorld(t)
	cfg := w.config(testRepo)
	wh := cfg.Webhook.GetOrInsertDefault()
	wh.NetAddr.Endpoint = w.url[len("http://") : len(w.url)-1] // fakegithub's port is taken
	wh.Secret = "s"
	r := newReceiver(receivertest.NewNopSettings(metadata.Type), cfg, nil)
	r.clock = w.clock
	assert.ErrorContains(t, r.Start(t.Context(), componenttest.NewNopHost()), "listen on webhook endpoint")
	require.NoError(t, r.Shutdown(t.Context()))
}

// telemetrySum adds up the data points of one of the receiver's own counters.
func telemetrySum(t *testing.T, in *instance, name string) int64 {
	t.Helper()
	m, err := in.tel.GetMetric(name)
	require.NoError(t, err)
	sum, ok := m.Data.(metricdata.Sum[int64])
	require.True(t, ok, "%s is an int64 sum", name)
	var n int64
	for _, dp := range sum.DataPoints {
		n += dp.Value
	}
	return n
}

func TestUnknownOwnerDoesNotStopOthers(t *testing.T) {
	w := newWorld(t)
	w.put(testRepo, 1, 1, time.Minute, "completed", 1)
	in := w.newInstance(t, w.config("ghost/*", testRepo), nil)
	in.poll(t)
	assert.Equal(t, []string{"1/1"}, in.attempts())
	assert.Equal(t, 1, w.gh.Requests(fakegithub.EndpointOrgRepos, http.StatusNotFound))
	assert.Equal(t, 1, w.gh.Requests(fakegithub.EndpointUserRepos, http.StatusNotFound))
}

func TestCorruptStateIsReportedNotOverwritten(t *testing.T) {
	w := newWorld(t)
	w.put(testRepo, 1, 1, time.Minute, "completed", 1)
	host, id := newFileStorage(t, t.TempDir())
	cfg := w.config(testRepo)
	cfg.StorageID = &id
	in := w.newInstance(t, cfg, host)
	repo := repoOf(t, in.r.poller, testRepo)
	require.NoError(t, in.r.storage.Set(t.Context(), repoStorageKey(repo.key), []byte("{not json")))

	_, err := in.r.poller.pollRepo(t.Context(), repo)
	require.ErrorContains(t, err, "decode state of 127.0.0.1/octo-org/octo-repo")
	in.poll(t)
	assert.Empty(t, in.attempts(), "nothing emitted on a state it cannot read")
	raw, err := in.r.storage.Get(t.Context(), repoStorageKey(repo.key))
	require.NoError(t, err)
	assert.Equal(t, "{not json", string(raw), "the stored state is left for the operator")
}

func TestHostName(t *testing.T) {
	tests := []struct{ endpoint, want string }{
		{"https://api.github.com/", "api.github.com"},
		{"https://github.example.com/api/v3/", "github.example.com"},
		{"http://127.0.0.1:8080/", "127.0.0.1"},
		{"not a url", "not a url"},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, hostName(tt.endpoint), tt.endpoint)
	}
}

// With a webhook, a repository whose completions all arrive by webhook before a poll finds
// them is listed only every webhookReconcile, its active runs being those webhooks announced;
// a completion polling finds first (a missed delivery) ends that.
func TestWebhookCoveredRepositoryIsReconciled(t *testing.T) {
	w := newWorld(t)
	w.put(testRepo, 1, 1, time.Hour, "completed", 1)
	in := w.newInstance(t, w.config(testRepo), nil)
	p := in.r.poller
	p.webhooks = true
	in.poll(t)
	require.Equal(t, []string{"1/1"}, in.attempts())
	listings := func() int {
		return w.gh.Requests(fakegithub.EndpointRepoRuns, http.StatusOK) + w.gh.Requests(fakegithub.EndpointRepoRuns, http.StatusNotModified)
	}

	// Run 2 completes and is delivered; run 3 is announced queued.
	w.put(testRepo, 2, 1, 10*time.Minute, "completed", 1)
	p.fetchAnnounced(t.Context(), completedRun{Repo: testRepo, RunID: 2, Attempt: 1, Run: fakegithub.ShapeRun(w.run, testRepo, 2, 1, w.clock.Now().Add(-10*time.Minute), "completed", "success")})
	p.announceActive(completedRun{Repo: testRepo, RunID: 3, Attempt: 1, State: runStatePending})
	w.clock.advance(time.Minute)
	in.poll(t) // the completed listing shows run 2, emitted already: covered
	in.r.poller.emitter.flushMetrics(t.Context())
	assert.Equal(t, map[string]int64{"pending": 1}, activeRuns(t, in))
	before := listings()

	// Run 4 completes, its delivery is missed: no listing until the reconciliation.
	w.put(testRepo, 4, 1, 5*time.Minute, "completed", 1)
	for range 10 {
		w.clock.advance(time.Minute)
		in.poll(t)
	}
	assert.Equal(t, before, listings(), "a covered repository is not listed")
	assert.NotContains(t, in.attempts(), "4/1")
	w.clock.advance(webhookReconcile)
	in.poll(t)
	assert.Contains(t, in.attempts(), "4/1", "the reconciliation recovers the missed delivery")
	assert.Equal(t, []string{"1/1", "2/1", "4/1"}, in.attempts())
	before = listings()
	w.clock.advance(time.Minute)
	in.poll(t)
	assert.Greater(t, listings(), before, "polling found a completion first: the repository is listed every poll again")
	assert.Equal(t, 1, telemetrySumBySource(t, in, sourceWebhook))
}

// telemetrySumBySource counts the attempts emitted from source.
func telemetrySumBySource(t *testing.T, in *instance, source string) int {
	t.Helper()
	m, err := in.tel.GetMetric("otelcol_githubworkflow_attempts_emitted")
	require.NoError(t, err)
	sum, ok := m.Data.(metricdata.Sum[int64])
	require.True(t, ok)
	n := 0
	for _, dp := range sum.DataPoints {
		if v, ok := dp.Attributes.Value("source"); ok && v.AsString() == source {
			n += int(dp.Value)
		}
	}
	return n
}
