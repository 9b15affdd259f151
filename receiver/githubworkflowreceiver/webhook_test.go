package githubworkflowreceiver

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha1" //nolint:gosec // to show that SHA-1 signatures are refused
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/google/go-github/v66/github"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var testSecret = []byte("It's a Secret to Everybody")

func sign(secret, body []byte) string {
	mac := hmac.New(sha256.New, secret)
	mac.Write(body)
	return "sha256=" + hex.EncodeToString(mac.Sum(nil))
}

// recorder collects what a webhook handler reports.
type recorder struct {
	mu       sync.Mutex
	runs     []completedRun // without the run object
	objects  []*github.WorkflowRun
	observed []string // "event/outcome"
	refuse   bool     // the queue is full
	active   []completedRun
}

func (r *recorder) onActive(c completedRun) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.active = append(r.active, c)
}

func (r *recorder) onCompleted(c completedRun) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.refuse {
		return false
	}
	r.objects = append(r.objects, c.Run)
	c.Run = nil
	r.runs = append(r.runs, c)
	return true
}

func (r *recorder) observe(event, outcome string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.observed = append(r.observed, event+"/"+outcome)
}

func newTestHandler(secret []byte, maxBody int64) (http.Handler, *recorder) {
	rec := &recorder{}
	return newWebhookHandler(secret, maxBody, rec.onCompleted, rec.onActive, rec.observe), rec
}

type delivery struct {
	method      string
	event       string
	id          string
	contentType string
	signature   string // "" = none
	body        []byte
	chunked     bool // no Content-Length
}

func (d delivery) request() *http.Request {
	method := d.method
	if method == "" {
		method = http.MethodPost
	}
	var body io.Reader = bytes.NewReader(d.body)
	if d.chunked {
		body = io.MultiReader(body) // hides the length
	}
	req := httptest.NewRequest(method, "/events", body)
	if d.chunked {
		req.ContentLength = -1
	}
	ct := d.contentType
	if ct == "" {
		ct = "application/json"
	}
	req.Header.Set("Content-Type", ct)
	if d.event != "" {
		req.Header.Set("X-GitHub-Event", d.event)
	}
	if d.id != "" {
		req.Header.Set("X-GitHub-Delivery", d.id)
	}
	if d.signature != "" {
		req.Header.Set("X-Hub-Signature-256", d.signature)
	}
	return req
}

func serve(h http.Handler, d delivery) int {
	w := httptest.NewRecorder()
	h.ServeHTTP(w, d.request())
	return w.Code
}

