package githubworkflowreceiver // import "github.com/otelcol-diagnostics/otelcol-diagnostics/receiver/githubworkflowreceiver"

import (
	"sync"
	"time"
)

// activeRun is a run queued or in progress, as a listing or a delivery showed it.
type activeRun struct {
	attempt int
	state   string // cicd.pipeline.run.state
	created time.Time
}

// announcedRuns keeps, per repository key, the runs webhook deliveries announced requested
// or in progress and whose completion was not seen yet: the active runs of a
// webhook-covered repository. It is safe for concurrent use and never blocks on I/O.
type announcedRuns struct {
	clock clock

	mu   sync.Mutex
	runs map[string]map[int64]activeRun
}

func newAnnouncedRuns(clk clock) *announcedRuns {
	return &announcedRuns{clock: clk, runs: map[string]map[int64]activeRun{}}
}

// announce records attempt n of run id of repo in state, unless a later attempt of it was
// announced already (a late delivery).
func (a *announcedRuns) announce(repo repository, id int64, n int, state string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	runs := a.runs[repo.key]
	if runs == nil {
		runs = map[int64]activeRun{}
		a.runs[repo.key] = runs
	}
	if r, ok := runs[id]; ok && r.attempt > n {
		return
	}
	now := a.clock.Now()
	for rid, r := range runs { // runs whose completion was never delivered
		if now.Sub(r.created) > retention {
			delete(runs, rid)
		}
	}
	runs[id] = activeRun{attempt: n, state: state, created: now}
}

// settle forgets a run announced active once attempt n of it completed.
func (a *announcedRuns) settle(repo repository, id int64, n int) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if r, ok := a.runs[repo.key][id]; ok && r.attempt <= n {
		delete(a.runs[repo.key], id)
	}
}

// count counts the runs of repo announced active by state, forgetting those announced
// more than retention ago (their completion was never delivered).
func (a *announcedRuns) count(repo repository) map[string]int64 {
	a.mu.Lock()
	defer a.mu.Unlock()
	out := map[string]int64{}
	for id, r := range a.runs[repo.key] {
		if a.clock.Now().Sub(r.created) > retention {
			delete(a.runs[repo.key], id)
			continue
		}
		out[r.state]++
	}
	return out
}

// announceActive records a run a webhook announced requested or in progress, under the
// repository's key whatever the delivery's spelling. It never blocks on I/O.
func (p *poller) announceActive(cr completedRun) {
	if repo, ok := newRepository(p.host, cr.Repo); ok {
		p.announced.announce(repo, cr.RunID, cr.Attempt, cr.State)
	}
}
