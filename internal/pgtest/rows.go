package pgtest

import (
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"
)

// Rows runs query and returns every row as Go values, timestamps in UTC, so
// tests can compare whole result sets with got/want literals.
func Rows(t testing.TB, conn *pgx.Conn, query string) [][]any {
	t.Helper()
	rows, err := conn.Query(t.Context(), query)
	require.NoError(t, err)
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) ([]any, error) {
		vals, err := r.Values()
		for i, v := range vals {
			if tm, ok := v.(time.Time); ok {
				vals[i] = tm.UTC()
			}
		}
		return vals, err
	})
	require.NoError(t, err)
	return out
}
