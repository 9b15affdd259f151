package journaldmetricsreceiver // import "github.com/otelcol-diagnostics/otelcol-diagnostics/receiver/journaldmetricsreceiver"

import (
	"bytes"
	"encoding/binary"
	"unicode/utf8"
)

// origin is where entries come from, as resource_attributes describe it: one host
// of a journal-remote directory, say. Each origin has series of its own, so that
// max_series_per_metric and idle expiry hold per origin and the values of different
// hosts never add up.
type origin struct {
	key   string   // hostKey of the resource attribute values
	attrs []string // parallel to engine.resNames; valid UTF-8
	has   []bool   // whether the entry had the field behind attrs[i]

	entries     *seriesStore   // nil unless entries_metric
	stores      []*seriesStore // parallel to engine.rules
	lastEntries lastSeries     // the entries series of the previous entry; reset by Collect
}

// origin returns the origin of the current entry, reading the resource fields once per
// entry and only for entries something records. Consecutive entries mostly come from
// the same origin: that case costs one comparison and no allocation.
func (e *engine) origin() *origin {
	if e.originGen == e.gen {
		return e.cur
	}
	e.originGen = e.gen
	key := e.originKey[:0]
	for i, id := range e.resFields {
		v, ok := e.field(id)
		if !ok {
			key = append(key, 0)
			continue
		}
		key = append(key, 1)
		key = appendKeyPart(key, e.validResource(i, v))
	}
	e.originKey = key
	if e.cur != nil && e.cur.key == string(key) {
		return e.cur
	}
	o, ok := e.origins[string(key)]
	if !ok {
		o = e.newOrigin(string(key))
	}
	e.cur = o
	return o
}

// newOrigin creates the origin of hostKey key with empty series stores.
func (e *engine) newOrigin(key string) *origin {
	o := &origin{
		key:    key,
		attrs:  make([]string, len(e.resFields)),
		has:    make([]bool, len(e.resFields)),
		stores: make([]*seriesStore, len(e.rules)),
	}
	// Decode the key back rather than keep the field bytes: one spelling of the identity.
	b := []byte(key)
	for i := range o.attrs {
		present := b[0] == 1
		b = b[1:]
		if !present {
			continue
		}
		n, w := binary.Uvarint(b)
		if w <= 0 || n > uint64(len(b)-w) { //nolint:gosec // len-w is not negative: w <= len(b)
			break // not a key this file made
		}
		end := w + int(n) //nolint:gosec // n <= len(b)-w, checked above
		o.attrs[i], o.has[i] = string(b[w:end]), true
		b = b[end:]
	}
	if e.entriesMetric {
		o.entries = newSeriesStore(kindCounter, false, []string{"priority", "unit"}, nil, e.maxSeries)
	}
	for i, r := range e.rules {
		o.stores[i] = newSeriesStore(r.kind, r.hasValue, r.attrNames, r.bounds, e.maxSeries)
	}
	e.origins[key] = o
	e.originList = append(e.originList, o)
	return o
}

// empty reports whether the origin holds no series any more (all expired).
func (o *origin) empty() bool {
	if o.entries != nil && !o.entries.empty() {
		return false
	}
	for _, st := range o.stores {
		if !st.empty() {
			return false
		}
	}
	return true
}

// validResource is validUTF8 for resource attribute i, in buffers of its own: the
// origin is looked up while the rule's attribute values are held.
func (e *engine) validResource(i int, b []byte) []byte {
	if utf8.Valid(b) {
		return b
	}
	e.resUTF8[i] = append(e.resUTF8[i][:0], bytes.ToValidUTF8(b, []byte("\uFFFD"))...)
	return e.resUTF8[i]
}