func TestWebhook(t *testing.T) {
	completed := readFixture(t, "webhooks/workflow_run/completed.payload.json")
	withPRs := readFixture(t, "webhooks/workflow_run/completed.with-pull-requests.payload.json")
	requested := readFixture(t, "webhooks/workflow_run/requested.payload.json")
	requestedConcluded := readFixture(t, "webhooks/workflow_run/requested.with-conclusion.payload.json")
	jobCompleted := readFixture(t, "webhooks/workflow_job/completed.success.with-organization.payload.json")
	skipped := readFixture(t, "contrib/workflow_job.completed.skipped.payload.json")
	ping := []byte(`{"zen":"Keep it logically awesome.","hook_id":1}`)
	form := []byte("payload=" + url.QueryEscape(string(completed)))
	mac1 := hmac.New(sha1.New, testSecret)
	mac1.Write(completed)
	sha1Sig := "sha1=" + hex.EncodeToString(mac1.Sum(nil))
	octo := completedRun{Repo: "octo-org/octo-repo", RunID: 289782451, Attempt: 1}

	tests := []struct {
		name     string
		secret   []byte
		d        delivery
		code     int
		want     []completedRun
		observed string
	}{
		{
			name: "completed run", d: delivery{event: "workflow_run", body: completed, signature: sign(testSecret, completed)},
			code: http.StatusAccepted, want: []completedRun{octo}, observed: "workflow_run/accepted",
		},
		{
			name: "completed run with pull requests", d: delivery{event: "workflow_run", body: withPRs, signature: sign(testSecret, withPRs)},
			code: http.StatusAccepted, want: []completedRun{octo}, observed: "workflow_run/accepted",
		},
		{
			name: "completed run, json with charset", d: delivery{event: "workflow_run", body: completed, signature: sign(testSecret, completed), contentType: "application/json; charset=utf-8"},
			code: http.StatusAccepted, want: []completedRun{octo}, observed: "workflow_run/accepted",
		},
		{
			name: "completed run, form encoded", d: delivery{event: "workflow_run", body: form, signature: sign(testSecret, form), contentType: "application/x-www-form-urlencoded"},
			code: http.StatusAccepted, want: []completedRun{octo}, observed: "workflow_run/accepted",
		},
		{
			name: "requested run announced active", d: delivery{event: "workflow_run", body: requested, signature: sign(testSecret, requested)},
			code: http.StatusOK, observed: "workflow_run/active",
		},
		{
			name: "requested run with a conclusion announced active", d: delivery{event: "workflow_run", body: requestedConcluded, signature: sign(testSecret, requestedConcluded)},
			code: http.StatusOK, observed: "workflow_run/active",
		},
		{
			name: "workflow_job ignored", d: delivery{event: "workflow_job", body: jobCompleted, signature: sign(testSecret, jobCompleted)},
			code: http.StatusOK, observed: "workflow_job/ignored",
		},
		{
			name: "skipped workflow_job ignored", d: delivery{event: "workflow_job", body: skipped, signature: sign(testSecret, skipped)},
			code: http.StatusOK, observed: "workflow_job/ignored",
		},
		{
			name: "ping", d: delivery{event: "ping", body: ping, signature: sign(testSecret, ping)},
			code: http.StatusOK, observed: "ping/ping",
		},
		{
			name: "unknown event acknowledged", d: delivery{event: "push", body: []byte(`{"ref":"refs/heads/main"}`), signature: sign(testSecret, []byte(`{"ref":"refs/heads/main"}`))},
			code: http.StatusOK, observed: "other/ignored",
		},
		{
			name: "no event header acknowledged", d: delivery{body: ping, signature: sign(testSecret, ping)},
			code: http.StatusOK, observed: "other/ignored",
		},
		{
			name: "missing signature", d: delivery{event: "workflow_run", body: completed},
			code: http.StatusUnauthorized, observed: "workflow_run/unauthorized",
		},
		{
			name: "wrong secret", d: delivery{event: "workflow_run", body: completed, signature: sign([]byte("guess"), completed)},
			code: http.StatusUnauthorized, observed: "workflow_run/unauthorized",
		},
		{
			name: "signature of another body", d: delivery{event: "workflow_run", body: completed, signature: sign(testSecret, withPRs)},
			code: http.StatusUnauthorized, observed: "workflow_run/unauthorized",
		},
		{
			name: "sha1 signature refused", d: delivery{event: "workflow_run", body: completed, signature: sha1Sig},
			code: http.StatusUnauthorized, observed: "workflow_run/unauthorized",
		},
		{
			name: "garbage signature", d: delivery{event: "workflow_run", body: completed, signature: "sha256=zz"},
			code: http.StatusUnauthorized, observed: "workflow_run/unauthorized",
		},
		{
			name: "empty secret refuses everything", secret: []byte{}, d: delivery{event: "workflow_run", body: completed, signature: sign(nil, completed)},
			code: http.StatusUnauthorized, observed: "workflow_run/unauthorized",
		},
		{
			name: "malformed json", d: delivery{event: "workflow_run", body: []byte(`{"action":`), signature: sign(testSecret, []byte(`{"action":`))},
			code: http.StatusBadRequest, observed: "workflow_run/malformed",
		},
		{
			name: "completed run without id", d: delivery{event: "workflow_run", body: []byte(`{"action":"completed","repository":{"full_name":"o/r"},"workflow_run":{}}`), signature: sign(testSecret, []byte(`{"action":"completed","repository":{"full_name":"o/r"},"workflow_run":{}}`))},
			code: http.StatusBadRequest, observed: "workflow_run/malformed",
		},
		{
			name: "completed run without repository", d: delivery{event: "workflow_run", body: []byte(`{"action":"completed","workflow_run":{"id":7}}`), signature: sign(testSecret, []byte(`{"action":"completed","workflow_run":{"id":7}}`))},
			code: http.StatusBadRequest, observed: "workflow_run/malformed",
		},
		{
			name: "repository from the run, attempt defaults to 1", d: delivery{event: "workflow_run", body: []byte(`{"action":"completed","workflow_run":{"id":7,"repository":{"full_name":"o/r"}}}`), signature: sign(testSecret, []byte(`{"action":"completed","workflow_run":{"id":7,"repository":{"full_name":"o/r"}}}`))},
			code: http.StatusAccepted, want: []completedRun{{Repo: "o/r", RunID: 7, Attempt: 1}}, observed: "workflow_run/accepted",
		},
		{
			name: "too large", d: delivery{event: "workflow_run", body: bytes.Repeat([]byte("x"), 1<<16+1), signature: "sha256=00"},
			code: http.StatusRequestEntityTooLarge, observed: "workflow_run/too_large",
		},
		{
			name: "too large without content length", d: delivery{event: "workflow_run", body: bytes.Repeat([]byte("x"), 1<<16+1), signature: "sha256=00", chunked: true},
			code: http.StatusRequestEntityTooLarge, observed: "workflow_run/too_large",
		},
		{
			name: "GET", d: delivery{method: http.MethodGet, event: "ping"},
			code: http.StatusMethodNotAllowed, observed: "ping/method_not_allowed",
		},
		{
			name: "unsupported content type", d: delivery{event: "workflow_run", body: completed, signature: sign(testSecret, completed), contentType: "text/plain"},
			code: http.StatusUnsupportedMediaType, observed: "workflow_run/unsupported_media_type",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			secret := testSecret
			if tt.secret != nil {
				secret = tt.secret
			}
			h, rec := newTestHandler(secret, 1<<16)
			assert.Equal(t, tt.code, serve(h, tt.d))
			assert.Equal(t, tt.want, rec.runs)
			assert.Equal(t, []string{tt.observed}, rec.observed)
		})
	}
}

