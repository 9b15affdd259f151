package pgtest

import (
	"errors"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

func TestClusterStopStart(t *testing.T) {
	c, err := Start()
	require.NoError(t, err, "the PostgreSQL integration tests need the Debian postgresql package")
	t.Cleanup(func() { assert.NoError(t, c.Close()) })

	dsn := c.NewDatabase(t)
	query := func() error {
		conn, err := pgx.Connect(t.Context(), dsn)
		if err != nil {
			return err
		}
		var one int
		err = conn.QueryRow(t.Context(), "SELECT 1").Scan(&one)
		return errors.Join(err, conn.Close(t.Context()))
	}
	require.NoError(t, query())
	require.NoError(t, c.Stop())
	require.Error(t, query(), "the server is down")
	require.NoError(t, c.Start())
	require.NoError(t, query(), "same port, same data after a restart")
}

func TestFindBinDirOverride(t *testing.T) {
	t.Setenv("PG_BINDIR", t.TempDir())
	_, err := FindBinDir()
	require.ErrorIs(t, err, ErrNoServer)
	_, err = Start()
	require.ErrorIs(t, err, ErrNoServer)
}
