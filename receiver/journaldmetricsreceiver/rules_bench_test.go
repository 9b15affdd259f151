package journaldmetricsreceiver

import (
	"fmt"
	"runtime"
	"syscall"
	"testing"
	"time"
)

// benchEntry is an entry the way a reader holds one: field names and values side by
// side, looked up without allocating.
type benchEntry struct {
	names  []string
	values [][]byte
}

func newBenchEntry(kv ...string) *benchEntry {
	e := &benchEntry{}
	for i := 0; i+1 < len(kv); i += 2 {
		e.names = append(e.names, kv[i])
		e.values = append(e.values, []byte(kv[i+1]))
	}
	return e
}

func (e *benchEntry) Field(name string) ([]byte, bool) {
	for i, n := range e.names {
		if n == name {
			return e.values[i], true
		}
	}
	return nil, false
}

func (e *benchEntry) Realtime() time.Time { return testStart }

// benchConfig has the three rules of the receiver benchmark: a counter on field
// equality, a regex histogram with captures, and a gauge from a custom field; plus the
// built-in entries metric.
func benchConfig() *Config {
	c := contractDefaults()
	c.Metrics = []MetricConfig{
		{
			Name: "legacyapp.requests", Type: typeCounter,
			Match:      MatchConfig{Fields: map[string]string{"SYSLOG_IDENTIFIER": "legacyapp"}},
			Attributes: map[string]string{"unit": "_SYSTEMD_UNIT"},
		},
		{
			Name: "legacyapp.order.duration", Type: typeHistogram, Value: "ms", Buckets: []float64{10, 100, 1000},
			Match: MatchConfig{
				Fields: map[string]string{"SYSLOG_IDENTIFIER": "legacyapp"},
				Regex:  map[string]string{"MESSAGE": orderRegex},
			},
			Attributes: map[string]string{"state": "state"},
		},
		{
			Name: "legacyapp.queue.depth", Type: typeGauge, Value: "QUEUE_DEPTH",
			Match:      MatchConfig{Fields: map[string]string{"SYSLOG_IDENTIFIER": "legacyapp"}},
			Attributes: map[string]string{"queue": "QUEUE_NAME"},
		},
	}
	return c
}

// benchEntries is a mix: half from other services (no rule matches), a quarter order
// lines (regex with captures), a quarter queue-depth lines.
func benchEntries() []*benchEntry {
	var out []*benchEntry
	for i := range 64 {
		switch i % 4 {
		case 0, 1:
			out = append(out, newBenchEntry("_SYSTEMD_UNIT", "sshd.service", "PRIORITY", "6",
				"SYSLOG_IDENTIFIER", "sshd", "MESSAGE", fmt.Sprintf("Accepted publickey for user%d from 10.0.0.%d", i, i)))
		case 2:
			out = append(out, newBenchEntry("_SYSTEMD_UNIT", "legacyapp.service", "PRIORITY", "6",
				"SYSLOG_IDENTIFIER", "legacyapp", "MESSAGE", fmt.Sprintf("order %s in %dms", []string{"done", "failed"}[i%8/4], i*7)))
		case 3:
			out = append(out, newBenchEntry("_SYSTEMD_UNIT", "legacyapp.service", "PRIORITY", "5",
				"SYSLOG_IDENTIFIER", "legacyapp", "MESSAGE", "queue depth", "QUEUE_NAME", fmt.Sprintf("q%d", i%3),
				"QUEUE_DEPTH", fmt.Sprint(i)))
		}
	}
	return out
}

// BenchmarkEngineObserve measures the rules engine alone (no journal I/O) on one core.
func BenchmarkEngineObserve(b *testing.B) {
	cases := []struct {
		name    string
		entries []*benchEntry
	}{
		{"mixed", benchEntries()},
		{"non-matching", []*benchEntry{newBenchEntry("_SYSTEMD_UNIT", "sshd.service", "PRIORITY", "6",
			"SYSLOG_IDENTIFIER", "sshd", "MESSAGE", "Accepted publickey for root")}},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			e := mustEngine(b, benchConfig())
			ctx := b.Context()
			b.ReportAllocs()
			n := 0
			cpu0 := cpuTime(b)
			for b.Loop() {
				e.Observe(ctx, c.entries[n%len(c.entries)])
				n++
			}
			b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "entries/s")
			// On a shared machine wall time includes waiting for a core; CPU time does not.
			b.ReportMetric(float64(n)/(cpuTime(b)-cpu0).Seconds(), "entries/cpu-s")
		})
	}
}

// cpuTime is the CPU time (user and system) the process has used.
func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkEngineCollect measures building the metrics of 2000 series.
func BenchmarkEngineCollect(b *testing.B) {
	cfg := benchConfig()
	e := mustEngine(b, cfg)
	for i := range 2000 {
		e.Observe(b.Context(), newBenchEntry("SYSLOG_IDENTIFIER", "legacyapp", "_SYSTEMD_UNIT", fmt.Sprintf("u%d.service", i)))
	}
	b.ReportAllocs()
	now := testStart
	for b.Loop() {
		now = now.Add(time.Second)
		_ = e.Collect(now)
	}
}

// BenchmarkEngineMemory reports the heap held by 2000 series in each of the three rules
// and the entries metric (the cardinality cap's default), after one Collect.
func BenchmarkEngineMemory(b *testing.B) {
	var before, after runtime.MemStats
	for b.Loop() {
		runtime.GC()
		runtime.ReadMemStats(&before)
		e := mustEngine(b, benchConfig())
		for i := range 2000 {
			unit := fmt.Sprintf("unit-%04d.service", i)
			e.Observe(b.Context(), newBenchEntry("SYSLOG_IDENTIFIER", "legacyapp", "_SYSTEMD_UNIT", unit, "PRIORITY", "6",
				"MESSAGE", fmt.Sprintf("order s%04d in %dms", i, i), "QUEUE_NAME", unit, "QUEUE_DEPTH", "1"))
		}
		_ = e.Collect(testStart)
		runtime.GC()
		runtime.ReadMemStats(&after)
		b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/(1<<20), "MiB-heap")
		runtime.KeepAlive(e)
	}
}
