package journaldmetricsreceiver

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componentstatus"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/receiver/receivertest"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/otelcol-diagnostics/otelcol-diagnostics/internal/journaltest"
	"github.com/otelcol-diagnostics/otelcol-diagnostics/receiver/journaldmetricsreceiver/internal/metadata"
)

// statusHost records the status events the receiver reports.
type statusHost struct {
	component.Host
	mu     sync.Mutex
	events []*componentstatus.Event
}

func (h *statusHost) Report(ev *componentstatus.Event) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.events = append(h.events, ev)
}

func (h *statusHost) statuses() []componentstatus.Status {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := make([]componentstatus.Status, len(h.events))
	for i, ev := range h.events {
		out[i] = ev.Status()
	}
	return out
}

// TestReceiverStatusWhileReopening kills the journalctl reader and hides the
// directory: the receiver reports a recoverable error while it cannot read,
// and OK once it reads again.
func TestReceiverStatusWhileReopening(t *testing.T) {
	parent := t.TempDir()
	dir := filepath.Join(parent, "journal")
	require.NoError(t, os.Mkdir(dir, 0o755))
	journaltest.WriteFile(t, filepath.Join(dir, journaltest.ArchivedName(1)), 100, journaltest.Synthetic(0))
	cfg := fileConfig(readerJournalctl)
	cfg.Directory = dir
	host := &statusHost{Host: componenttest.NewNopHost()}
	r := startReceiver(t, cfg, host)
	r.waitRead(t, 100)
	assert.Empty(t, host.statuses(), "the service reports Starting and OK around Start")

	hidden := filepath.Join(parent, "hidden")
	require.NoError(t, os.Rename(dir, hidden))
	out, err := exec.Command("pgrep", "-P", strconv.Itoa(os.Getpid()), "-x", "journalctl").Output()
	require.NoError(t, err, "find the journalctl child of this test")
	pid, err := strconv.Atoi(strings.TrimSpace(string(out)))
	require.NoError(t, err, "one journalctl child: %q", out)
	require.NoError(t, syscall.Kill(pid, syscall.SIGKILL))

	// The read error, then at least one failed reopen.
	deadline := time.Now().Add(30 * time.Second)
	for len(host.statuses()) < 2 && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	got := host.statuses()
	require.GreaterOrEqual(t, len(got), 2)
	for _, st := range got {
		assert.Equal(t, componentstatus.StatusRecoverableError, st)
	}
	host.mu.Lock()
	assert.ErrorContains(t, host.events[0].Err(), "read the journal: journalctl exited")
	assert.ErrorContains(t, host.events[1].Err(), "reopen the journal: open journal directory (directory)")
	host.mu.Unlock()

	require.NoError(t, os.Rename(hidden, dir))
	gen := journaltest.Synthetic(0)
	journaltest.WriteFile(t, filepath.Join(dir, journaltest.ArchivedName(2)), 100, func(i int) journaltest.Entry { return gen(100 + i) })
	r.waitRead(t, 200)
	got = host.statuses()
	assert.Equal(t, componentstatus.StatusOK, got[len(got)-1], "OK once reading again")
	want := expected(0, 200)
	assert.Equal(t, want, subset(r.stop(t), want), "nothing lost or counted twice")
}

// pointsMetric sums an int64 counter of the collector's receiver telemetry.
func pointsMetric(t *testing.T, tel *componenttest.Telemetry, name string) int64 {
	t.Helper()
	m, err := tel.GetMetric(name)
	if err != nil {
		return 0
	}
	sum, ok := m.Data.(metricdata.Sum[int64])
	require.True(t, ok, "%s is an int64 sum", name)
	var total int64
	for _, dp := range sum.DataPoints {
		total += dp.Value
	}
	return total
}

// TestReceiverObsReport checks the standard receiver telemetry around each
// emission: points the next consumer accepted, and points it refused.
func TestReceiverObsReport(t *testing.T) {
	file := filepath.Join(t.TempDir(), "a.journal")
	journaltest.WriteFile(t, file, 200, journaltest.Synthetic(0))
	for _, refuse := range []bool{false, true} {
		t.Run("refuse="+strconv.FormatBool(refuse), func(t *testing.T) {
			tel := componenttest.NewTelemetry()
			t.Cleanup(func() { require.NoError(t, tel.Shutdown(context.Background())) })
			set := receivertest.NewNopSettings(metadata.Type)
			set.TelemetrySettings = tel.NewTelemetrySettings()
			sink := new(consumertest.MetricsSink)
			cfg := fileConfig(readerSdjournal)
			cfg.Files, cfg.StartAt = []string{file}, startAtBeginning
			rc, err := newReceiver(set, cfg, sink)
			require.NoError(t, err)
			if refuse {
				rc.next = consumertest.NewErr(errors.New("downstream is full"))
			}
			tick := make(chan time.Time)
			rc.newTicker = func(time.Duration) (<-chan time.Time, func()) { return tick, func() {} }
			read := make(chan int64, 100)
			rc.onIdle = func(n int64) {
				select {
				case read <- n:
				default:
				}
			}
			require.NoError(t, rc.Start(t.Context(), componenttest.NewNopHost()))
			for n := range read {
				if n >= 200 {
					break
				}
			}
			tick <- time.Now()
			require.NoError(t, rc.Shutdown(t.Context()))

			accepted := pointsMetric(t, tel, "otelcol_receiver_accepted_metric_points")
			refused := pointsMetric(t, tel, "otelcol_receiver_refused_metric_points")
			if refuse {
				assert.Zero(t, accepted)
				assert.Positive(t, refused)
				return
			}
			var emitted int64
			for _, md := range sink.AllMetrics() {
				emitted += int64(md.DataPointCount())
			}
			require.Len(t, sink.AllMetrics(), 2, "one tick and Shutdown")
			assert.Equal(t, emitted, accepted)
			assert.Zero(t, refused)
		})
	}
}
