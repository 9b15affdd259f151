package pgtest

import (
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestPgbouncerTransactionMode checks that the harness's pgbouncer pools in transaction mode:
// session state (a SET) does not follow the client from one transaction to the next, and
// pgbouncer comes back on the same port after Stop.
func TestPgbouncerTransactionMode(t *testing.T) {
	c, err := Start()
	require.NoError(t, err, "the PostgreSQL integration tests need the Debian postgresql package")
	t.Cleanup(func() { assert.NoError(t, c.Close()) })
	b, err := c.StartPgbouncer()
	require.NoError(t, err, "the pooler tests need the Debian pgbouncer package")
	t.Cleanup(func() { assert.NoError(t, b.Close()) })

	dsn, err := b.Route(c.NewDatabase(t))
	require.NoError(t, err)
	cfg, err := pgx.ParseConfig(dsn)
	require.NoError(t, err)
	cfg.DefaultQueryExecMode = pgx.QueryExecModeSimpleProtocol
	first, err := pgx.ConnectConfig(t.Context(), cfg)
	require.NoError(t, err)
	defer func() { _ = first.Close(t.Context()) }()
	second, err := pgx.ConnectConfig(t.Context(), cfg)
	require.NoError(t, err)
	defer func() { _ = second.Close(t.Context()) }()

	pid := func(conn *pgx.Conn) (p int) {
		require.NoError(t, conn.QueryRow(t.Context(), "SELECT pg_backend_pid()").Scan(&p))
		return p
	}
	// Two clients, one after the other, outside transactions: one server connection serves both.
	assert.Equal(t, pid(first), pid(second), "transaction mode hands the idle server connection to the next client")

	require.NoError(t, b.Stop())
	_, err = pgx.ConnectConfig(t.Context(), cfg)
	require.Error(t, err, "pgbouncer is down")
	require.NoError(t, b.Start())
	third, err := pgx.ConnectConfig(t.Context(), cfg)
	require.NoError(t, err, "same port after a restart")
	require.NoError(t, third.Close(t.Context()))
	assert.Contains(t, b.Log(), "listening on 127.0.0.1")
}
