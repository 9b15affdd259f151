package githubworkflowreceiver // import "github.com/otelcol-diagnostics/otelcol-diagnostics/receiver/githubworkflowreceiver"

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

const (
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
)

// observeFunc receives one call per HTTP exchange with the API (endpoint and status),
// the last known remaining budget (-1 when unknown), and whether a pause began.
type observeFunc func(endpoint, status string, remaining int, paused bool)

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
