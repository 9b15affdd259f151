package postgresexporter

import (
	"go.opentelemetry.io/collector/pdata/ptrace"
)

func spanKindName(k ptrace.SpanKind) string {
	if s := k.String(); s != "" {
		return s
	}
	return "Unspecified" // a value outside the enum
}

func statusCodeName(c ptrace.StatusCode) string {
	if s := c.String(); s != "" {
		return s
	}
	return "Unset" // a value outside the enum
}

// tracesToRows converts td into one spans row per span (plus its resource and
// scope rows). Events and links become JSON arrays ('[]' when there are none):
// events as {"time", "name", "attributes"}, links as
// {"trace_id", "span_id", "trace_state", "attributes"}. JSON times are RFC 3339 in
// UTC, truncated to microseconds like the time columns. Dropped counts are not stored.
func tracesToRows(td ptrace.Traces) *rowSet {
	n := td.SpanCount()
	c := newConverter(n * 128)
	rs := c.rs
	rs.Spans = make([]spanRow, 0, n)
	rss := td.ResourceSpans()
	for i := range rss.Len() {
		rsp := rss.At(i)
		resID, service := c.resource(rsp.Resource(), rsp.SchemaUrl())
		sss := rsp.ScopeSpans()
		for j := range sss.Len() {
			ss := sss.At(j)
			scopeID := c.scope(ss.Scope(), ss.SchemaUrl())
			spans := ss.Spans()
			for k := range spans.Len() {
				s := spans.At(k)
				start, end := s.StartTimestamp(), s.EndTimestamp()
				status := s.Status()
				rs.Spans = append(rs.Spans, spanRow{
					TraceID:       s.TraceID(),
					SpanID:        s.SpanID(),
					ParentSpanID:  s.ParentSpanID(),
					TraceState:    sanitize(s.TraceState().AsRaw()),
					ServiceName:   service,
					SpanName:      sanitize(s.Name()),
					SpanKind:      spanKindName(s.Kind()),
					StartTime:     toTime(start),
					EndTime:       toTime(end),
					Duration:      int64(end - start), //nolint:gosec // negative when end < start, as sent
					StatusCode:    statusCodeName(status.Code()),
					StatusMessage: sanitize(status.Message()),
					Attributes:    c.jsonMap(s.Attributes()),
					Events:        c.events(s.Events()),
					Links:         c.links(s.Links()),
					ResourceID:    resID,
					ScopeID:       scopeID,
				})
			}
		}
	}
	return rs
}

func (c *converter) events(es ptrace.SpanEventSlice) []byte {
	start := c.docStart()
	b := append(c.json, '[')
	for i := range es.Len() {
		e := es.At(i)
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"time":`...)
		b = appendJSONTime(b, toTime(e.Timestamp()))
		b = append(b, `,"name":`...)
		b = appendJSONString(b, e.Name())
		b = append(b, `,"attributes":`...)
		b = appendMapJSON(b, e.Attributes())
		b = append(b, '}')
	}
	c.json = append(b, ']')
	return c.doc(start)
}

func (c *converter) links(ls ptrace.SpanLinkSlice) []byte {
	start := c.docStart()
	b := append(c.json, '[')
	var hexBuf [32]byte
	for i := range ls.Len() {
		l := ls.At(i)
		if i > 0 {
			b = append(b, ',')
		}
		tid, sid := l.TraceID(), l.SpanID()
		b = append(b, `{"trace_id":"`...)
		b = append(b, hexID(hexBuf[:], tid[:])...)
		b = append(b, `","span_id":"`...)
		b = append(b, hexID(hexBuf[:16], sid[:])...)
		b = append(b, `","trace_state":`...)
		b = appendJSONString(b, l.TraceState().AsRaw())
		b = append(b, `,"attributes":`...)
		b = appendMapJSON(b, l.Attributes())
		b = append(b, '}')
	}
	c.json = append(b, ']')
	return c.doc(start)
}
