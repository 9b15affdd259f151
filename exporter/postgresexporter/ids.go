package postgresexporter

import (
	"cmp"
	"encoding/binary"
	"math"
	"slices"

	"github.com/cespare/xxhash/v2"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
)

// Resource, scope and series ids are computed in the exporter, so that every
// collector, in any process and any version, derives the same id from the same
// content and the dimension tables can be deduplicated with ON CONFLICT DO
// NOTHING and no round trip.
//
// id = int64(XXH64(seed 0) of a canonical encoding), where the canonical encoding is
//
//	resource: 'R' 1 str(schema_url) map(attributes)
//	scope:    'S' 1 str(name) str(version) str(schema_url) map(attributes)
//	series:   'M' 1 i64(resource_id) i64(scope_id) str(metric name) str(unit)
//	          str(type) str(temporality) bool(is_monotonic) map(point attributes)
//	log:      'L' 1 i64(resource_id) i64(scope_id) i64(time) i64(observed time)
//	          bytes(trace id) bytes(span id) i64(flags) i64(severity number)
//	          str(severity text) str(event name) value(body) map(attributes)
//
// with these primitives (1 is the version of the encoding):
//
//	str(s)   uvarint(len(s)) followed by the bytes of s, as received (before sanitising)
//	bytes(b) the bytes of a fixed-size id
//	i64(n)   8 bytes, big endian
//	bool(b)  one byte, 0 or 1
//	map(m)   uvarint(len(m)), then for each entry in ascending byte order of
//	         its key (entries with equal keys keep their order): str(key) value(v)
//	value(v) one tag byte then the payload:
//	         0 empty; 1 str; 2 int: i64; 3 double: i64 of its IEEE-754 bits;
//	         4 bool; 5 map: map(m); 6 slice: uvarint(len) then each value(v);
//	         7 bytes: str(bytes)
//
// The series description is not part of the identity: it is metadata, and the
// first one stored is kept.

// idHasher owns the scratch buffers of the canonical encoding; it is not safe for
// concurrent use.
type idHasher struct {
	buf []byte
	kvs []keyValue
}

type keyValue struct {
	k string
	v pcommon.Value
}

func (h *idHasher) sum() int64 {
	return int64(xxhash.Sum64(h.buf)) //nolint:gosec // the id is the hash's bit pattern
}

func (h *idHasher) resourceID(schemaURL string, attrs pcommon.Map) int64 {
	h.buf = append(h.buf[:0], 'R', 1)
	h.str(schemaURL)
	h.attrMap(attrs)
	return h.sum()
}

func (h *idHasher) scopeID(sc pcommon.InstrumentationScope, schemaURL string) int64 {
	h.buf = append(h.buf[:0], 'S', 1)
	h.str(sc.Name())
	h.str(sc.Version())
	h.str(schemaURL)
	h.attrMap(sc.Attributes())
	return h.sum()
}

// seriesPrefix encodes the per-metric part of a series identity into dst and
// returns it; seriesID completes it with each point's attributes.
func (h *idHasher) seriesPrefix(dst []byte, resourceID, scopeID int64, name, unit, typ, temporality string, monotonic bool) []byte {
	saved := h.buf
	h.buf = append(dst[:0], 'M', 1)
	h.i64(resourceID)
	h.i64(scopeID)
	h.str(name)
	h.str(unit)
	h.str(typ)
	h.str(temporality)
	if monotonic {
		h.buf = append(h.buf, 1)
	} else {
		h.buf = append(h.buf, 0)
	}
	out := h.buf
	h.buf = saved
	return out
}

func (h *idHasher) seriesID(prefix []byte, attrs pcommon.Map) int64 {
	h.buf = append(h.buf[:0], prefix...)
	h.attrMap(attrs)
	return h.sum()
}

