package e2e

import (
	"fmt"
	"net"
	"testing"

	"github.com/stretchr/testify/require"
)

// telemetryMetrics is the service.telemetry.metrics section of a collector config that serves
// the collector's own metrics in Prometheus format on addr ("host:port"), at level unless it is
// empty, indented to stand under "  telemetry:".
func telemetryMetrics(t testing.TB, addr, level string) string {
	t.Helper()
	host, port, err := net.SplitHostPort(addr)
	require.NoError(t, err)
	if level != "" {
		level = "\n      level: " + level
	}
	return fmt.Sprintf(`    metrics:%s
      readers:
        - pull:
            exporter:
              prometheus:
                host: %s
                port: %s`, level, host, port)
}