func TestWebhookDeduplicatesDeliveries(t *testing.T) {
	body := readFixture(t, "webhooks/workflow_run/completed.payload.json")
	h, rec := newTestHandler(testSecret, 1<<20)
	d := delivery{event: "workflow_run", id: "72d3162e-cc78-11e3-81ab-4c9367dc0958", body: body, signature: sign(testSecret, body)}

	assert.Equal(t, http.StatusAccepted, serve(h, d))
	assert.Equal(t, http.StatusOK, serve(h, d), "redelivery")
	d.id = "another"
	assert.Equal(t, http.StatusAccepted, serve(h, d))
	d.id = ""
	assert.Equal(t, http.StatusAccepted, serve(h, d), "no delivery id: not deduplicated")
	assert.Len(t, rec.runs, 3)
	assert.Equal(t, []string{"workflow_run/accepted", "workflow_run/duplicate", "workflow_run/accepted", "workflow_run/accepted"}, rec.observed)

	// A forged redelivery does not count as seen: the signature comes first.
	forged := delivery{event: "workflow_run", id: "forged", body: body, signature: sign([]byte("x"), body)}
	assert.Equal(t, http.StatusUnauthorized, serve(h, forged))
	forged.signature = sign(testSecret, body)
	assert.Equal(t, http.StatusAccepted, serve(h, forged))
}

