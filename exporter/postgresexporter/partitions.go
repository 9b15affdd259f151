package postgresexporter // import "github.com/otelcol-diagnostics/otelcol-diagnostics/exporter/postgresexporter"

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// hotTable is a table partitioned by day on its time column.
type hotTable struct {
	name    string
	timeCol string
}

var hotTables = []hotTable{
	{tablePoints, "time"},
	{tableHistograms, "time"},
	{tableExpHistograms, "time"},
	{tableSummaries, "time"},
	{tableSpans, "start_time"},
	{tableLogs, "time"},
}

const (
	// Daily partitions exist from partitionsBehind days before today (UTC) to partitionsAhead
	// days after it; rows outside land in the DEFAULT partition.
	partitionsBehind = 1
	partitionsAhead  = 3
	partitionSuffix  = "_p"
	partitionLayout  = "20060102"
	day              = 24 * time.Hour
)

// maintenanceResult counts what one partition maintenance run changed.
type maintenanceResult struct {
	Created int // partitions created
	Dropped int // partitions dropped by retention
	Deleted int // rows deleted by retention from the DEFAULT partitions
}

// maintainPartitions creates the daily partitions around now and, when retention > 0, drops the
// partitions whose whole day ended before now-retention and deletes older rows from the DEFAULT
// partitions. It runs in one transaction under the schema's advisory lock, so collectors sharing a
// schema never race on the catalog.
func maintainPartitions(ctx context.Context, pool *pgxpool.Pool, schema string, now time.Time, retention time.Duration) (maintenanceResult, error) {
	var res maintenanceResult
	today := now.UTC().Truncate(day)
	err := lockedTx(ctx, pool, schema, func(tx pgx.Tx) error {
		res = maintenanceResult{}
		for _, t := range hotTables {
			for d := -partitionsBehind; d <= partitionsAhead; d++ {
				created, err := ensurePartition(ctx, tx, schema, t, today.Add(time.Duration(d)*day))
				if err != nil {
					return err
				}
				if created {
					res.Created++
				}
			}
			if retention <= 0 {
				continue
			}
			cutoff := now.Add(-retention)
			dropped, err := dropPartitionsBefore(ctx, tx, schema, t, cutoff)
			if err != nil {
				return err
			}
			res.Dropped += dropped
			tag, err := tx.Exec(ctx, "DELETE FROM "+pgx.Identifier{schema, t.name + "_default"}.Sanitize()+
				" WHERE "+pgx.Identifier{t.timeCol}.Sanitize()+" < $1", cutoff)
			if err != nil {
				return fmt.Errorf("apply retention to %s_default: %w", t.name, err)
			}
			res.Deleted += int(tag.RowsAffected())
		}
		return nil
	})
	return res, err
}

// ensurePartition creates the partition of t for the UTC day starting at dayStart unless it exists.
// Rows of that day already in the DEFAULT partition (written before the partition existed) are
// moved into it first, as PostgreSQL refuses to attach a range the DEFAULT partition still holds.
func ensurePartition(ctx context.Context, tx pgx.Tx, schema string, t hotTable, dayStart time.Time) (bool, error) {
	name := t.name + partitionSuffix + dayStart.Format(partitionLayout)
	part := pgx.Identifier{schema, name}.Sanitize()
	var exists bool
	if err := tx.QueryRow(ctx, "SELECT to_regclass($1) IS NOT NULL", part).Scan(&exists); err != nil {
		return false, fmt.Errorf("look up partition %s: %w", name, err)
	}
	if exists {
		return false, nil
	}
	parent := pgx.Identifier{schema, t.name}.Sanitize()
	def := pgx.Identifier{schema, t.name + "_default"}.Sanitize()
	col := pgx.Identifier{t.timeCol}.Sanitize()
	// Bounds are formatted from time values computed here, never from configuration.
	from, to := dayStart.Format("2006-01-02 15:04:05Z07:00"), dayStart.Add(day).Format("2006-01-02 15:04:05Z07:00")
	stmts := []struct {
		sql  string
		args []any
	}{
		{"CREATE TABLE " + part + " (LIKE " + parent + " INCLUDING DEFAULTS INCLUDING CONSTRAINTS)", nil},
		{"WITH moved AS (DELETE FROM " + def + " WHERE " + col + " >= $1 AND " + col + " < $2 RETURNING *) " +
			"INSERT INTO " + part + " SELECT * FROM moved", []any{dayStart, dayStart.Add(day)}},
		{"ALTER TABLE " + parent + " ATTACH PARTITION " + part + " FOR VALUES FROM ('" + from + "') TO ('" + to + "')", nil},
	}
	for _, s := range stmts {
		if _, err := tx.Exec(ctx, s.sql, s.args...); err != nil {
			return false, fmt.Errorf("create partition %s: %w", name, err)
		}
	}
	return true, nil
}

// dropPartitionsBefore drops the daily partitions of t whose day ended at or before cutoff.
func dropPartitionsBefore(ctx context.Context, tx pgx.Tx, schema string, t hotTable, cutoff time.Time) (int, error) {
	rows, err := tx.Query(ctx, `SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
		WHERE i.inhparent = $1::regclass`, pgx.Identifier{schema, t.name}.Sanitize())
	if err != nil {
		return 0, fmt.Errorf("list partitions of %s: %w", t.name, err)
	}
	names, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return 0, fmt.Errorf("list partitions of %s: %w", t.name, err)
	}
	dropped := 0
	for _, n := range names {
		dayStart, ok := partitionDay(t.name, n)
		if !ok || dayStart.Add(day).After(cutoff) {
			continue
		}
		if _, err := tx.Exec(ctx, "DROP TABLE "+pgx.Identifier{schema, n}.Sanitize()); err != nil {
			return dropped, fmt.Errorf("drop partition %s: %w", n, err)
		}
		dropped++
	}
	return dropped, nil
}

// partitionDay parses the day of a partition named <table>_pYYYYMMDD; other names (the DEFAULT
// partition, anything a DBA attached) are not the exporter's to drop.
func partitionDay(table, name string) (time.Time, bool) {
	suffix, ok := strings.CutPrefix(name, table+partitionSuffix)
	if !ok || len(suffix) != len(partitionLayout) {
		return time.Time{}, false
	}
	d, err := time.Parse(partitionLayout, suffix)
	if err != nil {
		return time.Time{}, false
	}
	return d, true
}
