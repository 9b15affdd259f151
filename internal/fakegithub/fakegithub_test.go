package fakegithub

import (
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	jwt "github.com/golang-jwt/jwt/v4"
	"github.com/google/go-github/v66/github"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

var fixtures = FixturesDir()

func newServer(t *testing.T, clock *time.Time) (*Server, *github.WorkflowRun) {
	t.Helper()
	base, err := LoadRun(filepath.Join(fixtures, "webhooks", "workflow_run", "completed.payload.json"))
	require.NoError(t, err, "fixtures in internal/fakegithub/testdata/github")
	now := *clock
	s := New(func() time.Time { return *clock })
	s.AddRepo("Organization", "octo-org", "octo-repo")
	for i := range 250 {
		s.PutAttempt("octo-org/octo-repo", ShapeRun(base, "octo-org/octo-repo", int64(1000+i), 1, now.Add(-time.Duration(i)*time.Minute), "completed", "success"), nil)
	}
	return s, base
}

func get(t *testing.T, s *Server, path string, h http.Header) *http.Response {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, "http://api.test"+path, http.NoBody)
	require.NoError(t, err)
	for k, v := range h {
		req.Header[k] = v
	}
	resp, err := s.Transport().RoundTrip(req)
	require.NoError(t, err)
	t.Cleanup(func() { _ = resp.Body.Close() })
	return resp
}

func TestPaginationAndETag(t *testing.T) {
	now := time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)
	s, _ := newServer(t, &now)
	resp := get(t, s, "/repos/octo-org/octo-repo/actions/runs?per_page=100", nil)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Contains(t, resp.Header.Get("Link"), `?page=2&per_page=100>; rel="next"`)
	assert.Contains(t, resp.Header.Get("Link"), `?page=3&per_page=100>; rel="last"`)
	var wr github.WorkflowRuns
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&wr))
	assert.Equal(t, 250, wr.GetTotalCount())
	require.Len(t, wr.WorkflowRuns, 100)
	assert.Equal(t, int64(1000), wr.WorkflowRuns[0].GetID(), "newest first")
	assert.Equal(t, "4999", resp.Header.Get("X-RateLimit-Remaining"))

	etag := resp.Header.Get("ETag")
	require.NotEmpty(t, etag)
	resp = get(t, s, "/repos/octo-org/octo-repo/actions/runs?per_page=100", http.Header{"If-None-Match": {etag}})
	assert.Equal(t, http.StatusNotModified, resp.StatusCode)
	assert.Equal(t, "4999", resp.Header.Get("X-RateLimit-Remaining"), "a 304 costs nothing")

	resp = get(t, s, "/repos/octo-org/octo-repo/actions/runs?per_page=100&page=3", nil)
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&wr))
	assert.Len(t, wr.WorkflowRuns, 50)
	assert.Empty(t, resp.Header.Get("Link"))

	resp = get(t, s, "/repos/octo-org/octo-repo/actions/runs?per_page=100&created=>="+now.Add(-9*time.Minute).Format(time.RFC3339), nil)
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&wr))
	assert.Len(t, wr.WorkflowRuns, 10)

	assert.Equal(t, 3, s.Requests(EndpointRepoRuns, http.StatusOK))
	assert.Equal(t, 1, s.Requests(EndpointRepoRuns, http.StatusNotModified))
	assert.Equal(t, 3, s.Charged())
	assert.Equal(t, 1, s.RepoRequests("octo-org/octo-repo", EndpointRepoRuns, http.StatusNotModified))
	assert.Zero(t, s.RepoRequests("octo-org/other", EndpointRepoRuns, http.StatusOK))
}

func TestStatusFilter(t *testing.T) {
	now := time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)
	s, base := newServer(t, &now)
	const path = "/repos/octo-org/octo-repo/actions/runs?per_page=100&status=completed"
	resp := get(t, s, path, nil)
	etag := resp.Header.Get("ETag")
	var wr github.WorkflowRuns
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&wr))
	assert.Equal(t, 250, wr.GetTotalCount())

	// A new run queued, then in progress: the completed listing does not change.
	s.PutAttempt("octo-org/octo-repo", ShapeRun(base, "octo-org/octo-repo", 5000, 1, now, "queued", ""), nil)
	assert.Equal(t, http.StatusNotModified, get(t, s, path, http.Header{"If-None-Match": {etag}}).StatusCode)
	s.PutAttempt("octo-org/octo-repo", ShapeRun(base, "octo-org/octo-repo", 5000, 1, now, "in_progress", ""), nil)
	assert.Equal(t, http.StatusNotModified, get(t, s, path, http.Header{"If-None-Match": {etag}}).StatusCode)
	require.NoError(t, json.NewDecoder(get(t, s, "/repos/octo-org/octo-repo/actions/runs?status=in_progress", nil).Body).Decode(&wr))
	require.Len(t, wr.WorkflowRuns, 1)
	assert.Equal(t, int64(5000), wr.WorkflowRuns[0].GetID())

	// It completes: the listing changes; a conclusion filters too.
	s.PutAttempt("octo-org/octo-repo", ShapeRun(base, "octo-org/octo-repo", 5000, 1, now, "completed", "failure"), nil)
	resp = get(t, s, path, http.Header{"If-None-Match": {etag}})
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&wr))
	assert.Equal(t, 251, wr.GetTotalCount())
	require.NoError(t, json.NewDecoder(get(t, s, "/repos/octo-org/octo-repo/actions/runs?status=failure", nil).Body).Decode(&wr))
	assert.Equal(t, 1, wr.GetTotalCount())
}

