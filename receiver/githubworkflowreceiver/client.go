package githubworkflowreceiver // import "github.com/otelcol-diagnostics/otelcol-diagnostics/receiver/githubworkflowreceiver"

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/google/go-github/v66/github"
)

const (
	perPage = 100
	// maxServerRetries is how often a 5xx or a network error is retried before the
	// request fails (the next poll tries again).
	maxServerRetries = 4
	// maxLimitRetries bounds the waits on one request for 403/429 rate limiting.
	maxLimitRetries = 8
	baseBackoff     = time.Second
	maxBackoff      = 30 * time.Second
	// secondaryDefaultWait is GitHub's advice for a secondary limit without Retry-After
	// or X-RateLimit-Reset: wait at least a minute.
	secondaryDefaultWait = time.Minute
	// maxPause caps any wait a response asks for: GitHub's windows last an hour, and a broken
	// header must not stall the receiver for longer.
	maxPause = time.Hour
	// maxErrorBody is how much of a 403 body is read to recognise a secondary limit.
	maxErrorBody = 64 << 10
	// maxETagEntries bounds the conditional-request cache (one entry per polled URL).
	maxETagEntries = 10000
)

// errNotFound is returned for a 404: a deleted run or repository, or an owner of the other kind.
var errNotFound = errors.New("not found")

// clock is the time source; tests inject a fake one so that waits cost no time.
type clock interface {
	Now() time.Time
	// Sleep waits d or until ctx ends.
	Sleep(ctx context.Context, d time.Duration) error
}

type realClock struct{}

func (realClock) Now() time.Time { return time.Now() }

func (realClock) Sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// observeFunc receives one call per HTTP exchange with the API (endpoint and status),
// the last known remaining budget (-1 when unknown), and whether a pause began.
type observeFunc func(endpoint, status string, remaining int, paused bool)

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

// conditionalKey carries a *conditional in a request's context: the caller keeps the ETag
// and a summary of the page itself, so a 304 is answered with an empty page and neither the
// body is stored nor decoded again (a page of 100 runs is ~0.7 MB of JSON).
type conditionalKey struct{}

type conditional struct {
	etag        string // in: If-None-Match; out: the response's ETag
	notModified bool   // out
}

// emptyPage stands for an unchanged page; conditional callers ignore its content.
const emptyPage = `{"total_count":0,"workflow_runs":[]}`

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

// etagTransport makes GET requests of polled URLs conditional: it stores each response's
// ETag and body per URL, sends If-None-Match, and turns a 304 (which costs no rate limit)
// back into the stored 200 so that go-github, which knows nothing of ETags, sees the page.
type etagTransport struct {
	next    http.RoundTripper
	mu      sync.Mutex
	entries map[string]etagEntry
}

type etagEntry struct {
	etag string
	body []byte
}

// cacheable: the URLs polled again and again whose callers keep no summary of their own
// (single runs and repository listings; run listings use a conditional context). Jobs and
// attempts are fetched once, so storing them would only cost memory.
func cacheable(req *http.Request) bool {
	if req.Method != http.MethodGet {
		return false
	}
	switch endpointOf(req.URL.Path) {
	case "run", "org_repos", "user_repos", "installation_repos":
		return true
	}
	return false
}

func (t *etagTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if cond, ok := req.Context().Value(conditionalKey{}).(*conditional); ok {
		return t.conditional(req, cond)
	}
	if !cacheable(req) {
		return t.next.RoundTrip(req)
	}
	key := req.URL.String()
	t.mu.Lock()
	entry, ok := t.entries[key]
	t.mu.Unlock()
	if ok {
		req = req.Clone(req.Context())
		req.Header.Set("If-None-Match", entry.etag)
	}
	resp, err := t.next.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	switch {
	case resp.StatusCode == http.StatusNotModified && ok:
		_, _ = io.Copy(io.Discard, resp.Body)
		_ = resp.Body.Close()
		resp.StatusCode = http.StatusOK
		resp.Status = "200 OK"
		resp.Body = io.NopCloser(bytes.NewReader(entry.body))
		resp.ContentLength = int64(len(entry.body))
		return resp, nil
	case resp.StatusCode == http.StatusOK && resp.Header.Get("ETag") != "":
		body, err := io.ReadAll(resp.Body)
		_ = resp.Body.Close()
		if err != nil {
			return nil, fmt.Errorf("read response body: %w", err)
		}
		resp.Body = io.NopCloser(bytes.NewReader(body))
		t.mu.Lock()
		if len(t.entries) >= maxETagEntries {
			for k := range t.entries { // evict one arbitrary entry
				delete(t.entries, k)
				break
			}
		}
		t.entries[key] = etagEntry{etag: resp.Header.Get("ETag"), body: body}
		t.mu.Unlock()
		return resp, nil
	case resp.StatusCode == http.StatusNotFound:
		t.mu.Lock()
		delete(t.entries, key)
		t.mu.Unlock()
	}
	return resp, nil
}

