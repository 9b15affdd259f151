// Package fakegithub is an in-process GitHub REST API for tests: the workflow-run endpoints
// of GitHub Actions (run listings filtered by created and status) and the repository
// listings, with Link pagination, ETags and 304s that
// cost no rate limit, X-RateLimit-* headers and a budget that runs out, and injectable
// faults (secondary-limit 403 with Retry-After, 429, 5xx). It counts every request by
// endpoint and status so that tests can assert how the API was used. Feed it with the
// real-shaped payloads of testdata/github (see FixturesDir, LoadRun and LoadJob). It serves
// under a GitHub Enterprise Server /api/v3/ prefix too, and can act for a GitHub App
// installation (EnableApp): installation tokens, JWT checks, expiry.
package fakegithub // import "github.com/otelcol-diagnostics/otelcol-diagnostics/internal/fakegithub"

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/google/go-github/v66/github"
)

// Endpoint families, as counted by Requests.
const (
	EndpointRepoRuns    = "repo_runs"    // GET /repos/{o}/{r}/actions/runs
	EndpointRun         = "run"          // GET /repos/{o}/{r}/actions/runs/{id}
	EndpointRunAttempt  = "run_attempt"  // GET /repos/{o}/{r}/actions/runs/{id}/attempts/{n}
	EndpointAttemptJobs = "attempt_jobs" // GET /repos/{o}/{r}/actions/runs/{id}/attempts/{n}/jobs
	EndpointOrgRepos    = "org_repos"    // GET /orgs/{o}/repos
	EndpointUserRepos   = "user_repos"   // GET /users/{u}/repos
	EndpointOther       = "other"
)

const (
	defaultLimit  = 5000
	defaultWindow = time.Hour
	maxPerPage    = 100
	defPerPage    = 30
)

// Fault is an error response served instead of the real one, Times times (0: once).
type Fault struct {
	Endpoint   string // an Endpoint* constant; "" for any
	Status     int    // 403 (a secondary limit), 429, 500, 502, 503...
	RetryAfter string // Retry-After header value, if any
	Body       string // JSON message; a GitHub-like default when empty
	Times      int
}

// Key is a counted request: its endpoint family and the status answered.
type Key struct {
	Endpoint string
	Status   int
}

// Server is the fake API. The zero value is not usable; call New.
type Server struct {
	now func() time.Time

	// Owners and repositories are looked up case-insensitively, as GitHub does: every map
	// below is keyed by the case-folded name (see fold); names keep their declared spelling.
	mu        sync.Mutex
	owners    map[string]owner    // owner -> its spelling and type
	repos     map[string][]string // owner -> repository names
	runs      map[string]map[int64][]attempt
	faults    []*Fault
	counts    map[Key]int
	byRepo    map[string]map[Key]int // "owner/name" -> counts of its /repos/{o}/{r}/... requests
	limit     int
	remaining int
	charged   int
	later     int
	version   int
	pages     map[string]cachedPage // URL -> body rendered at version
	reset     time.Time
	window    time.Duration
	app       *app // nil: no App; any request is served
	prefix    string
	http      *httptest.Server
}

type cachedPage struct {
	version int
	raw     []byte
	etag    string
	next    int
	last    int
}

type owner struct {
	login string
	typ   string // "Organization" or "User"
}

// fold is the key of an owner or an "owner/name" in the maps of Server.
func fold(name string) string { return strings.ToLower(name) }

type attempt struct {
	run  *github.WorkflowRun
	jobs []*github.WorkflowJob
}

// New returns a fake API whose rate-limit window follows now (time.Now when nil).
func New(now func() time.Time) *Server {
	if now == nil {
		now = time.Now
	}
	return &Server{
		now:       now,
		owners:    map[string]owner{},
		repos:     map[string][]string{},
		runs:      map[string]map[int64][]attempt{},
		counts:    map[Key]int{},
		byRepo:    map[string]map[Key]int{},
		pages:     map[string]cachedPage{},
		limit:     defaultLimit,
		remaining: defaultLimit,
		window:    defaultWindow,
	}
}

// Start serves the API on a 127.0.0.1 port and returns its base URL ("http://127.0.0.1:port/").
func (s *Server) Start() string {
	s.http = httptest.NewServer(s)
	return s.http.URL + "/"
}

