package e2e

import (
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/coreos/go-systemd/v22/journal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/otelcol-diagnostics/otelcol-diagnostics/internal/e2etest"
	"github.com/otelcol-diagnostics/otelcol-diagnostics/internal/journaltest"
	"github.com/otelcol-diagnostics/otelcol-diagnostics/internal/pgtest"
)

// What `make run` starts labels the journal's metrics with the name of the host they come
// from, so that many agents' series stay apart wherever they meet.
func TestDefaultConfigLabelsJournalMetricsWithHostName(t *testing.T) {
	journaltest.RequireLive(t)
	hostname, err := os.Hostname()
	require.NoError(t, err)

	config, health, metrics := defaultConfig(t)
	config = strings.Replace(config, "collection_interval: 10s", "collection_interval: 200ms", 1)
	col := e2etest.Start(t, config)
	col.WaitHTTP("http://"+health+"/", 30*time.Second)

	// start_at: end; keep writing until one entry lands after the reader's start.
	runID := journaltest.RunID(t)
	e2etest.Eventually(t, 30*time.Second, func() bool {
		journaltest.Send(t, "host identity probe", journal.PriInfo, map[string]string{journaltest.RunField: runID})
		families := scrape(t, "http://"+metrics+"/metrics")
		_, ok := sample(families, "journald_entries_total", "host_name", hostname)
		return ok
	}, "no journald_entries_total series with host_name=%q; collector output:\n%s", hostname, col.Output())

	families := scrape(t, "http://"+metrics+"/metrics")
	for _, m := range families["journald_entries_total"].GetMetric() {
		assert.True(t, hasLabel(m, "os_type", "linux"), "every series carries os_type: %v", m.GetLabel())
	}
}

// Telemetry that arrives without a host (here telemetrygen's) is stored in PostgreSQL with the
// host.name resource_detection gives it, in the resources the Grafana views join.
func TestHostNameReachesPostgresResources(t *testing.T) {
	hostname, err := os.Hostname()
	require.NoError(t, err)
	dsn := sharedDatabase(t)
	otlp, health := e2etest.FreeAddr(t), e2etest.FreeAddr(t)
	col := e2etest.Start(t, fmt.Sprintf(`
extensions:
  health_check:
    endpoint: %s
receivers:
  otlp:
    protocols:
      grpc:
        endpoint: %s
processors:
  resource_detection:
    detectors: [system]
    system:
      hostname_sources: [os]
    override: false
exporters:
  postgres:
    dsn: ${env:POSTGRES_DSN}
    schema: hostid
    sending_queue:
      batch:
        flush_timeout: 100ms
service:
  extensions: [health_check]
  telemetry:
    metrics:
      level: none
  pipelines:
    metrics:
      receivers: [otlp]
      processors: [resource_detection]
      exporters: [postgres]
`, health, otlp), "POSTGRES_DSN="+dsn)
	col.WaitHTTP("http://"+health+"/", 30*time.Second)

	out, err := exec.CommandContext(t.Context(), e2etest.Telemetrygen(t), "metrics", "--metrics", "20", "--unique-timeseries",
		"--otlp-endpoint", otlp, "--otlp-insecure", "--workers", "1", "--rate", "0").CombinedOutput()
	require.NoError(t, err, string(out))

	conn := pgtest.Connect(t, dsn)
	var points int64
	e2etest.Eventually(t, 60*time.Second, func() bool {
		err := conn.QueryRow(t.Context(), "SELECT count(*) FROM hostid.metric_points").Scan(&points)
		return err == nil && points >= 20
	}, "points did not arrive; collector output:\n%s", col.Output())

	var hosts []string
	rows, err := conn.Query(t.Context(), `SELECT DISTINCT r.attributes->>'host.name', r.attributes->>'os.type'
		FROM hostid.resources r JOIN hostid.metric_series s USING (resource_id)`)
	require.NoError(t, err)
	for rows.Next() {
		var host, os string
		require.NoError(t, rows.Scan(&host, &os))
		hosts = append(hosts, host+"/"+os)
	}
	require.NoError(t, rows.Err())
	assert.Equal(t, []string{hostname + "/linux"}, hosts)
}