func TestWebhookPassesTheDeliveredRun(t *testing.T) {
	completed := readFixture(t, "webhooks/workflow_run/completed.payload.json")
	tests := []struct {
		name    string
		body    []byte
		emitted bool // the run object is handed on
		attempt int
		runRepo string
	}{
		{name: "real delivery", body: completed, emitted: true, attempt: 1, runRepo: "octo-org/octo-repo"},
		{name: "no conclusion", body: []byte(`{"action":"completed","repository":{"full_name":"o/r"},"workflow_run":{"id":7,"run_attempt":2,"status":"completed","created_at":"2026-11-24T12:00:00Z","run_started_at":"2026-11-24T12:00:00Z","updated_at":"2026-11-24T12:05:00Z"}}`), attempt: 2},
		{name: "no run_started_at", body: []byte(`{"action":"completed","repository":{"full_name":"o/r"},"workflow_run":{"id":7,"run_attempt":2,"status":"completed","conclusion":"success","created_at":"2026-11-24T12:00:00Z","updated_at":"2026-11-24T12:05:00Z"}}`), attempt: 2},
		{name: "no attempt", body: []byte(`{"action":"completed","repository":{"full_name":"o/r"},"workflow_run":{"id":7,"status":"completed","conclusion":"success","created_at":"2026-11-24T12:00:00Z","run_started_at":"2026-11-24T12:00:00Z","updated_at":"2026-11-24T12:05:00Z"}}`), attempt: 1},
		{name: "status not completed", body: []byte(`{"action":"completed","repository":{"full_name":"o/r"},"workflow_run":{"id":7,"run_attempt":1,"status":"in_progress","conclusion":"success","created_at":"2026-11-24T12:00:00Z","run_started_at":"2026-11-24T12:00:00Z","updated_at":"2026-11-24T12:05:00Z"}}`), attempt: 1},
		{name: "complete", body: []byte(`{"action":"completed","repository":{"full_name":"o/r"},"workflow_run":{"id":7,"run_attempt":3,"status":"completed","conclusion":"failure","created_at":"2026-11-24T12:00:00Z","run_started_at":"2026-11-24T12:20:00Z","updated_at":"2026-11-24T12:25:00Z"}}`), emitted: true, attempt: 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, rec := newTestHandler(testSecret, 1<<20)
			require.Equal(t, http.StatusAccepted, serve(h, delivery{event: "workflow_run", body: tt.body, signature: sign(testSecret, tt.body)}))
			require.Len(t, rec.runs, 1)
			assert.Equal(t, tt.attempt, rec.runs[0].Attempt)
			if !tt.emitted {
				assert.Nil(t, rec.objects[0], "an incomplete run object is fetched instead")
				return
			}
			require.NotNil(t, rec.objects[0])
			assert.Equal(t, rec.runs[0].RunID, rec.objects[0].GetID())
			assert.Equal(t, tt.attempt, rec.objects[0].GetRunAttempt())
			if tt.runRepo != "" {
				assert.Equal(t, tt.runRepo, rec.objects[0].GetRepository().GetFullName())
			}
		})
	}
}

