package e2e

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/pdata/ptrace/ptraceotlp"

	"github.com/otelcol-diagnostics/otelcol-diagnostics/internal/e2etest"
	"github.com/otelcol-diagnostics/otelcol-diagnostics/internal/pgtest"
)

// throughputTraces builds request r of a load: perRequest two-span traces (a root and a child),
// ids unique across the load, attributes like an instrumented HTTP service's.
func throughputTraces(r, perRequest int, now time.Time) []byte {
	td := ptrace.NewTraces()
	rs := td.ResourceSpans().AppendEmpty()
	rs.Resource().Attributes().PutStr("service.name", "loadgen")
	rs.Resource().Attributes().PutStr("host.name", "bench-1")
	spans := rs.ScopeSpans().AppendEmpty().Spans()
	for i := range perRequest {
		n := uint64(r*perRequest + i + 1)
		var tid pcommon.TraceID
		binary.BigEndian.PutUint64(tid[8:], n)
		for s := range 2 {
			sp := spans.AppendEmpty()
			var sid pcommon.SpanID
			binary.BigEndian.PutUint64(sid[:], n<<1|uint64(s))
			sp.SetTraceID(tid)
			sp.SetSpanID(sid)
			if s == 1 {
				var parent pcommon.SpanID
				binary.BigEndian.PutUint64(parent[:], n<<1)
				sp.SetParentSpanID(parent)
			}
			sp.SetName("GET /api/orders")
			sp.SetKind(ptrace.SpanKindServer)
			sp.SetStartTimestamp(pcommon.NewTimestampFromTime(now))
			sp.SetEndTimestamp(pcommon.NewTimestampFromTime(now.Add(time.Millisecond)))
			sp.Attributes().PutStr("http.route", "/api/orders")
			sp.Attributes().PutInt("http.response.status_code", 200)
			sp.Attributes().PutStr("net.peer.name", "client-7")
		}
	}
	b, err := ptraceotlp.NewExportRequestFromTraces(td).MarshalProto()
	if err != nil {
		panic(err) // a freshly built request always marshals
	}
	return b
}

// sendAll posts every request to url with inFlight requests in flight, each retried until the
// collector accepts it (2xx), and returns how many were accepted.
func sendAll(ctx context.Context, url string, reqs [][]byte, inFlight int) (int64, error) {
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: inFlight}}
	defer client.CloseIdleConnections()
	var accepted atomic.Int64
	var next atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, inFlight)
	for range inFlight {
		wg.Go(func() {
			for {
				i := int(next.Add(1)) - 1
				if i >= len(reqs) {
					return
				}
				for {
					if ctx.Err() != nil {
						errs <- ctx.Err()
						return
					}
					req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(reqs[i]))
					if err != nil {
						errs <- err
						return
					}
					req.Header.Set("Content-Type", "application/x-protobuf")
					resp, err := client.Do(req)
					if err == nil {
						_ = resp.Body.Close()
						if resp.StatusCode/100 == 2 {
							accepted.Add(1)
							break
						}
					}
					time.Sleep(10 * time.Millisecond) // 429/503 or a refused connection: retry
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	return accepted.Load(), <-errs
}

// BenchmarkPostgresEndToEnd sends 100,000 two-span traces through the built collector (OTLP/HTTP
// receiver → postgres exporter, default settings) with a client that sends whole requests, 4 in
// flight, and retries until accepted, and times until the database holds every span. Then, in
// the same run, it loads the very same rows with a raw server-side binary COPY into a table with
// the same indexes, and reports both rates and their ratio; with attribute_index on (the
// default) and off. Run it once:
//
//	OTELCOL_BINARY=$PWD/bin/otelcol-diagnostics go test -run '^$' -bench PostgresEndToEnd -benchtime 1x ./e2e/
func BenchmarkPostgresEndToEnd(b *testing.B) {
	const traces, perRequest, inFlight = 100_000, 500, 4
	const spans = traces * 2
	cluster, err := pgtest.Start()
	require.NoError(b, err)
	b.Cleanup(func() { _ = cluster.Close() })
	now := time.Now()
	reqs := make([][]byte, traces/perRequest)
	for r := range reqs {
		reqs[r] = throughputTraces(r, perRequest, now)
	}
	for _, index := range []bool{true, false} {
		b.Run(fmt.Sprintf("attribute_index=%t", index), func(b *testing.B) {
			benchEndToEnd(b, cluster, reqs, spans, inFlight, index)
		})
	}
}

func benchEndToEnd(b *testing.B, cluster *pgtest.Cluster, reqs [][]byte, spans int64, inFlight int, attributeIndex bool) {
	for b.Loop() {
		dsn := cluster.NewDatabase(b)
		otlp, health := e2etest.FreeAddr(b), e2etest.FreeAddr(b)
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
    attribute_index: %t
service:
  extensions: [health_check]
  telemetry:
    metrics:
      level: none
  pipelines:
    traces:
      receivers: [otlp]
      exporters: [postgres]
`, health, otlp, attributeIndex), "POSTGRES_DSN="+dsn)
		col.WaitHTTP("http://"+health+"/", 30*time.Second)
		conn, err := pgx.Connect(b.Context(), dsn)
		require.NoError(b, err)
		count := func() int64 {
			var n int64
			if err := conn.QueryRow(b.Context(), "SELECT count(*) FROM otel.spans").Scan(&n); err != nil {
				return -1 // not migrated yet
			}
			return n
		}
		// Migrations and partitions out of the way before the clock starts.
		e2etest.Eventually(b, 30*time.Second, func() bool { return count() == 0 }, "schema not migrated:\n%s", col.Output())

		start := time.Now()
		accepted, err := sendAll(b.Context(), "http://"+otlp+"/v1/traces", reqs, inFlight)
		require.NoError(b, err)
		require.Equal(b, int64(len(reqs)), accepted)
		e2etest.Eventually(b, 5*time.Minute, func() bool { return count() >= spans }, "spans did not land:\n%s", col.Output())
		elapsed := time.Since(start)
		require.NoError(b, col.Stop(30*time.Second))
		require.Equal(b, spans, count(), "exactly once")

		file := "'" + strings.ReplaceAll(filepath.Join(cluster.Dir(), "e2e_raw_copy.dat"), "'", "''") + "'"
		for _, sql := range []string{
			"CREATE TABLE raw_copy (LIKE otel.spans INCLUDING ALL)",
			"COPY (SELECT * FROM otel.spans) TO " + file + " WITH (FORMAT binary)",
			"CHECKPOINT",
		} {
			_, err := conn.Exec(b.Context(), sql)
			require.NoError(b, err, sql)
		}
		rawStart := time.Now()
		_, err = conn.Exec(b.Context(), "COPY raw_copy FROM "+file+" WITH (FORMAT binary)")
		require.NoError(b, err)
		raw := time.Since(rawStart)
		_ = conn.Close(context.Background())

		e2eRate, rawRate := float64(spans)/elapsed.Seconds(), float64(spans)/raw.Seconds()
		b.ReportMetric(e2eRate, "spans/s")
		b.ReportMetric(rawRate, "raw_copy_rows/s")
		b.ReportMetric(e2eRate/rawRate, "ratio")
	}
}
