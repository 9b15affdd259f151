package journaldmetricsreceiver

import (
	"fmt"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/pmetric"
)

var testStart = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

// fakeEntry is a journal entry for tests. It records which fields the engine asked for.
type fakeEntry struct {
	fields map[string]string
	asked  map[string]int
}

func newEntry(kv ...string) *fakeEntry {
	f := &fakeEntry{fields: map[string]string{}, asked: map[string]int{}}
	for i := 0; i+1 < len(kv); i += 2 {
		f.fields[kv[i]] = kv[i+1]
	}
	return f
}

func (f *fakeEntry) Field(name string) ([]byte, bool) {
	f.asked[name]++
	v, ok := f.fields[name]
	if !ok {
		return nil, false
	}
	return []byte(v), true
}

func (f *fakeEntry) Realtime() time.Time { return testStart }

// points flattens md into "name{k=v,...}" -> value; histograms add :count, :sum and
// :le=<bound> (non-cumulative bucket counts, +Inf last).
func points(md pmetric.Metrics) map[string]float64 {
	out := map[string]float64{}
	attrKey := func(name string, m pcommon.Map) string {
		var kv []string
		m.Range(func(k string, v pcommon.Value) bool {
			kv = append(kv, k+"="+v.AsString())
			return true
		})
		sort.Strings(kv)
		return name + "{" + strings.Join(kv, ",") + "}"
	}
	number := func(name string, dps pmetric.NumberDataPointSlice) {
		for i := 0; i < dps.Len(); i++ {
			dp := dps.At(i)
			v := dp.DoubleValue()
			if dp.ValueType() == pmetric.NumberDataPointValueTypeInt {
				v = float64(dp.IntValue())
			}
			out[attrKey(name, dp.Attributes())] = v
		}
	}
	for i := 0; i < md.ResourceMetrics().Len(); i++ {
		sms := md.ResourceMetrics().At(i).ScopeMetrics()
		for j := 0; j < sms.Len(); j++ {
			ms := sms.At(j).Metrics()
			for k := 0; k < ms.Len(); k++ {
				m := ms.At(k)
				switch m.Type() {
				case pmetric.MetricTypeSum:
					number(m.Name(), m.Sum().DataPoints())
				case pmetric.MetricTypeGauge:
					number(m.Name(), m.Gauge().DataPoints())
				case pmetric.MetricTypeHistogram:
					dps := m.Histogram().DataPoints()
					for d := 0; d < dps.Len(); d++ {
						dp := dps.At(d)
						key := attrKey(m.Name(), dp.Attributes())
						out[key+":count"] = float64(dp.Count())
						out[key+":sum"] = dp.Sum()
						for b := 0; b < dp.BucketCounts().Len(); b++ {
							le := "+Inf"
							if b < dp.ExplicitBounds().Len() {
								le = fmt.Sprint(dp.ExplicitBounds().At(b))
							}
							if c := dp.BucketCounts().At(b); c > 0 {
								out[key+":le="+le] = float64(c)
							}
						}
					}
				}
			}
		}
	}
	return out
}

func engineConfig(metrics ...MetricConfig) *Config {
	c := contractDefaults()
	c.EntriesMetric = false
	c.Metrics = metrics
	return c
}

func mustEngine(t testing.TB, cfg *Config) *engine {
	t.Helper()
	e, err := newEngine(cfg, nil, testStart)
	require.NoError(t, err)
	return e
}

const orderRegex = `^order (?P<state>\w+) in (?P<ms>\d+)ms$`