// A delivery the queue cannot take is answered 503 and not remembered, so that GitHub's
// redelivery (same X-GitHub-Delivery) is taken once there is room.
func TestWebhookAnnouncesActiveRuns(t *testing.T) {
	requested := readFixture(t, "webhooks/workflow_run/requested.payload.json")
	inProgress := []byte(`{"action":"in_progress","repository":{"full_name":"o/r"},"workflow_run":{"id":7,"run_attempt":2,"status":"in_progress"}}`)
	noID := []byte(`{"action":"in_progress","repository":{"full_name":"o/r"},"workflow_run":{"status":"in_progress"}}`)
	h, rec := newTestHandler(testSecret, 1<<20)
	assert.Equal(t, http.StatusOK, serve(h, delivery{event: "workflow_run", body: requested, signature: sign(testSecret, requested)}))
	assert.Equal(t, http.StatusOK, serve(h, delivery{event: "workflow_run", body: inProgress, signature: sign(testSecret, inProgress)}))
	assert.Equal(t, http.StatusOK, serve(h, delivery{event: "workflow_run", body: noID, signature: sign(testSecret, noID)}))
	require.Len(t, rec.active, 2)
	assert.Equal(t, runStatePending, rec.active[0].State)
	assert.Equal(t, completedRun{Repo: "o/r", RunID: 7, Attempt: 2, State: runStateExecuting}, rec.active[1])
	assert.Empty(t, rec.runs)
	assert.Equal(t, []string{"workflow_run/active", "workflow_run/active", "workflow_run/ignored"}, rec.observed)
}

func TestWebhookQueueFullIsRedelivered(t *testing.T) {
	body := readFixture(t, "webhooks/workflow_run/completed.payload.json")
	h, rec := newTestHandler(testSecret, 1<<20)
	d := delivery{event: "workflow_run", id: "d-full", body: body, signature: sign(testSecret, body)}
	rec.refuse = true
	assert.Equal(t, http.StatusServiceUnavailable, serve(h, d))
	assert.Equal(t, http.StatusServiceUnavailable, serve(h, d), "still not taken")
	rec.refuse = false
	assert.Equal(t, http.StatusAccepted, serve(h, d), "the redelivery is taken")
	assert.Equal(t, http.StatusOK, serve(h, d), "and then remembered")
	assert.Len(t, rec.runs, 1)
	assert.Equal(t, []string{"workflow_run/queue_full", "workflow_run/queue_full", "workflow_run/accepted", "workflow_run/duplicate"}, rec.observed)
}

func TestDeliveryLogRemove(t *testing.T) {
	d := newDeliveryLog(3)
	assert.True(t, d.add("a"))
	d.remove("a")
	assert.False(t, d.contains("a"))
	assert.True(t, d.add("a"), "added again after removal")
	assert.True(t, d.add("b"))
	// The stale slot of the first "a" is evicted next: it must not forget the live "a".
	assert.True(t, d.add("c"))
	assert.True(t, d.contains("a"))
	assert.True(t, d.add("d"))
	assert.False(t, d.contains("a"), "the live a is the oldest now")
	d.remove("")
	assert.Len(t, d.ids, 3)
}

func TestWebhookConcurrentRedeliveriesCallBackOnce(t *testing.T) {
	body := readFixture(t, "webhooks/workflow_run/completed.payload.json")
	h, rec := newTestHandler(testSecret, 1<<20)
	d := delivery{event: "workflow_run", id: "same", body: body, signature: sign(testSecret, body)}
	var wg sync.WaitGroup
	var accepted atomic.Int32
	for range 8 {
		wg.Go(func() {
			if serve(h, d) == http.StatusAccepted {
				accepted.Add(1)
			}
		})
	}
	wg.Wait()
	assert.Equal(t, int32(1), accepted.Load())
	assert.Len(t, rec.runs, 1)
}

func TestDeliveryLogBounded(t *testing.T) {
	d := newDeliveryLog(3)
	for i := range 5 {
		assert.True(t, d.add(strconv.Itoa(i)))
	}
	assert.Len(t, d.ids, 3)
	assert.False(t, d.contains("0"), "evicted")
	assert.False(t, d.contains("1"), "evicted")
	assert.True(t, d.contains("4"))
	assert.False(t, d.add("4"))

	long := strings.Repeat("a", 10_000)
	assert.True(t, d.add(long))
	assert.True(t, d.contains(long))
	for k := range d.ids {
		assert.LessOrEqual(t, len(k), maxDeliveryIDLen)
	}
}