// Close stops the server started by Start.
func (s *Server) Close() {
	if s.http != nil {
		s.http.Close()
	}
}

// Transport serves requests in process, with no network: a RoundTripper for tests that
// run in a testing/synctest bubble.
func (s *Server) Transport() http.RoundTripper {
	return roundTripper{s}
}

type roundTripper struct{ s *Server }

func (rt roundTripper) RoundTrip(req *http.Request) (*http.Response, error) {
	rec := httptest.NewRecorder()
	rt.s.ServeHTTP(rec, req)
	resp := rec.Result()
	resp.Request = req
	return resp, nil
}

// AddRepo declares a repository; ownerType is "Organization" or "User".
func (s *Server) AddRepo(ownerType, login, name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.version++
	o := fold(login)
	s.owners[o] = owner{login: login, typ: ownerType}
	if !slices.ContainsFunc(s.repos[o], func(n string) bool { return strings.EqualFold(n, name) }) {
		s.repos[o] = append(s.repos[o], name)
	}
	if s.runs[fold(login+"/"+name)] == nil {
		s.runs[fold(login+"/"+name)] = map[int64][]attempt{}
	}
}

// PutAttempt stores (or replaces) attempt run.RunAttempt of run run.ID in repo "owner/name",
// with its jobs. The run's latest attempt is what listings and GET /runs/{id} return.
func (s *Server) PutAttempt(repo string, run *github.WorkflowRun, jobs []*github.WorkflowJob) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.version++
	repo = fold(repo)
	if s.runs[repo] == nil {
		s.runs[repo] = map[int64][]attempt{}
	}
	n := max(run.GetRunAttempt(), 1)
	atts := s.runs[repo][run.GetID()]
	for len(atts) < n {
		atts = append(atts, attempt{})
	}
	atts[n-1] = attempt{run: CloneRun(run), jobs: cloneJobs(jobs)}
	s.runs[repo][run.GetID()] = atts
}

// DeleteRun removes a run: every later request for it answers 404.
func (s *Server) DeleteRun(repo string, id int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.version++
	delete(s.runs[fold(repo)], id)
}

// Inject queues a fault; faults are served in order.
func (s *Server) Inject(f Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if f.Times <= 0 {
		f.Times = 1
	}
	s.faults = append(s.faults, &f)
}

// SetRateLimit sets the budget of the current window and when it resets.
func (s *Server) SetRateLimit(limit, remaining int, reset time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.limit, s.remaining, s.reset = limit, remaining, reset
}

// Requests counts the requests answered for endpoint with status.
func (s *Server) Requests(endpoint string, status int) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.counts[Key{endpoint, status}]
}

// RepoRequests counts the requests answered for endpoint with status about repository repo
// ("owner/name").
func (s *Server) RepoRequests(repo, endpoint string, status int) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.byRepo[fold(repo)][Key{endpoint, status}]
}

// Counts returns a copy of every count.
func (s *Server) Counts() map[Key]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[Key]int, len(s.counts))
	for k, v := range s.counts {
		out[k] = v
	}
	return out
}

// Total counts the requests answered with status (0: any).
func (s *Server) Total(status int) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for k, v := range s.counts {
		if status == 0 || k.Status == status {
			n += v
		}
	}
	return n
}

// Charged is how many requests the rate limit charged (every answer but a 304, an injected
// fault or a refusal for an exhausted budget).
func (s *Server) Charged() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.charged
}

// LaterPages counts the requests for a page after the first (pagination).
func (s *Server) LaterPages() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.later
}

// ResetCounts forgets every count.
func (s *Server) ResetCounts() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.counts = map[Key]int{}
	s.byRepo = map[string]map[Key]int{}
	s.later = 0
	s.charged = 0
}

// Enterprise makes the server answer only under /api/v3/, as GitHub Enterprise Server
// does; any other path is 404 (and counted as EndpointOther).
func (s *Server) Enterprise() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.prefix = "/api/v3/"
}

