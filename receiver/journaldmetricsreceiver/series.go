package journaldmetricsreceiver // import "github.com/otelcol-diagnostics/otelcol-diagnostics/receiver/journaldmetricsreceiver"

import (
	"encoding/binary"
	"sort"
	"time"
)

// seriesStore holds the series of one metric, keyed by their attribute values.
// At most max series exist; beyond that every new combination of attribute values lands
// in one overflow series carrying only otel.metric.overflow=true.
type seriesStore struct {
	kind      metricKind
	doubleSum bool // counter with a value: double sum; without: int count of entries
	attrNames []string
	bounds    []float64 // histogram only
	max       int

	byKey    map[string]*series
	list     []*series // creation order: stable output order
	overflow *series
}

// series is one time series: its attribute values and its cumulative state.
type series struct {
	attrs []string // parallel to seriesStore.attrNames; nil for the overflow series
	start time.Time

	// touched is set by every observation and cleared by Collect, which then moves
	// lastSeen to the collection time: idle expiry runs on collection times only.
	touched  bool
	lastSeen time.Time

	intSum int64   // counter without value
	value  float64 // counter with value: sum; gauge: last value

	count   uint64 // histogram
	sum     float64
	min     float64
	max     float64
	buckets []uint64
}

func newSeriesStore(kind metricKind, doubleSum bool, attrNames []string, bounds []float64, maxSeries int) *seriesStore {
	return &seriesStore{
		kind:      kind,
		doubleSum: doubleSum,
		attrNames: attrNames,
		bounds:    bounds,
		max:       maxSeries,
		byKey:     map[string]*series{},
	}
}

// create adds the series for key (attribute values vals), or returns the overflow series
// (true) when the store is full. start is the start time of a new cumulative series.
func (st *seriesStore) create(key []byte, vals [][]byte, start time.Time) (*series, bool) {
	if len(st.list) >= st.max {
		if st.overflow == nil {
			st.overflow = st.newSeries(nil, start)
		}
		return st.overflow, true
	}
	attrs := make([]string, len(vals))
	for i, v := range vals {
		attrs[i] = string(v)
	}
	s := st.newSeries(attrs, start)
	st.byKey[string(key)] = s
	st.list = append(st.list, s)
	return s, false
}

func (st *seriesStore) newSeries(attrs []string, start time.Time) *series {
	s := &series{attrs: attrs, start: start}
	if st.kind == kindHistogram {
		s.buckets = make([]uint64, len(st.bounds)+1)
	}
	return s
}

// empty reports whether the store holds no series.
func (st *seriesStore) empty() bool { return len(st.list) == 0 && st.overflow == nil }

// record adds one observation of v to s.
func (st *seriesStore) record(s *series, v float64) {
	s.touched = true
	switch st.kind {
	case kindCounter:
		if st.doubleSum {
			s.value += v
		} else {
			s.intSum++
		}
	case kindGauge:
		s.value = v // the last value wins
	case kindHistogram:
		// Explicit buckets are upper-inclusive: bucket i holds (bounds[i-1], bounds[i]].
		s.buckets[sort.SearchFloat64s(st.bounds, v)]++
		if s.count == 0 || v < s.min {
			s.min = v
		}
		if s.count == 0 || v > s.max {
			s.max = v
		}
		s.count++
		s.sum += v
	}
}

// sweep marks series observed since the last collection as seen at now and removes the
// ones idle for at least idle (0: never). It keeps creation order.
func (st *seriesStore) sweep(now time.Time, idle time.Duration) {
	expired := func(s *series) bool {
		if s.touched {
			s.touched = false
			s.lastSeen = now
			return false
		}
		return idle > 0 && now.Sub(s.lastSeen) >= idle
	}
	if st.overflow != nil && expired(st.overflow) {
		st.overflow = nil
	}
	kept := st.list[:0]
	removed := false
	for _, s := range st.list {
		if expired(s) {
			removed = true
			continue
		}
		kept = append(kept, s)
	}
	clear(st.list[len(kept):])
	st.list = kept
	if removed {
		// Rebuild the index from the survivors: the keys are not kept twice.
		clear(st.byKey)
		for _, s := range st.list {
			st.byKey[seriesKey(s.attrs)] = s
		}
	}
}

// seriesKey encodes attribute values exactly as engine.lookup does.
func seriesKey(attrs []string) string {
	var buf []byte
	for _, a := range attrs {
		buf = binary.AppendUvarint(buf, uint64(len(a)))
		buf = append(buf, a...)
	}
	return string(buf)
}

// appendKeyPart appends one length-prefixed attribute value to a series key.
func appendKeyPart(key, v []byte) []byte {
	key = binary.AppendUvarint(key, uint64(len(v)))
	return append(key, v...)
}
