package postgresexporter

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
)

func TestTracesToRows(t *testing.T) {
	td := ptrace.NewTraces()
	rsp := td.ResourceSpans().AppendEmpty()
	rsp.Resource().Attributes().PutStr("service.name", "ci")
	ss := rsp.ScopeSpans().AppendEmpty()
	ss.Scope().SetName("tracer")
	ss.SetSchemaUrl("https://s")
	spans := ss.Spans()

	traceID := pcommon.TraceID{0x4b, 0xf9, 0x2f, 0x35, 0x77, 0xb3, 0x4d, 0xa6, 0xa3, 0xce, 0x92, 0x9d, 0x0e, 0x0e, 0x47, 0x36}
	full := spans.AppendEmpty()
	full.SetTraceID(traceID)
	full.SetSpanID(pcommon.SpanID{0, 0xf0, 0x67, 0xaa, 0x0b, 0xa9, 0x02, 0xb7})
	full.SetParentSpanID(pcommon.SpanID{7: 1})
	full.TraceState().FromRaw("vendor=x")
	full.SetName("GET /jobs")
	full.SetKind(ptrace.SpanKindServer)
	full.SetStartTimestamp(testTS)
	full.SetEndTimestamp(testTS + 1_500_000) // 1.5 ms later
	full.Status().SetCode(ptrace.StatusCodeError)
	full.Status().SetMessage("boom\x00")
	full.Attributes().PutInt("http.status_code", 500)
	ev := full.Events().AppendEmpty()
	ev.SetTimestamp(testTS + 1)
	ev.SetName("exception")
	ev.Attributes().PutStr("exception.message", "line1\nline2")
	full.Events().AppendEmpty().SetName("empty")
	l := full.Links().AppendEmpty()
	l.SetTraceID(pcommon.TraceID{15: 2})
	l.SetSpanID(pcommon.SpanID{7: 3})
	l.TraceState().FromRaw("a=b")
	l.Attributes().PutBool("sampled", true)

	root := spans.AppendEmpty()
	root.SetTraceID(traceID)
	root.SetSpanID(pcommon.SpanID{1})
	root.SetKind(ptrace.SpanKind(99)) // outside the enum
	root.Status().SetCode(ptrace.StatusCode(7))
	root.SetStartTimestamp(testTS)
	root.SetEndTimestamp(testTS - 1000) // ends before it starts: kept as sent

	got := tracesToRows(td)
	var h idHasher
	resID := h.resourceID("", rsp.Resource().Attributes())
	scopeID := h.scopeID(ss.Scope(), "https://s")
	assert.Equal(t, []resourceRow{{ID: resID, ServiceName: "ci", Attributes: []byte(`{"service.name":"ci"}`)}}, got.Resources)
	assert.Equal(t, []scopeRow{{ID: scopeID, Name: "tracer", Attributes: []byte(`{}`), SchemaURL: "https://s"}}, got.Scopes)

	want := []spanRow{
		{
			TraceID:       traceID,
			SpanID:        [8]byte{0, 0xf0, 0x67, 0xaa, 0x0b, 0xa9, 0x02, 0xb7},
			ParentSpanID:  [8]byte{7: 1},
			TraceState:    "vendor=x",
			ServiceName:   "ci",
			SpanName:      "GET /jobs",
			SpanKind:      "Server",
			StartTime:     wantTS,
			EndTime:       time.Unix(1_700_000_000, 124_956_000).UTC(),
			Duration:      1_500_000,
			StatusCode:    "Error",
			StatusMessage: "boom",
			Attributes:    []byte(`{"http.status_code":500}`),
			Events: []byte(`[{"time":"2023-11-14T22:13:20.123456Z","name":"exception","attributes":{"exception.message":"line1\nline2"}},` +
				`{"time":"1970-01-01T00:00:00Z","name":"empty","attributes":{}}]`),
			Links:      []byte(`[{"trace_id":"00000000000000000000000000000002","span_id":"0000000000000003","trace_state":"a=b","attributes":{"sampled":true}}]`),
			ResourceID: resID,
			ScopeID:    scopeID,
		},
		{
			TraceID:     traceID,
			SpanID:      [8]byte{1},
			ServiceName: "ci",
			SpanKind:    "Unspecified",
			StartTime:   wantTS,
			EndTime:     time.Unix(1_700_000_000, 123_455_000).UTC(),
			Duration:    -1000,
			StatusCode:  "Unset",
			Attributes:  []byte(`{}`),
			Events:      []byte(`[]`),
			Links:       []byte(`[]`),
			ResourceID:  resID,
			ScopeID:     scopeID,
		},
	}
	assert.Equal(t, want, got.Spans)
	for _, s := range got.Spans {
		assert.True(t, json.Valid(s.Events))
		assert.True(t, json.Valid(s.Links))
	}
	assert.Empty(t, got.Series)
	assert.Empty(t, got.Points)
}

func TestTracesToRowsKindsAndStatuses(t *testing.T) {
	kinds := map[ptrace.SpanKind]string{
		ptrace.SpanKindUnspecified: "Unspecified", ptrace.SpanKindInternal: "Internal",
		ptrace.SpanKindServer: "Server", ptrace.SpanKindClient: "Client",
		ptrace.SpanKindProducer: "Producer", ptrace.SpanKindConsumer: "Consumer",
	}
	for k, want := range kinds {
		assert.Equal(t, want, spanKindName(k))
	}
	statuses := map[ptrace.StatusCode]string{
		ptrace.StatusCodeUnset: "Unset", ptrace.StatusCodeOk: "Ok", ptrace.StatusCodeError: "Error",
	}
	for c, want := range statuses {
		assert.Equal(t, want, statusCodeName(c))
	}
}

func TestTracesToRowsManyResources(t *testing.T) {
	td := ptrace.NewTraces()
	for i := range 3 {
		rsp := td.ResourceSpans().AppendEmpty()
		rsp.Resource().Attributes().PutInt("n", int64(i%2)) // two distinct resources
		ss := rsp.ScopeSpans().AppendEmpty()
		ss.Scope().SetName("same")
		ss.Spans().AppendEmpty().SetName("s")
	}
	got := tracesToRows(td)
	require.Len(t, got.Spans, 3)
	assert.Len(t, got.Resources, 2)
	assert.Len(t, got.Scopes, 1)
	assert.Equal(t, got.Spans[0].ResourceID, got.Spans[2].ResourceID)
	assert.NotEqual(t, got.Spans[0].ResourceID, got.Spans[1].ResourceID)
}
