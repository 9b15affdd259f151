package journaldmetricsreceiver // import "github.com/otelcol-diagnostics/otelcol-diagnostics/receiver/journaldmetricsreceiver"

import (
	"fmt"
	"regexp"
	"slices"
	"sync"
	"time"

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
