package githubworkflowreceiver // import "github.com/otelcol-diagnostics/otelcol-diagnostics/receiver/githubworkflowreceiver"

import (
	"context"
	"errors"
	"time"

	"github.com/google/go-github/v66/github"
)

// webhookReconcile is how often a covered repository is listed: one whose new completions
// were all emitted because a delivery named them, before a poll found them (see
// stateStore.doneByWebhook). Its active runs are then those webhooks announced, and polling
// only recovers missed deliveries; a completion emitted by polling first ends the coverage.
// A repository no delivery named since Start is never covered.
const webhookReconcile = 2 * time.Hour

// repoPages is what a poll needs of a repository's first pages when GitHub answers 304.
type repoPages struct {
	completed completedPage
	active    activePage
	covered   bool
	listedAt  time.Time // last reading of the completed runs
}

// completedPage summarises the first page of ?status=completed.
type completedPage struct {
	etag   string
	clean  bool          // every run of the page was handled without error
	runs   map[int64]int // run id -> attempt
	full   bool          // the page held perPage runs: older completions are on later pages
	oldest time.Time     // creation of the page's oldest run
}

// activePage summarises the first page of the unfiltered listing.
type activePage struct {
	etag  string
	clean bool
	at    time.Time           // when it was last requested; zero: never
	runs  map[int64]activeRun // its queued and in-progress runs
}

func (p *poller) lastPages(key string) repoPages {
	p.pagesMu.Lock()
	defer p.pagesMu.Unlock()
	return p.pages[key]
}

func (p *poller) setLastPages(key string, s repoPages) {
	p.pagesMu.Lock()
	defer p.pagesMu.Unlock()
	p.pages[key] = s
}

// runState maps a run's status to cicd.pipeline.run.state.
func runState(status string) string {
	if status == "in_progress" {
		return runStateExecuting
	}
	return runStatePending
}

// pollRepo emits the newly completed attempts of one repository and returns its active
// runs by state. Completed attempts come from the first page of ?status=completed, a URL
// that changes only when an attempt completes, so that an idle repository answers 304
// (free) and the completions of one interval share one request. The queued and in-progress
// runs come from the unfiltered listing, read every activeEvery; between two readings, a
// run leaves them when it shows up completed.
func (p *poller) pollRepo(ctx context.Context, repo repository) (map[string]int64, error) {
	owner, name := repo.owner, repo.name
	rs, err := p.state.repo(ctx, repo)
	if err != nil {
		return nil, err
	}
	pages := p.lastPages(repo.key)
	var errs []error
	handle := func(run *github.WorkflowRun) bool {
		if err := p.handleRun(ctx, repo, run, rs.Floor, sourcePoll); err != nil {
			errs = append(errs, err)
			return false
		}
		return true
	}
	pending := rs.Pending
	settle := func(id int64, n int) {
		if m, ok := pending[id]; ok && m <= n {
			delete(pending, id)
		}
	}

	now := p.clock.Now()
	if pages.covered && now.Sub(pages.listedAt) < webhookReconcile {
		return p.announced.count(repo), nil
	}
	completed, err := p.pollCompleted(ctx, repo, &rs, &pages.completed, &pages.covered, handle)
	if err != nil {
		return nil, err
	}
	pages.listedAt = now
	for id, n := range completed {
		settle(id, n)
		p.announced.settle(repo, id, n)
	}
	if pages.covered {
		rs.Pending = pending
		p.setLastPages(repo.key, pages)
		return p.announced.count(repo), errors.Join(append(errs, p.state.saveRepo(ctx, repo, rs), p.state.prune(ctx, repo))...)
	}

	refreshed := false
	if pages.active.at.IsZero() || now.Sub(pages.active.at) >= p.activeEvery {
		etag := ""
		if rs.Synced && pages.active.clean {
			etag = pages.active.etag
		}
		runs, _, newETag, unchanged, err := p.client.listRuns(ctx, owner, name, "", 1, etag)
		switch {
		case err != nil:
			errs = append(errs, err)
		case unchanged:
			// No run changed state since the last reading (so none completed either).
			pages.active.at = now
			refreshed = true
		default:
			ap := activePage{etag: newETag, clean: true, at: now, runs: map[int64]activeRun{}}
			for _, run := range runs {
				n := max(run.GetRunAttempt(), 1)
				if m, ok := completed[run.GetID()]; ok && m >= n {
					continue // handled above
				}
				// Earlier attempts of a re-run in progress, and completions the completed
				// pages read did not show.
				ap.clean = handle(run) && ap.clean
				if run.GetStatus() == statusCompleted {
					settle(run.GetID(), n)
					continue
				}
				ap.runs[run.GetID()] = activeRun{attempt: n, state: runState(run.GetStatus()), created: run.GetCreatedAt().Time}
				pending[run.GetID()] = n
			}
			pages.active = ap
			refreshed = true
		}
	}

	// A run known active is looked up by id (conditionally: 304 while nothing changes) when
	// its completion could go unseen: it is not on the unfiltered page, or it is older than
	// every run of a full completed page. A 404 means the run was deleted.
	states := map[int64]string{}
	for id, n := range pending {
		if r, ok := pages.active.runs[id]; ok && r.attempt == n {
			states[id] = r.state
			if refreshed || !pages.completed.full || !r.created.Before(pages.completed.oldest) {
				continue
			}
		}
		run, err := p.client.getRun(ctx, owner, name, id)
		if errors.Is(err, errNotFound) {
			delete(pending, id)
			continue
		}
		if err != nil {
			errs = append(errs, err)
			continue
		}
		handle(run)
		if run.GetStatus() == statusCompleted {
			settle(id, max(run.GetRunAttempt(), 1))
			continue
		}
		pending[id] = max(run.GetRunAttempt(), 1)
		states[id] = runState(run.GetStatus())
	}
	active := map[string]int64{}
	for id := range pending {
		st, ok := states[id]
		if !ok {
			st = runStatePending
		}
		active[st]++
	}
	p.setLastPages(repo.key, pages)

	rs.Pending = pending
	if len(errs) == 0 {
		rs.Synced = true
	}
	if err := p.state.saveRepo(ctx, repo, rs); err != nil {
		errs = append(errs, err)
	}
	if err := p.state.prune(ctx, repo); err != nil {
		errs = append(errs, err)
	}
	return active, errors.Join(errs...)
}

