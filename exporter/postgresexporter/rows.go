package postgresexporter

import (
	"time"

	"github.com/jackc/pgx/v5"
)

// resourceRow is one row of resources. Attributes is a JSON object.
type resourceRow struct {
	ID          int64
	ServiceName string
	Attributes  []byte
	SchemaURL   string
}

// scopeRow is one row of scopes.
type scopeRow struct {
	ID         int64
	Name       string
	Version    string
	Attributes []byte
	SchemaURL  string
}

// seriesRow is one row of metric_series.
type seriesRow struct {
	ID          int64
	MetricName  string
	ServiceName string
	Description string
	Unit        string
	Type        string // gauge | sum | histogram | exponential_histogram | summary
	Temporality string // cumulative | delta | unspecified
	IsMonotonic bool
	Attributes  []byte
	ResourceID  int64
	ScopeID     int64
}

// optFloat is a float8 column that is NULL when !Valid.
type optFloat struct {
	V     float64
	Valid bool
}

// pointRow is one row of metric_points (gauge and sum points).
// IntValue is set (HasInt) for int points: the exact value, beside Value as float8.
// A zero StartTime is written as NULL; Exemplars nil is NULL.
type pointRow struct {
	SeriesID  int64
	Time      time.Time
	StartTime time.Time
	Value     float64
	IntValue  int64
	HasInt    bool
	Flags     int32
	Exemplars []byte
}

// histogramRow is one row of metric_histogram_points.
type histogramRow struct {
	SeriesID       int64
	Time           time.Time
	StartTime      time.Time
	Count          int64
	Sum            optFloat
	Min            optFloat
	Max            optFloat
	ExplicitBounds []float64
	BucketCounts   []int64
	Flags          int32
	Exemplars      []byte
}

// expHistogramRow is one row of metric_exp_histogram_points.
type expHistogramRow struct {
	SeriesID             int64
	Time                 time.Time
	StartTime            time.Time
	Count                int64
	Sum                  optFloat
	Min                  optFloat
	Max                  optFloat
	Scale                int32
	ZeroCount            int64
	ZeroThreshold        float64
	PositiveOffset       int32
	PositiveBucketCounts []int64
	NegativeOffset       int32
	NegativeBucketCounts []int64
	Flags                int32
	Exemplars            []byte
}

// summaryRow is one row of metric_summary_points.
type summaryRow struct {
	SeriesID       int64
	Time           time.Time
	StartTime      time.Time
	Count          int64
	Sum            float64
	Quantiles      []float64
	QuantileValues []float64
	Flags          int32
}

// spanRow is one row of spans. The ids are written as lowercase hex text,
// empty (”) when the id is all zeros (e.g. parent_span_id of a root span).
type spanRow struct {
	TraceID       [16]byte
	SpanID        [8]byte
	ParentSpanID  [8]byte
	TraceState    string
	ServiceName   string
	SpanName      string
	SpanKind      string // Unspecified | Internal | Server | Client | Producer | Consumer
	StartTime     time.Time
	EndTime       time.Time
	Duration      int64  // nanoseconds, end - start as sent
	StatusCode    string // Unset | Ok | Error
	StatusMessage string
	Attributes    []byte
	Events        []byte // JSON array of {time, name, attributes}
	Links         []byte // JSON array of {trace_id, span_id, trace_state, attributes}
	ResourceID    int64
	ScopeID       int64
}

// logRow is one row of logs. Time is the record's timestamp, or its observed
// timestamp when the former is 0. Body nil is NULL (empty body). RecordHash is
// the record's identity beside Time (see idHasher.logHash).
type logRow struct {
	RecordHash     int64
	Time           time.Time
	ObservedTime   time.Time
	TraceID        [16]byte
	SpanID         [8]byte
	Flags          int32
	SeverityNumber int32
	SeverityText   string
	ServiceName    string
	Body           []byte
	Attributes     []byte
	EventName      string
	ResourceID     int64
	ScopeID        int64
}

// rowSet holds one push's rows, table by table. Dimension rows are deduplicated within the push.
type rowSet struct {
	Resources     []resourceRow
	Scopes        []scopeRow
	Series        []seriesRow
	Points        []pointRow
	Histograms    []histogramRow
	ExpHistograms []expHistogramRow
	Summaries     []summaryRow
	Spans         []spanRow
	Logs          []logRow
}

// copyTable is one table's rows ready for pgx CopyFrom. Its Source is read
// once; call dimensions or facts again for another attempt.
type copyTable struct {
	Table   string   // unqualified table name, e.g. "metric_points"
	Columns []string // COPY column order
	Rows    int
	Source  pgx.CopyFromSource
}

// dimensions returns the non-empty dimension tables: resources, scopes, metric_series.
func (r *rowSet) dimensions() []copyTable {
	var out []copyTable
	out = appendTable(out, tableResources, resourceColumns, r.Resources, encodeResource)
	out = appendTable(out, tableScopes, scopeColumns, r.Scopes, encodeScope)
	out = appendTable(out, tableSeries, seriesColumns, r.Series, encodeSeries)
	return out
}

// facts returns the non-empty point, span and log tables.
func (r *rowSet) facts() []copyTable {
	var out []copyTable
	out = appendTable(out, tablePoints, pointColumns, r.Points, encodePoint)
	out = appendTable(out, tableHistograms, histogramColumns, r.Histograms, encodeHistogram)
	out = appendTable(out, tableExpHistograms, expHistogramColumns, r.ExpHistograms, encodeExpHistogram)
	out = appendTable(out, tableSummaries, summaryColumns, r.Summaries, encodeSummary)
	if len(r.Spans) > 0 {
		s := &spanSource{}
		s.rows = r.Spans
		s.vals = make([]any, len(spanColumns))
		out = append(out, copyTable{Table: tableSpans, Columns: spanColumns, Rows: len(r.Spans), Source: s})
	}
	if len(r.Logs) > 0 {
		s := &logSource{}
		s.rows = r.Logs
		s.vals = make([]any, len(logColumns))
		out = append(out, copyTable{Table: tableLogs, Columns: logColumns, Rows: len(r.Logs), Source: s})
	}
	return out
}

func appendTable[T any](out []copyTable, table string, cols []string, rows []T, enc func(*T, []any)) []copyTable {
	if len(rows) == 0 {
		return out
	}
	src := &sliceSource[T]{rows: rows, vals: make([]any, len(cols)), enc: enc}
	return append(out, copyTable{Table: table, Columns: cols, Rows: len(rows), Source: src})
}
