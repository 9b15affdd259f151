package postgresexporter

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
)

func TestLogsToRows(t *testing.T) {
	ld := plog.NewLogs()
	rl := ld.ResourceLogs().AppendEmpty()
	rl.Resource().Attributes().PutStr("service.name", "journal")
	sl := rl.ScopeLogs().AppendEmpty()
	sl.Scope().SetName("s")
	lrs := sl.LogRecords()

	full := lrs.AppendEmpty()
	full.SetTimestamp(testTS)
	full.SetObservedTimestamp(testStart)
	full.SetTraceID(pcommon.TraceID{0: 0x10, 15: 0x20})
	full.SetSpanID(pcommon.SpanID{0: 0xff})
	full.SetFlags(plog.DefaultLogRecordFlags.WithIsSampled(true))
	full.SetSeverityNumber(plog.SeverityNumberError)
	full.SetSeverityText("ERROR")
	full.SetEventName("app.crash")
	full.Body().SetStr("disk \"full\"\x00")
	full.Attributes().PutStr("unit", "a.service")

	mapBody := lrs.AppendEmpty()
	mapBody.SetObservedTimestamp(testTS) // no timestamp: time falls back to observed
	m := mapBody.Body().SetEmptyMap()
	m.PutInt("n", 1<<60)
	m.PutEmptySlice("l").AppendEmpty().SetBool(false)

	empty := lrs.AppendEmpty() // nothing set at all
	_ = empty

	bytesBody := lrs.AppendEmpty()
	bytesBody.SetTimestamp(testTS)
	bytesBody.Body().SetEmptyBytes().FromRaw([]byte("hi"))

	got := logsToRows(ld)
	var h idHasher
	resID := h.resourceID("", rl.Resource().Attributes())
	scopeID := h.scopeID(sl.Scope(), "")
	base := logRow{ServiceName: "journal", Attributes: []byte(`{}`), ResourceID: resID, ScopeID: scopeID}
	row := func(f func(r *logRow)) logRow {
		r := base
		f(&r)
		return r
	}
	want := []logRow{
		row(func(r *logRow) {
			r.Time, r.ObservedTime = wantTS, wantStart
			r.TraceID = [16]byte{0: 0x10, 15: 0x20}
			r.SpanID = [8]byte{0: 0xff}
			r.Flags = 1
			r.SeverityNumber = 17
			r.SeverityText = "ERROR"
			r.EventName = "app.crash"
			r.Body = []byte(`"disk \"full\""`)
			r.Attributes = []byte(`{"unit":"a.service"}`)
		}),
		row(func(r *logRow) {
			r.Time, r.ObservedTime = wantTS, wantTS
			r.Body = []byte(`{"n":1152921504606846976,"l":[false]}`)
		}),
		row(func(r *logRow) { r.Time = time.Unix(0, 0).UTC() }),
		row(func(r *logRow) {
			r.Time = wantTS
			r.Body = []byte(`"aGk="`)
		}),
	}
	require.Len(t, got.Resources, 1)
	require.Len(t, got.Scopes, 1)
	require.Len(t, got.Logs, len(want))
	// The record hash is each record's identity: stable across conversions, distinct here.
	hashes := map[int64]bool{}
	again := logsToRows(ld).Logs
	for i := range got.Logs {
		hashes[got.Logs[i].RecordHash] = true
		assert.Equal(t, got.Logs[i].RecordHash, again[i].RecordHash, "stable")
		want[i].RecordHash = got.Logs[i].RecordHash
	}
	assert.Len(t, hashes, len(want), "distinct")
	assert.Equal(t, want, got.Logs)
}
