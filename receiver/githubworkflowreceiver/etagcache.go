package githubworkflowreceiver // import "github.com/otelcol-diagnostics/otelcol-diagnostics/receiver/githubworkflowreceiver"

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
)

// maxETagEntries bounds the conditional-request cache (one entry per polled URL).
const maxETagEntries = 10000

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
