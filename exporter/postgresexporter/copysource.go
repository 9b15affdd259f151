package postgresexporter

import (
	"encoding/hex"
	"time"

	"github.com/jackc/pgx/v5/pgtype"
)

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

// rewind makes the source read its rows again from the first (see copyFact).
func (s *sliceSource[T]) rewind() { s.i = 0 }

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
	v[11], v[12], v[13] = i8(&r.ResourceID), i8(&r.ScopeID), i8(&r.RecordHash)
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