// ServeHTTP answers one API request.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !strings.HasPrefix(r.URL.Path, s.prefix) {
		s.counts[Key{EndpointOther, s.writeError(w, http.StatusNotFound, "Not Found")}]++
		return
	}
	endpoint, parts := classify(r.URL.Path)
	status := s.serve(w, r, endpoint, parts)
	s.counts[Key{endpoint, status}]++
	if len(parts) >= 3 && parts[0] == "repos" {
		repo := fold(parts[1] + "/" + parts[2])
		if s.byRepo[repo] == nil {
			s.byRepo[repo] = map[Key]int{}
		}
		s.byRepo[repo][Key{endpoint, status}]++
	}
	if page, _ := strconv.Atoi(r.URL.Query().Get("page")); page > 1 {
		s.later++
	}
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request, endpoint string, p []string) int {
	now := s.now()
	if !now.Before(s.reset) {
		s.remaining = s.limit
		s.reset = now.Add(s.window).Truncate(time.Second)
	}
	if f := s.takeFault(endpoint); f != nil {
		return s.writeFault(w, f)
	}
	if endpoint == EndpointInstallationToken {
		return s.mintToken(w, r, p, now)
	}
	if !s.authorized(r, now) {
		return s.writeError(w, http.StatusUnauthorized, "Bad credentials")
	}
	if r.Method != http.MethodGet {
		return s.writeError(w, http.StatusNotFound, "Not Found")
	}
	if s.remaining <= 0 {
		return s.writeError(w, http.StatusForbidden, "API rate limit exceeded for user ID 1.")
	}
	page, ok := s.pages[r.URL.String()]
	if !ok || page.version != s.version {
		var body any
		var status, next, last int
		switch endpoint {
		case EndpointRepoRuns:
			body, next, last, status = s.listRuns(r, fold(p[1]+"/"+p[2]))
		case EndpointRun:
			body, status = s.getAttempt(fold(p[1]+"/"+p[2]), p[5], "")
		case EndpointRunAttempt:
			body, status = s.getAttempt(fold(p[1]+"/"+p[2]), p[5], p[7])
		case EndpointAttemptJobs:
			body, next, last, status = s.listJobs(r, fold(p[1]+"/"+p[2]), p[5], p[7])
		case EndpointOrgRepos, EndpointUserRepos:
			body, next, last, status = s.listRepos(r, endpoint, fold(p[1]))
		case EndpointInstallationRepos:
			body, next, last, status = s.listInstallationRepos(r)
		default:
			status = http.StatusNotFound
		}
		if status != http.StatusOK {
			s.charge()
			return s.writeError(w, status, "Not Found")
		}
		raw, err := json.Marshal(body)
		if err != nil {
			return s.writeError(w, http.StatusInternalServerError, err.Error())
		}
		sum := sha256.Sum256(raw)
		page = cachedPage{version: s.version, raw: raw, etag: `W/"` + hex.EncodeToString(sum[:16]) + `"`, next: next, last: last}
		s.pages[r.URL.String()] = page
	}
	raw, etag, next, last := page.raw, page.etag, page.next, page.last
	h := w.Header()
	h.Set("ETag", etag)
	if next > 0 {
		h.Set("Link", links(r, next, last))
	}
	if match := r.Header.Get("If-None-Match"); match != "" && match == etag {
		s.rateHeaders(h)
		w.WriteHeader(http.StatusNotModified)
		return http.StatusNotModified
	}
	s.charge()
	s.rateHeaders(h)
	h.Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(raw)
	return http.StatusOK
}

func (s *Server) charge() {
	s.remaining--
	s.charged++
}

func (s *Server) takeFault(endpoint string) *Fault {
	for i, f := range s.faults {
		if f.Endpoint == "" || f.Endpoint == endpoint {
			f.Times--
			if f.Times <= 0 {
				s.faults = slices.Delete(s.faults, i, i+1)
			}
			return f
		}
	}
	return nil
}

func (s *Server) writeFault(w http.ResponseWriter, f *Fault) int {
	if f.RetryAfter != "" {
		w.Header().Set("Retry-After", f.RetryAfter)
	}
	msg := f.Body
	if msg == "" {
		switch f.Status {
		case http.StatusForbidden:
			msg = "You have exceeded a secondary rate limit. Please wait a few minutes before you try again."
		case http.StatusTooManyRequests:
			msg = "Too Many Requests"
		default:
			msg = http.StatusText(f.Status)
		}
	}
	return s.writeError(w, f.Status, msg)
}

