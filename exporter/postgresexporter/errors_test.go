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
		{name: "42501 insufficient privilege", err: pg("42501"), permanent: true},
		{name: "54000 program limit exceeded", err: pg("54000"), permanent: true},
		{name: "42P01 undefined table", err: pg("42P01"), schemaMissing: true},
		{name: "3F000 invalid schema name", err: pg("3F000"), schemaMissing: true},
		{name: "08006 connection failure", err: pg("08006")},
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
