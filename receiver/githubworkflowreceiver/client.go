package githubworkflowreceiver // import "github.com/otelcol-diagnostics/otelcol-diagnostics/receiver/githubworkflowreceiver"

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/google/go-github/v66/github"
)

const perPage = 100

// errNotFound is returned for a 404: a deleted run or repository, or an owner of the other kind.
var errNotFound = errors.New("not found")

// apiClient is the GitHub REST API as the poller needs it.
type apiClient struct {
	gh *github.Client
	// app: authenticated as a GitHub App installation, whose owner/* entries expand to the
	// installation's repositories.
	app bool
}

func newAPIClient(httpClient *http.Client, cfg *Config, clk clock, observe observeFunc) (*apiClient, error) {
	base, err := url.Parse(cfg.Endpoint)
	if err != nil {
		return nil, fmt.Errorf("parse endpoint: %w", err)
	}
	if !strings.HasSuffix(base.Path, "/") {
		base.Path += "/"
	}
	inner := httpClient.Transport
	if inner == nil {
		inner = http.DefaultTransport
	}
	// The request timeout is applied per attempt below go-github: http.Client.Timeout would
	// leave a goroutine per error response until it expires, since go-github replaces the
	// body of an error response instead of closing it.
	hc := *httpClient
	lt := &limitTransport{
		timeout: hc.Timeout,
		next:    inner,
		clock:   clk,
		reserve: cfg.RateLimitReserve,
		sem:     make(chan struct{}, cfg.Concurrency),
		observe: observe,
	}
	hc.Timeout = 0
	hc.Transport = &etagTransport{next: lt, entries: map[string]etagEntry{}}
	app := cfg.GitHubApp.Get()
	if app != nil {
		tr, err := appTransport(hc.Transport, app, base.String())
		if err != nil {
			return nil, err
		}
		hc.Transport = tr
	}
	gh := github.NewClient(&hc)
	if cfg.Token != "" {
		gh = gh.WithAuthToken(string(cfg.Token))
	}
	gh.BaseURL = base
	return &apiClient{gh: gh, app: app != nil}, nil
}

// listRuns fetches one page of a repository's runs, newest first, with status ("" for all,
// or e.g. "completed"). With a non-empty etag the request is conditional: if GitHub answers
// 304, notModified is set and no run is returned (the caller kept what it needs of the
// page). newETag is the page's current ETag.
func (c *apiClient) listRuns(ctx context.Context, owner, repo, status string, page int, etag string) (runs []*github.WorkflowRun, next int, newETag string, notModified bool, err error) {
	cond := &conditional{etag: etag}
	opts := &github.ListWorkflowRunsOptions{Status: status, ListOptions: github.ListOptions{PerPage: perPage, Page: page}}
	wr, resp, err := c.gh.Actions.ListRepositoryWorkflowRuns(context.WithValue(ctx, conditionalKey{}, cond), owner, repo, opts)
	if err != nil {
		return nil, 0, "", false, wrapErr(resp, fmt.Sprintf("list runs of %s/%s", owner, repo), err)
	}
	if cond.notModified {
		return nil, 0, etag, true, nil
	}
	return wr.WorkflowRuns, resp.NextPage, cond.etag, false, nil
}

// getRun fetches the latest attempt of one run.
func (c *apiClient) getRun(ctx context.Context, owner, repo string, id int64) (*github.WorkflowRun, error) {
	run, resp, err := c.gh.Actions.GetWorkflowRunByID(ctx, owner, repo, id)
	if err != nil {
		return nil, wrapErr(resp, fmt.Sprintf("get run %d of %s/%s", id, owner, repo), err)
	}
	return run, nil
}

// getAttempt fetches attempt n of a run.
func (c *apiClient) getAttempt(ctx context.Context, owner, repo string, id int64, n int) (*github.WorkflowRun, error) {
	run, resp, err := c.gh.Actions.GetWorkflowRunAttempt(ctx, owner, repo, id, n, nil)
	if err != nil {
		return nil, wrapErr(resp, fmt.Sprintf("get attempt %d of run %d of %s/%s", n, id, owner, repo), err)
	}
	return run, nil
}

