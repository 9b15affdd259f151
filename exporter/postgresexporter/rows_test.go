package postgresexporter

import (
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgtype"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/pdata/ptrace"
)

// columnOIDs are the PostgreSQL types of the contract's columns, by name.
var columnOIDs = map[string]uint32{
	"resource_id": pgtype.Int8OID, "record_hash": pgtype.Int8OID, "scope_id": pgtype.Int8OID, "series_id": pgtype.Int8OID,
	"service_name": pgtype.TextOID, "attributes": pgtype.JSONBOID, "schema_url": pgtype.TextOID,
	"name": pgtype.TextOID, "version": pgtype.TextOID, "metric_name": pgtype.TextOID,
	"description": pgtype.TextOID, "unit": pgtype.TextOID, "type": pgtype.TextOID,
	"temporality": pgtype.TextOID, "is_monotonic": pgtype.BoolOID,
	"time": pgtype.TimestamptzOID, "start_time": pgtype.TimestamptzOID, "end_time": pgtype.TimestamptzOID,
	"observed_time": pgtype.TimestamptzOID, "value": pgtype.Float8OID, "int_value": pgtype.Int8OID,
	"flags": pgtype.Int4OID, "exemplars": pgtype.JSONBOID, "count": pgtype.Int8OID,
	"sum": pgtype.Float8OID, "min": pgtype.Float8OID, "max": pgtype.Float8OID,
	"explicit_bounds": pgtype.Float8ArrayOID, "bucket_counts": pgtype.Int8ArrayOID,
	"scale": pgtype.Int4OID, "zero_count": pgtype.Int8OID, "zero_threshold": pgtype.Float8OID,
	"positive_offset": pgtype.Int4OID, "positive_bucket_counts": pgtype.Int8ArrayOID,
	"negative_offset": pgtype.Int4OID, "negative_bucket_counts": pgtype.Int8ArrayOID,
	"quantiles": pgtype.Float8ArrayOID, "quantile_values": pgtype.Float8ArrayOID,
	"trace_id": pgtype.TextOID, "span_id": pgtype.TextOID, "parent_span_id": pgtype.TextOID,
	"trace_state": pgtype.TextOID, "span_name": pgtype.TextOID, "span_kind": pgtype.TextOID,
	"duration": pgtype.Int8OID, "status_code": pgtype.TextOID, "status_message": pgtype.TextOID,
	"events": pgtype.JSONBOID, "links": pgtype.JSONBOID, "severity_number": pgtype.Int4OID,
	"severity_text": pgtype.TextOID, "body": pgtype.JSONBOID, "event_name": pgtype.TextOID,
}

// nullable lists the columns that may be NULL (all others are NOT NULL in the DDL).
var nullable = map[string]bool{
	"start_time": true, "observed_time": true, "int_value": true, "exemplars": true,
	"sum": true, "min": true, "max": true, "body": true,
}

type copiedTable struct {
	cols []string
	rows [][]any // decoded values, by column
}

// drain reads every row of every table through its CopyFromSource, encodes each
// value with pgx in the binary COPY format for the column's type, and decodes
// it back, as PostgreSQL would receive it.
func drain(t *testing.T, tables []copyTable) map[string]copiedTable {
	t.Helper()
	m := pgtype.NewMap()
	out := make(map[string]copiedTable)
	for _, tb := range tables {
		require.NotZero(t, tb.Rows, tb.Table)
		ct := copiedTable{cols: tb.Columns}
		for tb.Source.Next() {
			vals, err := tb.Source.Values()
			require.NoError(t, err)
			require.Len(t, vals, len(tb.Columns), tb.Table)
			row := make([]any, len(vals))
			for i, v := range vals {
				col := tb.Columns[i]
				oid, ok := columnOIDs[col]
				require.True(t, ok, "column %s", col)
				buf, err := m.Encode(oid, pgtype.BinaryFormatCode, v, make([]byte, 0, 64))
				require.NoError(t, err, "%s.%s %T", tb.Table, col, v)
				if buf == nil {
					require.True(t, nullable[col], "%s.%s is NULL", tb.Table, col)
					continue
				}
				typ, ok := m.TypeForOID(oid)
				require.True(t, ok)
				dec, err := typ.Codec.DecodeValue(m, oid, pgtype.BinaryFormatCode, buf)
				require.NoError(t, err, "%s.%s", tb.Table, col)
				row[i] = dec
			}
			ct.rows = append(ct.rows, row)
		}
		require.NoError(t, tb.Source.Err())
		require.Len(t, ct.rows, tb.Rows, tb.Table)
		out[tb.Table] = ct
	}
	return out
}

func (c copiedTable) get(row int, col string) any {
	for i, name := range c.cols {
		if name == col {
			return c.rows[row][i]
		}
	}
	panic("no column " + col)
}

