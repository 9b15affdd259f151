package postgresexporter

import (
	"encoding/hex"
	"math"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
	"go.opentelemetry.io/collector/pdata/pcommon"
)

// Table names (unqualified; the exporter qualifies them with the configured schema).
const (
	tableResources         = "resources"
	tableScopes            = "scopes"
	tableSeries            = "metric_series"
	tablePoints            = "metric_points"
	tableHistograms        = "metric_histogram_points"
	tableExpHistograms     = "metric_exp_histogram_points"
	tableSummaries         = "metric_summary_points"
	tableSpans             = "spans"
	tableLogs              = "logs"
	metricTypeGauge        = "gauge"
	metricTypeSum          = "sum"
	metricTypeHistogram    = "histogram"
	metricTypeExpHistogram = "exponential_histogram"
	metricTypeSummary      = "summary"
	serviceNameKey         = "service.name"
)

// COPY column orders. They are read-only: the DDL, the COPY calls and the
// CopyFromSource implementations below all follow them.
//
// NULL is written only where noted in the row types: start_time and
// observed_time when the OTLP timestamp is 0; int_value for double points;
// sum/min/max when the point does not carry them; exemplars when there are
// none; logs.body when the body is empty. Every other column is always set.
var (
	resourceColumns = []string{"resource_id", "service_name", "attributes", "schema_url"}
	scopeColumns    = []string{"scope_id", "name", "version", "attributes", "schema_url"}
	seriesColumns   = []string{
		"series_id", "metric_name", "service_name", "description", "unit", "type",
		"temporality", "is_monotonic", "attributes", "resource_id", "scope_id",
	}
	pointColumns = []string{
		"series_id", "time", "start_time", "value", "int_value", "flags", "exemplars",
	}
	histogramColumns = []string{
		"series_id", "time", "start_time", "count", "sum", "min", "max",
		"explicit_bounds", "bucket_counts", "flags", "exemplars",
	}
	expHistogramColumns = []string{
		"series_id", "time", "start_time", "count", "sum", "min", "max",
		"scale", "zero_count", "zero_threshold",
		"positive_offset", "positive_bucket_counts", "negative_offset", "negative_bucket_counts",
		"flags", "exemplars",
	}
	summaryColumns = []string{
		"series_id", "time", "start_time", "count", "sum", "quantiles", "quantile_values", "flags",
	}
	spanColumns = []string{
		"trace_id", "span_id", "parent_span_id", "trace_state", "service_name", "span_name",
		"span_kind", "start_time", "end_time", "duration", "status_code", "status_message",
		"attributes", "events", "links", "resource_id", "scope_id",
	}
	logColumns = []string{
		"time", "observed_time", "trace_id", "span_id", "flags", "severity_number",
		"severity_text", "service_name", "body", "attributes", "event_name",
		"resource_id", "scope_id",
	}
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
// timestamp when the former is 0. Body nil is NULL (empty body).
type logRow struct {
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

// sliceSource is a pgx.CopyFromSource over a typed slice with one reused []any.
// pgx encodes the values of a row before it calls Next again, so reuse is safe.
type sliceSource[T any] struct {
	rows []T
	i    int
	vals []any
	enc  func(*T, []any)
}

func (s *sliceSource[T]) Next() bool {
	if s.i >= len(s.rows) {
		return false
	}
	s.i++
	return true
}

func (s *sliceSource[T]) Values() ([]any, error) {
	s.enc(&s.rows[s.i-1], s.vals)
	return s.vals, nil
}

func (*sliceSource[T]) Err() error { return nil }

// Values are handed to pgx as pointers into the row, converted to the adapter
// types below. pgx's codecs accept them through their Valuer interfaces without
// reflection, so a field is encoded in place: no boxing allocation per value,
// which would otherwise be the bulk of the conversion's garbage. Rows must not
// move while a source is being read (they do not: the slices are never appended
// to after conversion).
type (
	pgInt8   int64
	pgInt4   int32
	pgFloat8 float64
	pgBool   bool
	pgText   string
	pgTime   time.Time
)

func (p *pgInt8) Int64Value() (pgtype.Int8, error) {
	return pgtype.Int8{Int64: int64(*p), Valid: true}, nil
}

func (p *pgInt4) Int64Value() (pgtype.Int8, error) {
	return pgtype.Int8{Int64: int64(*p), Valid: true}, nil
}

func (p *pgFloat8) Float64Value() (pgtype.Float8, error) {
	return pgtype.Float8{Float64: float64(*p), Valid: true}, nil
}

func (p *pgBool) BoolValue() (pgtype.Bool, error) {
	return pgtype.Bool{Bool: bool(*p), Valid: true}, nil
}

func (p *pgText) TextValue() (pgtype.Text, error) {
	return pgtype.Text{String: string(*p), Valid: true}, nil
}

func (p *pgTime) TimestamptzValue() (pgtype.Timestamptz, error) {
	return pgtype.Timestamptz{Time: time.Time(*p), Valid: true}, nil
}

func i8(p *int64) any     { return (*pgInt8)(p) }
func i4(p *int32) any     { return (*pgInt4)(p) }
func f8(p *float64) any   { return (*pgFloat8)(p) }
func boolean(p *bool) any { return (*pgBool)(p) }
func text(p *string) any  { return (*pgText)(p) }
func ts(p *time.Time) any { return (*pgTime)(p) }

// optTS maps the zero time.Time (an OTLP timestamp of 0 for optional times) to NULL.
func optTS(p *time.Time) any {
	if p.IsZero() {
		return nil
	}
	return (*pgTime)(p)
}

func optF8(o *optFloat) any {
	if !o.Valid {
		return nil
	}
	return (*pgFloat8)(&o.V)
}

// nullJSON maps a nil document to NULL. A typed nil []byte would also be NULL in
// pgx, but an untyped nil skips encoding altogether.
func nullJSON(b []byte) any {
	if b == nil {
		return nil
	}
	return b
}

func encodeResource(r *resourceRow, v []any) {
	v[0], v[1], v[2], v[3] = i8(&r.ID), text(&r.ServiceName), r.Attributes, text(&r.SchemaURL)
}

func encodeScope(r *scopeRow, v []any) {
	v[0], v[1], v[2], v[3], v[4] = i8(&r.ID), text(&r.Name), text(&r.Version), r.Attributes, text(&r.SchemaURL)
}

func encodeSeries(r *seriesRow, v []any) {
	v[0], v[1], v[2], v[3] = i8(&r.ID), text(&r.MetricName), text(&r.ServiceName), text(&r.Description)
	v[4], v[5], v[6], v[7] = text(&r.Unit), text(&r.Type), text(&r.Temporality), boolean(&r.IsMonotonic)
	v[8], v[9], v[10] = r.Attributes, i8(&r.ResourceID), i8(&r.ScopeID)
}

func encodePoint(r *pointRow, v []any) {
	v[0], v[1], v[2], v[3] = i8(&r.SeriesID), ts(&r.Time), optTS(&r.StartTime), f8(&r.Value)
	if r.HasInt {
		v[4] = i8(&r.IntValue)
	} else {
		v[4] = nil
	}
	v[5], v[6] = i4(&r.Flags), nullJSON(r.Exemplars)
}

func encodeHistogram(r *histogramRow, v []any) {
	v[0], v[1], v[2], v[3] = i8(&r.SeriesID), ts(&r.Time), optTS(&r.StartTime), i8(&r.Count)
	v[4], v[5], v[6] = optF8(&r.Sum), optF8(&r.Min), optF8(&r.Max)
	v[7], v[8], v[9], v[10] = r.ExplicitBounds, r.BucketCounts, i4(&r.Flags), nullJSON(r.Exemplars)
}

func encodeExpHistogram(r *expHistogramRow, v []any) {
	v[0], v[1], v[2], v[3] = i8(&r.SeriesID), ts(&r.Time), optTS(&r.StartTime), i8(&r.Count)
	v[4], v[5], v[6] = optF8(&r.Sum), optF8(&r.Min), optF8(&r.Max)
	v[7], v[8], v[9] = i4(&r.Scale), i8(&r.ZeroCount), f8(&r.ZeroThreshold)
	v[10], v[11] = i4(&r.PositiveOffset), r.PositiveBucketCounts
	v[12], v[13] = i4(&r.NegativeOffset), r.NegativeBucketCounts
	v[14], v[15] = i4(&r.Flags), nullJSON(r.Exemplars)
}

func encodeSummary(r *summaryRow, v []any) {
	v[0], v[1], v[2], v[3] = i8(&r.SeriesID), ts(&r.Time), optTS(&r.StartTime), i8(&r.Count)
	v[4], v[5], v[6], v[7] = f8(&r.Sum), r.Quantiles, r.QuantileValues, i4(&r.Flags)
}

// spanSource hex-encodes the ids into reused buffers at COPY time.
type spanSource struct {
	sliceSource[spanRow]
	traceHex  [32]byte
	spanHex   [16]byte
	parentHex [16]byte
}

func (s *spanSource) Values() ([]any, error) {
	r, v := &s.rows[s.i-1], s.vals
	v[0] = hexID(s.traceHex[:], r.TraceID[:])
	v[1] = hexID(s.spanHex[:], r.SpanID[:])
	v[2] = hexID(s.parentHex[:], r.ParentSpanID[:])
	v[3], v[4], v[5], v[6] = text(&r.TraceState), text(&r.ServiceName), text(&r.SpanName), text(&r.SpanKind)
	v[7], v[8], v[9] = ts(&r.StartTime), ts(&r.EndTime), i8(&r.Duration)
	v[10], v[11] = text(&r.StatusCode), text(&r.StatusMessage)
	v[12], v[13], v[14], v[15], v[16] = r.Attributes, r.Events, r.Links, i8(&r.ResourceID), i8(&r.ScopeID)
	return v, nil
}

// logSource hex-encodes the ids into reused buffers at COPY time.
type logSource struct {
	sliceSource[logRow]
	traceHex [32]byte
	spanHex  [16]byte
}

func (s *logSource) Values() ([]any, error) {
	r, v := &s.rows[s.i-1], s.vals
	v[0], v[1] = ts(&r.Time), optTS(&r.ObservedTime)
	v[2] = hexID(s.traceHex[:], r.TraceID[:])
	v[3] = hexID(s.spanHex[:], r.SpanID[:])
	v[4], v[5], v[6], v[7] = i4(&r.Flags), i4(&r.SeverityNumber), text(&r.SeverityText), text(&r.ServiceName)
	v[8], v[9], v[10] = nullJSON(r.Body), r.Attributes, text(&r.EventName)
	v[11], v[12] = i8(&r.ResourceID), i8(&r.ScopeID)
	return v, nil
}

// hexID writes id as lowercase hex into dst (2*len(id) bytes) and returns it,
// or an empty text value when id is all zeros.
func hexID(dst, id []byte) []byte {
	for _, b := range id {
		if b != 0 {
			hex.Encode(dst, id)
			return dst
		}
	}
	return dst[:0]
}

// converter builds one rowSet. JSON documents and numeric arrays are carved out
// of chunked arenas (each row gets a capacity-capped sub-slice), so a push costs
// a handful of allocations, not several per row, and nothing is copied when an
// arena fills up: a new chunk is started and the old one stays with its rows.
type converter struct {
	rs        *rowSet
	ids       idHasher
	json      []byte
	jsonChunk int
	floats    []float64
	ints      []int64
	resources map[int64]struct{}
	scopes    map[int64]struct{}
	series    map[int64]struct{}
}

const (
	maxJSONChunk  = 64 << 10 // bytes
	minJSONRoom   = 1 << 10  // start a new chunk below this much room; larger documents grow the chunk
	numberChunk   = 4 << 10  // elements
	minFirstChunk = 4 << 10
)

// newConverter returns a converter whose first JSON chunk holds about jsonBytes.
func newConverter(jsonBytes int) *converter {
	return &converter{
		rs:        &rowSet{},
		jsonChunk: min(max(jsonBytes, minFirstChunk), maxJSONChunk),
		resources: make(map[int64]struct{}),
		scopes:    make(map[int64]struct{}),
	}
}

// docStart makes room for a JSON document and returns its start offset.
func (c *converter) docStart() int {
	if cap(c.json)-len(c.json) < minJSONRoom {
		c.json = make([]byte, 0, c.jsonChunk)
		c.jsonChunk = maxJSONChunk
	}
	return len(c.json)
}

// doc returns the JSON document written into the arena since start.
func (c *converter) doc(start int) []byte {
	return c.json[start:len(c.json):len(c.json)]
}

// floatRoom and intRoom make room for n more array elements.
func (c *converter) floatRoom(n int) {
	if cap(c.floats)-len(c.floats) < n {
		c.floats = make([]float64, 0, max(n, numberChunk))
	}
}

func (c *converter) intRoom(n int) {
	if cap(c.ints)-len(c.ints) < n {
		c.ints = make([]int64, 0, max(n, numberChunk))
	}
}

func (c *converter) jsonMap(m pcommon.Map) []byte {
	start := c.docStart()
	c.json = appendMapJSON(c.json, m)
	return c.doc(start)
}

// resource returns the resource's id and service name, adding its row on first sight.
func (c *converter) resource(res pcommon.Resource, schemaURL string) (int64, string) {
	attrs := res.Attributes()
	service := ""
	if v, ok := attrs.Get(serviceNameKey); ok {
		service = sanitize(v.AsString())
	}
	id := c.ids.resourceID(schemaURL, attrs)
	if _, ok := c.resources[id]; !ok {
		c.resources[id] = struct{}{}
		c.rs.Resources = append(c.rs.Resources, resourceRow{
			ID:          id,
			ServiceName: service,
			Attributes:  c.jsonMap(attrs),
			SchemaURL:   sanitize(schemaURL),
		})
	}
	return id, service
}

// scope returns the scope's id, adding its row on first sight.
func (c *converter) scope(sc pcommon.InstrumentationScope, schemaURL string) int64 {
	id := c.ids.scopeID(sc, schemaURL)
	if _, ok := c.scopes[id]; !ok {
		c.scopes[id] = struct{}{}
		c.rs.Scopes = append(c.rs.Scopes, scopeRow{
			ID:         id,
			Name:       sanitize(sc.Name()),
			Version:    sanitize(sc.Version()),
			Attributes: c.jsonMap(sc.Attributes()),
			SchemaURL:  sanitize(schemaURL),
		})
	}
	return id
}

// Timestamps: timestamptz holds microseconds, so sub-microsecond digits are
// truncated (not rounded). Timestamps beyond int64 nanoseconds (year 2262) are clamped.

func toTime(ts pcommon.Timestamp) time.Time {
	ns := clampInt64(uint64(ts))
	return time.Unix(0, ns-ns%1000).UTC()
}

// toOptTime maps an OTLP timestamp of 0 (absent) to the zero time.Time, written as NULL.
func toOptTime(ts pcommon.Timestamp) time.Time {
	if ts == 0 {
		return time.Time{}
	}
	return toTime(ts)
}

// clampInt64 stores a uint64 count in a bigint: values above math.MaxInt64 become math.MaxInt64.
func clampInt64(u uint64) int64 {
	if u > math.MaxInt64 {
		return math.MaxInt64
	}
	return int64(u)
}

// flags32 keeps the bit pattern of uint32 OTLP flags in an int column.
func flags32(f uint32) int32 {
	return int32(f) //nolint:gosec // bit pattern, not a quantity
}