func TestEngineObserve(t *testing.T) {
	tests := []struct {
		name    string
		metrics []MetricConfig
		entries []*fakeEntry
		want    map[string]float64
		stats   map[string]ruleStats // by rule name; only the counters are compared
	}{
		{
			name: "counter counts matching entries by field equality",
			metrics: []MetricConfig{{
				Name: "hits", Type: typeCounter,
				Match:      MatchConfig{Fields: map[string]string{"SYSLOG_IDENTIFIER": "app", "PRIORITY": "3"}},
				Attributes: map[string]string{"unit": "_SYSTEMD_UNIT"},
			}},
			entries: []*fakeEntry{
				newEntry("SYSLOG_IDENTIFIER", "app", "PRIORITY", "3", "_SYSTEMD_UNIT", "a.service"),
				newEntry("SYSLOG_IDENTIFIER", "app", "PRIORITY", "3", "_SYSTEMD_UNIT", "a.service"),
				newEntry("SYSLOG_IDENTIFIER", "app", "PRIORITY", "3", "_SYSTEMD_UNIT", "b.service"),
				newEntry("SYSLOG_IDENTIFIER", "app", "PRIORITY", "4", "_SYSTEMD_UNIT", "a.service"),
				newEntry("SYSLOG_IDENTIFIER", "apps", "PRIORITY", "3", "_SYSTEMD_UNIT", "a.service"),
				newEntry("PRIORITY", "3"),
			},
			want:  map[string]float64{"hits{unit=a.service}": 2, "hits{unit=b.service}": 1},
			stats: map[string]ruleStats{"hits": {matches: 3}},
		},
		{
			name: "counter sums a captured value; regex misses count only after field equality",
			metrics: []MetricConfig{{
				Name: "order.ms", Type: typeCounter, Value: "ms",
				Match: MatchConfig{
					Fields: map[string]string{"SYSLOG_IDENTIFIER": "app"},
					Regex:  map[string]string{"MESSAGE": orderRegex},
				},
				Attributes: map[string]string{"state": "state"},
			}},
			entries: []*fakeEntry{
				newEntry("SYSLOG_IDENTIFIER", "app", "MESSAGE", "order done in 12ms"),
				newEntry("SYSLOG_IDENTIFIER", "app", "MESSAGE", "order done in 30ms"),
				newEntry("SYSLOG_IDENTIFIER", "app", "MESSAGE", "order failed in 5ms"),
				newEntry("SYSLOG_IDENTIFIER", "app", "MESSAGE", "order failed quickly"),
				newEntry("SYSLOG_IDENTIFIER", "app"),
				newEntry("SYSLOG_IDENTIFIER", "other", "MESSAGE", "order done in 1ms"),
			},
			want:  map[string]float64{"order.ms{state=done}": 42, "order.ms{state=failed}": 5},
			stats: map[string]ruleStats{"order.ms": {matches: 3, regexMisses: 2}},
		},
		{
			name: "regex-only rule does not count other entries as misses",
			metrics: []MetricConfig{{
				Name: "orders", Type: typeCounter,
				Match: MatchConfig{Regex: map[string]string{"MESSAGE": `^order `}},
			}},
			entries: []*fakeEntry{newEntry("MESSAGE", "order x"), newEntry("MESSAGE", "hello"), newEntry("X", "y")},
			want:    map[string]float64{"orders{}": 1},
			stats:   map[string]ruleStats{"orders": {matches: 1}},
		},
		{
			name: "gauge keeps the last value of a custom field",
			metrics: []MetricConfig{{
				Name: "depth", Type: typeGauge, Value: "QUEUE_DEPTH",
				Attributes: map[string]string{"queue": "QUEUE_NAME"},
			}},
			entries: []*fakeEntry{
				newEntry("QUEUE_DEPTH", "10", "QUEUE_NAME", "in"),
				newEntry("QUEUE_DEPTH", "7.5", "QUEUE_NAME", "in"),
				newEntry("QUEUE_DEPTH", "-3", "QUEUE_NAME", "out"),
				newEntry("QUEUE_DEPTH", "lots", "QUEUE_NAME", "out"),
				newEntry("QUEUE_DEPTH", "1"),
				newEntry("QUEUE_NAME", "out"),
			},
			want:  map[string]float64{"depth{queue=in}": 7.5, "depth{queue=out}": -3},
			stats: map[string]ruleStats{"depth": {matches: 3, skippedMissing: 2, skippedNaN: 1}},
		},
		{
			name: "histogram with upper-inclusive explicit buckets",
			metrics: []MetricConfig{{
				Name: "latency", Type: typeHistogram, Value: "ms", Buckets: []float64{10, 100},
				Match: MatchConfig{Regex: map[string]string{"MESSAGE": orderRegex}},
			}},
			entries: []*fakeEntry{
				newEntry("MESSAGE", "order a in 10ms"),
				newEntry("MESSAGE", "order a in 11ms"),
				newEntry("MESSAGE", "order a in 100ms"),
				newEntry("MESSAGE", "order a in 101ms"),
				newEntry("MESSAGE", "order a in 0ms"),
			},
			want: map[string]float64{
				"latency{}:count": 5, "latency{}:sum": 222,
				"latency{}:le=10": 2, "latency{}:le=100": 2, "latency{}:le=+Inf": 1,
			},
			stats: map[string]ruleStats{"latency": {matches: 5}},
		},
		{
			name: "histogram without buckets uses the default boundaries",
			metrics: []MetricConfig{{
				Name: "size", Type: typeHistogram, Value: "SIZE",
			}},
			entries: []*fakeEntry{newEntry("SIZE", "3"), newEntry("SIZE", "20000")},
			want: map[string]float64{
				"size{}:count": 2, "size{}:sum": 20003, "size{}:le=5": 1, "size{}:le=+Inf": 1,
			},
			stats: map[string]ruleStats{"size": {matches: 2}},
		},
		{
			name: "counter value must be a non-negative number",
			metrics: []MetricConfig{{
				Name: "bytes", Type: typeCounter, Value: "BYTES",
			}},
			entries: []*fakeEntry{
				newEntry("BYTES", "100"), newEntry("BYTES", "-1"), newEntry("BYTES", "NaN"),
				newEntry("BYTES", "1e400"), newEntry("BYTES", " 2.5\n"), newEntry("BYTES", "1e3"),
			},
			want:  map[string]float64{"bytes{}": 1102.5},
			stats: map[string]ruleStats{"bytes": {matches: 3, skippedNaN: 3}},
		},
		{
			name: "missing attribute field skips; optional capture gives an empty value",
			metrics: []MetricConfig{{
				Name: "logins", Type: typeCounter,
				Match:      MatchConfig{Regex: map[string]string{"MESSAGE": `^login(?: by (?P<user>\w+))?$`}},
				Attributes: map[string]string{"user": "user", "host": "_HOSTNAME"},
			}},
			entries: []*fakeEntry{
				newEntry("MESSAGE", "login by bob", "_HOSTNAME", "h1"),
				newEntry("MESSAGE", "login", "_HOSTNAME", "h1"),
				newEntry("MESSAGE", "login by bob"),
			},
			want:  map[string]float64{"logins{host=h1,user=bob}": 1, "logins{host=h1,user=}": 1},
			stats: map[string]ruleStats{"logins": {matches: 2, skippedMissing: 1}},
		},
		{
			name: "optional capture as value that did not take part is a missing field",
			metrics: []MetricConfig{{
				Name: "took", Type: typeGauge, Value: "ms",
				Match: MatchConfig{Regex: map[string]string{"MESSAGE": `^done(?: in (?P<ms>\d+)ms)?$`}},
			}},
			entries: []*fakeEntry{newEntry("MESSAGE", "done in 4ms"), newEntry("MESSAGE", "done")},
			want:    map[string]float64{"took{}": 4},
			stats:   map[string]ruleStats{"took": {matches: 1, skippedMissing: 1}},
		},
		{
			name: "captures from regexes on two fields",
			metrics: []MetricConfig{{
				Name: "calls", Type: typeCounter,
				Match: MatchConfig{Regex: map[string]string{
					"MESSAGE":   `^call (?P<target>\S+)`,
					"CODE_FUNC": `^(?P<pkg>[a-z]+)\.`,
				}},
				Attributes: map[string]string{"target": "target", "pkg": "pkg"},
			}},
			entries: []*fakeEntry{
				newEntry("MESSAGE", "call db", "CODE_FUNC", "store.Get"),
				newEntry("MESSAGE", "call db", "CODE_FUNC", "Store.Get"),
				newEntry("MESSAGE", "call db"),
			},
			want:  map[string]float64{"calls{pkg=store,target=db}": 1},
			stats: map[string]ruleStats{"calls": {matches: 1}},
		},
		{
			name: "attribute values are made valid UTF-8",
			metrics: []MetricConfig{{
				Name: "by.user", Type: typeCounter,
				Attributes: map[string]string{"user": "USER"},
			}},
			entries: []*fakeEntry{newEntry("USER", "b\xffob"), newEntry("USER", "b\xfeob"), newEntry("USER", "bøb")},
			want:    map[string]float64{"by.user{user=b\uFFFDob}": 2, "by.user{user=bøb}": 1},
			stats:   map[string]ruleStats{"by.user": {matches: 3}},
		},
		{
			name: "attribute values that would collide when concatenated stay apart",
			metrics: []MetricConfig{{
				Name: "pairs", Type: typeCounter,
				Attributes: map[string]string{"a": "A", "b": "B"},
			}},
			entries: []*fakeEntry{newEntry("A", "x", "B", "yz"), newEntry("A", "xy", "B", "z")},
			want:    map[string]float64{"pairs{a=x,b=yz}": 1, "pairs{a=xy,b=z}": 1},
			stats:   map[string]ruleStats{"pairs": {matches: 2}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := mustEngine(t, engineConfig(tt.metrics...))
			for _, ent := range tt.entries {
				e.Observe(t.Context(), ent)
				for name, n := range ent.asked {
					assert.Equal(t, 1, n, "field %s asked more than once", name)
					assert.Contains(t, e.Fields(), name)
				}
			}
			for _, r := range e.rules {
				want := tt.stats[r.name]
				got := r.stats
				assert.Equal(t, [5]int64{want.matches, want.regexMisses, want.skippedMissing, want.skippedNaN, want.overflows},
					[5]int64{got.matches, got.regexMisses, got.skippedMissing, got.skippedNaN, got.overflows},
					"rule %s: matches, regex misses, skipped missing, skipped NaN, overflows", r.name)
			}
			assert.Equal(t, tt.want, points(e.Collect(testStart.Add(time.Minute))))
		})
	}
}

