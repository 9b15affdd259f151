package githubworkflowreceiver // import "github.com/otelcol-diagnostics/otelcol-diagnostics/receiver/githubworkflowreceiver"

import (
	"context"
	"slices"
	"sync"
	"time"

	"github.com/google/go-github/v66/github"
	"go.uber.org/zap"
)

const (
	sourcePoll    = "poll"
	sourceWebhook = "webhook"

	statusCompleted = "completed"
	// ownerRefreshPolls: owner/* entries are expanded again every this many polls (the
	// listing is conditional, so an unchanged owner costs no rate limit anyway).
	ownerRefreshPolls = 10
)

// runsAPI is the part of the GitHub REST API the poller uses; apiClient implements it.
type runsAPI interface {
	// listRuns reads one page of a repository's runs (status "" for all), conditionally
	// when etag is set: notModified then, and no runs.
	listRuns(ctx context.Context, owner, repo, status string, page int, etag string) (runs []*github.WorkflowRun, next int, newETag string, notModified bool, err error)
	getRun(ctx context.Context, owner, repo string, id int64) (*github.WorkflowRun, error)
	getAttempt(ctx context.Context, owner, repo string, id int64, n int) (*github.WorkflowRun, error)
	listJobs(ctx context.Context, owner, repo string, id int64, n int) ([]*github.WorkflowJob, error)
	listOwnerRepos(ctx context.Context, owner string) ([]string, error)
}

var _ runsAPI = (*apiClient)(nil)

// poller lists runs of the configured repositories and fetches completed attempts.
type poller struct {
	cfg     *Config
	client  runsAPI
	state   *stateStore
	emitter *emitter
	clock   clock
	logger  *zap.Logger
	// host is the API host, part of every repository key.
	host string
	// activeEvery is how often each repository's unfiltered run listing is read for the
	// queued and in-progress runs.
	activeEvery time.Duration
	// webhooks: a webhook is configured, so a repository whose new completions were all
	// emitted from deliveries first is covered (see webhookReconcile).
	webhooks bool

	announced *announcedRuns

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

func newPoller(cfg *Config, client runsAPI, state *stateStore, em *emitter, clk clock, logger *zap.Logger) *poller {
	return &poller{
		cfg: cfg, client: client, state: state, emitter: em, clock: clk, logger: logger,
		host:        hostName(cfg.Endpoint),
		activeEvery: max(activeRefresh, cfg.CollectionInterval),
		ownerRepos:  map[string][]string{},
		announced:   newAnnouncedRuns(clk),
		active:      map[string]map[string]int64{},
		pages:       map[string]repoPages{},
	}
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
