package githubworkflowreceiver // import "github.com/otelcol-diagnostics/otelcol-diagnostics/receiver/githubworkflowreceiver"

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/google/go-github/v66/github"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/receiver/receiverhelper"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"go.uber.org/zap"

	"github.com/otelcol-diagnostics/otelcol-diagnostics/receiver/githubworkflowreceiver/internal/metadata"
)

const (
	sourcePoll    = "poll"
	sourceWebhook = "webhook"

	statusCompleted = "completed"
	// ownerRefreshPolls: owner/* entries are expanded again every this many polls (the
	// listing is conditional, so an unchanged owner costs no rate limit anyway).
	ownerRefreshPolls = 10
)

// obsFormat is the format reported by the standard receiver telemetry: the REST API's and
// the webhook deliveries' JSON objects of GitHub Actions.
const obsFormat = "github_actions"

// emitter turns completed attempts into traces and metrics, exactly once.
type emitter struct {
	logger    *zap.Logger
	builder   *traceBuilder
	metrics   *cicdMetrics
	traces    consumer.Traces
	metricsC  consumer.Metrics
	state     *stateStore
	clock     clock
	telemetry *metadata.TelemetryBuilder
	// obs (may be nil in tests) reports every hand-off downstream as the collector's
	// standard receiver telemetry: otelcol_receiver_accepted/refused_spans and
	// _metric_points, and a span per operation.
	obs *receiverhelper.ObsReport
}

func newEmitter(logger *zap.Logger, host string, traces consumer.Traces, metrics consumer.Metrics, state *stateStore, clk clock, tb *metadata.TelemetryBuilder, obs *receiverhelper.ObsReport) *emitter {
	return &emitter{
		logger:    logger,
		builder:   newTraceBuilder(host),
		metrics:   newCICDMetrics(clk.Now()),
		traces:    traces,
		metricsC:  metrics,
		state:     state,
		clock:     clk,
		telemetry: tb,
		obs:       obs,
	}
}

// emit sends a claimed attempt downstream and marks it done; on a consumer error the claim
// is released so that the next poll tries again.
func (e *emitter) emit(ctx context.Context, id attemptID, a runAttempt, source string) error {
	if e.traces != nil {
		if err := e.consumeTraces(ctx, e.builder.build(a)); err != nil {
			e.state.release(id)
			return fmt.Errorf("consume trace of %s run %d attempt %d: %w", a.Repo, id.RunID, id.Attempt, err)
		}
	}
	e.metrics.recordCompleted(a)
	if e.telemetry != nil {
		e.telemetry.GithubworkflowAttemptsEmitted.Add(ctx, 1, metric.WithAttributes(attribute.String("source", source)))
	}
	return e.state.done(ctx, id, a.Run.GetCreatedAt().Time, source)
}

// flushMetrics sends the CI/CD metrics as of now.
func (e *emitter) flushMetrics(ctx context.Context) {
	if e.metricsC == nil {
		return
	}
	md := e.metrics.collect(e.clock.Now())
	if md.ResourceMetrics().Len() == 0 {
		return
	}
	if err := e.consumeMetrics(ctx, md); err != nil && ctx.Err() == nil {
		e.logger.Warn("consume cicd metrics failed", zap.Error(err))
	}
}

func (e *emitter) consumeTraces(ctx context.Context, td ptrace.Traces) error {
	if e.obs == nil {
		return e.traces.ConsumeTraces(ctx, td)
	}
	n := td.SpanCount() // before the hand-off: the consumer may mutate td
	ctx = e.obs.StartTracesOp(ctx)
	err := e.traces.ConsumeTraces(ctx, td)
	e.obs.EndTracesOp(ctx, obsFormat, n, err)
	return err
}

func (e *emitter) consumeMetrics(ctx context.Context, md pmetric.Metrics) error {
	if e.obs == nil {
		return e.metricsC.ConsumeMetrics(ctx, md)
	}
	n := md.DataPointCount()
	ctx = e.obs.StartMetricsOp(ctx)
	err := e.metricsC.ConsumeMetrics(ctx, md)
	e.obs.EndMetricsOp(ctx, obsFormat, n, err)
	return err
}

