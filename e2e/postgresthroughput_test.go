package e2e

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/ptrace/ptraceotlp"

	"github.com/otelcol-diagnostics/otelcol-diagnostics/internal/e2etest"
	"github.com/otelcol-diagnostics/otelcol-diagnostics/internal/otlpload"
	"github.com/otelcol-diagnostics/otelcol-diagnostics/internal/pgtest"
)

// throughputTraces builds request r of a load: perRequest two-span traces (a root and a child),
// ids unique across the load, attributes like an instrumented HTTP service's.
func throughputTraces(r, perRequest int, now time.Time) []byte {
	return otlpload.TracesBody(r, perRequest, now)
}

// sendAll posts every request to url with inFlight requests in flight, each retried until the
// collector accepts it, and returns how many were accepted.
func sendAll(ctx context.Context, url string, reqs [][]byte, inFlight int) (int64, error) {
	load := make([]otlpload.Request, len(reqs))
	for i, body := range reqs {
		load[i] = otlpload.Request{Body: body}
	}
	res, err := (&otlpload.Sender{URL: url, InFlight: inFlight}).Send(ctx, load)
	return res.Requests, err
}

// pgLoad is one signal's load for BenchmarkPostgresEndToEnd.
type pgLoad struct {
	pipeline string // the collector's pipeline and the OTLP/HTTP path: traces or metrics
	table    string // where the items land, one row each
	unit     string // spans or points
	sent     string // the collector's own counter of the items its exporter has committed
	reqs     []otlpload.Request
	items    int64
	config   string // exporter settings beyond the DSN
}

// BenchmarkPostgresEndToEnd sends a load through the built collector (OTLP/HTTP receiver →
// postgres exporter, default settings) with otlpload's client, which sends whole requests, 4 in
// flight, and retries each until accepted, and times until the exporter has committed every item
// (the collector's own exporter_sent counter; the table's count then checks that all landed):
//
//   - spans: 100,000 two-span traces in requests of 500 traces, with attribute_index on (the
//     default) and off;
//   - points: 500,000 int sum points over 1000 series in requests of 1000 points.
//
// Then, in the same run, it loads the very same rows with a raw server-side binary COPY into a
// table with the same indexes, and reports both rates and their ratio, and the CPU seconds the
// client, the collector and the PostgreSQL server spent on the end-to-end load and the server on
// the raw COPY.
// Run it once:
//
//	OTELCOL_BINARY=$PWD/bin/otelcol-diagnostics go test -run '^$' -bench PostgresEndToEnd -benchtime 1x ./e2e/
func BenchmarkPostgresEndToEnd(b *testing.B) {
	const traces, perTraceRequest, points, perPointRequest, series = 100_000, 500, 500_000, 1000, 1000
	cluster, err := pgtest.Start()
	require.NoError(b, err)
	b.Cleanup(func() { _ = cluster.Close() })
	now := time.Now()
	spans := otlpload.Traces(traces, perTraceRequest, now)
	for _, index := range []bool{true, false} {
		b.Run(fmt.Sprintf("spans/attribute_index=%t", index), func(b *testing.B) {
			benchEndToEnd(b, cluster, pgLoad{
				pipeline: "traces", table: "otel.spans", unit: "spans", sent: "otelcol_exporter_sent_spans",
				reqs: spans, items: 2 * traces,
				config: fmt.Sprintf("attribute_index: %t", index),
			})
		})
	}
	b.Run("points", func(b *testing.B) {
		benchEndToEnd(b, cluster, pgLoad{
			pipeline: "metrics", table: "otel.metric_points", unit: "points", sent: "otelcol_exporter_sent_metric_points",
			reqs: otlpload.Metrics(points, perPointRequest, series, now), items: points,
		})
	})
}