func TestEngineFields(t *testing.T) {
	cfg := validConfig()
	cfg.Metrics[0].Attributes["host"] = "_HOSTNAME"
	e := mustEngine(t, cfg)
	assert.Equal(t, []string{"MESSAGE", "PRIORITY", "QUEUE_DEPTH", "SYSLOG_IDENTIFIER", "_HOSTNAME", "_MACHINE_ID", "_SYSTEMD_UNIT"}, e.Fields())

	cfg.EntriesMetric = false
	cfg.Metrics = cfg.Metrics[2:]
	assert.Equal(t, []string{"QUEUE_DEPTH", "_HOSTNAME", "_MACHINE_ID"}, mustEngine(t, cfg).Fields())

	cfg.ResourceAttributes = map[string]string{}
	assert.Equal(t, []string{"QUEUE_DEPTH"}, mustEngine(t, cfg).Fields())
}

func TestNewEngineRejectsInvalidConfig(t *testing.T) {
	cfg := validConfig()
	cfg.Metrics[0].Match.Regex["MESSAGE"] = "("
	_, err := newEngine(cfg, nil, testStart)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "metrics[0].match.regex.MESSAGE: invalid regex")
}

func TestNewEngineDoesNotMutateConfig(t *testing.T) {
	cfg := validConfig()
	cfg.Metrics[1].Buckets = nil
	want := validConfig()
	want.Metrics[1].Buckets = nil
	e := mustEngine(t, cfg)
	e.Observe(t.Context(), newEntry("MESSAGE", "order a in 3ms"))
	e.Collect(testStart)
	assert.Equal(t, want, cfg)
}

