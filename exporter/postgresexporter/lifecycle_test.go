package postgresexporter

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componentstatus"
	"go.opentelemetry.io/collector/exporter/exportertest"

	"github.com/otelcol-diagnostics/otelcol-diagnostics/exporter/postgresexporter/internal/metadata"
	"github.com/otelcol-diagnostics/otelcol-diagnostics/internal/pgtest"
)

// statusHost records the component status events the exporter reports.
type statusHost struct {
	component.Host
	events chan *componentstatus.Event
}

func (h *statusHost) Report(ev *componentstatus.Event) { h.events <- ev }

func TestShutdownWithoutStartAndTwice(t *testing.T) {
	e, err := newExporter(exportertest.NewNopSettings(metadata.Type), itConfig("postgres://127.0.0.1:1/x"))
	require.NoError(t, err)
	require.NoError(t, e.shutdown(t.Context()))
	require.NoError(t, e.shutdown(t.Context()))
	assert.ErrorIs(t, e.pushLogs(t.Context(), itLogs()), errNotStarted)
}

// TestStartWhileDatabaseDown starts the exporter while PostgreSQL is stopped: Start succeeds, the
// problem is reported as a recoverable status, writes fail as retryable, and once the server is
// back the exporter migrates, reports OK and writes.
func TestStartWhileDatabaseDown(t *testing.T) {
	dsn := cluster.NewDatabase(t)
	require.NoError(t, cluster.Stop())
	t.Cleanup(func() { require.NoError(t, cluster.Start()) })

	e, err := newExporter(exportertest.NewNopSettings(metadata.Type), itConfig(dsn))
	require.NoError(t, err)
	host := &statusHost{events: make(chan *componentstatus.Event, 16)}
	require.NoError(t, e.start(t.Context(), host), "Start never fails because of the database")
	t.Cleanup(func() { assert.NoError(t, e.shutdown(context.Background())) })

	ev := <-host.events
	assert.Equal(t, componentstatus.StatusRecoverableError, ev.Status())
	assert.ErrorContains(t, ev.Err(), "migrate schema")
	err = e.pushLogs(t.Context(), itLogs())
	require.Error(t, err)
	assert.False(t, isPermanent(err), "retryable while the database is down")

	require.NoError(t, cluster.Start())
	require.NoError(t, e.pushLogs(t.Context(), itLogs()), "the first write after the outage migrates")
	deadline := time.After(30 * time.Second)
	for ev.Status() != componentstatus.StatusOK {
		select {
		case ev = <-host.events:
		case <-deadline:
			t.Fatal("no StatusOK after the database came back")
		}
	}
	conn := pgtest.Connect(t, dsn)
	assert.Equal(t, int64(2), countRows(t, conn, "otel", "logs"))
}

func TestShutdownHonoursContext(t *testing.T) {
	dsn := cluster.NewDatabase(t)
	e := startExporter(t, itConfig(dsn))
	require.NoError(t, e.pushLogs(t.Context(), itLogs()))
	// A connection held by someone else keeps pool.Close waiting: Shutdown returns at ctx's end.
	c, err := e.pool.Acquire(t.Context())
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
	defer cancel()
	assert.ErrorIs(t, e.shutdown(ctx), context.DeadlineExceeded)
	c.Release() // lets the pending Close finish
}

// FuzzSchemaValidation checks that every schema name Validate accepts is one that quoting keeps
// as it is: nothing in it can end the quoted identifier or be altered by PostgreSQL.
func FuzzSchemaValidation(f *testing.F) {
	for _, s := range []string{"otel", "Otel_2", `o"tel`, "o\x00tel", "pg_x", "a b", "", "é", strings.Repeat("a", 64)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, schema string) {
		cfg := createDefaultConfig().(*Config)
		cfg.Schema = schema
		if cfg.Validate() != nil {
			return
		}
		assert.Equal(t, `"`+schema+`"`, pgx.Identifier{schema}.Sanitize())
		assert.LessOrEqual(t, len(schema), maxIdentifierLen)
		assert.NotContains(t, schema, `"`)
	})
}
