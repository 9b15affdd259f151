package e2e

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/otelcol-diagnostics/otelcol-diagnostics/internal/e2etest"
	"github.com/otelcol-diagnostics/otelcol-diagnostics/internal/journaltest"
	"github.com/otelcol-diagnostics/otelcol-diagnostics/internal/promtest"
)

// fleetConfig reads a journal-remote directory with both readers' worth of
// rules through resource_detection (override: false) into the prometheus
// exporter, resource attributes as labels.
func fleetConfig(reader, dir, health, metrics string) string {
	return fmt.Sprintf(`
extensions:
  health_check:
    endpoint: %[3]s

receivers:
  journaldmetrics:
    reader: %[1]s
    directory: %[2]s
    start_at: beginning
    collection_interval: 200ms
    metrics:
      - name: fleet.orders
        type: counter
        match:
          fields: {SYSLOG_IDENTIFIER: legacyapp}
          regex: {MESSAGE: '^order (?P<state>\w+) in (?P<ms>\d+)ms$'}
        attributes: {state: state}

processors:
  resource_detection:
    detectors: [system]
    system:
      hostname_sources: [os]
    override: false

exporters:
  prometheus:
    endpoint: %[4]s
    resource_to_telemetry_conversion:
      enabled: true

service:
  extensions: [health_check]
  telemetry:
    metrics:
      level: none
  pipelines:
    metrics:
      receivers: [journaldmetrics]
      processors: [resource_detection]
      exporters: [prometheus]
`, reader, dir, health, metrics)
}

// TestJournaldFleetThroughPrometheus reads the journals three hosts sent to a
// central systemd-journal-remote, and checks through PromQL that each host's
// series carry its own exact values: the entry's _HOSTNAME wins over the
// collector host resource_detection describes, which still adds os.type.
func TestJournaldFleetThroughPrometheus(t *testing.T) {
	hosts := journaltest.Fleet(3)
	counts := []int{400, 800, 1200}
	dir := t.TempDir()
	journaltest.WriteRemoteDir(t, dir, hosts, counts, journaltest.Synthetic(0))

	for _, reader := range []string{"sdjournal", "journalctl"} {
		t.Run(reader, func(t *testing.T) {
			health, metrics := e2etest.FreeAddr(t), e2etest.FreeAddr(t)
			col := e2etest.Start(t, fleetConfig(reader, dir, health, metrics))
			col.WaitHTTP("http://"+health+"/", 30*time.Second)
			prom := promtest.Start(t, time.Second, metrics)

			for i, h := range hosts {
				// Synthetic: every 4th entry is legacyapp's, every 10th of all a failure.
				n := counts[i]
				failed := float64((n + 19) / 20) // entries 0, 20, 40, ...
				want := map[string]float64{
					fmt.Sprintf(`sum(journald_entries_total{host_name=%q, host_id=%q})`, h.Name, h.MachineID):  float64(n),
					fmt.Sprintf(`sum(fleet_orders_total{host_name=%q, state="ok"})`, h.Name):                   float64(n/4) - failed,
					fmt.Sprintf(`sum(fleet_orders_total{host_name=%q, state="failed"})`, h.Name):               failed,
					fmt.Sprintf(`count(journald_entries_total{host_name=%q, os_type="linux"})`, h.Name):        12, // 4 units × 3 priorities
					fmt.Sprintf(`sum(journald_entries_total{host_name=%q, unit="legacyapp.service"})`, h.Name): float64(n / 4),
				}
				for q, v := range want {
					promWaitEqual(t, prom, q, v)
				}
			}
			got, err := prom.Query(t.Context(), `count by (host_name) (journald_entries_total)`)
			require.NoError(t, err)
			names := map[string]bool{}
			for _, s := range got {
				names[s.Labels["host_name"]] = true
			}
			assert.Equal(t, map[string]bool{"host-1": true, "host-2": true, "host-3": true}, names,
				"only the hosts of the entries, never the collector's own name")
			require.NoError(t, col.Stop(5*time.Second), "clean exit on SIGTERM")
		})
	}
}