// poller lists runs of the configured repositories and fetches completed attempts.
type poller struct {
	cfg     *Config
	client  *apiClient
	state   *stateStore
	emitter *emitter
	clock   clock
	logger  *zap.Logger
	// host is the API host, part of every repository key.
	host string
	// activeEvery is how often each repository's unfiltered run listing is read for the
	// queued and in-progress runs.
	activeEvery time.Duration
	// webhooks: a webhook is configured, so a repository whose completions all arrived by
	// webhook first is covered (see webhookReconcile).
	webhooks bool

	hookMu sync.Mutex
	hooked map[string]map[int64]activeRun // repository key -> runs webhooks announced requested or in progress

	mu         sync.Mutex
	polls      int
	ownerRepos map[string][]string         // owner -> repository names, for owner/* entries
	active     map[string]map[string]int64 // repository key -> active runs by state

	pagesMu sync.Mutex
	pages   map[string]repoPages // repository key -> its first pages as of the last poll
}

// activeRefresh is how often the active runs of a repository are listed, at most once per
// poll: every state change of a run alters that listing (a charged request), whereas the
// completed listing only changes when an attempt completes.
const activeRefresh = 10 * time.Minute

// webhookReconcile is how often a covered repository is listed: one whose completions all
// arrived by webhook before a poll found them. Its active runs are then those webhooks
// announced, and polling only recovers missed deliveries; a completion found by polling
// first ends the coverage.
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