// listJobs fetches every job of attempt n of a run, following pagination.
func (c *apiClient) listJobs(ctx context.Context, owner, repo string, id int64, n int) ([]*github.WorkflowJob, error) {
	var jobs []*github.WorkflowJob
	opts := &github.ListOptions{PerPage: perPage}
	for {
		page, resp, err := c.gh.Actions.ListWorkflowJobsAttempt(ctx, owner, repo, id, int64(n), opts)
		if err != nil {
			return nil, wrapErr(resp, fmt.Sprintf("list jobs of attempt %d of run %d of %s/%s", n, id, owner, repo), err)
		}
		jobs = append(jobs, page.Jobs...)
		if resp.NextPage == 0 {
			return jobs, nil
		}
		opts.Page = resp.NextPage
	}
}

// listOwnerRepos lists the repositories of an organization, or of a user when owner is not
// one; for a GitHub App, those of owner the installation can read.
func (c *apiClient) listOwnerRepos(ctx context.Context, owner string) ([]string, error) {
	if c.app {
		names, err := c.listPaged(ctx, func(opts github.ListOptions) ([]*github.Repository, *github.Response, error) {
			list, resp, err := c.gh.Apps.ListRepos(ctx, &opts)
			if err != nil {
				return nil, resp, err
			}
			var repos []*github.Repository
			for _, r := range list.Repositories {
				if strings.EqualFold(r.GetOwner().GetLogin(), owner) {
					repos = append(repos, r)
				}
			}
			return repos, resp, err
		})
		if err != nil {
			return nil, fmt.Errorf("list repositories of the installation for %s: %w", owner, err)
		}
		return names, nil
	}
	names, err := c.listPaged(ctx, func(opts github.ListOptions) ([]*github.Repository, *github.Response, error) {
		return c.gh.Repositories.ListByOrg(ctx, owner, &github.RepositoryListByOrgOptions{ListOptions: opts})
	})
	if errors.Is(err, errNotFound) {
		names, err = c.listPaged(ctx, func(opts github.ListOptions) ([]*github.Repository, *github.Response, error) {
			return c.gh.Repositories.ListByUser(ctx, owner, &github.RepositoryListByUserOptions{ListOptions: opts})
		})
	}
	if err != nil {
		return nil, fmt.Errorf("list repositories of %s: %w", owner, err)
	}
	return names, nil
}

func (c *apiClient) listPaged(ctx context.Context, list func(github.ListOptions) ([]*github.Repository, *github.Response, error)) ([]string, error) {
	var names []string
	opts := github.ListOptions{PerPage: perPage}
	for {
		repos, resp, err := list(opts)
		if err != nil {
			return nil, wrapErr(resp, "list repositories", err)
		}
		for _, r := range repos {
			if r.GetArchived() || r.GetDisabled() {
				continue
			}
			names = append(names, r.GetName())
		}
		if resp.NextPage == 0 || ctx.Err() != nil {
			return names, ctx.Err()
		}
		opts.Page = resp.NextPage
	}
}

func wrapErr(resp *github.Response, op string, err error) error {
	if resp != nil && resp.StatusCode == http.StatusNotFound {
		return fmt.Errorf("%s: %w", op, errNotFound)
	}
	return fmt.Errorf("%s: %w", op, err)
}

// endpointOf classifies an API path for telemetry (a fixed set, never the raw path).
func endpointOf(path string) string {
	parts := strings.Split(strings.Trim(path, "/"), "/")
	// Skip a GitHub Enterprise Server prefix such as api/v3.
	for i, p := range parts {
		if p == "repos" || p == "orgs" || p == "users" || p == "app" || p == "installation" {
			parts = parts[i:]
			break
		}
	}
	switch {
	case len(parts) == 4 && parts[0] == "app" && parts[1] == "installations" && parts[3] == "access_tokens":
		return "installation_token"
	case len(parts) == 2 && parts[0] == "installation" && parts[1] == "repositories":
		return "installation_repos"
	case len(parts) == 3 && parts[0] == "orgs" && parts[2] == "repos":
		return "org_repos"
	case len(parts) == 3 && parts[0] == "users" && parts[2] == "repos":
		return "user_repos"
	case len(parts) == 5 && parts[0] == "repos" && parts[3] == "actions" && parts[4] == "runs":
		return "repo_runs"
	case len(parts) == 6 && parts[0] == "repos" && parts[4] == "runs":
		return "run"
	case len(parts) == 8 && parts[0] == "repos" && parts[6] == "attempts":
		return "run_attempt"
	case len(parts) == 9 && parts[0] == "repos" && parts[6] == "attempts" && parts[8] == "jobs":
		return "attempt_jobs"
	}
	return "other"
}
