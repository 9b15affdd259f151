package githubworkflowreceiver // import "github.com/otelcol-diagnostics/otelcol-diagnostics/receiver/githubworkflowreceiver"

import (
	"time"
)

type activeRun struct {
	attempt int
	state   string // cicd.pipeline.run.state
	created time.Time
}

// announceActive records a run a webhook announced requested or in progress. It never blocks
// on I/O.
func (p *poller) announceActive(cr completedRun) {
	repo, ok := newRepository(p.host, cr.Repo)
	if !ok {
		return
	}
	p.hookMu.Lock()
	defer p.hookMu.Unlock()
	runs := p.hooked[repo.key]
	if runs == nil {
		runs = map[int64]activeRun{}
		p.hooked[repo.key] = runs
	}
	if r, ok := runs[cr.RunID]; ok && r.attempt > cr.Attempt {
		return // a late delivery of an earlier attempt
	}
	now := p.clock.Now()
	for id, r := range runs { // runs whose completion was never delivered
		if now.Sub(r.created) > retention {
			delete(runs, id)
		}
	}
	runs[cr.RunID] = activeRun{attempt: cr.Attempt, state: cr.State, created: now}
}

// settleHooked forgets a run announced active once attempt n of it completed.
func (p *poller) settleHooked(repo repository, id int64, n int) {
	p.hookMu.Lock()
	defer p.hookMu.Unlock()
	if r, ok := p.hooked[repo.key][id]; ok && r.attempt <= n {
		delete(p.hooked[repo.key], id)
	}
}

// hookedActive counts the runs of repo webhooks announced active, forgetting those
// announced more than retention ago (their completion was never delivered).
func (p *poller) hookedActive(repo repository) map[string]int64 {
	p.hookMu.Lock()
	defer p.hookMu.Unlock()
	out := map[string]int64{}
	for id, r := range p.hooked[repo.key] {
		if p.clock.Now().Sub(r.created) > retention {
			delete(p.hooked[repo.key], id)
			continue
		}
		out[r.state]++
	}
	return out
}