func benchEndToEnd(b *testing.B, cluster *pgtest.Cluster, load pgLoad) {
	const inFlight = 4
	for b.Loop() {
		dsn := cluster.NewDatabase(b)
		otlp, health, telemetry := e2etest.FreeAddr(b), e2etest.FreeAddr(b), e2etest.FreeAddr(b)
		col := e2etest.Start(b, fmt.Sprintf(`
extensions:
  health_check:
    endpoint: %s
receivers:
  otlp:
    protocols:
      http:
        endpoint: %s
exporters:
  postgres:
    dsn: ${env:POSTGRES_DSN}
    %s
service:
  extensions: [health_check]
  telemetry:
%s
  pipelines:
    %s:
      receivers: [otlp]
      exporters: [postgres]
`, health, otlp, load.config, telemetryMetrics(b, telemetry, "basic"), load.pipeline), "POSTGRES_DSN="+dsn)
		col.WaitHTTP("http://"+health+"/", 30*time.Second)
		conn, err := pgx.Connect(b.Context(), dsn)
		require.NoError(b, err)
		count := func() int64 {
			var n int64
			if err := conn.QueryRow(b.Context(), "SELECT count(*) FROM "+load.table).Scan(&n); err != nil {
				return -1 // not migrated yet
			}
			return n
		}
		// Migrations and partitions out of the way before the clock starts.
		e2etest.Eventually(b, 30*time.Second, func() bool { return count() == 0 }, "schema not migrated:\n%s", col.Output())
		cpu, err := startCPU(b.Context(), conn)
		require.NoError(b, err)

		client, err := selfCPU()
		require.NoError(b, err)
		start := time.Now()
		res, err := (&otlpload.Sender{URL: "http://" + otlp + "/v1/" + load.pipeline, InFlight: inFlight}).Send(b.Context(), load.reqs)
		require.NoError(b, err)
		require.Equal(b, load.items, res.Items)
		// The clock stops when the exporter has committed every item, by the collector's own
		// count (exporterhelper counts a request once its transaction has committed): polling the
		// growing table instead would spend the very server CPU the load is bound by. The table's
		// count below then checks that every item landed, once.
		deadline := time.Now().Add(5 * time.Minute)
		for {
			sent, _ := sample(scrape(b, "http://"+telemetry+"/metrics"), load.sent, "", "")
			if int64(sent) >= load.items {
				break
			}
			require.True(b, time.Now().Before(deadline), "%s not sent:\n%s", load.unit, col.Output())
			time.Sleep(20 * time.Millisecond)
		}
		elapsed := time.Since(start)
		clientEnd, err := selfCPU()
		require.NoError(b, err)
		require.NoError(b, col.Stop(30*time.Second))
		require.Equal(b, load.items, count(), "exactly once")
		collectorCPU, serverCPU, err := cpu.stop()
		require.NoError(b, err)

		raw, rawServerCPU := rawCopy(b, conn, cluster, load.table)
		_ = conn.Close(context.Background())

		e2eRate, rawRate := float64(load.items)/elapsed.Seconds(), float64(load.items)/raw.Seconds()
		b.ReportMetric(e2eRate, load.unit+"/s")
		b.ReportMetric(rawRate, "raw_copy_rows/s")
		b.ReportMetric(e2eRate/rawRate, "ratio")
		b.ReportMetric(collectorCPU.Seconds(), "collector_cpu_s")
		b.ReportMetric((clientEnd - client).Seconds(), "client_cpu_s")
		b.ReportMetric(serverCPU.Seconds(), "server_cpu_s")
		b.ReportMetric(rawServerCPU.Seconds(), "raw_copy_server_cpu_s")
		b.ReportMetric(elapsed.Seconds(), "e2e_s")
	}
}

// rawCopy dumps table with a server-side binary COPY and times loading the dump, again
// server-side, into a plain table with the same columns and indexes. It returns the time and the
// server's CPU the load took.
func rawCopy(b *testing.B, conn *pgx.Conn, cluster *pgtest.Cluster, table string) (elapsed, serverCPU time.Duration) {
	file := "'" + strings.ReplaceAll(filepath.Join(cluster.Dir(), "e2e_raw_copy.dat"), "'", "''") + "'"
	for _, sql := range []string{
		"CREATE TABLE raw_copy (LIKE " + table + " INCLUDING ALL)",
		"COPY (SELECT * FROM " + table + ") TO " + file + " WITH (FORMAT binary)",
		"CHECKPOINT",
	} {
		_, err := conn.Exec(b.Context(), sql)
		require.NoError(b, err, sql)
	}
	cpu, err := startCPU(b.Context(), conn)
	require.NoError(b, err)
	start := time.Now()
	_, err = conn.Exec(b.Context(), "COPY raw_copy FROM "+file+" WITH (FORMAT binary)")
	require.NoError(b, err)
	elapsed = time.Since(start)
	_, serverCPU, err = cpu.stop()
	require.NoError(b, err)
	return elapsed, serverCPU
}

// TestSendAll keeps the helpers other end-to-end tests load the collector with honest: every
// request accepted once, a refusal retried.
func TestSendAll(t *testing.T) {
	var attempts, accepted atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		req := ptraceotlp.NewExportRequest()
		body, err := io.ReadAll(r.Body)
		if err == nil {
			err = req.UnmarshalProto(body)
		}
		if err != nil || req.Traces().SpanCount() != 20 {
			http.Error(w, "want 10 two-span traces", http.StatusBadRequest)
			return
		}
		if attempts.Add(1)%2 == 1 {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		accepted.Add(1)
	}))
	t.Cleanup(srv.Close)
	reqs := make([][]byte, 8)
	for r := range reqs {
		reqs[r] = throughputTraces(r, 10, time.Now())
	}
	n, err := sendAll(t.Context(), srv.URL+"/v1/traces", reqs, 2)
	require.NoError(t, err)
	require.Equal(t, int64(len(reqs)), n)
	require.Equal(t, int64(len(reqs)), accepted.Load())
}
