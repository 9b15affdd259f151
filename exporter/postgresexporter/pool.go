package postgresexporter // import "github.com/otelcol-diagnostics/otelcol-diagnostics/exporter/postgresexporter"

import (
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// execModeParam is pgx's connection string setting of the query execution mode.
const execModeParam = "default_query_exec_mode"

// poolConfig parses dsn into the pool's configuration. Unless the dsn sets
// default_query_exec_mode, queries run in pgx's "exec" mode: the extended protocol with the
// unnamed statement, so no prepared statement outlives its transaction and the exporter works
// unchanged behind a transaction-mode pooler (pgbouncer pool_mode=transaction, managed pooled
// endpoints). pgx's default, a per-connection cache of named prepared statements, breaks there
// (42P05 "prepared statement already exists", 26000 "does not exist"). The exporter sends a few
// small statements per transaction around its COPYs, so the cache would save nothing measurable.
func poolConfig(dsn string) (*pgxpool.Config, error) {
	pcfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		return nil, dsnError(err)
	}
	if _, ok := pcfg.ConnConfig.RuntimeParams["application_name"]; !ok {
		pcfg.ConnConfig.RuntimeParams["application_name"] = applicationName
	}
	explicit, err := setsExecMode(dsn)
	if err != nil {
		return nil, dsnError(err)
	}
	if !explicit {
		pcfg.ConnConfig.DefaultQueryExecMode = pgx.QueryExecModeExec
	}
	return pcfg, nil
}

// setsExecMode reports whether dsn names default_query_exec_mode; pgx consumes the setting while
// parsing, so the parsed configuration cannot tell an explicit cache_statement from the default.
func setsExecMode(dsn string) (bool, error) {
	cc, err := pgconn.ParseConfig(dsn)
	if err != nil {
		return false, err
	}
	_, ok := cc.RuntimeParams[execModeParam]
	return ok, nil
}
