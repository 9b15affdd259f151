package journaldmetricsreceiver

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/coreos/go-systemd/v22/journal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/extension/xextension/storage"
	"go.opentelemetry.io/collector/receiver/receivertest"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/otelcol-diagnostics/otelcol-diagnostics/internal/journaltest"
	"github.com/otelcol-diagnostics/otelcol-diagnostics/receiver/journaldmetricsreceiver/internal/metadata"
)

// memStorage is a storage extension that keeps values in memory, shared by
// the receivers of one test as file_storage would be across restarts.
type memStorage struct {
	component.StartFunc
	component.ShutdownFunc
	mu     sync.Mutex
	values map[string][]byte
}

func (s *memStorage) GetClient(context.Context, component.Kind, component.ID, string) (storage.Client, error) {
	return &memClient{s: s}, nil
}

type memClient struct{ s *memStorage }

func (c *memClient) Get(_ context.Context, key string) ([]byte, error) {
	c.s.mu.Lock()
	defer c.s.mu.Unlock()
	return c.s.values[key], nil
}

func (c *memClient) Set(_ context.Context, key string, value []byte) error {
	c.s.mu.Lock()
	defer c.s.mu.Unlock()
	c.s.values[key] = append([]byte(nil), value...)
	return nil
}

func (c *memClient) Delete(_ context.Context, key string) error {
	c.s.mu.Lock()
	defer c.s.mu.Unlock()
	delete(c.s.values, key)
	return nil
}

func (c *memClient) Batch(context.Context, ...*storage.Operation) error { return nil }
func (c *memClient) Close(context.Context) error                        { return nil }

var storageID = component.MustNewID("memstorage")

type storageHost struct {
	ext map[component.ID]component.Component
}

func (h storageHost) GetExtensions() map[component.ID]component.Component { return h.ext }

func newStorageHost() (storageHost, *memStorage) {
	s := &memStorage{values: map[string][]byte{}}
	return storageHost{ext: map[component.ID]component.Component{storageID: s}}, s
}

// run is one receiver under test.
type run struct {
	rc   *journaldReceiver
	sink *consumertest.MetricsSink
	tel  *componenttest.Telemetry
	read chan int64
}

// startReceiver starts a receiver whose ticker never fires: metrics are
// emitted at Shutdown, which makes the outcome exact.
func startReceiver(t *testing.T, cfg *Config, host component.Host) *run {
	t.Helper()
	tel := componenttest.NewTelemetry()
	t.Cleanup(func() { require.NoError(t, tel.Shutdown(context.Background())) })
	set := receivertest.NewNopSettings(metadata.Type)
	set.TelemetrySettings = tel.NewTelemetrySettings()
	sink := new(consumertest.MetricsSink)
	rc, err := newReceiver(set, cfg, sink)
	require.NoError(t, err)
	rc.newTicker = func(time.Duration) (<-chan time.Time, func()) { return nil, func() {} }
	r := &run{rc: rc, sink: sink, tel: tel, read: make(chan int64, 1)}
	rc.onIdle = func(n int64) {
		select {
		case <-r.read:
		default:
		}
		r.read <- n
	}
	require.NoError(t, rc.Start(t.Context(), host))
	t.Cleanup(func() { assert.NoError(t, rc.Shutdown(context.Background())) })
	return r
}

// waitRead waits until the receiver caught up with at least n entries.
func (r *run) waitRead(t *testing.T, n int64) {
	t.Helper()
	timeout := time.After(60 * time.Second)
	for {
		select {
		case got := <-r.read:
			if got >= n {
				return
			}
		case <-timeout:
			t.Fatalf("receiver did not read %d entries within 60s", n)
		}
	}
}

// stop shuts the receiver down and returns the flattened last metrics.
func (r *run) stop(t *testing.T) map[string]float64 {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), time.Second)
	defer cancel()
	start := time.Now()
	require.NoError(t, r.rc.Shutdown(ctx))
	assert.Less(t, time.Since(start), time.Second, "Shutdown returns within 1s")
	all := r.sink.AllMetrics()
	if len(all) == 0 {
		return map[string]float64{}
	}
	return points(all[len(all)-1])
}