func TestAttemptsJobsAndDeletion(t *testing.T) {
	now := time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)
	s, base := newServer(t, &now)
	job, err := LoadJob(filepath.Join(fixtures, "webhooks", "workflow_job", "completed.success.with-organization.payload.json"))
	require.NoError(t, err)
	jobs := make([]*github.WorkflowJob, 150)
	for i := range jobs {
		jobs[i] = ShapeJob(job, int64(i+1), 7, 2, now)
	}
	s.PutAttempt("octo-org/octo-repo", ShapeRun(base, "octo-org/octo-repo", 7, 1, now, "completed", "failure"), nil)
	s.PutAttempt("octo-org/octo-repo", ShapeRun(base, "octo-org/octo-repo", 7, 2, now, "completed", "success"), jobs)

	var run github.WorkflowRun
	require.NoError(t, json.NewDecoder(get(t, s, "/repos/octo-org/octo-repo/actions/runs/7/attempts/1", nil).Body).Decode(&run))
	assert.Equal(t, "failure", run.GetConclusion())
	require.NoError(t, json.NewDecoder(get(t, s, "/repos/octo-org/octo-repo/actions/runs/7", nil).Body).Decode(&run))
	assert.Equal(t, 2, run.GetRunAttempt())

	resp := get(t, s, "/repos/octo-org/octo-repo/actions/runs/7/attempts/2/jobs?per_page=100&page=2", nil)
	var js github.Jobs
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&js))
	assert.Len(t, js.Jobs, 50)
	assert.Equal(t, 150, js.GetTotalCount())

	s.DeleteRun("octo-org/octo-repo", 7)
	assert.Equal(t, http.StatusNotFound, get(t, s, "/repos/octo-org/octo-repo/actions/runs/7/attempts/2", nil).StatusCode)
	assert.Equal(t, http.StatusNotFound, get(t, s, "/repos/octo-org/octo-repo/actions/runs/7", nil).StatusCode)
	assert.Equal(t, 1, s.Requests(EndpointRunAttempt, http.StatusNotFound))
}

func TestRateLimitAndFaults(t *testing.T) {
	now := time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)
	s, _ := newServer(t, &now)
	s.SetRateLimit(5000, 1, now.Add(time.Minute))
	assert.Equal(t, http.StatusOK, get(t, s, "/orgs/octo-org/repos", nil).StatusCode)
	resp := get(t, s, "/orgs/octo-org/repos", nil)
	assert.Equal(t, http.StatusForbidden, resp.StatusCode)
	assert.Equal(t, "0", resp.Header.Get("X-RateLimit-Remaining"))
	now = now.Add(2 * time.Minute) // the window resets
	assert.Equal(t, http.StatusNotFound, get(t, s, "/users/octo-org/repos", nil).StatusCode, "an organization is no user")

	tests := []struct {
		fault  Fault
		header string
		body   string
	}{
		{fault: Fault{Status: http.StatusForbidden, RetryAfter: "3"}, header: "3", body: "secondary rate limit"},
		{fault: Fault{Endpoint: EndpointOrgRepos, Status: http.StatusTooManyRequests, RetryAfter: "1"}, header: "1", body: "Too Many Requests"},
		{fault: Fault{Status: http.StatusBadGateway}, body: "Bad Gateway"},
	}
	for _, tt := range tests {
		s.Inject(tt.fault)
		resp := get(t, s, "/orgs/octo-org/repos", nil)
		assert.Equal(t, tt.fault.Status, resp.StatusCode)
		assert.Equal(t, tt.header, resp.Header.Get("Retry-After"))
		var msg struct{ Message string }
		require.NoError(t, json.NewDecoder(resp.Body).Decode(&msg))
		assert.True(t, strings.Contains(msg.Message, tt.body), msg.Message)
	}
	assert.Equal(t, http.StatusOK, get(t, s, "/orgs/octo-org/repos", nil).StatusCode, "faults are used up")
}

