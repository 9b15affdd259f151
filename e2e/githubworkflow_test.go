package e2e

import (
	"bytes"
	"compress/gzip"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/google/go-github/v66/github"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/ptrace/ptraceotlp"

	"github.com/otelcol-diagnostics/otelcol-diagnostics/internal/e2etest"
	"github.com/otelcol-diagnostics/otelcol-diagnostics/internal/fakegithub"
)

// otlpSink is an OTLP/HTTP endpoint that decodes the trace export requests it receives.
type otlpSink struct {
	mu    sync.Mutex
	roots map[string]int // "run/attempt" -> root spans received
	spans int
	bad   int
}

func (s *otlpSink) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var body io.Reader = r.Body
	if r.Header.Get("Content-Encoding") == "gzip" {
		gz, err := gzip.NewReader(r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		defer func() { _ = gz.Close() }()
		body = gz
	}
	raw, err := io.ReadAll(body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	if r.URL.Path != "/v1/traces" {
		w.Header().Set("Content-Type", "application/x-protobuf")
		return // metrics: accepted, not inspected here
	}
	req := ptraceotlp.NewExportRequest()
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := req.UnmarshalProto(raw); err != nil {
		s.bad++
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	rss := req.Traces().ResourceSpans()
	for i := range rss.Len() {
		sss := rss.At(i).ScopeSpans()
		for j := range sss.Len() {
			spans := sss.At(j).Spans()
			for k := range spans.Len() {
				sp := spans.At(k)
				s.spans++
				if !sp.ParentSpanID().IsEmpty() {
					continue
				}
				id, _ := sp.Attributes().Get("cicd.pipeline.run.id")
				att, _ := sp.Attributes().Get("github.actions.run.attempt")
				s.roots[fmt.Sprintf("%s/%d", id.AsString(), att.Int())]++
			}
		}
	}
	resp, _ := ptraceotlp.NewExportResponse().MarshalProto()
	w.Header().Set("Content-Type", "application/x-protobuf")
	_, _ = w.Write(resp)
}

func (s *otlpSink) attempts() map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[string]int, len(s.roots))
	for k, v := range s.roots {
		out[k] = v
	}
	return out
}

func keys(m map[string]int) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

const githubE2EConfig = `
extensions:
  file_storage:
    directory: %[1]s
receivers:
  githubworkflow:
    endpoint: %[2]s
    token: ${env:GITHUB_TOKEN}
    repositories: [octo-org/*]
    collection_interval: 1s
    lookback: 24h
    storage: file_storage
    webhook:
      endpoint: %[3]s
      path: /events
      secret: ${env:GITHUB_WEBHOOK_SECRET}
processors:
  batch:
    timeout: 100ms
exporters:
  otlp_http:
    endpoint: %[4]s
service:
  extensions: [file_storage]
  telemetry:
    metrics:
      level: none
  pipelines:
    traces:
      receivers: [githubworkflow]
      processors: [batch]
      exporters: [otlp_http]
    metrics:
      receivers: [githubworkflow]
      processors: [batch]
      exporters: [otlp_http]
`

