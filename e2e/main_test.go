package e2e

import (
	"fmt"
	"os"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/otelcol-diagnostics/otelcol-diagnostics/internal/pgtest"
)

// shared is the PostgreSQL cluster the database tests share, started by the
// first of them; a test that stops the server starts its own.
var shared struct {
	once    sync.Once
	cluster *pgtest.Cluster
	err     error
}

// sharedDatabase returns the DSN of a fresh database on the shared cluster.
func sharedDatabase(t *testing.T) string {
	t.Helper()
	shared.once.Do(func() { shared.cluster, shared.err = pgtest.Start() })
	require.NoError(t, shared.err, "end-to-end tests of the postgres exporter need a PostgreSQL server")
	return shared.cluster.NewDatabase(t)
}

func TestMain(m *testing.M) {
	code := m.Run()
	if shared.cluster != nil {
		if err := shared.cluster.Close(); err != nil {
			fmt.Fprintln(os.Stderr, "stop PostgreSQL:", err)
			code = 1
		}
	}
	if code == 0 {
		if err := goleak.Find(); err != nil {
			fmt.Fprintln(os.Stderr, "goleak:", err)
			code = 1
		}
	}
	os.Exit(code)
}
