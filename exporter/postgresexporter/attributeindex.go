package postgresexporter // import "github.com/otelcol-diagnostics/otelcol-diagnostics/exporter/postgresexporter"

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// attributeIndexMigration names the migration holding the GIN indexes on the attributes of spans
// and logs. migrate records it without running it; applyAttributeIndex runs it or drops its
// indexes, as attribute_index says.
const attributeIndexMigration = "attribute_indexes"

// attributeIndexes are the indexes that migration creates.
var attributeIndexes = []string{"spans_attributes_idx", "logs_attributes_idx"}

// applyAttributeIndex creates (enabled) or drops the attribute indexes, under the schema's lock.
// It looks before it acts: when nothing is to change it takes no lock on the tables, which
// CREATE INDEX IF NOT EXISTS would.
func applyAttributeIndex(ctx context.Context, pool *pgxpool.Pool, schema string, enabled bool, migrations []migration) error {
	var m *migration
	for i := range migrations {
		if migrations[i].name == attributeIndexMigration {
			m = &migrations[i]
		}
	}
	if m == nil {
		return fmt.Errorf("migration %s is not embedded", attributeIndexMigration)
	}
	return lockedTx(ctx, pool, schema, func(tx pgx.Tx) error {
		var present int
		for _, ix := range attributeIndexes {
			var ok bool
			if err := tx.QueryRow(ctx, "SELECT to_regclass($1) IS NOT NULL", pgx.Identifier{schema, ix}.Sanitize()).Scan(&ok); err != nil {
				return fmt.Errorf("look up index %s: %w", ix, err)
			}
			if ok {
				present++
			}
		}
		switch {
		case enabled && present < len(attributeIndexes):
			if _, err := tx.Exec(ctx, "SELECT set_config('search_path', $1, true)", pgx.Identifier{schema}.Sanitize()); err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, m.sql); err != nil {
				return fmt.Errorf("create attribute indexes: %w", err)
			}
		case !enabled && present > 0:
			for _, ix := range attributeIndexes {
				if _, err := tx.Exec(ctx, "DROP INDEX IF EXISTS "+pgx.Identifier{schema, ix}.Sanitize()); err != nil {
					return fmt.Errorf("drop index %s: %w", ix, err)
				}
			}
		}
		return nil
	})
}