func TestCopySourcesEncode(t *testing.T) {
	md := pmetric.NewMetrics()
	rm := md.ResourceMetrics().AppendEmpty()
	rm.Resource().Attributes().PutStr("service.name", "svc")
	ms := rm.ScopeMetrics().AppendEmpty().Metrics()
	g := ms.AppendEmpty()
	g.SetName("g")
	dp := g.SetEmptyGauge().DataPoints().AppendEmpty()
	dp.SetTimestamp(pcommon.Timestamp(1_700_000_000_123_456_789))
	dp.SetIntValue(1<<53 + 1)
	dp2 := g.Gauge().DataPoints().AppendEmpty()
	dp2.SetDoubleValue(2.5)
	dp2.SetStartTimestamp(1_000)
	ex := dp2.Exemplars().AppendEmpty()
	ex.SetDoubleValue(1)
	h := ms.AppendEmpty()
	h.SetName("h")
	hdp := h.SetEmptyHistogram().DataPoints().AppendEmpty()
	hdp.ExplicitBounds().FromRaw([]float64{1, 2})
	hdp.BucketCounts().FromRaw([]uint64{1, 2, 3})
	hdp.SetSum(6)
	e := ms.AppendEmpty()
	e.SetName("e")
	edp := e.SetEmptyExponentialHistogram().DataPoints().AppendEmpty()
	edp.Positive().BucketCounts().FromRaw([]uint64{4})
	edp.SetMin(-1)
	s := ms.AppendEmpty()
	s.SetName("s")
	sdp := s.SetEmptySummary().DataPoints().AppendEmpty()
	q := sdp.QuantileValues().AppendEmpty()
	q.SetQuantile(0.5)
	q.SetValue(7)

	rs := metricsToRows(md)
	got := drain(t, append(rs.dimensions(), rs.facts()...))
	require.Len(t, got, 7)
	pts := got[tablePoints]
	assert.Equal(t, int64(1<<53+1), pts.get(0, "int_value"))
	assert.Nil(t, pts.get(0, "start_time"))
	assert.Equal(t, time.Unix(1_700_000_000, 123_456_000).UTC(), pts.get(0, "time").(time.Time).UTC())
	assert.Nil(t, pts.get(1, "int_value"))
	assert.InDelta(t, 2.5, pts.get(1, "value"), 0)
	assert.NotNil(t, pts.get(1, "exemplars"))
	hist := got[tableHistograms]
	assert.Equal(t, []any{1.0, 2.0}, hist.get(0, "explicit_bounds"))
	assert.Equal(t, []any{int64(1), int64(2), int64(3)}, hist.get(0, "bucket_counts"))
	assert.Nil(t, hist.get(0, "min"))
	exp := got[tableExpHistograms]
	assert.Equal(t, []any{}, exp.get(0, "negative_bucket_counts"))
	assert.InDelta(t, -1.0, exp.get(0, "min"), 0)
	assert.Equal(t, []any{0.5}, got[tableSummaries].get(0, "quantiles"))
	assert.Equal(t, "svc", got[tableSeries].get(0, "service_name"))

	td := ptrace.NewTraces()
	sp := td.ResourceSpans().AppendEmpty().ScopeSpans().AppendEmpty().Spans().AppendEmpty()
	sp.SetTraceID(pcommon.TraceID{0x01, 15: 0xff})
	sp.SetSpanID(pcommon.SpanID{0xab, 7: 0x01})
	trs := tracesToRows(td)
	spans := drain(t, trs.facts())[tableSpans]
	assert.Equal(t, "01000000000000000000000000000000ff"[:30]+"ff", spans.get(0, "trace_id"))
	assert.Equal(t, "ab00000000000001", spans.get(0, "span_id"))
	assert.Empty(t, spans.get(0, "parent_span_id"))
	assert.Equal(t, []any{}, spans.get(0, "events"))
	assert.Len(t, drain(t, trs.dimensions()), 2)

	ld := plog.NewLogs()
	lr := ld.ResourceLogs().AppendEmpty().ScopeLogs().AppendEmpty().LogRecords().AppendEmpty()
	lr.SetSpanID(pcommon.SpanID{7: 9})
	logs := drain(t, logsToRows(ld).facts())[tableLogs]
	assert.Nil(t, logs.get(0, "body"))
	assert.Nil(t, logs.get(0, "observed_time"))
	assert.Empty(t, logs.get(0, "trace_id"))
	assert.Equal(t, "0000000000000009", logs.get(0, "span_id"))
}

func TestEmptyRowSet(t *testing.T) {
	assert.Empty(t, metricsToRows(pmetric.NewMetrics()).facts())
	assert.Empty(t, metricsToRows(pmetric.NewMetrics()).dimensions())
	assert.Empty(t, tracesToRows(ptrace.NewTraces()).facts())
	assert.Empty(t, logsToRows(plog.NewLogs()).facts())
}

func TestClampInt64(t *testing.T) {
	for _, tc := range []struct {
		in   uint64
		want int64
	}{
		{0, 0},
		{1 << 62, 1 << 62},
		{1<<63 - 1, 1<<63 - 1},
		{1 << 63, 1<<63 - 1},
		{^uint64(0), 1<<63 - 1},
	} {
		assert.Equal(t, tc.want, clampInt64(tc.in), "%d", tc.in)
	}
}

func TestToTime(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   pcommon.Timestamp
		want time.Time
	}{
		{"epoch", 0, time.Unix(0, 0).UTC()},
		{"truncated to µs", 1_700_000_000_123_456_999, time.Unix(1_700_000_000, 123_456_000).UTC()},
		{"beyond int64 clamped", pcommon.Timestamp(^uint64(0)), time.Unix(0, (1<<63-1)/1000*1000).UTC()},
	} {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, toTime(tc.in))
		})
	}
	assert.True(t, toOptTime(0).IsZero())
	assert.Equal(t, time.Unix(0, 1000).UTC(), toOptTime(1999))
}
