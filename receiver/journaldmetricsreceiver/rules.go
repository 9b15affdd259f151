package journaldmetricsreceiver // import "github.com/otelcol-diagnostics/otelcol-diagnostics/receiver/journaldmetricsreceiver"

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"regexp"
	"slices"
	"strconv"
	"sync"
	"time"
	"unicode/utf8"

	"go.opentelemetry.io/otel/attribute"

	"github.com/otelcol-diagnostics/otelcol-diagnostics/receiver/journaldmetricsreceiver/internal/metadata"
)

// entry is one journal entry as the rules see it. Readers implement it without decoding
// every field: Field is only asked for names returned by engine.Fields().
type entry interface {
	Field(name string) ([]byte, bool) // bytes valid only until the reader moves on
	Realtime() time.Time              // __REALTIME_TIMESTAMP
}

const (
	fieldSystemdUnit = "_SYSTEMD_UNIT"
	fieldPriority    = "PRIORITY"
)

type metricKind uint8

const (
	kindCounter metricKind = iota
	kindGauge
	kindHistogram
)

// ref points at where a value comes from: a journal field (an index into engine.fields)
// or a named capture (a slot in the rule's capture scratch).
type ref struct {
	capture bool
	idx     int
}

type fieldEq struct {
	field int
	want  string
}

type capSlot struct {
	group int // submatch index in the regex
	slot  int // index into rule.capVals
}

type fieldRegex struct {
	field int
	re    *regexp.Regexp
	caps  []capSlot // empty: only Match is needed, no submatch positions
}

// rule is one compiled MetricConfig.
type rule struct {
	name        string
	description string
	unit        string
	kind        metricKind
	hasValue    bool
	value       ref

	eqs       []fieldEq
	rxs       []fieldRegex
	attrNames []string // sorted
	attrRefs  []ref    // parallel to attrNames

	// per-entry capture scratch, reused.
	capVals [][]byte
	capOK   []bool

	bounds []float64 // histogram only
	stats  ruleStats
}

// ruleStats are the rule's own telemetry since the last Collect; flushing them once per
// collection keeps the OpenTelemetry SDK off the hot path.
type ruleStats struct {
	matches, regexMisses, skippedMissing, skippedNaN, overflows int64

	ruleSet, missingSet, nanSet attribute.Set
}

// lastSeries remembers the raw attribute bytes of the last series used.
type lastSeries struct {
	prio, unit []byte
	s          *series
	overflow   bool
}

// engine applies the compiled rules to journal entries and holds the aggregated series.
type engine struct {
	mu sync.Mutex

	fields []string // sorted; field ids index this slice
	rules  []*rule

	entriesMetric        bool
	unitField, prioField int
	entriesOverflows     int64
	entriesOverflowSet   attribute.Set
	maxSeries            int

	// origins: resNames are the resource attribute names (sorted), resFields their
	// field ids. originGen == gen when cur is the current entry's origin.
	resNames   []string
	resFields  []int
	resUTF8    [][]byte
	origins    map[string]*origin
	originList []*origin // creation order: stable output order
	cur        *origin
	originGen  uint64
	originKey  []byte

	// per-entry field cache: fval[i] is valid when fgen[i] == gen.
	ent  entry
	gen  uint64
	fgen []uint64
	fval [][]byte
	fok  []bool

	keyBuf   []byte
	attrVals [][]byte
	utf8Bufs [][]byte // per attribute position: the value made valid UTF-8

	idleTimeout time.Duration
	start       time.Time
	lastCollect time.Time
	tb          *metadata.TelemetryBuilder
}

// newEngine compiles cfg's rules. tb may be nil (no own telemetry); start is the start
// time of every cumulative series created before the first Collect.
func newEngine(cfg *Config, tb *metadata.TelemetryBuilder, start time.Time) (*engine, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("invalid configuration: %w", err)
	}
	e := &engine{
		idleTimeout:   cfg.SeriesIdleTimeout,
		start:         start,
		lastCollect:   start,
		tb:            tb,
		entriesMetric: cfg.EntriesMetric,
		maxSeries:     cfg.MaxSeriesPerMetric,
		origins:       map[string]*origin{},
	}

	// Collect every referenced field name first so that ids follow sorted order.
	names := map[string]struct{}{}
	if cfg.EntriesMetric {
		names[fieldSystemdUnit] = struct{}{}
		names[fieldPriority] = struct{}{}
	}
	for _, f := range cfg.ResourceAttributes {
		names[f] = struct{}{}
	}
	for i := range cfg.Metrics {
		m := &cfg.Metrics[i]
		captures := map[string]bool{}
		for f := range m.Match.Fields {
			names[f] = struct{}{}
		}
		for f, expr := range m.Match.Regex {
			names[f] = struct{}{}
			re, err := regexp.Compile(expr)
			if err != nil {
				return nil, fmt.Errorf("metrics[%d].match.regex.%s: %w", i, f, err)
			}
			for _, n := range re.SubexpNames() {
				captures[n] = n != ""
			}
		}
		refs := []string{m.Value}
		for _, v := range m.Attributes {
			refs = append(refs, v)
		}
		for _, r := range refs {
			if r != "" && !captures[r] {
				names[r] = struct{}{}
			}
		}
	}
	e.fields = sortedKeys(names)
	ids := make(map[string]int, len(e.fields))
	for i, f := range e.fields {
		ids[f] = i
	}
	e.fgen = make([]uint64, len(e.fields))
	e.fval = make([][]byte, len(e.fields))
	e.fok = make([]bool, len(e.fields))

	maxAttrs := 2
	if cfg.EntriesMetric {
		e.unitField, e.prioField = ids[fieldSystemdUnit], ids[fieldPriority]
		e.entriesOverflowSet = attribute.NewSet(attribute.String("rule", entriesMetricName))
	}
	for i := range cfg.Metrics {
		r, err := compileRule(&cfg.Metrics[i], ids)
		if err != nil {
			return nil, fmt.Errorf("metrics[%d]: %w", i, err)
		}
		maxAttrs = max(maxAttrs, len(r.attrNames))
		e.rules = append(e.rules, r)
	}
	e.resNames = sortedKeys(cfg.ResourceAttributes)
	for _, name := range e.resNames {
		e.resFields = append(e.resFields, ids[cfg.ResourceAttributes[name]])
	}
	e.resUTF8 = make([][]byte, len(e.resNames))
	e.attrVals = make([][]byte, maxAttrs)
	e.utf8Bufs = make([][]byte, maxAttrs)
	e.keyBuf = make([]byte, 0, 256)
	return e, nil
}

