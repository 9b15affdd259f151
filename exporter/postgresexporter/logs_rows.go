package postgresexporter

import (
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
)

// logsToRows converts ld into one logs row per record (plus its resource and
// scope rows). time is the record's timestamp, or its observed timestamp when
// the former is 0; the body is stored as JSON (a string body as a JSON string),
// NULL when empty.
func logsToRows(ld plog.Logs) *rowSet {
	n := ld.LogRecordCount()
	c := newConverter(n * 96)
	rs := c.rs
	rs.Logs = make([]logRow, 0, n)
	rls := ld.ResourceLogs()
	for i := range rls.Len() {
		rl := rls.At(i)
		resID, service := c.resource(rl.Resource(), rl.SchemaUrl())
		sls := rl.ScopeLogs()
		for j := range sls.Len() {
			sl := sls.At(j)
			scopeID := c.scope(sl.Scope(), sl.SchemaUrl())
			lrs := sl.LogRecords()
			for k := range lrs.Len() {
				lr := lrs.At(k)
				ts := lr.Timestamp()
				if ts == 0 {
					ts = lr.ObservedTimestamp()
				}
				rs.Logs = append(rs.Logs, logRow{
					RecordHash:     c.ids.logHash(resID, scopeID, lr),
					Time:           toTime(ts),
					ObservedTime:   toOptTime(lr.ObservedTimestamp()),
					TraceID:        lr.TraceID(),
					SpanID:         lr.SpanID(),
					Flags:          flags32(uint32(lr.Flags())),
					SeverityNumber: int32(lr.SeverityNumber()),
					SeverityText:   sanitize(lr.SeverityText()),
					ServiceName:    service,
					Body:           c.body(lr.Body()),
					Attributes:     c.jsonMap(lr.Attributes()),
					EventName:      sanitize(lr.EventName()),
					ResourceID:     resID,
					ScopeID:        scopeID,
				})
			}
		}
	}
	return rs
}

func (c *converter) body(v pcommon.Value) []byte {
	if v.Type() == pcommon.ValueTypeEmpty {
		return nil
	}
	start := c.docStart()
	c.json = appendValueJSON(c.json, v)
	return c.doc(start)
}
