package otlpload

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/collector/pdata/ptrace/ptraceotlp"
)

// Result counts what a Send achieved.
type Result struct {
	// Requests the collector accepted (2xx).
	Requests int64
	// Items in the accepted requests, less those the collector reported rejected.
	Items int64
	// Rejected items: reported in an accepted request's partial_success; they are not resent.
	Rejected int64
	// Retries of refused attempts (429, 502, 503, 504, or no response at all).
	Retries int64
}

// Sender posts whole OTLP/HTTP protobuf requests to one URL.
type Sender struct {
	// URL is the signal's endpoint, e.g. http://127.0.0.1:4318/v1/traces.
	URL string
	// InFlight is the number of requests in flight; at least 1.
	InFlight int
	// Backoff is the pause before resending a refused request; 10ms when zero.
	Backoff time.Duration
	// Client sends the requests; when nil, one keeping InFlight idle connections.
	Client *http.Client
}

// errStatus is returned for a response that no retry can turn into an acceptance.
var errStatus = errors.New("request not retryable")

// Send posts every request, InFlight at a time, each until the collector accepts it. It stops at
// the first response that says the request can never be accepted (a status other than 2xx, 429,
// 502, 503 or 504) or when ctx ends; the Result then counts what was accepted until then.
func (s *Sender) Send(ctx context.Context, reqs []Request) (Result, error) {
	inFlight := max(s.InFlight, 1)
	client := s.Client
	if client == nil {
		client = &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: inFlight}}
		defer client.CloseIdleConnections()
	}
	backoff := s.Backoff
	if backoff == 0 {
		backoff = 10 * time.Millisecond
	}
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)

	var requests, items, rejected, retries, next atomic.Int64
	var wg sync.WaitGroup
	for range inFlight {
		wg.Go(func() {
			for {
				i := int(next.Add(1)) - 1
				if i >= len(reqs) || ctx.Err() != nil {
					return
				}
				for {
					rej, retry, err := s.post(ctx, client, reqs[i].Body)
					if err != nil {
						cancel(fmt.Errorf("request %d: %w", i, err))
						return
					}
					if !retry {
						requests.Add(1)
						items.Add(int64(reqs[i].Items) - rej)
						rejected.Add(rej)
						break
					}
					retries.Add(1)
					select {
					case <-ctx.Done():
						return
					case <-time.After(backoff):
					}
				}
			}
		})
	}
	wg.Wait()
	res := Result{Requests: requests.Load(), Items: items.Load(), Rejected: rejected.Load(), Retries: retries.Load()}
	if ctx.Err() != nil {
		return res, context.Cause(ctx)
	}
	return res, nil
}

// post sends body once. It returns the number of items the collector reported rejected when it
// accepted the request, retry when it refused the request for now, or an error when it never
// will or ctx ended.
func (s *Sender) post(ctx context.Context, client *http.Client, body []byte) (rejected int64, retry bool, err error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.URL, bytes.NewReader(body))
	if err != nil {
		return 0, false, err
	}
	req.Header.Set("Content-Type", "application/x-protobuf")
	resp, err := client.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return 0, false, ctx.Err()
		}
		return 0, true, nil // refused or dropped connection: the collector may not be up yet
	}
	defer func() { _ = resp.Body.Close() }()
	respBody, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	switch {
	case resp.StatusCode/100 == 2:
		if err != nil {
			// Accepted: the status says so, whatever happened to the body afterwards.
			return 0, false, nil //nolint:nilerr // the status is the acceptance
		}
		return partialRejected(respBody), false, nil
	case resp.StatusCode == http.StatusTooManyRequests, resp.StatusCode == http.StatusBadGateway,
		resp.StatusCode == http.StatusServiceUnavailable, resp.StatusCode == http.StatusGatewayTimeout:
		return 0, true, nil
	default:
		return 0, false, fmt.Errorf("%w: %s: %.200s", errStatus, resp.Status, respBody)
	}
}

// partialRejected reads rejected_<items> from an Export<Signal>ServiceResponse. The three
// signals' responses share one wire layout (field 1 partial_success, whose field 1 is the
// rejected count), so the traces response decodes all three.
func partialRejected(b []byte) int64 {
	resp := ptraceotlp.NewExportResponse()
	if err := resp.UnmarshalProto(b); err != nil {
		return 0
	}
	return resp.PartialSuccess().RejectedSpans()
}
