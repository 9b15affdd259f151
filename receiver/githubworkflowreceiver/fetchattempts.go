package githubworkflowreceiver // import "github.com/otelcol-diagnostics/otelcol-diagnostics/receiver/githubworkflowreceiver"

import (
	"context"
	"errors"
	"time"

	"github.com/google/go-github/v66/github"
	"go.uber.org/zap"
)

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
		p.announced.settle(repo, cr.RunID, run.GetRunAttempt())
		return p.handleRun(ctx, repo, run, rs.Floor, sourceWebhook)
	}()
	if err != nil && ctx.Err() == nil {
		p.logger.Warn("fetch of a webhook-announced attempt failed", zap.String("repository", repo.key), zap.Error(err))
	}
}