func TestGitHubWorkflowEndToEnd(t *testing.T) {
	fixtures := fakegithub.FixturesDir()
	base, err := fakegithub.LoadRun(filepath.Join(fixtures, "webhooks", "workflow_run", "completed.payload.json"))
	require.NoError(t, err, "fixtures in internal/fakegithub/testdata/github")
	job, err := fakegithub.LoadJob(filepath.Join(fixtures, "webhooks", "workflow_job", "completed.success.with-organization.payload.json"))
	require.NoError(t, err)

	gh := fakegithub.New(nil)
	gh.AddRepo("Organization", "octo-org", "octo-repo")
	gh.AddRepo("Organization", "octo-org", "tools")
	gh.AddRepo("User", "octocat", "elsewhere") // reached by the webhook only
	now := time.Now().UTC().Truncate(time.Second)
	put := func(repo string, id int64, n int, status string) {
		created := now.Add(-time.Hour)
		jobs := []*github.WorkflowJob{
			fakegithub.ShapeJob(job, id*10+1, id, n, created),
			fakegithub.ShapeJob(job, id*10+2, id, n, created),
		}
		gh.PutAttempt(repo, fakegithub.ShapeRun(base, repo, id, n, created, status, "success"), jobs)
	}
	put("octo-org/octo-repo", 1, 1, "completed")
	put("octo-org/octo-repo", 2, 1, "completed")
	put("octo-org/octo-repo", 2, 2, "completed") // a re-run: attempt 1 fetched too
	put("octo-org/tools", 3, 1, "in_progress")
	put("octocat/elsewhere", 4, 1, "completed")
	apiURL := gh.Start()
	t.Cleanup(gh.Close)

	sink := &otlpSink{roots: map[string]int{}}
	otlp := httptest.NewServer(sink)
	t.Cleanup(otlp.Close)

	state := t.TempDir()
	webhook := e2etest.FreeAddr(t)
	config := fmt.Sprintf(githubE2EConfig, state, apiURL, webhook, otlp.URL)
	env := []string{"GITHUB_TOKEN=ghp_e2e", "GITHUB_WEBHOOK_SECRET=e2e-secret"}

	col := e2etest.Start(t, config, env...)
	e2etest.Eventually(t, 30*time.Second, func() bool { return len(sink.attempts()) >= 3 }, "polled attempts exported: %v", sink.attempts())
	assert.Equal(t, []string{"1/1", "2/1", "2/2"}, keys(sink.attempts()))

	// The in-progress run completes: the next poll emits it.
	put("octo-org/tools", 3, 1, "completed")
	e2etest.Eventually(t, 30*time.Second, func() bool { return sink.attempts()["3/1"] == 1 }, "completed run exported: %v", sink.attempts())

	// A signed webhook delivery for a repository that is not polled: fetched and emitted at once.
	var ev map[string]any
	raw, err := os.ReadFile(filepath.Join(fixtures, "webhooks", "workflow_run", "completed.payload.json"))
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(raw, &ev))
	// The delivered run object is the attempt itself (only its jobs are fetched).
	ev["workflow_run"] = fakegithub.ShapeRun(base, "octocat/elsewhere", 4, 1, now.Add(-time.Hour), "completed", "success")
	ev["repository"].(map[string]any)["full_name"] = "octocat/elsewhere"
	body, err := json.Marshal(ev)
	require.NoError(t, err)
	post := func(secret string) int {
		mac := hmac.New(sha256.New, []byte(secret))
		mac.Write(body)
		req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, "http://"+webhook+"/events", bytes.NewReader(body))
		require.NoError(t, err)
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-GitHub-Event", "workflow_run")
		req.Header.Set("X-GitHub-Delivery", "e2e-"+secret)
		req.Header.Set("X-Hub-Signature-256", "sha256="+hex.EncodeToString(mac.Sum(nil)))
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		_ = resp.Body.Close()
		return resp.StatusCode
	}
	assert.Equal(t, http.StatusUnauthorized, post("wrong-secret"))
	assert.Equal(t, http.StatusAccepted, post("e2e-secret"))
	e2etest.Eventually(t, 30*time.Second, func() bool { return sink.attempts()["4/1"] == 1 }, "webhook attempt exported: %v", sink.attempts())
	require.NoError(t, col.Stop(10*time.Second))

	// A restart on the same storage: polls happen, nothing is exported twice.
	before := gh.Requests(fakegithub.EndpointRepoRuns, http.StatusOK) + gh.Requests(fakegithub.EndpointRepoRuns, http.StatusNotModified)
	col = e2etest.Start(t, config, env...)
	e2etest.Eventually(t, 30*time.Second, func() bool {
		n := gh.Requests(fakegithub.EndpointRepoRuns, http.StatusOK) + gh.Requests(fakegithub.EndpointRepoRuns, http.StatusNotModified)
		return n >= before+4 // two polls of both repositories
	}, "polls after the restart")
	require.NoError(t, col.Stop(10*time.Second))
	for k, n := range sink.attempts() {
		assert.Equal(t, 1, n, "attempt %s exported %d times", k, n)
	}
	assert.Len(t, sink.attempts(), 5)
	assert.Zero(t, sink.bad)
	assert.Positive(t, gh.Requests(fakegithub.EndpointRepoRuns, http.StatusNotModified), "idle polls answered 304")
}