func TestEntriesMetric(t *testing.T) {
	cfg := contractDefaults()
	cfg.MaxSeriesPerMetric = 3
	e := mustEngine(t, cfg)
	for _, ent := range []*fakeEntry{
		newEntry("_SYSTEMD_UNIT", "a.service", "PRIORITY", "6"),
		newEntry("_SYSTEMD_UNIT", "a.service", "PRIORITY", "6"),
		newEntry("_SYSTEMD_UNIT", "a.service", "PRIORITY", "3"),
		newEntry("PRIORITY", "5"), // kernel and other entries without a unit still count
		newEntry("_SYSTEMD_UNIT", "b.service", "PRIORITY", "6"),
		newEntry("_SYSTEMD_UNIT", "c.service", "PRIORITY", "6"),
	} {
		e.Observe(t.Context(), ent)
	}
	md := e.Collect(testStart.Add(time.Second))
	assert.Equal(t, map[string]float64{
		"journald.entries{priority=6,unit=a.service}": 2,
		"journald.entries{priority=3,unit=a.service}": 1,
		"journald.entries{priority=5,unit=}":          1,
		"journald.entries{otel.metric.overflow=true}": 2,
	}, points(md))
	m := md.ResourceMetrics().At(0).ScopeMetrics().At(0).Metrics().At(0)
	assert.Equal(t, "{entry}", m.Unit())
	assert.True(t, m.Sum().IsMonotonic())
	assert.Equal(t, pmetric.AggregationTemporalityCumulative, m.Sum().AggregationTemporality())
	assert.Equal(t, int64(2), e.entriesOverflows)
}

