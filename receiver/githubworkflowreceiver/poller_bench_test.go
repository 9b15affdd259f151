package githubworkflowreceiver

import (
	"encoding/json"
	"math/rand/v2"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/otelcol-diagnostics/otelcol-diagnostics/internal/fakegithub"
)

// historyEvent changes one run attempt in the fake API at a given minute.
type historyEvent struct {
	minute int
	repo   string
	id     int64
	n      int
	status string
	jobs   int
}

// realisticHistory is a day of CI on a few repositories: runs start at random minutes (about
// eight per hour per repository), queue for a minute, run 3–25 minutes; one in ten is re-run
// (a second attempt) a few minutes after it ends, and one attempt in fifty has 120 jobs (two
// pages). Before the day starts, each repository already has 24 hours of completed runs,
// which the first sync backfills.
func realisticHistory(repos []string, minutes int, seed uint64) (backfill []historyEvent, day []historyEvent) {
	rng := rand.New(rand.NewPCG(seed, seed)) //nolint:gosec // a reproducible simulation, not a secret
	id := int64(1)
	jobs := func() int {
		if rng.IntN(50) == 0 {
			return 120
		}
		return 3 + rng.IntN(6)
	}
	for _, repo := range repos {
		for range 150 {
			backfill = append(backfill, historyEvent{minute: -1 - rng.IntN(23*60), repo: repo, id: id, n: 1, status: "completed", jobs: jobs()})
			id++
		}
		for m := range minutes {
			if rng.IntN(60) >= 8 {
				continue
			}
			d := 3 + rng.IntN(23)
			day = append(day,
				historyEvent{minute: m, repo: repo, id: id, n: 1, status: "queued"},
				historyEvent{minute: m + 1, repo: repo, id: id, n: 1, status: "in_progress"},
				historyEvent{minute: m + 1 + d, repo: repo, id: id, n: 1, status: "completed", jobs: jobs()})
			if rng.IntN(10) == 0 {
				r := m + 1 + d + 5
				day = append(day,
					historyEvent{minute: r, repo: repo, id: id, n: 2, status: "queued"},
					historyEvent{minute: r + 1 + d, repo: repo, id: id, n: 2, status: "completed", jobs: jobs()})
			}
			id++
		}
	}
	return backfill, day
}

// BenchmarkPollRealisticHistory replays a working day (8 hours) of CI on two busy
// repositories and an idle one against fakegithub, polling every minute, and reports the API
// requests the rate limit charged per completed attempt (with and without pagination, and
// by kind), and the share of the idle repository's listings answered 304. In
// "polling+webhooks", each completed attempt is also delivered by a webhook (its run object)
// as it completes, before the next poll, and queued and in-progress runs are announced.
func BenchmarkPollRealisticHistory(b *testing.B) {
	for _, webhooks := range []bool{false, true} {
		name := "polling"
		if webhooks {
			name = "polling+webhooks"
		}
		b.Run(name, func(b *testing.B) { benchmarkHistory(b, webhooks) })
	}
}

func benchmarkHistory(b *testing.B, webhooks bool) {
	repos := []string{"octo-org/api", "octo-org/web"}
	const idleRepo = "octo-org/docs"
	const minutes = 8 * 60
	backfill, day := realisticHistory(repos, minutes, 42)
	idleBackfill, _ := realisticHistory([]string{idleRepo}, 0, 7)
	for i := range idleBackfill {
		idleBackfill[i].id += 1 << 20
	}
	backfill = append(backfill, idleBackfill...)
	var charged, pages, attempts, idle200, idle304, listings, jobs int
	for b.Loop() {
		w := newWorld(b)
		for _, r := range append([]string{idleRepo}, repos...) {
			owner, name, _ := cutRepo(r)
			w.gh.AddRepo("Organization", owner, name)
		}
		createdAt := map[int64]time.Time{}
		apply := func(e historyEvent, now time.Time) {
			c, ok := createdAt[e.id]
			if !ok {
				c = testNow.Add(time.Duration(e.minute) * time.Minute)
				createdAt[e.id] = c
			}
			w.put(e.repo, e.id, e.n, now.Sub(c), e.status, e.jobs)
		}
		for _, e := range backfill {
			apply(e, w.clock.Now())
		}
		in := w.newInstance(b, w.config(append([]string{idleRepo}, repos...)...), nil)
		in.r.poller.webhooks = webhooks
		in.poll(b) // first sync: backfill
		w.gh.ResetCounts()
		emittedBefore := len(in.traces.AllTraces())

		var delivered []historyEvent
		for m := range minutes + 60 { // an extra hour lets the last runs finish
			now := testNow.Add(time.Duration(m) * time.Minute)
			w.clock.advance(now.Sub(w.clock.Now()))
			delivered = delivered[:0]
			for _, e := range day {
				if e.minute == m {
					apply(e, now)
					delivered = append(delivered, e)
				}
			}
			if webhooks {
				for _, e := range delivered {
					if e.status != statusCompleted {
						in.r.poller.announceActive(completedRun{Repo: e.repo, RunID: e.id, Attempt: e.n, State: runState(e.status)})
						continue
					}
					run := fakegithub.ShapeRun(w.run, e.repo, e.id, e.n, createdAt[e.id], e.status, "success")
					body, err := json.Marshal(map[string]any{"action": "completed", "repository": map[string]string{"full_name": e.repo}, "workflow_run": run})
					require.NoError(b, err)
					cr, ok, err := parseWorkflowRun(body)
					require.NoError(b, err)
					require.True(b, ok)
					require.NotNil(b, cr.Run)
					in.r.poller.fetchAnnounced(b.Context(), cr)
				}
			}
			in.poll(b)
		}
		charged = w.gh.Charged()
		pages = w.gh.LaterPages()
		listings = w.gh.Requests(fakegithub.EndpointRepoRuns, http.StatusOK)
		jobs = w.gh.Requests(fakegithub.EndpointAttemptJobs, http.StatusOK)
		idle200 = w.gh.RepoRequests(idleRepo, fakegithub.EndpointRepoRuns, http.StatusOK)
		idle304 = w.gh.RepoRequests(idleRepo, fakegithub.EndpointRepoRuns, http.StatusNotModified)
		attempts = len(in.traces.AllTraces()) - emittedBefore
		require.Positive(b, attempts)
	}
	b.ReportMetric(float64(charged)/float64(attempts), "requests/attempt")
	b.ReportMetric(float64(charged-pages)/float64(attempts), "requests/attempt-excl-pagination")
	b.ReportMetric(float64(listings)/float64(attempts), "listings/attempt")
	b.ReportMetric(float64(jobs)/float64(attempts), "jobs-requests/attempt")
	b.ReportMetric(float64(idle304)/float64(idle200+idle304), "idle-304-share")
	b.ReportMetric(float64(attempts), "attempts")
}

func cutRepo(r string) (owner, name string, err error) {
	return parseRepository(r)
}
