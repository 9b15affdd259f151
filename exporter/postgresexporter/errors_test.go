package postgresexporter

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/stretchr/testify/assert"
	"go.opentelemetry.io/collector/consumer/consumererror"
)

func TestClassify(t *testing.T) {
	pg := func(code string) error {
		return fmt.Errorf("copy 3 rows into spans: %w", &pgconn.PgError{Code: code, Message: "x"})
	}
	tests := []struct {
		name          string
		err           error
		permanent     bool
		schemaMissing bool
	}{
		{name: "22P02 invalid text representation", err: pg("22P02"), permanent: true},
		{name: "22021 character not in repertoire", err: pg("22021"), permanent: true},
		{name: "22003 numeric value out of range", err: pg("22003"), permanent: true},
		{name: "23514 check violation", err: pg("23514"), permanent: true},
		{name: "23505 unique violation", err: pg("23505"), permanent: true},
		{name: "42601 syntax error", err: pg("42601"), permanent: true},
		{name: "23502 not null violation", err: pg("23502"), permanent: true},
		{name: "22P05 untranslatable character", err: pg("22P05"), permanent: true},
		{name: "42804 datatype mismatch", err: pg("42804"), permanent: true},
		{name: "42703 undefined column", err: pg("42703"), permanent: true},
		{name: "54000 program limit exceeded", err: pg("54000"), permanent: true},
		{name: "54001 statement too complex", err: pg("54001"), permanent: true},
		// Session state a transaction-mode pooler carries between clients: never the data.
		{name: "42P05 duplicate prepared statement", err: pg("42P05")},
		{name: "42P03 duplicate cursor", err: pg("42P03")},
		{name: "42P07 duplicate table", err: pg("42P07")},
		{name: "26000 invalid statement name", err: pg("26000")},
		{name: "34000 invalid cursor name", err: pg("34000")},
		{name: "25P02 in failed transaction", err: pg("25P02")},
		{name: "25006 read only transaction (failover)", err: pg("25006")},
		{name: "0A000 feature not supported", err: pg("0A000")},
		// An operator fixes these; the data was never the problem.
		{name: "42501 insufficient privilege", err: pg("42501")},
		{name: "28P01 invalid password", err: pg("28P01")},
		{name: "3D000 invalid catalog name", err: pg("3D000")},
		{name: "42P01 undefined table", err: pg("42P01"), schemaMissing: true},
		{name: "3F000 invalid schema name", err: pg("3F000"), schemaMissing: true},
		{name: "08006 connection failure", err: pg("08006")},
		{name: "08P01 protocol violation (pooler)", err: pg("08P01")},
		{name: "08001 cannot establish connection", err: pg("08001")},
		{name: "53200 out of memory", err: pg("53200")},
		{name: "55006 object in use", err: pg("55006")},
		{name: "58030 io error", err: pg("58030")},
		{name: "53100 disk full", err: pg("53100")},
		{name: "53300 too many connections", err: pg("53300")},
		{name: "57P01 admin shutdown", err: pg("57P01")},
		{name: "57P03 cannot connect now", err: pg("57P03")},
		{name: "57014 query canceled", err: pg("57014")},
		{name: "40001 serialization failure", err: pg("40001")},
		{name: "40P01 deadlock detected", err: pg("40P01")},
		{name: "55P03 lock not available", err: pg("55P03")},
		{name: "XX000 internal error", err: pg("XX000")},
		{name: "malformed code", err: pg("22")},
		{name: "connection refused", err: &net.OpError{Op: "dial", Net: "tcp", Err: errors.New("connection refused")}},
		{name: "unexpected EOF", err: fmt.Errorf("read: %w", io.ErrUnexpectedEOF)},
		{name: "deadline", err: context.DeadlineExceeded},
		{name: "canceled", err: context.Canceled},
		{name: "not started", err: errNotStarted},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := classify(tt.err)
			assert.Equal(t, tt.permanent, consumererror.IsPermanent(got))
			assert.ErrorIs(t, got, tt.err, "the cause stays reachable")
			assert.Equal(t, tt.schemaMissing, isSchemaMissing(tt.err))
		})
	}
	assert.NoError(t, classify(nil))
}
