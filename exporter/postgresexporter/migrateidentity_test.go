package postgresexporter

import (
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/otelcol-diagnostics/otelcol-diagnostics/internal/pgtest"
)

// identityMigration is the version of sql/0008_identity_keys.sql.
const identityMigration = 8

// TestIdentityMigrationKeepsOneOfStoredDuplicates migrates a database to the version before the
// identity keys, stores every fact row twice or three times (in the DEFAULT and in a daily
// partition, with and without start times), then migrates it: the migration succeeds and keeps
// one row of each key, as 0008 documents.
func TestIdentityMigrationKeepsOneOfStoredDuplicates(t *testing.T) {
	dsn := cluster.NewDatabase(t)
	migrations, err := loadMigrations(migrationFS)
	require.NoError(t, err)
	var before []migration
	for _, m := range migrations {
		if m.version < identityMigration {
			before = append(before, m)
		}
	}
	require.Len(t, before, identityMigration-1)
	pool, err := pgxpool.New(t.Context(), dsn)
	require.NoError(t, err)
	t.Cleanup(pool.Close)
	require.NoError(t, migrate(t.Context(), pool, "otel", before))
	_, err = maintainPartitions(t.Context(), pool, "otel", time.Now(), 0)
	require.NoError(t, err)

	// g runs over 1..12; keys repeat every 4 (3 copies of 4 keys), half of them in a daily
	// partition (now) and half in DEFAULT (2001), half with a start time and half NULL.
	const (
		times = `CASE WHEN g % 2 = 0 THEN now() ELSE '2001-01-01'::timestamptz END`
		start = `CASE WHEN g % 4 < 2 THEN NULL ELSE '2000-01-01'::timestamptz END`
		key   = `(g % 4)`
	)
	conn := pgtest.Connect(t, dsn)
	for _, q := range []string{
		`INSERT INTO otel.metric_points (series_id, time, start_time, value, flags)
			SELECT ` + key + `, ` + times + `, ` + start + `, g, 0 FROM generate_series(1, 12) g`,
		`INSERT INTO otel.metric_histogram_points (series_id, time, start_time, count, explicit_bounds, bucket_counts, flags)
			SELECT ` + key + `, ` + times + `, ` + start + `, g, '{}', '{0}', 0 FROM generate_series(1, 12) g`,
		`INSERT INTO otel.metric_exp_histogram_points (series_id, time, start_time, count, scale, zero_count, zero_threshold,
			positive_offset, positive_bucket_counts, negative_offset, negative_bucket_counts, flags)
			SELECT ` + key + `, ` + times + `, ` + start + `, g, 0, 0, 0, 0, '{}', 0, '{}', 0 FROM generate_series(1, 12) g`,
		`INSERT INTO otel.metric_summary_points (series_id, time, start_time, count, sum, quantiles, quantile_values, flags)
			SELECT ` + key + `, ` + times + `, ` + start + `, g, 0, '{}', '{}', 0 FROM generate_series(1, 12) g`,
		`INSERT INTO otel.spans (trace_id, span_id, parent_span_id, trace_state, service_name, span_name, span_kind,
			start_time, end_time, duration, status_code, status_message, attributes, events, links, resource_id, scope_id)
			SELECT 'trace', 'span' || ` + key + `, '', '', 'svc', 'op', 'Internal', ` + times + `, ` + times + `, 0,
			'Unset', '', '{}', '[]', '[]', 1, 1 FROM generate_series(1, 12) g`,
		`INSERT INTO otel.logs (time, observed_time, trace_id, span_id, flags, severity_number, severity_text,
			service_name, body, attributes, event_name, resource_id, scope_id)
			SELECT ` + times + `, ` + start + `, '', '', 0, 9, 'INFO', 'svc', to_jsonb('record ' || ` + key + `),
			'{}', '', 1, 1 FROM generate_series(1, 12) g`,
		// Equal time, different content: not duplicates.
		`INSERT INTO otel.logs (time, trace_id, span_id, flags, severity_number, severity_text, service_name,
			attributes, event_name, resource_id, scope_id)
			SELECT '2001-01-01', '', '', 0, g, '', 'svc', '{}', '', 1, 1 FROM generate_series(1, 2) g`,
	} {
		_, err := conn.Exec(t.Context(), q)
		require.NoError(t, err, q)
	}

	require.NoError(t, migrate(t.Context(), pool, "otel", migrations))
	want := map[string]int64{
		tablePoints: 4, tableHistograms: 4, tableExpHistograms: 4, tableSummaries: 4, tableSpans: 4, tableLogs: 4 + 2,
	}
	assertEachKeyOnce(t, conn, "otel", want)
	var tokens bool
	require.NoError(t, conn.QueryRow(t.Context(), "SELECT to_regclass('otel.export_commits') IS NOT NULL").Scan(&tokens))
	assert.False(t, tokens, "export_commits is retired")

	// The exporter writes on the migrated schema, each row once.
	e := startExporter(t, itConfig(dsn))
	pushAll(t, e)
	pushAll(t, e)
	for table, n := range itRowCounts {
		want[table] += n
	}
	assertEachKeyOnce(t, conn, "otel", want)
}