// counter returns the value of an own counter data point with attribute
// key=value (key "" for none).
func (r *run) counter(t *testing.T, name, key, value string) int64 {
	t.Helper()
	m, err := r.tel.GetMetric("otelcol_journaldmetrics_" + name)
	if err != nil {
		return 0
	}
	sum, ok := m.Data.(metricdata.Sum[int64])
	require.True(t, ok, "%s is an int64 sum", name)
	var total int64
	for _, dp := range sum.DataPoints {
		if key == "" {
			total += dp.Value
		} else if v, ok := dp.Attributes.Value(attribute.Key(key)); ok && v.AsString() == value {
			total += dp.Value
		}
	}
	return total
}

func fileConfig(kind string) *Config {
	cfg := receiverBenchConfig()
	cfg.Reader = kind
	cfg.EntriesMetric = true
	return cfg
}

// expected computes what fileConfig's rules give over entries from..to-1
// of the synthetic workload.
func expected(from, to int) map[string]float64 {
	want := map[string]float64{}
	gen := journaltest.Synthetic(0)
	for i := from; i < to; i++ {
		e := gen(i)
		unit, _ := e.Get("_SYSTEMD_UNIT")
		prio, _ := e.Get("PRIORITY")
		want[fmt.Sprintf("journald.entries{priority=%s,unit=%s}", prio, unit)]++
		if unit != "legacyapp.service" {
			if prio == "3" {
				want["journal.errors{unit="+unit+"}"]++
			}
			continue
		}
		if prio == "3" {
			want["journal.errors{unit="+unit+"}"]++
		}
		state := "ok"
		if i%10 == 0 {
			state = "failed"
		}
		want["legacyapp.orders{state="+state+"}"]++
		want["legacyapp.order.duration{}:count"]++
		ms, _ := e.Get("ORDER_MS")
		v, _ := strconv.Atoi(ms)
		want["legacyapp.order.duration{}:sum"] += float64(v)
	}
	return want
}

// subset keeps the keys of got that want has, to compare the values rules
// produce without restating every histogram bucket.
func subset(got, want map[string]float64) map[string]float64 {
	out := map[string]float64{}
	for k := range want {
		if v, ok := got[k]; ok {
			out[k] = v
		}
	}
	return out
}

// TestReceiverManyFiles reads 120k entries spread by journal-remote over
// several files, from the beginning, through each reader.
func TestReceiverManyFiles(t *testing.T) {
	const n = 120_000
	dir := t.TempDir()
	files := journaltest.WriteFile(t, filepath.Join(dir, "big.journal"), n, journaltest.Synthetic(0))
	require.Greater(t, len(files), 1, "journal-remote split the entries over several files")
	want := expected(0, n)
	for _, kind := range readerKinds {
		t.Run(kind+"/directory", func(t *testing.T) {
			cfg := fileConfig(kind)
			cfg.Directory = dir
			r := startReceiver(t, cfg, componenttest.NewNopHost())
			r.waitRead(t, n)
			got := r.stop(t)
			assert.Equal(t, want, subset(got, want))
			assert.Equal(t, int64(n), r.counter(t, "entries_read", "", ""))
			assert.Equal(t, int64(1), r.counter(t, "cursor_resumes", "outcome", resumeNone))
			assert.Zero(t, r.counter(t, "faults", "", ""))
		})
	}
}

// TestReceiverResume stops a receiver, writes more entries, and starts a
// new one on the same storage: it counts exactly the new entries, whether
// the saved entry still exists or was vacuumed meanwhile.
func TestReceiverResume(t *testing.T) {
	tests := []struct {
		name    string
		vacuum  bool
		outcome string
	}{
		{"exact", false, resumeExact},
		{"vacuumed", true, resumeVacuumed},
	}
	for _, kind := range readerKinds {
		for _, tt := range tests {
			t.Run(kind+"/"+tt.name, func(t *testing.T) {
				dir := t.TempDir()
				journaltest.WriteFile(t, filepath.Join(dir, journaltest.ArchivedName(1)), 1000, journaltest.Synthetic(0))
				host, _ := newStorageHost()
				cfg := fileConfig(kind)
				cfg.Directory = dir
				cfg.StorageID = &storageID

				first := startReceiver(t, cfg, host)
				first.waitRead(t, 1000)
				assert.Equal(t, expected(0, 1000), subset(first.stop(t), expected(0, 1000)))

				gen := journaltest.Synthetic(0)
				journaltest.WriteFile(t, filepath.Join(dir, journaltest.ArchivedName(2)), 500, func(i int) journaltest.Entry { return gen(1000 + i) })
				if tt.vacuum {
					journaltest.VacuumDir(t, dir, 1)
				}
				cfg.StartAt = startAtEnd // the cursor wins over start_at
				second := startReceiver(t, cfg, host)
				second.waitRead(t, 500)
				want := expected(1000, 1500)
				assert.Equal(t, want, subset(second.stop(t), want))
				assert.Equal(t, int64(500), second.counter(t, "entries_read", "", ""))
				assert.Equal(t, int64(1), second.counter(t, "cursor_resumes", "outcome", tt.outcome))
			})
		}
	}
}