func (t *etagTransport) conditional(req *http.Request, cond *conditional) (*http.Response, error) {
	if cond.etag != "" {
		req = req.Clone(req.Context())
		req.Header.Set("If-None-Match", cond.etag)
	}
	resp, err := t.next.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	switch resp.StatusCode {
	case http.StatusNotModified:
		drain(resp)
		cond.notModified = cond.etag != ""
		resp.StatusCode = http.StatusOK
		resp.Status = "200 OK"
		resp.Header.Del("Link")
		resp.Body = io.NopCloser(strings.NewReader(emptyPage))
		resp.ContentLength = int64(len(emptyPage))
	case http.StatusOK:
		cond.etag = resp.Header.Get("ETag")
	}
	return resp, nil
}

// limitTransport bounds concurrency, honours the rate limit (pausing when the remaining
// budget reaches the reserve, until the window resets), waits out 403 secondary limits and
// 429s (Retry-After, else X-RateLimit-Reset, else a minute), and retries 5xx and network
// errors with exponential backoff. go-github v66 classifies neither 429 nor retries, so all
// of that happens here, below it.
type limitTransport struct {
	timeout time.Duration // per attempt; 0: none
	next    http.RoundTripper
	clock   clock
	reserve int
	sem     chan struct{}
	observe observeFunc

	mu         sync.Mutex
	remaining  int // -1: unknown
	reset      time.Time
	pauseUntil time.Time
	known      bool
}

// wait blocks until the budget allows a request.
func (t *limitTransport) wait(ctx context.Context) error {
	for {
		t.mu.Lock()
		now := t.clock.Now()
		until := t.pauseUntil
		if t.known && t.remaining <= t.reserve && t.reset.After(now) && t.reset.After(until) {
			// Pause until the window resets; one second of margin for clock skew.
			until = minTime(t.reset.Add(time.Second), now.Add(maxPause))
			t.pauseUntil = until
			t.mu.Unlock()
			t.observe("", "", -1, true)
		} else {
			t.mu.Unlock()
		}
		if !until.After(now) {
			return ctx.Err()
		}
		if err := t.clock.Sleep(ctx, until.Sub(now)); err != nil {
			return err
		}
	}
}

// pause holds every request until now+d.
func (t *limitTransport) pause(d time.Duration) {
	d = min(max(d, 0), maxPause)
	t.mu.Lock()
	if until := t.clock.Now().Add(d); until.After(t.pauseUntil) {
		t.pauseUntil = until
	}
	t.mu.Unlock()
	t.observe("", "", -1, true)
}