func TestCollectEmpty(t *testing.T) {
	e := mustEngine(t, validConfig())
	assert.Equal(t, 0, e.Collect(testStart).ResourceMetrics().Len())
}

// TestObserveConcurrentWithCollect is meant for -race: the read loop and the collection
// ticker run on different goroutines.
func TestObserveConcurrentWithCollect(t *testing.T) {
	e := mustEngine(t, validConfig())
	const n = 2000
	var wg sync.WaitGroup
	wg.Go(func() {
		for i := range n {
			e.Observe(t.Context(), newEntry("SYSLOG_IDENTIFIER", "app", "_SYSTEMD_UNIT", "u", "PRIORITY", "6",
				"MESSAGE", fmt.Sprintf("order s%d in %dms", i%3, i%50)))
		}
	})
	wg.Go(func() {
		for i := range 50 {
			e.Collect(testStart.Add(time.Duration(i) * time.Second))
		}
	})
	wg.Wait()
	got := points(e.Collect(testStart.Add(time.Hour)))
	assert.InDelta(t, float64(n), got["journald.entries{priority=6,unit=u}"], 0)
	total := 0.0
	for k, v := range got {
		if strings.HasPrefix(k, "orders{") {
			total += v
		}
	}
	assert.InDelta(t, float64(n), total, 0)
}

func TestObserveAllocations(t *testing.T) {
	e := mustEngine(t, benchConfig())
	miss := newBenchEntry("SYSLOG_IDENTIFIER", "sshd", "MESSAGE", "Accepted publickey for root", "PRIORITY", "6")
	hit := newBenchEntry("SYSLOG_IDENTIFIER", "legacyapp", "MESSAGE", "queue depth", "QUEUE_DEPTH", "12",
		"QUEUE_NAME", "in", "PRIORITY", "6", "_SYSTEMD_UNIT", "legacyapp.service")
	ctx := t.Context()
	e.Observe(ctx, hit) // creates the series
	e.Observe(ctx, miss)
	assert.Zero(t, testing.AllocsPerRun(100, func() { e.Observe(ctx, miss) }), "non-matching entry")
	assert.Zero(t, testing.AllocsPerRun(100, func() { e.Observe(ctx, hit) }), "matching entry, existing series, no capture")
}

func TestParseNumber(t *testing.T) {
	tests := []struct {
		in   string
		want float64
		ok   bool
	}{
		{"0", 0, true},
		{"42", 42, true},
		{"-7", -7, true},
		{"+7", 7, true},
		{"3.25", 3.25, true},
		{".5", 0.5, true},
		{"5.", 5, true},
		{"007", 7, true},
		{" 12\n", 12, true},
		{"0.1", 0.1, true},
		{"123456789012345", 123456789012345, true},
		{"1234567890123456789", 1234567890123456789, true}, // beyond the fast path
		{"1e3", 1000, true},
		{"2.5E-3", 0.0025, true},
		{"0x1p4", 16, true},
		{"0x10", 0, false},
		{"", 0, false},
		{" ", 0, false},
		{".", 0, false},
		{"-", 0, false},
		{"-.", 0, false},
		{"1.2.3", 0, false},
		{"12ms", 0, false},
		{"NaN", 0, false},
		{"inf", 0, false},
		{"-Infinity", 0, false},
		{"1e400", 0, false},
		{"١٢", 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, ok := parseNumber([]byte(tt.in))
			assert.Equal(t, tt.ok, ok)
			assert.Equal(t, tt.want, got) //nolint:testifylint // exact values
		})
	}
}

func TestParseNumberAllocations(t *testing.T) {
	b := []byte("12345.678")
	assert.Zero(t, testing.AllocsPerRun(100, func() { _, _ = parseNumber(b) }))
}

func TestFieldCacheSurvivesManyEntries(t *testing.T) {
	// The per-entry cache is keyed by a generation counter: values never leak from one
	// entry into the next.
	e := mustEngine(t, engineConfig(MetricConfig{Name: "v", Type: typeGauge, Value: "V"}))
	for i := range 100 {
		if i%2 == 0 {
			e.Observe(t.Context(), newEntry("V", fmt.Sprint(i)))
		} else {
			e.Observe(t.Context(), newEntry("W", "x"))
		}
	}
	assert.Equal(t, map[string]float64{"v{}": 98}, points(e.Collect(testStart)))
	assert.Equal(t, int64(50), e.rules[0].stats.skippedMissing) // without a TelemetryBuilder nothing is flushed
}
