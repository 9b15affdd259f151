package journaldmetricsreceiver

import (
	"bytes"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componenttest"

	"github.com/otelcol-diagnostics/otelcol-diagnostics/internal/journaltest"
	"github.com/otelcol-diagnostics/otelcol-diagnostics/receiver/journaldmetricsreceiver/internal/metadata"
)

// readBenchEntries is the size of the generated journal of the receiver
// benchmark.
const readBenchEntries = 250_000

// receiverBenchConfig has three rules over the synthetic workload, one of
// them a regex with captures, and no entries metric.
func receiverBenchConfig() *Config {
	cfg := createDefaultConfig().(*Config)
	cfg.StartAt = startAtBeginning
	cfg.EntriesMetric = false
	cfg.Metrics = []MetricConfig{
		{
			Name: "legacyapp.orders", Type: typeCounter,
			Match: MatchConfig{
				Fields: map[string]string{"SYSLOG_IDENTIFIER": "legacyapp"},
				Regex:  map[string]string{"MESSAGE": `^order (?P<state>\w+) in (?P<ms>\d+)ms$`},
			},
			Attributes: map[string]string{"state": "state"},
		},
		{
			Name: "legacyapp.order.duration", Type: typeHistogram, Value: "ORDER_MS", Buckets: []float64{10, 100, 1000},
			Match: MatchConfig{Fields: map[string]string{"SYSLOG_IDENTIFIER": "legacyapp"}},
		},
		{
			Name: "journal.errors", Type: typeCounter,
			Match:      MatchConfig{Fields: map[string]string{"PRIORITY": "3"}},
			Attributes: map[string]string{"unit": "_SYSTEMD_UNIT"},
		},
	}
	return cfg
}

// BenchmarkRead reads a generated journal of readBenchEntries entries from the
// beginning through each reader into the engine with three rules, and runs
// journalctl -o cat (libsystemd's own loop) and -o json (the contrib
// journald receiver's input) over the same file as anchors.
func BenchmarkRead(b *testing.B) {
	// journal-remote splits the entries over a few files, as journald would.
	files := journaltest.WriteFile(b, filepath.Join(b.TempDir(), "bench.journal"), readBenchEntries, journaltest.Synthetic(0))
	fileArgs := make([]string, 0, len(files))
	for _, f := range files {
		fileArgs = append(fileArgs, "--file="+f)
	}

	for _, kind := range readerKinds {
		b.Run(kind, func(b *testing.B) {
			cfg := receiverBenchConfig()
			cfg.Files = files
			tb, err := metadata.NewTelemetryBuilder(componenttest.NewNopTelemetrySettings())
			require.NoError(b, err)
			var total int
			start := time.Now()
			for b.Loop() {
				eng, err := newEngine(cfg, tb, time.Now())
				require.NoError(b, err)
				r, err := openReader(b.Context(), kind, readerOptions{
					files: cfg.Files, startAt: cfg.StartAt, fields: eng.Fields(), resumed: func(string) {},
				})
				require.NoError(b, err)
				n, idle := 0, 0
				for n < readBenchEntries {
					ok, err := r.next(b.Context())
					require.NoError(b, err)
					if !ok {
						idle++
						require.Less(b, idle, 10, "reader stalled after %d entries", n)
						continue
					}
					eng.Observe(b.Context(), r)
					n++
				}
				require.NoError(b, r.close())
				total += n
				md := eng.Collect(time.Now())
				require.Positive(b, md.MetricCount())
			}
			b.ReportMetric(float64(total)/time.Since(start).Seconds(), "entries/s")
		})
	}
	for _, output := range []string{"cat", "json"} {
		b.Run("journalctl-o-"+output, func(b *testing.B) {
			var total int
			start := time.Now()
			for b.Loop() {
				out, err := exec.CommandContext(b.Context(), "journalctl", append(fileArgs, "--no-pager", "-o", output)...).Output()
				require.NoError(b, err)
				require.Equal(b, readBenchEntries, bytes.Count(out, []byte("\n")))
				total += readBenchEntries
			}
			b.ReportMetric(float64(total)/time.Since(start).Seconds(), "entries/s")
		})
	}
}