type activeRun struct {
	attempt int
	state   string // cicd.pipeline.run.state
	created time.Time
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

func newPoller(cfg *Config, client *apiClient, state *stateStore, em *emitter, clk clock, logger *zap.Logger) *poller {
	return &poller{
		cfg: cfg, client: client, state: state, emitter: em, clock: clk, logger: logger,
		host:        hostName(cfg.Endpoint),
		activeEvery: max(activeRefresh, cfg.CollectionInterval),
		ownerRepos:  map[string][]string{},
		hooked:      map[string]map[int64]activeRun{},
		active:      map[string]map[string]int64{},
		pages:       map[string]repoPages{},
	}
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

// repositories expands the configured entries into repositories, each once.
func (p *poller) repositories(ctx context.Context) []repository {
	refresh := p.polls%ownerRefreshPolls == 0
	var out []repository
	seen := map[string]bool{}
	add := func(fullName string) {
		if r, ok := newRepository(p.host, fullName); ok && !seen[r.key] {
			seen[r.key] = true
			out = append(out, r)
		}
	}
	for _, entry := range p.cfg.Repositories {
		owner, name, err := parseRepository(entry)
		if err != nil {
			continue // Validate refused it
		}
		if name != "*" {
			add(owner + "/" + name)
			continue
		}
		names, ok := p.ownerRepos[owner]
		if refresh || !ok {
			fresh, err := p.client.listOwnerRepos(ctx, owner)
			if err != nil {
				if ctx.Err() == nil {
					p.logger.Warn("expand repositories failed", zap.String("owner", owner), zap.Error(err))
				}
			} else {
				names = fresh
				p.ownerRepos[owner] = fresh
			}
		}
		for _, n := range names {
			add(owner + "/" + n)
		}
	}
	return out
}

// poll runs one collection cycle over every repository, at most cfg.Concurrency at a time.
func (p *poller) poll(ctx context.Context) {
	p.mu.Lock()
	defer p.mu.Unlock()
	repos := p.repositories(ctx)
	p.polls++

	sem := make(chan struct{}, p.cfg.Concurrency)
	var wg sync.WaitGroup
	var emu sync.Mutex
	var failed int
	var firstErr error
	for _, repo := range repos {
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			break
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			active, err := p.pollRepo(ctx, repo)
			emu.Lock()
			defer emu.Unlock()
			if err != nil {
				failed++
				if firstErr == nil {
					firstErr = err
				}
				return
			}
			p.active[repo.key] = active
		}()
	}
	wg.Wait()
	if ctx.Err() != nil {
		return
	}
	if failed > 0 {
		p.logger.Warn("poll of some repositories failed", zap.Int("failed", failed), zap.Int("repositories", len(repos)), zap.Error(firstErr))
	}
	// Forget repositories no longer configured or expanded.
	for key := range p.active {
		if !slices.ContainsFunc(repos, func(r repository) bool { return r.key == key }) {
			delete(p.active, key)
		}
	}
	counts := map[string]int64{runStatePending: 0, runStateExecuting: 0}
	for _, a := range p.active {
		for k, v := range a {
			counts[k] += v
		}
	}
	p.emitter.metrics.setActive(counts)
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
		return p.hookedActive(repo), nil
	}
	completed, err := p.pollCompleted(ctx, repo, &rs, &pages.completed, &pages.covered, handle)
	if err != nil {
		return nil, err
	}
	pages.listedAt = now
	for id, n := range completed {
		settle(id, n)
		p.settleHooked(repo, id, n)
	}
	if pages.covered {
		rs.Pending = pending
		p.setLastPages(repo.key, pages)
		return p.hookedActive(repo), errors.Join(append(errs, p.state.saveRepo(ctx, repo, rs), p.state.prune(ctx, repo))...)
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

// handleRun emits the attempts of run that are complete and not done yet: earlier attempts
// of a re-run (fetched with /attempts/{k}) and, once the run completed, its latest attempt,
// whose run object is the listed one (only its jobs are fetched).
func (p *poller) handleRun(ctx context.Context, repo repository, run *github.WorkflowRun, floor time.Time, source string) error {
	owner, name := repo.owner, repo.name
	created := run.GetCreatedAt().Time
	if created.Before(p.clock.Now().Add(-retention)) {
		return nil
	}
	n := max(run.GetRunAttempt(), 1)
	var errs []error
	for k := 1; k < n; k++ {
		id := attemptID{Repo: repo.key, RunID: run.GetID(), Attempt: k}
		done, err := p.state.isDone(ctx, id, created)
		if err != nil {
			return err
		}
		if done {
			continue
		}
		prev, err := p.client.getAttempt(ctx, owner, name, run.GetID(), k)
		if errors.Is(err, errNotFound) {
			return nil // the run was deleted meanwhile
		}
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if err := p.emitAttempt(ctx, repo, prev, floor, source); err != nil {
			errs = append(errs, err)
		}
	}
	if run.GetStatus() == statusCompleted {
		if err := p.emitAttempt(ctx, repo, run, floor, source); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// emitAttempt fetches the jobs of a completed attempt and emits it, unless it is done,
// claimed by a concurrent emission, or last updated before floor (then it is only marked
// done, so that it is never fetched again).
func (p *poller) emitAttempt(ctx context.Context, repo repository, run *github.WorkflowRun, floor time.Time, source string) error {
	if run.GetStatus() != statusCompleted {
		return nil
	}
	owner, name := repo.owner, repo.name
	n := max(run.GetRunAttempt(), 1)
	id := attemptID{Repo: repo.key, RunID: run.GetID(), Attempt: n}
	created := run.GetCreatedAt().Time
	ok, err := p.state.claim(ctx, id, created)
	if err != nil || !ok {
		return err
	}
	if run.GetUpdatedAt().Before(floor) {
		return p.state.done(ctx, id, created, source)
	}
	jobs, err := p.client.listJobs(ctx, owner, name, run.GetID(), n)
	if errors.Is(err, errNotFound) {
		return p.state.done(ctx, id, created, source) // deleted between the listing and now
	}
	if err != nil {
		p.state.release(id)
		return err
	}
	if run.RunAttempt == nil {
		run.RunAttempt = github.Int(n)
	}
	return p.emitter.emit(ctx, id, runAttempt{Repo: repo.fullName(), Run: run, Jobs: jobs}, source)
}

// fetchAnnounced emits an attempt a webhook reported completed, in any repository, together
// with earlier attempts not emitted yet. The delivered run object is that attempt, so only
// its jobs are fetched; an incomplete one makes the attempt be fetched first.
func (p *poller) fetchAnnounced(ctx context.Context, cr completedRun) {
	repo, ok := newRepository(p.host, cr.Repo)
	if !ok || cr.RunID <= 0 || cr.Attempt <= 0 {
		return
	}
	err := func() error {
		rs, err := p.state.repo(ctx, repo)
		if err != nil {
			return err
		}
		run := cr.Run
		if run == nil {
			run, err = p.client.getAttempt(ctx, repo.owner, repo.name, cr.RunID, cr.Attempt)
			if errors.Is(err, errNotFound) {
				return nil
			}
			if err != nil {
				return err
			}
		}
		if run.RunAttempt == nil {
			run.RunAttempt = github.Int(cr.Attempt)
		}
		p.settleHooked(repo, cr.RunID, run.GetRunAttempt())
		return p.handleRun(ctx, repo, run, rs.Floor, sourceWebhook)
	}()
	if err != nil && ctx.Err() == nil {
		p.logger.Warn("fetch of a webhook-announced attempt failed", zap.String("repository", repo.key), zap.Error(err))
	}
}