// update records the rate-limit headers of a response and returns the remaining budget.
func (t *limitTransport) update(h http.Header) int {
	rem, err1 := strconv.Atoi(h.Get("X-RateLimit-Remaining"))
	reset, err2 := strconv.ParseInt(h.Get("X-RateLimit-Reset"), 10, 64)
	if err1 != nil || err2 != nil {
		return -1
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	resetAt := time.Unix(reset, 0)
	// Responses of concurrent requests arrive out of order: within one window keep the lowest.
	if !t.known || resetAt.After(t.reset) || rem < t.remaining {
		t.remaining = rem
		t.reset = resetAt
		t.known = true
	}
	return rem
}

func (t *limitTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	ctx := req.Context()
	endpoint := endpointOf(req.URL.Path)
	serverRetries, limitRetries := 0, 0
	for {
		if err := t.wait(ctx); err != nil {
			return nil, err
		}
		select {
		case t.sem <- struct{}{}:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		resp, cancel, err := t.roundTrip(req)
		<-t.sem
		if err != nil {
			t.observe(endpoint, "error", -1, false)
			if ctx.Err() != nil || serverRetries >= maxServerRetries {
				return nil, err
			}
			if err := t.clock.Sleep(ctx, backoff(serverRetries)); err != nil {
				return nil, err
			}
			serverRetries++
			continue
		}
		remaining := t.update(resp.Header)
		t.observe(endpoint, strconv.Itoa(resp.StatusCode), remaining, false)

		switch {
		case resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode == http.StatusForbidden:
			if limitRetries >= maxLimitRetries {
				return withCancel(resp, cancel), nil
			}
			wait, limited := t.limitWait(resp, remaining)
			if !limited {
				return withCancel(resp, cancel), nil // a plain permission error
			}
			drain(resp)
			cancel()
			t.pause(wait)
			limitRetries++
		case resp.StatusCode >= http.StatusInternalServerError:
			if serverRetries >= maxServerRetries {
				return withCancel(resp, cancel), nil
			}
			drain(resp)
			cancel()
			if err := t.clock.Sleep(ctx, backoff(serverRetries)); err != nil {
				return nil, err
			}
			serverRetries++
		default:
			return withCancel(resp, cancel), nil
		}
	}
}

// roundTrip sends one attempt under the per-attempt timeout. cancel releases it; for a
// response handed on, withCancel ties it to the body's Close.
func (t *limitTransport) roundTrip(req *http.Request) (*http.Response, context.CancelFunc, error) {
	cancel := context.CancelFunc(func() {})
	if t.timeout > 0 {
		var ctx context.Context
		ctx, cancel = context.WithTimeout(req.Context(), t.timeout)
		req = req.WithContext(ctx)
	}
	resp, err := t.next.RoundTrip(req)
	if err != nil {
		cancel()
		return nil, nil, err
	}
	return resp, cancel, nil
}

func withCancel(resp *http.Response, cancel context.CancelFunc) *http.Response {
	resp.Body = &cancelBody{ReadCloser: resp.Body, cancel: cancel}
	return resp
}

// cancelBody releases the attempt's timeout when the body is closed (or when the timeout
// fires, if a caller never closes it: a timer, no goroutine).
type cancelBody struct {
	io.ReadCloser
	cancel context.CancelFunc
}

func (b *cancelBody) Close() error {
	err := b.ReadCloser.Close()
	b.cancel()
	return err
}

// limitWait tells whether a 403/429 is rate limiting and how long to wait (at most maxPause).
// It restores the body it reads, so a plain 403 reaches go-github intact.
func (t *limitTransport) limitWait(resp *http.Response, remaining int) (time.Duration, bool) {
	d, limited := t.rawLimitWait(resp, remaining)
	return min(max(d, 0), maxPause), limited
}

func (t *limitTransport) rawLimitWait(resp *http.Response, remaining int) (time.Duration, bool) {
	if v := resp.Header.Get("Retry-After"); v != "" {
		if s, err := strconv.Atoi(strings.TrimSpace(v)); err == nil && s >= 0 {
			return time.Duration(min(s, int(maxPause/time.Second))) * time.Second, true
		}
		if at, err := http.ParseTime(v); err == nil {
			return max(at.Sub(t.clock.Now()), 0), true
		}
	}
	if remaining == 0 {
		reset, _ := strconv.ParseInt(resp.Header.Get("X-RateLimit-Reset"), 10, 64)
		return time.Unix(reset, 0).Sub(t.clock.Now()) + time.Second, true
	}
	if resp.StatusCode == http.StatusTooManyRequests {
		return secondaryDefaultWait, true
	}
	body, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
	_ = resp.Body.Close()
	resp.Body = io.NopCloser(bytes.NewReader(body))
	lower := bytes.ToLower(body)
	if bytes.Contains(lower, []byte("secondary rate limit")) || bytes.Contains(lower, []byte("abuse")) {
		return secondaryDefaultWait, true
	}
	return 0, false
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

func backoff(retry int) time.Duration {
	return min(baseBackoff<<retry, maxBackoff)
}

func drain(resp *http.Response) {
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxErrorBody))
	_ = resp.Body.Close()
}
