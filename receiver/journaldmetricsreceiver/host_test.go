package journaldmetricsreceiver

import (
	"fmt"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/pmetric"

	"github.com/otelcol-diagnostics/otelcol-diagnostics/internal/journaltest"
)

// byResource flattens md like points, per resource: "k=v,..." of the resource
// attributes -> points of its metrics.
func byResource(md pmetric.Metrics) map[string]map[string]float64 {
	out := map[string]map[string]float64{}
	for i := 0; i < md.ResourceMetrics().Len(); i++ {
		rm := md.ResourceMetrics().At(i)
		var kv []string
		rm.Resource().Attributes().Range(func(k string, v pcommon.Value) bool {
			kv = append(kv, k+"="+v.AsString())
			return true
		})
		sort.Strings(kv)
		key := strings.Join(kv, ",")
		one := pmetric.NewMetrics()
		rm.CopyTo(one.ResourceMetrics().AppendEmpty())
		if _, dup := out[key]; dup {
			panic("two resources with the same attributes: " + key)
		}
		out[key] = points(one)
	}
	return out
}

func TestEngineOrigins(t *testing.T) {
	counter := MetricConfig{Name: "by.user", Type: typeCounter, Attributes: map[string]string{"user": "USER"}}
	entry := func(host, machine, user string) *fakeEntry {
		kv := []string{"USER", user}
		if host != "" {
			kv = append(kv, "_HOSTNAME", host)
		}
		if machine != "" {
			kv = append(kv, "_MACHINE_ID", machine)
		}
		return newEntry(kv...)
	}
	tests := []struct {
		name      string
		resources map[string]string // nil: the default
		maxSeries int
		entries   []*fakeEntry
		want      map[string]map[string]float64
	}{
		{
			name: "one resource per host, interleaved entries",
			entries: []*fakeEntry{
				entry("a", "1", "x"), entry("b", "2", "x"), entry("a", "1", "x"), entry("c", "3", "y"), entry("b", "2", "y"),
			},
			want: map[string]map[string]float64{
				"host.id=1,host.name=a": {"by.user{user=x}": 2},
				"host.id=2,host.name=b": {"by.user{user=x}": 1, "by.user{user=y}": 1},
				"host.id=3,host.name=c": {"by.user{user=y}": 1},
			},
		},
		{
			name:    "a missing field leaves its attribute out",
			entries: []*fakeEntry{entry("a", "", "x"), entry("", "", "x"), entry("a", "1", "x")},
			want: map[string]map[string]float64{
				"host.name=a":           {"by.user{user=x}": 1},
				"":                      {"by.user{user=x}": 1},
				"host.id=1,host.name=a": {"by.user{user=x}": 1},
			},
		},
		{
			name:    "an empty value differs from a missing one",
			entries: []*fakeEntry{entry("", "", "x"), newEntry("USER", "x", "_HOSTNAME", "")},
			want: map[string]map[string]float64{
				"":           {"by.user{user=x}": 1},
				"host.name=": {"by.user{user=x}": 1},
			},
		},
		{
			name:      "empty map: one resource without attributes",
			resources: map[string]string{},
			entries:   []*fakeEntry{entry("a", "1", "x"), entry("b", "2", "x")},
			want:      map[string]map[string]float64{"": {"by.user{user=x}": 2}},
		},
		{
			name:      "custom field",
			resources: map[string]string{"service.name": "SYSLOG_IDENTIFIER"},
			entries:   []*fakeEntry{newEntry("USER", "x", "SYSLOG_IDENTIFIER", "app\xff")},
			want:      map[string]map[string]float64{"service.name=app\uFFFD": {"by.user{user=x}": 1}},
		},
		{
			name:      "max_series_per_metric holds per host",
			maxSeries: 1,
			entries: []*fakeEntry{
				entry("a", "1", "x"), entry("a", "1", "y"), entry("b", "2", "y"), entry("b", "2", "x"), entry("b", "2", "y"),
			},
			want: map[string]map[string]float64{
				"host.id=1,host.name=a": {"by.user{user=x}": 1, "by.user{otel.metric.overflow=true}": 1},
				"host.id=2,host.name=b": {"by.user{user=y}": 2, "by.user{otel.metric.overflow=true}": 1},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := engineConfig(counter)
			if tt.resources != nil {
				cfg.ResourceAttributes = tt.resources
			}
			if tt.maxSeries > 0 {
				cfg.MaxSeriesPerMetric = tt.maxSeries
			}
			e := mustEngine(t, cfg)
			for _, ent := range tt.entries {
				e.Observe(t.Context(), ent)
			}
			assert.Equal(t, tt.want, byResource(e.Collect(testStart)))
		})
	}
}

// TestEngineOriginEntriesMetric checks that the entries metric, whose last series is
// remembered between entries, never carries one host's entry to another.
func TestEngineOriginEntriesMetric(t *testing.T) {
	e := mustEngine(t, contractDefaults())
	for _, h := range []string{"a", "b", "a", "a", "b"} {
		e.Observe(t.Context(), newEntry("_HOSTNAME", h, "_SYSTEMD_UNIT", "u.service", "PRIORITY", "6"))
	}
	assert.Equal(t, map[string]map[string]float64{
		"host.name=a": {"journald.entries{priority=6,unit=u.service}": 3},
		"host.name=b": {"journald.entries{priority=6,unit=u.service}": 2},
	}, byResource(e.Collect(testStart)))
}

// fleetWant is what fileConfig's rules give for each host of a fleet where host i
// wrote counts[i] entries of the synthetic workload.
func fleetWant(hosts []journaltest.Host, counts []int) map[string]map[string]float64 {
	want := map[string]map[string]float64{}
	for i, h := range hosts {
		want[fmt.Sprintf("host.id=%s,host.name=%s", h.MachineID, h.Name)] = expected(0, counts[i])
	}
	return want
}

// TestReceiverFleet reads the journals of three hosts, as a central
// systemd-journal-remote keeps them (a directory with a file per host, or one
// file holding every host), through each reader: three resources, each with
// its host's exact values.
func TestReceiverFleet(t *testing.T) {
	hosts := journaltest.Fleet(3)
	counts := []int{1000, 2000, 3000}
	perHostDir := t.TempDir()
	journaltest.WriteRemoteDir(t, perHostDir, hosts, counts, journaltest.Synthetic(0))

	const perHost = 1000
	oneFileDir := t.TempDir()
	journaltest.WriteFile(t, filepath.Join(oneFileDir, "fleet.journal"), 3*perHost, journaltest.Interleave(hosts, journaltest.Synthetic(0)))

	layouts := []struct {
		name   string
		dir    string
		counts []int
	}{
		{"file per host", perHostDir, counts},
		{"one file", oneFileDir, []int{perHost, perHost, perHost}},
	}
	for _, layout := range layouts {
		want := fleetWant(hosts, layout.counts)
		total := int64(0)
		for _, n := range layout.counts {
			total += int64(n)
		}
		for _, kind := range readerKinds {
			t.Run(layout.name+"/"+kind, func(t *testing.T) {
				cfg := fileConfig(kind)
				cfg.StartAt = startAtBeginning
				cfg.Directory = layout.dir
				r := startReceiver(t, cfg, componenttest.NewNopHost())
				r.waitRead(t, total)
				r.stop(t)
				all := r.sink.AllMetrics()
				require.NotEmpty(t, all)
				got := byResource(all[len(all)-1])
				require.Len(t, got, 3, "one resource per host")
				for res, w := range want {
					assert.Equal(t, w, subset(got[res], w), res)
				}
			})
		}
	}
}