func (s *Server) writeError(w http.ResponseWriter, status int, msg string) int {
	s.rateHeaders(w.Header())
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	raw, _ := json.Marshal(map[string]string{"message": msg, "documentation_url": "https://docs.github.com/rest"})
	_, _ = w.Write(raw)
	return status
}

func (s *Server) rateHeaders(h http.Header) {
	h.Set("X-RateLimit-Limit", strconv.Itoa(s.limit))
	h.Set("X-RateLimit-Remaining", strconv.Itoa(max(s.remaining, 0)))
	h.Set("X-RateLimit-Reset", strconv.FormatInt(s.reset.Unix(), 10))
	h.Set("X-RateLimit-Used", strconv.Itoa(s.limit-max(s.remaining, 0)))
	h.Set("X-RateLimit-Resource", "core")
}

// classify names the endpoint of path and returns its segments after any /api/v3 prefix.
func classify(path string) (string, []string) {
	p := strings.Split(strings.Trim(path, "/"), "/")
	if len(p) >= 2 && p[0] == "api" && p[1] == "v3" {
		p = p[2:]
	}
	switch {
	case len(p) == 4 && p[0] == "app" && p[1] == "installations" && p[3] == "access_tokens":
		return EndpointInstallationToken, p
	case len(p) == 2 && p[0] == "installation" && p[1] == "repositories":
		return EndpointInstallationRepos, p
	case len(p) == 3 && p[0] == "orgs" && p[2] == "repos":
		return EndpointOrgRepos, p
	case len(p) == 3 && p[0] == "users" && p[2] == "repos":
		return EndpointUserRepos, p
	case len(p) == 5 && p[0] == "repos" && p[3] == "actions" && p[4] == "runs":
		return EndpointRepoRuns, p
	case len(p) == 6 && p[0] == "repos" && p[3] == "actions" && p[4] == "runs":
		return EndpointRun, p
	case len(p) == 8 && p[0] == "repos" && p[3] == "actions" && p[6] == "attempts":
		return EndpointRunAttempt, p
	case len(p) == 9 && p[0] == "repos" && p[3] == "actions" && p[6] == "attempts" && p[8] == "jobs":
		return EndpointAttemptJobs, p
	}
	return EndpointOther, p
}

func pageParams(r *http.Request) (page, perPage int) {
	q := r.URL.Query()
	page, _ = strconv.Atoi(q.Get("page"))
	perPage, _ = strconv.Atoi(q.Get("per_page"))
	if page < 1 {
		page = 1
	}
	if perPage < 1 {
		perPage = defPerPage
	}
	return page, min(perPage, maxPerPage)
}

// paginate returns the [lo, hi) bounds of page, the next page (0: none) and the last page.
func paginate(n, page, perPage int) (lo, hi, next, last int) {
	last = max((n+perPage-1)/perPage, 1)
	lo = min((page-1)*perPage, n)
	hi = min(lo+perPage, n)
	if page < last {
		next = page + 1
	}
	return lo, hi, next, last
}

func links(r *http.Request, next, last int) string {
	u := url.URL{Scheme: "http", Host: r.Host, Path: r.URL.Path}
	mk := func(page int, rel string) string {
		q := r.URL.Query()
		q.Set("page", strconv.Itoa(page))
		u.RawQuery = q.Encode()
		return fmt.Sprintf("<%s>; rel=%q", u.String(), rel)
	}
	return mk(next, "next") + ", " + mk(last, "last")
}

func (s *Server) listRuns(r *http.Request, repo string) (any, int, int, int) {
	runs, ok := s.runs[repo]
	if !ok {
		return nil, 0, 0, http.StatusNotFound
	}
	filter, err := parseCreated(r.URL.Query().Get("created"))
	if err != nil {
		return nil, 0, 0, http.StatusUnprocessableEntity
	}
	status := r.URL.Query().Get("status")
	var list []*github.WorkflowRun
	for _, atts := range runs {
		latest := atts[len(atts)-1].run
		if latest != nil && filter(latest.GetCreatedAt().Time) && matchStatus(latest, status) {
			list = append(list, latest)
		}
	}
	sort.Slice(list, func(i, j int) bool {
		ci, cj := list[i].GetCreatedAt().Time, list[j].GetCreatedAt().Time
		if !ci.Equal(cj) {
			return ci.After(cj)
		}
		return list[i].GetID() > list[j].GetID()
	})
	page, perPage := pageParams(r)
	lo, hi, next, last := paginate(len(list), page, perPage)
	return &github.WorkflowRuns{TotalCount: github.Int(len(list)), WorkflowRuns: list[lo:hi]}, next, last, http.StatusOK
}

