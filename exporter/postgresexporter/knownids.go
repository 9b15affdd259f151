package postgresexporter // import "github.com/otelcol-diagnostics/otelcol-diagnostics/exporter/postgresexporter"

import "sync"

// maxKnownIDs bounds each dimension's cache; beyond it the cache starts over, which costs one
// INSERT ... ON CONFLICT DO NOTHING per dimension row until it is warm again.
const maxKnownIDs = 1 << 20

// knownIDs remembers the dimension rows (resources, scopes, series) committed to the database, so
// that a push writes only the new ones. It is updated only after a commit: an id in it is in the
// database.
type knownIDs struct {
	mu        sync.Mutex
	resources map[int64]struct{}
	scopes    map[int64]struct{}
	series    map[int64]struct{}
}

func newKnownIDs() *knownIDs {
	return &knownIDs{
		resources: map[int64]struct{}{},
		scopes:    map[int64]struct{}{},
		series:    map[int64]struct{}{},
	}
}

// newDimensions returns a shallow copy of rs whose dimension rows are only those not yet known.
func (k *knownIDs) newDimensions(rs *rowSet) *rowSet {
	out := *rs
	k.mu.Lock()
	defer k.mu.Unlock()
	out.Resources = filterUnknown(rs.Resources, k.resources, func(r *resourceRow) int64 { return r.ID })
	out.Scopes = filterUnknown(rs.Scopes, k.scopes, func(r *scopeRow) int64 { return r.ID })
	out.Series = filterUnknown(rs.Series, k.series, func(r *seriesRow) int64 { return r.ID })
	return &out
}

// remember records the dimension rows of a committed push.
func (k *knownIDs) remember(rs *rowSet) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.resources = rememberIDs(k.resources, rs.Resources, func(r *resourceRow) int64 { return r.ID })
	k.scopes = rememberIDs(k.scopes, rs.Scopes, func(r *scopeRow) int64 { return r.ID })
	k.series = rememberIDs(k.series, rs.Series, func(r *seriesRow) int64 { return r.ID })
}

// forget empties the cache, e.g. when the schema was found missing.
func (k *knownIDs) forget() {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.resources, k.scopes, k.series = map[int64]struct{}{}, map[int64]struct{}{}, map[int64]struct{}{}
}

func filterUnknown[T any](rows []T, known map[int64]struct{}, id func(*T) int64) []T {
	// Most pushes after warm-up carry only known dimensions: avoid allocating then.
	n := 0
	for i := range rows {
		if _, ok := known[id(&rows[i])]; !ok {
			n++
		}
	}
	if n == len(rows) {
		return rows
	}
	if n == 0 {
		return nil
	}
	out := make([]T, 0, n)
	for i := range rows {
		if _, ok := known[id(&rows[i])]; !ok {
			out = append(out, rows[i])
		}
	}
	return out
}

func rememberIDs[T any](known map[int64]struct{}, rows []T, id func(*T) int64) map[int64]struct{} {
	if len(known)+len(rows) > maxKnownIDs {
		known = make(map[int64]struct{}, len(rows))
	}
	for i := range rows {
		known[id(&rows[i])] = struct{}{}
	}
	return known
}