func TestWebhookNilObserve(t *testing.T) {
	body := readFixture(t, "webhooks/workflow_run/completed.payload.json")
	var got []completedRun
	h := newWebhookHandler(testSecret, 1<<20, func(c completedRun) bool { got = append(got, c); return true }, nil, nil)
	assert.Equal(t, http.StatusAccepted, serve(h, delivery{event: "workflow_run", body: body, signature: sign(testSecret, body)}))
	assert.Len(t, got, 1)
}

// FuzzWebhook: the handler never panics, answers with a known status, and
// never calls back unless the body carries a valid signature.
func FuzzWebhook(f *testing.F) {
	for _, rel := range []string{
		"webhooks/workflow_run/completed.payload.json",
		"webhooks/workflow_run/requested.payload.json",
		"webhooks/workflow_job/completed.failure.with-organization.payload.json",
		"contrib/workflow_job.completed.skipped.payload.json",
	} {
		body := readFixture(f, rel)
		f.Add(body, "workflow_run", "application/json", true, "")
		f.Add(body, "workflow_run", "application/json", false, "sha256=00")
	}
	f.Add([]byte(`{"action":"completed","workflow_run":{"id":1,"repository":{"full_name":"a/b"}}}`), "workflow_run", "application/json", true, "")
	f.Add([]byte(`payload=%7B%22action%22%3A%22completed%22%7D`), "workflow_run", "application/x-www-form-urlencoded", true, "")
	f.Add([]byte(`{"action":"completed","workflow_run":{"id":-1}}`), "ping", "application/json; charset=utf-8", true, "")
	f.Add([]byte{}, "", "", false, "")

	allowed := map[int]bool{200: true, 202: true, 400: true, 401: true, 413: true, 415: true}
	var calls, incomplete atomic.Int64
	h := newWebhookHandler(testSecret, 1<<16, func(c completedRun) bool {
		calls.Add(1)
		if c.Repo == "" || c.RunID <= 0 || c.Attempt <= 0 || (c.Run != nil && !emittable(c.Run)) {
			incomplete.Add(1)
		}
		return true
	}, func(c completedRun) {
		if c.Repo == "" || c.RunID <= 0 || c.Attempt <= 0 || c.State == "" {
			incomplete.Add(1)
		}
	}, nil)
	f.Fuzz(func(t *testing.T, body []byte, event, contentType string, signed bool, signature string) {
		before := calls.Load()
		if signed {
			signature = sign(testSecret, body)
		}
		req := httptest.NewRequest(http.MethodPost, "/events", bytes.NewReader(body))
		req.Header.Set("Content-Type", contentType)
		req.Header.Set("X-GitHub-Event", event)
		req.Header.Set("X-Hub-Signature-256", signature)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		if !allowed[w.Code] {
			t.Fatalf("status %d", w.Code)
		}
		valid := signature == sign(testSecret, body)
		if calls.Load() != before && (!valid || event != "workflow_run" || w.Code != http.StatusAccepted) {
			t.Fatalf("callback without a valid signed workflow_run (status %d)", w.Code)
		}
		if incomplete.Load() > 0 {
			t.Fatal("callback with an incomplete run")
		}
	})
}

// BenchmarkWebhook measures signed, completed workflow_run deliveries (the
// real 20 KB payload) handled per second, each with a new delivery id.
func BenchmarkWebhook(b *testing.B) {
	body := readFixture(b, "webhooks/workflow_run/completed.payload.json")
	sig := sign(testSecret, body)
	h := newWebhookHandler(testSecret, 25<<20, func(completedRun) bool { return true }, nil, func(string, string) {})
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		i++
		req := httptest.NewRequest(http.MethodPost, "/events", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-GitHub-Event", "workflow_run")
		req.Header.Set("X-GitHub-Delivery", fmt.Sprintf("d-%d", i))
		req.Header.Set("X-Hub-Signature-256", sig)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		if w.Code != http.StatusAccepted {
			b.Fatalf("status %d", w.Code)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "deliveries/s")
}