func TestParseCreated(t *testing.T) {
	t0 := time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		q    string
		in   []time.Time
		out  []time.Time
		fail bool
	}{
		{q: ">=2026-11-24T12:00:00Z", in: []time.Time{t0, t0.Add(time.Second)}, out: []time.Time{t0.Add(-time.Second)}},
		{q: "<2026-11-24", in: []time.Time{t0.Add(-13 * time.Hour)}, out: []time.Time{t0}},
		{q: "2026-11-24", in: []time.Time{t0}, out: []time.Time{t0.Add(12 * time.Hour)}},
		{q: "2026-11-23..2026-11-24", in: []time.Time{t0.Add(-24 * time.Hour)}, out: []time.Time{t0}},
		{q: ">=yesterday", fail: true},
	}
	for _, tt := range tests {
		t.Run(tt.q, func(t *testing.T) {
			f, err := parseCreated(tt.q)
			if tt.fail {
				assert.Error(t, err)
				return
			}
			require.NoError(t, err)
			for _, c := range tt.in {
				assert.True(t, f(c), c)
			}
			for _, c := range tt.out {
				assert.False(t, f(c), c)
			}
		})
	}
}

func TestAppTokens(t *testing.T) {
	now := time.Now()
	s, _ := newServer(t, &now)
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	require.NoError(t, err)
	other, err := rsa.GenerateKey(rand.Reader, 2048)
	require.NoError(t, err)
	s.EnableApp(1, 2, &key.PublicKey, 10*time.Minute)
	runs := "/api/v3/repos/octo-org/octo-repo/actions/runs"

	mint := func(path string, signer *rsa.PrivateKey, iss string, exp time.Time) *http.Response {
		t.Helper()
		tok, err := jwt.NewWithClaims(jwt.SigningMethodRS256, jwt.RegisteredClaims{
			Issuer: iss, IssuedAt: jwt.NewNumericDate(now.Add(-30 * time.Second)), ExpiresAt: jwt.NewNumericDate(exp),
		}).SignedString(signer)
		require.NoError(t, err)
		req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, "http://api.test"+path, http.NoBody)
		require.NoError(t, err)
		req.Header.Set("Authorization", "Bearer "+tok)
		resp, err := s.Transport().RoundTrip(req)
		require.NoError(t, err)
		t.Cleanup(func() { _ = resp.Body.Close() })
		return resp
	}
	const tokens = "/app/installations/2/access_tokens"
	assert.Equal(t, http.StatusUnauthorized, get(t, s, runs, nil).StatusCode, "no token")
	assert.Equal(t, http.StatusUnauthorized, mint(tokens, other, "1", now.Add(time.Minute)).StatusCode, "signed with another key")
	assert.Equal(t, http.StatusUnauthorized, mint(tokens, key, "7", now.Add(time.Minute)).StatusCode, "another App")
	assert.Equal(t, http.StatusUnauthorized, mint(tokens, key, "1", now.Add(-time.Second)).StatusCode, "expired JWT")
	assert.Equal(t, http.StatusNotFound, mint("/app/installations/3/access_tokens", key, "1", now.Add(time.Minute)).StatusCode, "another installation")

	resp := mint("/api/v3"+tokens, key, "1", now.Add(time.Minute))
	require.Equal(t, http.StatusCreated, resp.StatusCode)
	var body struct {
		Token     string    `json:"token"`
		ExpiresAt time.Time `json:"expires_at"`
	}
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&body))
	assert.WithinDuration(t, now.Add(10*time.Minute), body.ExpiresAt, time.Second)
	auth := http.Header{"Authorization": {"token " + body.Token}}
	assert.Equal(t, http.StatusOK, get(t, s, runs, auth).StatusCode)
	repos := get(t, s, "/installation/repositories", auth)
	require.Equal(t, http.StatusOK, repos.StatusCode)
	var list github.ListRepositories
	require.NoError(t, json.NewDecoder(repos.Body).Decode(&list))
	require.Len(t, list.Repositories, 1)
	assert.Equal(t, "octo-org/octo-repo", list.Repositories[0].GetFullName())

	now = now.Add(10 * time.Minute)
	assert.Equal(t, http.StatusUnauthorized, get(t, s, runs, auth).StatusCode, "expired token")
	assert.Equal(t, 1, s.TokensMinted())
}

func TestEnterprisePrefix(t *testing.T) {
	now := time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)
	s, _ := newServer(t, &now)
	s.Enterprise()
	assert.Equal(t, http.StatusNotFound, get(t, s, "/repos/octo-org/octo-repo/actions/runs", nil).StatusCode)
	resp := get(t, s, "/api/v3/repos/Octo-Org/octo-repo/actions/runs?per_page=100", nil)
	require.Equal(t, http.StatusOK, resp.StatusCode, "served under /api/v3/, names case-insensitive")
	assert.Contains(t, resp.Header.Get("Link"), "/api/v3/repos/Octo-Org/octo-repo/actions/runs?page=2")
}