// logHash is a log record's record_hash: with its time, the record's key in logs. Times are
// the OTLP nanoseconds as received.
func (h *idHasher) logHash(resourceID, scopeID int64, lr plog.LogRecord) int64 {
	h.buf = append(h.buf[:0], 'L', 1)
	h.i64(resourceID)
	h.i64(scopeID)
	h.i64(int64(lr.Timestamp()))         //nolint:gosec // bit pattern
	h.i64(int64(lr.ObservedTimestamp())) //nolint:gosec // bit pattern
	tid, sid := lr.TraceID(), lr.SpanID()
	h.buf = append(h.buf, tid[:]...)
	h.buf = append(h.buf, sid[:]...)
	h.i64(int64(lr.Flags()))
	h.i64(int64(lr.SeverityNumber()))
	h.str(lr.SeverityText())
	h.str(lr.EventName())
	h.value(lr.Body())
	h.attrMap(lr.Attributes())
	return h.sum()
}

func (h *idHasher) str(s string) {
	h.buf = binary.AppendUvarint(h.buf, uint64(len(s)))
	h.buf = append(h.buf, s...)
}

func (h *idHasher) length(n int) {
	h.buf = binary.AppendUvarint(h.buf, uint64(n)) //nolint:gosec // a length is never negative
}

func (h *idHasher) i64(n int64) {
	h.buf = binary.BigEndian.AppendUint64(h.buf, uint64(n)) //nolint:gosec // bit pattern
}

func (h *idHasher) attrMap(m pcommon.Map) {
	n := m.Len()
	h.length(n)
	if n == 0 {
		return
	}
	// Small maps are sorted in a stack array: moving pointers around on the
	// heap costs write barriers whenever the GC is marking. Larger ones use
	// h.kvs[base:], which nested maps extend and truncate again.
	var local [16]keyValue
	var kvs []keyValue
	base := len(h.kvs)
	if n <= len(local) {
		kvs = local[:0]
		for k, v := range m.All() {
			kvs = append(kvs, keyValue{k, v})
		}
	} else {
		for k, v := range m.All() {
			h.kvs = append(h.kvs, keyValue{k, v})
		}
		kvs = h.kvs[base:]
	}
	if !slices.IsSortedFunc(kvs, compareKey) {
		slices.SortStableFunc(kvs, compareKey)
	}
	for i := range kvs {
		if n > len(local) {
			kvs = h.kvs[base : base+n] // nested maps may have moved h.kvs
		}
		h.str(kvs[i].k)
		h.value(kvs[i].v)
	}
	if n > len(local) {
		clear(h.kvs[base:])
		h.kvs = h.kvs[:base]
	}
}

func compareKey(a, b keyValue) int { return cmp.Compare(a.k, b.k) }

func (h *idHasher) value(v pcommon.Value) {
	switch v.Type() {
	case pcommon.ValueTypeStr:
		h.buf = append(h.buf, 1)
		h.str(v.Str())
	case pcommon.ValueTypeInt:
		h.buf = append(h.buf, 2)
		h.i64(v.Int())
	case pcommon.ValueTypeDouble:
		h.buf = append(h.buf, 3)
		h.i64(int64(math.Float64bits(v.Double()))) //nolint:gosec // bit pattern
	case pcommon.ValueTypeBool:
		if v.Bool() {
			h.buf = append(h.buf, 4, 1)
		} else {
			h.buf = append(h.buf, 4, 0)
		}
	case pcommon.ValueTypeMap:
		h.buf = append(h.buf, 5)
		h.attrMap(v.Map())
	case pcommon.ValueTypeSlice:
		s := v.Slice()
		h.buf = append(h.buf, 6)
		h.length(s.Len())
		for i := range s.Len() {
			h.value(s.At(i))
		}
	case pcommon.ValueTypeBytes:
		b := v.Bytes()
		h.buf = append(h.buf, 7)
		h.length(b.Len())
		for i := range b.Len() {
			h.buf = append(h.buf, b.At(i))
		}
	default:
		h.buf = append(h.buf, 0)
	}
}