// pollCompleted reads the completed runs of a repository and handles them: the first page
// (conditionally), and further pages (Link) while every run on a page is new: on the first
// sync back to the floor (the lookback), later only when more than a page of attempts
// completed between two polls. It returns the runs read (id -> attempt) and updates last.
// With webhooks, covered is set when the attempts that completed since the last poll were
// all emitted already (by webhook), and cleared when polling found one first.
func (p *poller) pollCompleted(ctx context.Context, repo repository, rs *repoState, last *completedPage, covered *bool, handle func(*github.WorkflowRun) bool) (map[int64]int, error) {
	owner, name := repo.owner, repo.name
	etag := ""
	if rs.Synced && last.clean {
		etag = last.etag
	}
	first, next, newETag, unchanged, err := p.client.listRuns(ctx, owner, name, statusCompleted, 1, etag)
	if err != nil {
		return nil, err
	}
	if unchanged {
		return last.runs, nil
	}
	allNew := func(batch []*github.WorkflowRun) bool {
		oldest := batch[len(batch)-1].GetCreatedAt().Time
		switch {
		case oldest.Before(rs.Floor):
			return false
		case !rs.Synced:
			return true
		case last.runs == nil: // a restart: creation times are all there is
			return oldest.After(rs.Watermark)
		}
		for _, run := range batch {
			if last.runs[run.GetID()] == max(run.GetRunAttempt(), 1) {
				return false
			}
		}
		return true
	}
	runs := first
	for page, batch := next, first; page != 0 && len(batch) > 0 && allNew(batch); {
		batch, page, _, _, err = p.client.listRuns(ctx, owner, name, statusCompleted, page, "")
		if err != nil {
			return nil, err
		}
		runs = append(runs, batch...)
	}
	seen := map[int64]int{}
	var fresh, missed int
	summary := completedPage{etag: newETag, clean: true, runs: map[int64]int{}, full: len(first) >= perPage}
	for i, run := range runs {
		id, n := run.GetID(), max(run.GetRunAttempt(), 1)
		if _, ok := seen[id]; ok { // a run can shift onto the next page between two page requests
			continue
		}
		seen[id] = n
		if c := run.GetCreatedAt().Time; c.After(rs.Watermark) {
			rs.Watermark = c
		}
		if p.webhooks && last.runs != nil && i < len(first) && last.runs[id] != n {
			// A completion since the last poll: was it announced (and emitted) first?
			fresh++
			// Only an emission a delivery caused counts: one made by polling (e.g. the
			// unfiltered listing read first) is a completion no delivery announced.
			if !p.state.doneByWebhook(attemptID{Repo: repo.key, RunID: id, Attempt: n}, run.GetCreatedAt().Time) {
				missed++
			}
		}
		ok := handle(run)
		if i < len(first) {
			summary.runs[id] = n
			summary.clean = summary.clean && ok
			summary.oldest = run.GetCreatedAt().Time
		}
	}
	*last = summary
	if fresh > 0 {
		*covered = missed == 0
	}
	return seen, nil
}