// compileRule turns a validated MetricConfig into a rule.
func compileRule(m *MetricConfig, ids map[string]int) (*rule, error) {
	r := &rule{name: m.Name, description: m.Description, unit: m.Unit}
	switch m.Type {
	case typeGauge:
		r.kind = kindGauge
	case typeHistogram:
		r.kind = kindHistogram
	default:
		r.kind = kindCounter
	}

	for _, f := range sortedKeys(m.Match.Fields) {
		r.eqs = append(r.eqs, fieldEq{field: ids[f], want: m.Match.Fields[f]})
	}

	// Named captures get slots; only captures that something reads are extracted.
	used := map[string]bool{m.Value: true}
	for _, v := range m.Attributes {
		used[v] = true
	}
	slots := map[string]int{}
	for _, f := range sortedKeys(m.Match.Regex) {
		re, err := regexp.Compile(m.Match.Regex[f])
		if err != nil {
			return nil, fmt.Errorf("match.regex.%s: %w", f, err)
		}
		rx := fieldRegex{field: ids[f], re: re}
		for g, n := range rx.re.SubexpNames() {
			if n == "" || !used[n] {
				continue
			}
			slots[n] = len(slots)
			rx.caps = append(rx.caps, capSlot{group: g, slot: slots[n]})
		}
		r.rxs = append(r.rxs, rx)
	}
	r.capVals = make([][]byte, len(slots))
	r.capOK = make([]bool, len(slots))

	resolve := func(name string) ref {
		if s, ok := slots[name]; ok {
			return ref{capture: true, idx: s}
		}
		return ref{idx: ids[name]}
	}
	if m.Value != "" {
		r.hasValue = true
		r.value = resolve(m.Value)
	}
	r.attrNames = sortedKeys(m.Attributes)
	for _, a := range r.attrNames {
		r.attrRefs = append(r.attrRefs, resolve(m.Attributes[a]))
	}

	if r.kind == kindHistogram {
		r.bounds = histogramBuckets(m)
	}

	r.stats.ruleSet = attribute.NewSet(attribute.String("rule", m.Name))
	r.stats.missingSet = attribute.NewSet(attribute.String("rule", m.Name), attribute.String("reason", "missing_field"))
	r.stats.nanSet = attribute.NewSet(attribute.String("rule", m.Name), attribute.String("reason", "not_a_number"))
	return r, nil
}

// Fields returns every journal field any rule or entries_metric reads, sorted.
func (e *engine) Fields() []string {
	return slices.Clone(e.fields)
}

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

// parseNumber parses a journal field value or capture as a finite float64. Surrounding
// ASCII white space is ignored. Plain decimals take an allocation-free fast path; other
// forms strconv.ParseFloat accepts (exponents, hex floats, underscores in hex) fall back
// to it. NaN and ±Inf are rejected.
func parseNumber(b []byte) (float64, bool) {
	b = bytes.TrimFunc(b, isASCIISpace)
	if v, ok := parseDecimalFast(b); ok {
		return v, true
	}
	if len(b) == 0 {
		return 0, false
	}
	v, err := strconv.ParseFloat(string(b), 64)
	if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
		return 0, false
	}
	return v, true
}

func isASCIISpace(r rune) bool {
	return r == ' ' || r == '\t' || r == '\n' || r == '\r' || r == '\v' || r == '\f'
}

// pow10 holds the powers of ten a float64 represents exactly.
var pow10 = [...]float64{1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22}

// parseDecimalFast parses [+-]digits[.digits] when the digits fit in 15 significant
// digits: the mantissa and the power of ten are then exact and one division rounds
// correctly (the classic fast path of strconv). It reports false for anything else.
func parseDecimalFast(b []byte) (float64, bool) {
	i := 0
	neg := false
	if i < len(b) && (b[i] == '+' || b[i] == '-') {
		neg = b[i] == '-'
		i++
	}
	var mant uint64
	digits, frac := 0, 0
	sawDot := false
	for ; i < len(b); i++ {
		c := b[i]
		switch {
		case c >= '0' && c <= '9':
			if mant == 0 && c == '0' {
				// leading zeros carry no significant digits
			} else {
				digits++
			}
			mant = mant*10 + uint64(c-'0')
			if sawDot {
				frac++
			}
			if digits > 15 || frac >= len(pow10) {
				return 0, false
			}
		case c == '.' && !sawDot:
			sawDot = true
		default:
			return 0, false
		}
	}
	start := 0
	if len(b) > 0 && (b[0] == '+' || b[0] == '-') {
		start = 1
	}
	// at least one digit, and not a lone "." or "-."
	if len(b)-start == 0 || (sawDot && len(b)-start == 1) {
		return 0, false
	}
	v := float64(mant) / pow10[frac]
	if neg {
		v = -v
	}
	return v, true
}
