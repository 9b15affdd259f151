package otlpload

import (
	"context"
	"encoding/binary"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/ptrace/ptraceotlp"
)

// refusingCollector accepts request r (told apart by its first trace id) only at its attempt
// r%4+1: earlier attempts get 503, 429, or a connection closed without a response, in turn.
type refusingCollector struct {
	mu       sync.Mutex
	attempts map[uint64]int
	accepted map[uint64]int
}

func (c *refusingCollector) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	req := ptraceotlp.NewExportRequest()
	if err := req.UnmarshalProto(body); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	tid := req.Traces().ResourceSpans().At(0).ScopeSpans().At(0).Spans().At(0).TraceID()
	id := binary.BigEndian.Uint64(tid[8:])
	c.mu.Lock()
	c.attempts[id]++
	attempt := c.attempts[id]
	if attempt > int(id%4) {
		c.accepted[id]++
	}
	c.mu.Unlock()
	switch {
	case attempt > int(id%4):
		w.Header().Set("Content-Type", "application/x-protobuf")
		_, _ = w.Write(nil) // an empty ExportTraceServiceResponse
	case attempt == 1:
		w.WriteHeader(http.StatusServiceUnavailable)
	case attempt == 2:
		w.WriteHeader(http.StatusTooManyRequests)
	default:
		conn, _, err := http.NewResponseController(w).Hijack()
		if err == nil {
			_ = conn.Close()
		}
	}
}

func TestSendRetriesUntilAccepted(t *testing.T) {
	const traces, perRequest = 1000, 10
	collector := &refusingCollector{attempts: map[uint64]int{}, accepted: map[uint64]int{}}
	srv := httptest.NewServer(collector)
	t.Cleanup(srv.Close)

	reqs := Traces(traces, perRequest, time.Now())
	s := &Sender{URL: srv.URL + "/v1/traces", InFlight: 4, Backoff: time.Millisecond}
	got, err := s.Send(t.Context(), reqs)
	require.NoError(t, err)

	// First trace ids 1, 11, 21, ...: id%4 cycles 1, 3, 1, 3, so half the requests are refused
	// once and half three times.
	want := Result{Requests: traces / perRequest, Items: 2 * traces, Retries: (traces / perRequest / 2) * (1 + 3)}
	assert.Equal(t, want, got)
	require.Len(t, collector.accepted, traces/perRequest)
	for id, n := range collector.accepted {
		assert.Equal(t, 1, n, "request with first trace %d accepted %d times", id, n)
	}
}

func TestSendResponses(t *testing.T) {
	// partial_success {rejected_spans: 3, error_message: "x"}
	partial := []byte{0x0a, 0x05, 0x08, 0x03, 0x12, 0x01, 'x'}
	tests := []struct {
		name    string
		status  []int // per attempt; the last one repeats
		body    []byte
		want    Result
		wantErr bool
	}{
		{name: "accepted", status: []int{http.StatusOK}, want: Result{Requests: 1, Items: 20}},
		{name: "accepted with partial success", status: []int{http.StatusOK}, body: partial, want: Result{Requests: 1, Items: 17, Rejected: 3}},
		{name: "bad gateway then accepted", status: []int{http.StatusBadGateway, http.StatusGatewayTimeout, http.StatusOK}, want: Result{Requests: 1, Items: 20, Retries: 2}},
		{name: "bad request", status: []int{http.StatusBadRequest}, wantErr: true},
		{name: "internal error is not retried", status: []int{http.StatusInternalServerError}, wantErr: true},
		{name: "too large", status: []int{http.StatusRequestEntityTooLarge}, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var mu sync.Mutex
			attempt := 0
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
				mu.Lock()
				status := tt.status[min(attempt, len(tt.status)-1)]
				attempt++
				mu.Unlock()
				w.WriteHeader(status)
				if status == http.StatusOK {
					_, _ = w.Write(tt.body)
				}
			}))
			t.Cleanup(srv.Close)
			s := &Sender{URL: srv.URL, InFlight: 2, Backoff: time.Millisecond}
			got, err := s.Send(t.Context(), Traces(10, 10, time.Now()))
			if tt.wantErr {
				require.ErrorIs(t, err, errStatus)
				assert.Zero(t, got.Requests)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestSendStopsWithContext(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusServiceUnavailable)
	}))
	t.Cleanup(srv.Close)
	ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
	defer cancel()
	got, err := (&Sender{URL: srv.URL, Backoff: time.Millisecond}).Send(ctx, Traces(10, 5, time.Now()))
	require.ErrorIs(t, err, context.DeadlineExceeded)
	assert.Zero(t, got.Requests)
	assert.Positive(t, got.Retries)
}