// matchStatus applies GitHub's status filter of run listings: a status (queued,
// in_progress, completed...) or a conclusion (success, failure...) of the run's latest
// attempt; empty matches every run.
func matchStatus(run *github.WorkflowRun, status string) bool {
	return status == "" || run.GetStatus() == status || run.GetConclusion() == status
}

func (s *Server) find(repo, id, n string) (attempt, bool) {
	runID, err := strconv.ParseInt(id, 10, 64)
	if err != nil {
		return attempt{}, false
	}
	atts, ok := s.runs[repo][runID]
	if !ok || len(atts) == 0 {
		return attempt{}, false
	}
	if n == "" {
		return atts[len(atts)-1], atts[len(atts)-1].run != nil
	}
	k, err := strconv.Atoi(n)
	if err != nil || k < 1 || k > len(atts) || atts[k-1].run == nil {
		return attempt{}, false
	}
	return atts[k-1], true
}

func (s *Server) getAttempt(repo, id, n string) (any, int) {
	a, ok := s.find(repo, id, n)
	if !ok {
		return nil, http.StatusNotFound
	}
	return a.run, http.StatusOK
}

func (s *Server) listJobs(r *http.Request, repo, id, n string) (any, int, int, int) {
	a, ok := s.find(repo, id, n)
	if !ok {
		return nil, 0, 0, http.StatusNotFound
	}
	page, perPage := pageParams(r)
	lo, hi, next, last := paginate(len(a.jobs), page, perPage)
	return &github.Jobs{TotalCount: github.Int(len(a.jobs)), Jobs: a.jobs[lo:hi]}, next, last, http.StatusOK
}

func (s *Server) listRepos(r *http.Request, endpoint, key string) (any, int, int, int) {
	o, ok := s.owners[key]
	if !ok || (endpoint == EndpointOrgRepos) != (o.typ == "Organization") {
		return nil, 0, 0, http.StatusNotFound
	}
	names := slices.Clone(s.repos[key])
	sort.Strings(names)
	page, perPage := pageParams(r)
	lo, hi, next, last := paginate(len(names), page, perPage)
	out := make([]*github.Repository, 0, hi-lo)
	for _, n := range names[lo:hi] {
		out = append(out, &github.Repository{
			Name:     github.String(n),
			FullName: github.String(o.login + "/" + n),
			Owner:    &github.User{Login: github.String(o.login), Type: github.String(o.typ)},
		})
	}
	return out, next, last, http.StatusOK
}

// parseCreated understands the created filters the receiver uses: ">=T", ">T", "<=T", "<T",
// "T1..T2" and "T", with T an RFC 3339 time or a date.
func parseCreated(q string) (func(time.Time) bool, error) {
	if q == "" {
		return func(time.Time) bool { return true }, nil
	}
	parse := func(v string) (time.Time, error) {
		if t, err := time.Parse(time.RFC3339, v); err == nil {
			return t, nil
		}
		return time.Parse("2006-01-02", v)
	}
	for _, op := range []string{">=", "<=", ">", "<"} {
		if v, ok := strings.CutPrefix(q, op); ok {
			t, err := parse(v)
			if err != nil {
				return nil, err
			}
			switch op {
			case ">=":
				return func(c time.Time) bool { return !c.Before(t) }, nil
			case "<=":
				return func(c time.Time) bool { return !c.After(t) }, nil
			case ">":
				return func(c time.Time) bool { return c.After(t) }, nil
			default:
				return func(c time.Time) bool { return c.Before(t) }, nil
			}
		}
	}
	if a, b, ok := strings.Cut(q, ".."); ok {
		ta, err := parse(a)
		if err != nil {
			return nil, err
		}
		tb, err := parse(b)
		if err != nil {
			return nil, err
		}
		return func(c time.Time) bool { return !c.Before(ta) && !c.After(tb) }, nil
	}
	t, err := parse(q)
	if err != nil {
		return nil, err
	}
	return func(c time.Time) bool { return !c.Before(t) && c.Before(t.Add(24*time.Hour)) }, nil
}