func TestReceiverInvalidStoredCursor(t *testing.T) {
	file := filepath.Join(t.TempDir(), "a.journal")
	journaltest.WriteFile(t, file, 100, journaltest.Synthetic(0))
	for _, kind := range readerKinds {
		t.Run(kind, func(t *testing.T) {
			host, st := newStorageHost()
			st.values[cursorKey] = []byte("s=garbage")
			cfg := fileConfig(kind)
			cfg.Files = []string{file}
			cfg.StorageID = &storageID
			r := startReceiver(t, cfg, host)
			r.waitRead(t, 100)
			want := expected(0, 100)
			assert.Equal(t, want, subset(r.stop(t), want))
			assert.Equal(t, int64(1), r.counter(t, "cursor_resumes", "outcome", resumeInvalid))
			assert.True(t, validCursor(string(st.values[cursorKey])), "a valid cursor replaced the bad one")
		})
	}
}

func TestReceiverStartErrors(t *testing.T) {
	tests := []struct {
		name string
		mod  func(*Config)
		host component.Host
		want string
	}{
		{"unreadable directory", func(c *Config) { c.Directory = "/nonexistent/journal" }, componenttest.NewNopHost(), "open journal directory (directory)"},
		{"missing storage", func(c *Config) { c.StorageID = &storageID }, componenttest.NewNopHost(), `storage extension "memstorage" (storage): not found`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := fileConfig(readerSdjournal)
			tt.mod(cfg)
			rc, err := newReceiver(receivertest.NewNopSettings(metadata.Type), cfg, consumertest.NewNop())
			require.NoError(t, err)
			err = rc.Start(t.Context(), tt.host)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
			assert.NoError(t, rc.Shutdown(t.Context()))
		})
	}
}

func TestReceiverShutdownIdempotent(t *testing.T) {
	rc, err := newReceiver(receivertest.NewNopSettings(metadata.Type), createDefaultConfig().(*Config), consumertest.NewNop())
	require.NoError(t, err)
	require.NoError(t, rc.Shutdown(t.Context()), "without Start")
	require.NoError(t, rc.Start(t.Context(), componenttest.NewNopHost()))
	require.NoError(t, rc.Shutdown(t.Context()))
	require.NoError(t, rc.Shutdown(t.Context()))
}

// TestReceiverEmitsEveryInterval drives the collection ticker by hand and
// checks that each tick emits cumulative metrics and saves the cursor.
func TestReceiverEmitsEveryInterval(t *testing.T) {
	dir := t.TempDir()
	journaltest.WriteFile(t, filepath.Join(dir, journaltest.ArchivedName(1)), 100, journaltest.Synthetic(0))
	host, st := newStorageHost()
	cfg := fileConfig(readerSdjournal)
	cfg.Directory = dir
	cfg.StorageID = &storageID
	tel := componenttest.NewTelemetry()
	defer func() { require.NoError(t, tel.Shutdown(context.Background())) }()
	set := receivertest.NewNopSettings(metadata.Type)
	set.TelemetrySettings = tel.NewTelemetrySettings()
	sink := new(consumertest.MetricsSink)
	rc, err := newReceiver(set, cfg, sink)
	require.NoError(t, err)
	tick := make(chan time.Time)
	rc.newTicker = func(time.Duration) (<-chan time.Time, func()) { return tick, func() {} }
	idle := make(chan int64, 100)
	rc.onIdle = func(n int64) { idle <- n }
	require.NoError(t, rc.Start(t.Context(), host))
	for n := <-idle; n < 100; n = <-idle {
	}
	tick <- time.Now()
	tick <- time.Now() // the second tick is taken once the first emission is done
	require.GreaterOrEqual(t, sink.DataPointCount(), 1)
	first := points(sink.AllMetrics()[0])
	assert.Equal(t, 100.0, sumPrefix(first, "journald.entries"))
	st.mu.Lock()
	saved := string(st.values[cursorKey])
	st.mu.Unlock()
	assert.True(t, validCursor(saved), saved)
	lag, err := tel.GetMetric("otelcol_journaldmetrics_lag")
	require.NoError(t, err, "lag is recorded at each emission")
	g, ok := lag.Data.(metricdata.Gauge[float64])
	require.True(t, ok)
	require.Len(t, g.DataPoints, 1)
	assert.Greater(t, g.DataPoints[0].Value, time.Since(journaltest.Base.Add(time.Second)).Seconds(),
		"now minus the last entry's realtime")
	require.NoError(t, rc.Shutdown(t.Context()))
}

