package journaldmetricsreceiver // import "github.com/otelcol-diagnostics/otelcol-diagnostics/receiver/journaldmetricsreceiver"

import (
	"bytes"
	"context"
	"unicode/utf8"
)

// Observe applies every rule to one entry. It is the hot path: it allocates nothing for
// an entry no rule matches, and asks the entry for each field at most once.
func (e *engine) Observe(_ context.Context, ent entry) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.ent = ent
	e.gen++
	if e.entriesMetric {
		e.observeEntries()
	}
	for i, r := range e.rules {
		e.apply(i, r)
	}
	e.ent = nil
}

// field returns the value of field id for the current entry, asking the entry once.
func (e *engine) field(id int) ([]byte, bool) {
	if e.fgen[id] != e.gen {
		e.fval[id], e.fok[id] = e.ent.Field(e.fields[id])
		e.fgen[id] = e.gen
	}
	return e.fval[id], e.fok[id]
}

func (e *engine) observeEntries() {
	// Attribute order follows the store's sorted names: priority, unit. A missing field
	// counts under an empty value rather than losing the entry.
	o := e.origin()
	prio, _ := e.field(e.prioField)
	unit, _ := e.field(e.unitField)
	// Consecutive entries often come from the same unit: reuse the previous series.
	lc := &o.lastEntries
	if lc.s == nil || !bytes.Equal(prio, lc.prio) || !bytes.Equal(unit, lc.unit) {
		lc.prio = append(lc.prio[:0], prio...)
		lc.unit = append(lc.unit[:0], unit...)
		e.attrVals[0], e.attrVals[1] = e.validUTF8(0, prio), e.validUTF8(1, unit)
		lc.s, lc.overflow = e.lookup(o.entries, 2)
	}
	if lc.overflow {
		e.entriesOverflows++
	}
	o.entries.record(lc.s, 1)
}

// apply applies r, the rule at index ri, to the current entry.
func (e *engine) apply(ri int, r *rule) {
	for i := range r.eqs {
		v, ok := e.field(r.eqs[i].field)
		if !ok || string(v) != r.eqs[i].want {
			return
		}
	}
	for i := range r.rxs {
		rx := &r.rxs[i]
		v, ok := e.field(rx.field)
		if !ok || !matchRegex(rx, v, r) {
			// Only a rule whose field equalities selected the entry counts a miss: for a
			// regex-only rule a non-matching entry is simply another service's entry.
			if len(r.eqs) > 0 {
				r.stats.regexMisses++
			}
			return
		}
	}

	val := 1.0
	if r.hasValue {
		b, ok := e.resolve(r, r.value)
		if !ok {
			r.stats.skippedMissing++
			return
		}
		if val, ok = parseNumber(b); !ok || (r.kind == kindCounter && val < 0) {
			r.stats.skippedNaN++
			return
		}
	}
	o := e.origin() // before attrVals: it may read fields, never attribute buffers
	for i, a := range r.attrRefs {
		b, ok := e.resolve(r, a)
		if !ok {
			if !a.capture {
				r.stats.skippedMissing++
				return
			}
			b = nil // a named capture that did not take part in the match: empty value
		}
		e.attrVals[i] = e.validUTF8(i, b)
	}

	st := o.stores[ri]
	s, overflow := e.lookup(st, len(r.attrRefs))
	if overflow {
		r.stats.overflows++
	}
	st.record(s, val)
	r.stats.matches++
}

// validUTF8 returns b, or a copy of b with invalid UTF-8 replaced by U+FFFD in the
// reused buffer of attribute position i. Journal fields are bytes; attribute values must
// be valid UTF-8 for OTLP and Prometheus. Series keys use the replaced bytes, so two raw
// values that read the same never make two series with the same attributes.
func (e *engine) validUTF8(i int, b []byte) []byte {
	if utf8.Valid(b) {
		return b
	}
	e.utf8Bufs[i] = append(e.utf8Bufs[i][:0], bytes.ToValidUTF8(b, []byte("\uFFFD"))...)
	return e.utf8Bufs[i]
}

// matchRegex matches v and fills the rule's capture slots.
func matchRegex(rx *fieldRegex, v []byte, r *rule) bool {
	if len(rx.caps) == 0 {
		return rx.re.Match(v)
	}
	loc := rx.re.FindSubmatchIndex(v)
	if loc == nil {
		return false
	}
	for _, c := range rx.caps {
		a, b := loc[2*c.group], loc[2*c.group+1]
		if a < 0 {
			r.capVals[c.slot], r.capOK[c.slot] = nil, false
			continue
		}
		r.capVals[c.slot], r.capOK[c.slot] = v[a:b], true
	}
	return true
}

func (e *engine) resolve(r *rule, x ref) ([]byte, bool) {
	if x.capture {
		return r.capVals[x.idx], r.capOK[x.idx]
	}
	return e.field(x.idx)
}

// lookup finds the series for e.attrVals[:n], creating it (or falling back to the
// overflow series) when it does not exist. The key is built in a reused buffer.
func (e *engine) lookup(st *seriesStore, n int) (*series, bool) {
	key := e.keyBuf[:0]
	for _, v := range e.attrVals[:n] {
		key = appendKeyPart(key, v)
	}
	e.keyBuf = key
	if s, ok := st.byKey[string(key)]; ok {
		return s, false
	}
	return st.create(key, e.attrVals[:n], e.lastCollect)
}
