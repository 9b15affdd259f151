package postgresexporter // import "github.com/otelcol-diagnostics/otelcol-diagnostics/exporter/postgresexporter"

import (
	"errors"

	"github.com/jackc/pgx/v5/pgconn"
	"go.opentelemetry.io/collector/consumer/consumererror"
)

// The question behind every entry: could sending the same request again ever succeed? Only when
// PostgreSQL rejects the data itself is the answer no. Everything that depends on the connection,
// the session, the server's state, its resources or an operator (privileges, a schema being
// migrated) is retryable: exporterhelper retries and queues, bounded by retry_on_failure.

// permanentClasses are the SQLSTATE classes in which PostgreSQL rejects the data itself (or the
// statement built for it): sending the same request again cannot succeed.
var permanentClasses = map[string]bool{
	"22": true, // data exception (invalid text, value out of range, bad jsonb, ...)
	"23": true, // integrity constraint violation (a CHECK or NOT NULL a DBA added, ...)
	"42": true, // syntax error or access rule violation: the statement cannot run on this schema
	"54": true, // program limit exceeded (row or index entry too large)
}

// retryableCodes are the codes of permanentClasses that say nothing about the data: session state
// a transaction-mode pooler hands from one client to another, or an operator's business.
var retryableCodes = map[string]bool{
	"42P03": true, // duplicate_cursor: a cursor left on a pooled server connection
	"42P05": true, // duplicate_prepared_statement: another client's statement on a pooled connection
	"42P07": true, // duplicate_table: a temporary table left on a pooled server connection
	"42501": true, // insufficient_privilege: fixed by a GRANT, not by other data
}

// schemaMissing are the SQLSTATEs that mean the exporter's schema or tables vanished (dropped by
// hand, or a restored database): the request is retried after the migrations ran again.
var schemaMissing = map[string]bool{
	"3F000": true, // invalid_schema_name
	"42P01": true, // undefined_table
}

// classify returns err unchanged when sending the request again may succeed (connection failure
// 08, invalid statement name 26000 and other session state, server shutdown 57P01, resources 53,
// serialization failure 40001, deadlock 40P01, lock not available 55P03, read-only after a
// failover 25006, timeouts, a closed pool), and consumererror.NewPermanent(err) when the data
// itself was rejected.
func classify(err error) error {
	if err == nil {
		return nil
	}
	if isPermanent(err) {
		return consumererror.NewPermanent(err)
	}
	return err
}

func isPermanent(err error) bool {
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) || len(pgErr.Code) != 5 {
		// Network errors, timeouts, a closed pool, a cancelled context: transient.
		return false
	}
	if schemaMissing[pgErr.Code] || retryableCodes[pgErr.Code] {
		return false
	}
	return permanentClasses[pgErr.Code[:2]]
}

// isSchemaMissing reports whether err means the schema or one of its tables is gone.
func isSchemaMissing(err error) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && schemaMissing[pgErr.Code]
}

// isUniqueViolation reports whether err is a unique key's refusal (23505): rows already stored.
func isUniqueViolation(err error) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && pgErr.Code == "23505"
}
