package postgresexporter

import (
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/otelcol-diagnostics/otelcol-diagnostics/internal/pgtest"
)

func TestPartitionDay(t *testing.T) {
	tests := []struct {
		name string
		want string
	}{
		{name: "spans_p20261124", want: "2026-11-24"},
		{name: "spans_default"},
		{name: "spans_p2026112"},
		{name: "spans_p20261399"},
		{name: "spans_archive_p20261124"},
		{name: "logs_p20261124"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, ok := partitionDay("spans", tt.name)
			assert.Equal(t, tt.want != "", ok)
			if ok {
				assert.Equal(t, tt.want, d.Format(time.DateOnly))
			}
		})
	}
}

// TestRetention drives maintenance with an injected clock: day 0 creates the partitions around
// it; 40 days later with a 30-day retention the old partitions are dropped, old rows leave the
// DEFAULT partition, and rows that waited in the DEFAULT partition for their day move into it.
func TestRetention(t *testing.T) {
	dsn := cluster.NewDatabase(t)
	pool, err := pgxpool.New(t.Context(), dsn)
	require.NoError(t, err)
	t.Cleanup(pool.Close)
	migrations, err := loadMigrations(migrationFS)
	require.NoError(t, err)
	require.NoError(t, migrate(t.Context(), pool, "otel", migrations))

	day0 := time.Date(2026, 1, 10, 12, 0, 0, 0, time.UTC)
	res, err := maintainPartitions(t.Context(), pool, "otel", day0, 0)
	require.NoError(t, err)
	assert.Equal(t, len(hotTables)*(1+partitionsBehind+partitionsAhead), res.Created)

	conn := pgtest.Connect(t, dsn)
	insert := func(at time.Time) {
		_, err := conn.Exec(t.Context(), `INSERT INTO otel.logs (time, trace_id, span_id, flags, severity_number,
			severity_text, service_name, attributes, event_name, resource_id, scope_id, record_hash)
			VALUES ($1, '', '', 0, 0, '', 'svc', '{}', '', 1, 1, 0)`, at)
		require.NoError(t, err)
	}
	partitionOf := func(at time.Time) string {
		var p string
		require.NoError(t, conn.QueryRow(t.Context(), `SELECT tableoid::regclass::text FROM otel.logs WHERE time = $1`, at).Scan(&p))
		return p
	}
	old := day0.Add(-5 * day)              // before any partition: DEFAULT
	inPartition := day0                    // day 0's partition
	future := day0.Add(20 * day)           // beyond the partitions ahead: DEFAULT, until its day comes
	recent := day0.Add(39*day + time.Hour) // day 39 (Feb 18), in a partition of the last run
	for _, at := range []time.Time{old, inPartition, future} {
		insert(at)
	}
	assert.Equal(t, "otel.logs_default", partitionOf(old))
	assert.Equal(t, "otel.logs_p20260110", partitionOf(inPartition))
	assert.Equal(t, "otel.logs_default", partitionOf(future))

	// Day 20: its partition is created and the row waiting in DEFAULT moves in; no retention yet.
	res, err = maintainPartitions(t.Context(), pool, "otel", future, 0)
	require.NoError(t, err)
	assert.Equal(t, len(hotTables)*(1+partitionsBehind+partitionsAhead), res.Created)
	assert.Equal(t, "otel.logs_p20260130", partitionOf(future))

	// Day 40 with 30 days of retention: everything whose day ended before day 10 goes.
	day40 := day0.Add(40 * day)
	res, err = maintainPartitions(t.Context(), pool, "otel", day40, 30*day)
	require.NoError(t, err)
	insert(recent)
	assert.Equal(t, 1, res.Deleted, "the old row in DEFAULT")
	// Days -1..3 around day 0 ended before day 10 (cutoff day 10 12:00); days 19..23 did not.
	assert.Equal(t, len(hotTables)*(1+partitionsBehind+partitionsAhead), res.Dropped)

	var times []time.Time
	rows, err := conn.Query(t.Context(), `SELECT time FROM otel.logs ORDER BY time`)
	require.NoError(t, err)
	for rows.Next() {
		var ti time.Time
		require.NoError(t, rows.Scan(&ti))
		times = append(times, ti.UTC())
	}
	require.NoError(t, rows.Err())
	assert.Equal(t, []time.Time{future, recent}, times)
	assert.Equal(t, "otel.logs_p20260218", partitionOf(recent))

	var left []string
	rows, err = conn.Query(t.Context(), `SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
		WHERE i.inhparent = 'otel.logs'::regclass ORDER BY 1`)
	require.NoError(t, err)
	for rows.Next() {
		var n string
		require.NoError(t, rows.Scan(&n))
		left = append(left, n)
	}
	require.NoError(t, rows.Err())
	assert.Equal(t, []string{
		"logs_default",
		"logs_p20260129", "logs_p20260130", "logs_p20260131", "logs_p20260201", "logs_p20260202",
		"logs_p20260218", "logs_p20260219", "logs_p20260220", "logs_p20260221", "logs_p20260222",
	}, left)
}
