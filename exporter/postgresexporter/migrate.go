package postgresexporter // import "github.com/otelcol-diagnostics/otelcol-diagnostics/exporter/postgresexporter"

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

//go:embed sql/*.sql
var migrationFS embed.FS

// migration is one embedded sql/NNNN_name.sql file.
type migration struct {
	version int32
	name    string
	sql     string
}

// advisoryLockClass is the first key of the two-key, transaction-scoped advisory lock taken while
// migrating or maintaining partitions; the second key is hashtext(schema), so two exporters
// writing to different schemas never wait for each other. Typed int32: pg_advisory_xact_lock
// takes (int, int), and pgx's exec mode types parameters by their Go type.
const advisoryLockClass int32 = 0x6f74656c // "otel"

var errSchemaNotMigrated = errors.New("schema is missing or not migrated to this version (create_schema is false)")

// loadMigrations returns the embedded migrations ordered by version.
func loadMigrations(fsys fs.FS) ([]migration, error) {
	names, err := fs.Glob(fsys, "sql/*.sql")
	if err != nil {
		return nil, err
	}
	out := make([]migration, 0, len(names))
	seen := map[int32]string{}
	for _, n := range names {
		base := path.Base(n)
		num, rest, ok := strings.Cut(strings.TrimSuffix(base, ".sql"), "_")
		n64, err := strconv.ParseInt(num, 10, 32)
		v := int32(n64)
		if !ok || err != nil || v <= 0 {
			return nil, fmt.Errorf("migration %s: name must be NNNN_name.sql", base)
		}
		if prev, dup := seen[v]; dup {
			return nil, fmt.Errorf("migrations %s and %s share version %d", prev, base, v)
		}
		seen[v] = base
		b, err := fs.ReadFile(fsys, n)
		if err != nil {
			return nil, err
		}
		out = append(out, migration{version: v, name: rest, sql: string(b)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].version < out[j].version })
	return out, nil
}

// migrate brings schema up to the newest embedded migration. Each step is one transaction that
// first takes the schema's transaction-scoped advisory lock (released by its COMMIT or ROLLBACK,
// so a transaction-mode pooler can hand the server connection to anyone afterwards), then looks
// at what is applied: collectors starting together migrate one after the other, and each
// migration is applied together with its schema_migrations row, entirely and exactly once.
func migrate(ctx context.Context, pool *pgxpool.Pool, schema string, migrations []migration) error {
	qs := pgx.Identifier{schema}.Sanitize()
	qm := pgx.Identifier{schema, "schema_migrations"}.Sanitize()
	err := lockedTx(ctx, pool, schema, func(tx pgx.Tx) error {
		// CREATE SCHEMA IF NOT EXISTS would still need the CREATE privilege on the database,
		// which a user given a prepared schema may lack: create it only when it is missing.
		var schemaExists bool
		if err := tx.QueryRow(ctx, "SELECT to_regnamespace($1) IS NOT NULL", qs).Scan(&schemaExists); err != nil {
			return fmt.Errorf("look up schema: %w", err)
		}
		if !schemaExists {
			if _, err := tx.Exec(ctx, "CREATE SCHEMA "+qs); err != nil {
				return fmt.Errorf("create schema: %w", err)
			}
		}
		if _, err := tx.Exec(ctx, "CREATE TABLE IF NOT EXISTS "+qm+
			` (version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`); err != nil {
			return fmt.Errorf("create schema_migrations: %w", err)
		}
		return nil
	})
	if err != nil {
		return err
	}
	for _, m := range migrations {
		err := lockedTx(ctx, pool, schema, func(tx pgx.Tx) error {
			var applied bool
			if err := tx.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM "+qm+" WHERE version = $1)", m.version).Scan(&applied); err != nil {
				return fmt.Errorf("read schema_migrations: %w", err)
			}
			if applied {
				return nil
			}
			// The migration files name no schema: search_path makes them land in ours.
			if _, err := tx.Exec(ctx, "SELECT set_config('search_path', $1, true)", qs); err != nil {
				return err
			}
			// The attribute indexes follow attribute_index instead (attributeindex.go).
			if m.name != attributeIndexMigration {
				if _, err := tx.Exec(ctx, m.sql); err != nil {
					return err
				}
			}
			_, err := tx.Exec(ctx, "INSERT INTO "+qm+" (version, name) VALUES ($1, $2)", m.version, m.name)
			return err
		})
		if err != nil {
			return fmt.Errorf("apply migration %04d_%s: %w", m.version, m.name, err)
		}
	}
	return nil
}

// lockedTx runs fn in a transaction holding the schema's transaction-scoped advisory lock.
func lockedTx(ctx context.Context, pool *pgxpool.Pool, schema string, fn func(pgx.Tx) error) error {
	return pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock($1, hashtext($2))", advisoryLockClass, schema); err != nil {
			return fmt.Errorf("take schema lock: %w", err)
		}
		return fn(tx)
	})
}

// checkMigrated verifies, without changing anything, that schema holds every embedded migration.
func checkMigrated(ctx context.Context, pool *pgxpool.Pool, schema string, migrations []migration) error {
	conn, err := pool.Acquire(ctx)
	if err != nil {
		return fmt.Errorf("acquire connection: %w", err)
	}
	defer conn.Release()
	var exists bool
	if err := conn.QueryRow(ctx, "SELECT to_regclass($1) IS NOT NULL",
		pgx.Identifier{schema, "schema_migrations"}.Sanitize()).Scan(&exists); err != nil {
		return fmt.Errorf("look up schema_migrations: %w", err)
	}
	if !exists {
		return errSchemaNotMigrated
	}
	applied, err := appliedVersions(ctx, conn.Conn(), schema)
	if err != nil {
		return err
	}
	for _, m := range migrations {
		if !applied[m.version] {
			return fmt.Errorf("%w: migration %04d_%s not applied", errSchemaNotMigrated, m.version, m.name)
		}
	}
	return nil
}

func appliedVersions(ctx context.Context, conn *pgx.Conn, schema string) (map[int32]bool, error) {
	rows, err := conn.Query(ctx, "SELECT version FROM "+pgx.Identifier{schema, "schema_migrations"}.Sanitize())
	if err != nil {
		return nil, fmt.Errorf("read schema_migrations: %w", err)
	}
	versions, err := pgx.CollectRows(rows, pgx.RowTo[int32])
	if err != nil {
		return nil, fmt.Errorf("read schema_migrations: %w", err)
	}
	out := make(map[int32]bool, len(versions))
	for _, v := range versions {
		out[v] = true
	}
	return out, nil
}