func sumPrefix(m map[string]float64, prefix string) float64 {
	var s float64
	for k, v := range m {
		if len(k) > len(prefix) && k[:len(prefix)+1] == prefix+"{" {
			s += v
		}
	}
	return s
}

// TestReceiverLive sends entries with custom fields to the live journald,
// rotating its files and vacuuming the oldest in between (journalctl
// --rotate, --vacuum-files), and checks both readers count them all.
func TestReceiverLive(t *testing.T) {
	journaltest.RequireLive(t)
	for _, kind := range readerKinds {
		t.Run(kind, func(t *testing.T) {
			runID := journaltest.RunID(t)
			cfg := createDefaultConfig().(*Config)
			cfg.Reader = kind
			cfg.StartAt = startAtBeginning
			cfg.Matches = []map[string]string{{journaltest.RunField: runID}}
			cfg.Metrics = []MetricConfig{{
				Name: "live.orders", Type: typeHistogram, Value: "ORDER_MS", Buckets: []float64{10, 100},
				Match:      MatchConfig{Fields: map[string]string{journaltest.RunField: runID}},
				Attributes: map[string]string{"queue": "QUEUE_NAME"},
			}}
			r := startReceiver(t, cfg, componenttest.NewNopHost())
			send := func(from, to int) {
				for i := from; i < to; i++ {
					journaltest.Send(t, "live order", journal.PriErr, map[string]string{
						journaltest.RunField: runID, "ORDER_MS": strconv.Itoa(i), "QUEUE_NAME": "q" + strconv.Itoa(i%2),
					})
				}
			}
			send(0, 20)
			r.waitRead(t, 20)
			journaltest.Rotate(t)
			send(20, 40)
			r.waitRead(t, 40)
			journaltest.Rotate(t)
			journaltest.VacuumOldestLive(t)
			send(40, 60)
			r.waitRead(t, 60)
			got := r.stop(t)
			assert.Equal(t, 30.0, got["live.orders{queue=q0}:count"])
			assert.Equal(t, 30.0, got["live.orders{queue=q1}:count"])
			assert.Equal(t, float64(30*30), got["live.orders{queue=q1}:sum"]) // 1+3+...+59
			assert.Equal(t, 60.0, sumPrefix(got, "journald.entries"))
			assert.Zero(t, r.counter(t, "faults", "", ""))
		})
	}
}

// TestReceiverJournalctlDies kills the journalctl subprocess while the
// receiver reads: the fault is counted, reading resumes after the last
// entry read, and nothing is lost or counted twice.
func TestReceiverJournalctlDies(t *testing.T) {
	dir := t.TempDir()
	journaltest.WriteFile(t, filepath.Join(dir, journaltest.ArchivedName(1)), 100, journaltest.Synthetic(0))
	cfg := fileConfig(readerJournalctl)
	cfg.Directory = dir
	r := startReceiver(t, cfg, componenttest.NewNopHost())
	r.waitRead(t, 100)

	out, err := exec.Command("pgrep", "-P", strconv.Itoa(os.Getpid()), "-x", "journalctl").Output()
	require.NoError(t, err, "find the journalctl child of this test")
	pid, err := strconv.Atoi(strings.TrimSpace(string(out)))
	require.NoError(t, err, "one journalctl child: %q", out)
	require.NoError(t, syscall.Kill(pid, syscall.SIGKILL))

	gen := journaltest.Synthetic(0)
	journaltest.WriteFile(t, filepath.Join(dir, journaltest.ArchivedName(2)), 100, func(i int) journaltest.Entry { return gen(100 + i) })
	r.waitRead(t, 200)
	want := expected(0, 200)
	assert.Equal(t, want, subset(r.stop(t), want))
	assert.Equal(t, int64(1), r.counter(t, "faults", "kind", faultRead))
	assert.Equal(t, int64(1), r.counter(t, "cursor_resumes", "outcome", resumeExact))
}
