package postgresexporter

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/otelcol-diagnostics/otelcol-diagnostics/internal/pgtest"
)

// TestNewDimensionsDoNotWaitForAnotherWritersFacts holds one collector's facts transaction open
// while a second collector on the same database writes other items of the same new resource,
// scope and series. The second must not wait for the first: the new dimension rows were committed
// before the first's facts. With them inside the facts' transaction, the second writer's INSERT
// of the same resource would wait for that whole transaction.
func TestNewDimensionsDoNotWaitForAnotherWritersFacts(t *testing.T) {
	tests := []struct {
		name  string
		table string
		push  func(ctx context.Context, e *pgExporter, first uint64) error
	}{
		{name: "traces", table: tableSpans, push: func(ctx context.Context, e *pgExporter, first uint64) error {
			return e.pushTraces(ctx, numberedTraces(first, 10, "held"))
		}},
		{name: "metrics", table: tablePoints, push: func(ctx context.Context, e *pgExporter, first uint64) error {
			return e.pushMetrics(ctx, numberedGauge(first, 10))
		}},
		{name: "logs", table: tableLogs, push: func(ctx context.Context, e *pgExporter, first uint64) error {
			return e.pushLogs(ctx, numberedLogs(first, 10))
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dsn := cluster.NewDatabase(t)
			holder, other := startExporter(t, itConfig(dsn)), startExporter(t, itConfig(dsn))
			require.NoError(t, holder.ensureReady(t.Context()))
			require.NoError(t, other.ensureReady(t.Context()))

			held, release := make(chan struct{}), make(chan struct{})
			var once sync.Once
			holder.commit = func(ctx context.Context, tx pgx.Tx) error {
				once.Do(func() {
					close(held)
					<-release
				})
				return tx.Commit(ctx)
			}
			done := make(chan error, 1)
			go func() { done <- tt.push(t.Context(), holder, 0) }()
			<-held

			ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
			defer cancel()
			err := tt.push(ctx, other, 10)
			close(release)
			require.NoError(t, err, "the second collector waited for the first one's open transaction")
			require.NoError(t, <-done)
			assert.Equal(t, int64(20), countRows(t, pgtest.Connect(t, dsn), "otel", tt.table))
		})
	}
}
