package postgresexporter

import (
	"fmt"
	"os"
	"testing"

	"go.uber.org/goleak"

	"github.com/otelcol-diagnostics/otelcol-diagnostics/internal/pgtest"
)

// cluster is the PostgreSQL cluster shared by this package's integration tests; each test gets a
// fresh database from cluster.NewDatabase.
var cluster *pgtest.Cluster

// runTestMain is called by the generated TestMain.
func runTestMain(m *testing.M) int {
	c, err := pgtest.Start()
	if err != nil {
		fmt.Fprintln(os.Stderr, "postgresexporter integration tests need a PostgreSQL server:", err)
		return 1
	}
	cluster = c
	code := m.Run()
	if err := c.Close(); err != nil {
		fmt.Fprintln(os.Stderr, "stop PostgreSQL:", err)
		code = 1
	}
	if code == 0 {
		if err := goleak.Find(); err != nil {
			fmt.Fprintln(os.Stderr, "goleak:", err)
			code = 1
		}
	}
	return code
}
