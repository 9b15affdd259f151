package githubworkflowreceiver

import (
	"context"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func limitResponse(status int, h map[string]string, body string) *http.Response {
	resp := &http.Response{StatusCode: status, Header: http.Header{}, Body: io.NopCloser(strings.NewReader(body))}
	for k, v := range h {
		resp.Header.Set(k, v)
	}
	return resp
}

func TestLimitWait(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	lt := &limitTransport{clock: &fakeClock{now: now}}
	tests := []struct {
		name      string
		status    int
		header    map[string]string
		remaining int
		body      string
		wait      time.Duration
		limited   bool
	}{
		{name: "retry-after seconds", status: 403, header: map[string]string{"Retry-After": "30"}, remaining: 10, wait: 30 * time.Second, limited: true},
		{name: "retry-after http date", status: 429, header: map[string]string{"Retry-After": now.Add(time.Minute).UTC().Format(http.TimeFormat)}, remaining: -1, wait: time.Minute, limited: true},
		{name: "retry-after absurd", status: 429, header: map[string]string{"Retry-After": "999999999999"}, remaining: -1, wait: maxPause, limited: true},
		{name: "primary exhausted", status: 403, header: map[string]string{"X-RateLimit-Reset": strconv.FormatInt(now.Add(10*time.Minute).Unix(), 10)}, remaining: 0, wait: 10*time.Minute + time.Second, limited: true},
		{name: "reset in the past", status: 403, header: map[string]string{"X-RateLimit-Reset": "1"}, remaining: 0, wait: 0, limited: true},
		{name: "429 bare", status: 429, remaining: 5, wait: secondaryDefaultWait, limited: true},
		{name: "secondary message", status: 403, remaining: 5, body: `{"message":"You have exceeded a secondary rate limit"}`, wait: secondaryDefaultWait, limited: true},
		{name: "permission denied", status: 403, remaining: 5, body: `{"message":"Resource not accessible by integration"}`, limited: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := limitResponse(tt.status, tt.header, tt.body)
			wait, limited := lt.limitWait(resp, tt.remaining)
			assert.Equal(t, tt.limited, limited)
			assert.Equal(t, tt.wait, wait)
			rest, err := io.ReadAll(resp.Body)
			require.NoError(t, err)
			assert.Equal(t, tt.body, string(rest), "the body reaches go-github intact")
		})
	}
}

func TestLimitUpdateKeepsLowestOfWindow(t *testing.T) {
	lt := &limitTransport{clock: &fakeClock{now: time.Unix(1000, 0)}}
	h := func(rem, reset int) http.Header {
		return http.Header{"X-Ratelimit-Remaining": {strconv.Itoa(rem)}, "X-Ratelimit-Reset": {strconv.Itoa(reset)}}
	}
	assert.Equal(t, 50, lt.update(h(50, 2000)))
	lt.update(h(60, 2000)) // an older response arriving late
	assert.Equal(t, 50, lt.remaining)
	lt.update(h(4999, 5600)) // the next window
	assert.Equal(t, 4999, lt.remaining)
	assert.Equal(t, -1, lt.update(http.Header{}))
	assert.Equal(t, -1, lt.update(http.Header{"X-Ratelimit-Remaining": {"many"}, "X-Ratelimit-Reset": {"1"}}))
}

// FuzzLimitHeaders feeds outside header values to the rate-limit parsing: never a panic,
// never a negative wait or one beyond maxPause.
func FuzzLimitHeaders(f *testing.F) {
	f.Add(403, "30", "0", "1800000600", "")
	f.Add(429, "Wed, 21 Oct 2015 07:28:00 GMT", "", "", "")
	f.Add(403, "", "0", "99999999999999", "secondary rate limit")
	f.Add(403, "-5", "x", "-1", "abuse")
	f.Fuzz(func(t *testing.T, status int, retryAfter, remaining, reset, body string) {
		now := time.Unix(1_800_000_000, 0)
		lt := &limitTransport{clock: &fakeClock{now: now}, observe: func(string, string, int, bool) {}}
		resp := limitResponse(status, map[string]string{"Retry-After": retryAfter, "X-RateLimit-Remaining": remaining, "X-RateLimit-Reset": reset}, body)
		rem := lt.update(resp.Header)
		wait, _ := lt.limitWait(resp, rem)
		if wait < 0 || wait > maxPause {
			t.Fatalf("wait %s out of [0, %s]", wait, maxPause)
		}
		lt.pause(wait)
		if d := lt.pauseUntil.Sub(now); d < 0 || d > maxPause {
			t.Fatalf("pause %s out of range", d)
		}
	})
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// TestRequestTimeoutPerAttempt: a stalled request ends at the timeout and is retried with
// backoff like a network error; the test runs in a synctest bubble, so it takes no time.
func TestRequestTimeoutPerAttempt(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		calls := 0
		stall := roundTripFunc(func(r *http.Request) (*http.Response, error) {
			calls++
			<-r.Context().Done()
			return nil, r.Context().Err()
		})
		lt := &limitTransport{timeout: 30 * time.Second, next: stall, clock: realClock{}, sem: make(chan struct{}, 1), observe: func(string, string, int, bool) {}}
		req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, "http://api.test/repos/o/r/actions/runs", http.NoBody)
		require.NoError(t, err)
		start := time.Now()
		_, err = lt.RoundTrip(req)
		require.ErrorIs(t, err, context.DeadlineExceeded)
		assert.Equal(t, 1+maxServerRetries, calls)
		assert.Equal(t, 5*30*time.Second+(1+2+4+8)*time.Second, time.Since(start))
	})
}
