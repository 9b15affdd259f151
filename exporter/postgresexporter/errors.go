package postgresexporter // import "github.com/otelcol-diagnostics/otelcol-diagnostics/exporter/postgresexporter"

import (
	"errors"

	"github.com/jackc/pgx/v5/pgconn"
	"go.opentelemetry.io/collector/consumer/consumererror"
)

// permanentClasses are the SQLSTATE classes in which PostgreSQL rejects the data itself (or the
// statement built for it): sending the same request again cannot succeed.
var permanentClasses = map[string]bool{
	"22": true, // data exception (invalid text, value out of range, bad jsonb, ...)
	"23": true, // integrity constraint violation
	"42": true, // syntax error or access rule violation
	"54": true, // program limit exceeded (row or index entry too large)
}

// schemaMissing are the SQLSTATEs that mean the exporter's schema or tables vanished (dropped by
// hand, or a restored database): the request is retried after the migrations ran again.
var schemaMissing = map[string]bool{
	"3F000": true, // invalid_schema_name
	"42P01": true, // undefined_table
}

// classify returns err unchanged when sending the request again may succeed (connection failure,
// server shutdown, resource exhaustion, serialization failure, deadlock, timeout), and
// consumererror.NewPermanent(err) when the data itself was rejected.
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
	if schemaMissing[pgErr.Code] {
		return false
	}
	return permanentClasses[pgErr.Code[:2]]
}

// isSchemaMissing reports whether err means the schema or one of its tables is gone.
func isSchemaMissing(err error) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && schemaMissing[pgErr.Code]
}
