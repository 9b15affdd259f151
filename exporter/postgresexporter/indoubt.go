package postgresexporter // import "github.com/otelcol-diagnostics/otelcol-diagnostics/exporter/postgresexporter"

import (
	"crypto/rand"
	"encoding/binary"
	"errors"
	"math"
	"sync"
	"time"

	"github.com/cespare/xxhash/v2"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgtype"
)

// A COMMIT whose answer is lost (the connection drops at that instant) leaves the write in doubt:
// it may or may not have been applied. Retrying blindly could store the request twice, dropping it
// could lose it. So every write inserts a random token into export_commits in its transaction,
// and an in-doubt write is remembered by the fingerprint of its rows; when exporterhelper retries
// the same request, the exporter first looks the token up and skips the write if it committed.

// maxInDoubt bounds the remembered in-doubt writes (one per request in retry at most).
const maxInDoubt = 1024

// commitTokenRetention is how long export_commits rows are kept: far longer than any retry.
const commitTokenRetention = 24 * time.Hour

type commitToken [16]byte

func newCommitToken() (commitToken, error) {
	var t commitToken
	if _, err := rand.Read(t[:]); err != nil {
		return t, err
	}
	t[6] = (t[6] & 0x0f) | 0x40 // UUID version 4
	t[8] = (t[8] & 0x3f) | 0x80 // RFC 4122 variant
	return t, nil
}

// param is the token as a query parameter typed uuid: pgx's exec mode (see pool.go) types
// parameters by their Go type, and a named [16]byte has none.
func (t commitToken) param() pgtype.UUID { return pgtype.UUID{Bytes: t, Valid: true} }

// inDoubtWrites maps request fingerprints to the token of their in-doubt commit.
type inDoubtWrites struct {
	mu      sync.Mutex
	pending map[uint64]commitToken
}

func newInDoubtWrites() *inDoubtWrites {
	return &inDoubtWrites{pending: map[uint64]commitToken{}}
}

func (d *inDoubtWrites) put(fp uint64, tok commitToken) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if len(d.pending) >= maxInDoubt {
		for k := range d.pending { // forget an arbitrary one: its retry then writes again
			delete(d.pending, k)
			break
		}
	}
	d.pending[fp] = tok
}

func (d *inDoubtWrites) take(fp uint64) (commitToken, bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	tok, ok := d.pending[fp]
	if ok {
		delete(d.pending, fp)
	}
	return tok, ok
}

// commitInDoubt reports whether a COMMIT error leaves the outcome unknown: any failure that is
// not the server's answer (a PgError means the server refused and rolled back).
func commitInDoubt(err error) bool {
	var pgErr *pgconn.PgError
	return err != nil && !errors.As(err, &pgErr)
}

// fingerprint identifies a request's rows: the row counts of every table and the key columns of
// the first and last row of each fact table. exporterhelper retries a request with the same data,
// which converts to the same rows and so the same fingerprint.
func fingerprint(rs *rowSet) uint64 {
	var buf [8]byte
	h := xxhash.New()
	u := func(v uint64) {
		binary.LittleEndian.PutUint64(buf[:], v)
		_, _ = h.Write(buf[:])
	}
	i := func(v int64) { u(uint64(v)) } //nolint:gosec // bit pattern
	tm := func(t time.Time) { i(t.UnixNano()) }
	f := func(v float64) { u(math.Float64bits(v)) }
	for _, n := range []int{
		len(rs.Resources), len(rs.Scopes), len(rs.Series), len(rs.Points), len(rs.Histograms),
		len(rs.ExpHistograms), len(rs.Summaries), len(rs.Spans), len(rs.Logs),
	} {
		i(int64(n))
	}
	for _, k := range ends(len(rs.Points)) {
		p := &rs.Points[k]
		i(p.SeriesID)
		tm(p.Time)
		f(p.Value)
		i(p.IntValue)
	}
	for _, k := range ends(len(rs.Histograms)) {
		p := &rs.Histograms[k]
		i(p.SeriesID)
		tm(p.Time)
		i(p.Count)
	}
	for _, k := range ends(len(rs.ExpHistograms)) {
		p := &rs.ExpHistograms[k]
		i(p.SeriesID)
		tm(p.Time)
		i(p.Count)
	}
	for _, k := range ends(len(rs.Summaries)) {
		p := &rs.Summaries[k]
		i(p.SeriesID)
		tm(p.Time)
		i(p.Count)
	}
	for _, k := range ends(len(rs.Spans)) {
		s := &rs.Spans[k]
		_, _ = h.Write(s.TraceID[:])
		_, _ = h.Write(s.SpanID[:])
		tm(s.StartTime)
		i(s.Duration)
	}
	for _, k := range ends(len(rs.Logs)) {
		l := &rs.Logs[k]
		tm(l.Time)
		tm(l.ObservedTime)
		_, _ = h.Write(l.SpanID[:])
		u(xxhash.Sum64(l.Body))
	}
	return h.Sum64()
}

func ends(n int) []int {
	switch n {
	case 0:
		return nil
	case 1:
		return []int{0}
	default:
		return []int{0, n - 1}
	}
}
