package postgresexporter

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/otelcol-diagnostics/otelcol-diagnostics/internal/pgtest"
)

// planNode is the part of EXPLAIN (FORMAT JSON) the tests look at.
type planNode struct {
	NodeType     string     `json:"Node Type"`
	RelationName string     `json:"Relation Name"`
	IndexName    string     `json:"Index Name"`
	Plans        []planNode `json:"Plans"`
}

func explain(t *testing.T, conn *pgx.Conn, query string, args ...any) []planNode {
	t.Helper()
	var out []byte
	require.NoError(t, conn.QueryRow(t.Context(), "EXPLAIN (FORMAT JSON) "+query, args...).Scan(&out))
	var plans []struct {
		Plan planNode `json:"Plan"`
	}
	require.NoError(t, json.Unmarshal(out, &plans))
	var flat []planNode
	var walk func(n planNode)
	walk = func(n planNode) {
		flat = append(flat, n)
		for _, c := range n.Plans {
			walk(c)
		}
	}
	walk(plans[0].Plan)
	return flat
}

var dayPartition = regexp.MustCompile(`_p\d{8}$`)

// assertIndexed checks that the day partition holding the data of table is read through an
// index named like indexPart, never scanned sequentially (empty partitions may be).
func assertIndexed(t *testing.T, nodes []planNode, partition, indexPart string) {
	t.Helper()
	table := strings.TrimSuffix(dayPartition.ReplaceAllString(partition, ""), "_")
	used := false
	for _, n := range nodes {
		if n.RelationName != partition {
			continue
		}
		assert.NotEqual(t, "Seq Scan", n.NodeType, "sequential scan of %s", n.RelationName)
		if strings.Contains(n.IndexName, indexPart) {
			used = true
		}
	}
	for _, n := range nodes {
		if n.NodeType == "Bitmap Index Scan" && strings.HasPrefix(n.IndexName, table) && strings.Contains(n.IndexName, indexPart) {
			used = true
		}
	}
	assert.True(t, used, "no index scan with %s on %s: %+v", indexPart, table, nodes)
}

// TestGrafanaQueriesUseIndexes loads 5000 series of 50 metrics and 2000 traces, then checks the
// plans of the queries a Grafana panel sends: a 100-series time series panel on v_metrics, and a
// trace lookup on v_trace_spans.
func TestGrafanaQueriesUseIndexes(t *testing.T) {
	dsn := cluster.NewDatabase(t)
	e := startExporter(t, itConfig(dsn))
	et := startExporter(t, itConfig(dsn))
	base := time.Now().UTC().Truncate(day)

	md := pmetric.NewMetrics()
	sm := md.ResourceMetrics().AppendEmpty().ScopeMetrics().AppendEmpty()
	for m := range 50 {
		g := sm.Metrics().AppendEmpty()
		g.SetName(fmt.Sprintf("metric.%d", m))
		dps := g.SetEmptyGauge().DataPoints()
		for s := range 100 {
			for p := range 30 {
				dp := dps.AppendEmpty()
				dp.Attributes().PutInt("series", int64(s))
				dp.SetTimestamp(pcommon.NewTimestampFromTime(base.Add(time.Duration(p) * time.Minute)))
				dp.SetDoubleValue(float64(p))
			}
		}
	}
	require.NoError(t, e.pushMetrics(t.Context(), md))

	td := ptrace.NewTraces()
	ss := td.ResourceSpans().AppendEmpty().ScopeSpans().AppendEmpty()
	for tr := range 2000 {
		for s := range 5 {
			sp := ss.Spans().AppendEmpty()
			sp.SetTraceID(pcommon.TraceID{0: byte(tr >> 8), 1: byte(tr), 15: 1})
			sp.SetSpanID(pcommon.SpanID{0: byte(tr >> 8), 1: byte(tr), 7: byte(s + 1)})
			sp.SetName("op")
			sp.SetStartTimestamp(pcommon.NewTimestampFromTime(base.Add(time.Duration(tr) * time.Second)))
			sp.SetEndTimestamp(pcommon.NewTimestampFromTime(base.Add(time.Duration(tr)*time.Second + time.Millisecond)))
		}
	}
	require.NoError(t, et.pushTraces(t.Context(), td))

	conn := pgtest.Connect(t, dsn)
	_, err := conn.Exec(t.Context(), "ANALYZE")
	require.NoError(t, err)

	t.Run("v_metrics time series panel", func(t *testing.T) {
		q := `SELECT time, attributes->>'series' AS metric, value FROM otel.v_metrics
			WHERE metric_name = $1 AND time BETWEEN $2 AND $3 ORDER BY time`
		args := []any{"metric.3", base.Add(10 * time.Minute), base.Add(20 * time.Minute)}
		assertIndexed(t, explain(t, conn, q, args...), "metric_points_p"+base.Format("20060102"), "series_id_time")
		var n int
		rows, err := conn.Query(t.Context(), q, args...)
		require.NoError(t, err)
		for rows.Next() {
			n++
		}
		require.NoError(t, rows.Err())
		assert.Equal(t, 100*11, n, "100 series, 11 minutes each")
	})
	t.Run("v_trace_spans trace lookup", func(t *testing.T) {
		q := `SELECT * FROM otel.v_trace_spans WHERE "traceID" = $1 ORDER BY "startTime"`
		id := "04d20000000000000000000000000001" // trace 1234
		assertIndexed(t, explain(t, conn, q, id), "spans_p"+base.Format("20060102"), "trace_id")
		var n int
		require.NoError(t, conn.QueryRow(t.Context(), `SELECT count(*) FROM (`+q+`) s`, id).Scan(&n))
		assert.Equal(t, 5, n)
	})
}
