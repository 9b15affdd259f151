package postgresexporter // import "github.com/otelcol-diagnostics/otelcol-diagnostics/exporter/postgresexporter"

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componentstatus"
	"go.opentelemetry.io/collector/consumer/consumererror"
	"go.opentelemetry.io/collector/exporter"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"go.uber.org/zap"

	"github.com/otelcol-diagnostics/otelcol-diagnostics/exporter/postgresexporter/internal/metadata"
)

const (
	applicationName = "otelcol-postgresexporter"
	// maintenanceInterval is how often partitions are created ahead and retention applied.
	maintenanceInterval = time.Hour
	// Start-up retries while the database is unreachable back off from the first to the last.
	firstRetryDelay = time.Second
	maxRetryDelay   = time.Minute
)

var errNotStarted = errors.New("postgres exporter is not started")

// pgExporter writes the requests of every pipeline naming one config to PostgreSQL (see
// shared.go). exporterhelper wraps it, per pipeline, with the queue, batching, retries and
// timeout; every push is one transaction.
type pgExporter struct {
	cfg       *Config
	logger    *zap.Logger
	telemetry *metadata.TelemetryBuilder
	now       func() time.Time

	migrations []migration
	known      *knownIDs
	// commit commits a write's facts transaction; tests replace it to lose the answer of a COMMIT.
	commit func(context.Context, pgx.Tx) error

	// Set by Start.
	pool   *pgxpool.Pool
	cancel context.CancelFunc
	wg     sync.WaitGroup

	readyMu sync.Mutex
	ready   atomic.Bool

	shutdownOnce sync.Once
}

func newExporter(set exporter.Settings, cfg *Config) (*pgExporter, error) {
	migrations, err := loadMigrations(migrationFS)
	if err != nil {
		return nil, err
	}
	tb, err := metadata.NewTelemetryBuilder(set.TelemetrySettings)
	if err != nil {
		return nil, err
	}
	return &pgExporter{
		cfg:        cfg,
		logger:     set.Logger,
		telemetry:  tb,
		now:        time.Now,
		migrations: migrations,
		known:      newKnownIDs(),
		commit:     func(ctx context.Context, tx pgx.Tx) error { return tx.Commit(ctx) },
	}, nil
}

// start creates the pool without connecting, and prepares the schema in the background: an
// unreachable database is reported (log and component status) and retried, never a start failure.
func (e *pgExporter) start(_ context.Context, host component.Host) error {
	pcfg, err := poolConfig(string(e.cfg.DSN))
	if err != nil {
		return err
	}
	pool, err := pgxpool.NewWithConfig(context.Background(), pcfg)
	if err != nil {
		return fmt.Errorf("create connection pool: %w", err)
	}
	e.pool = pool
	ctx, cancel := context.WithCancel(context.Background())
	e.cancel = cancel
	e.wg.Add(1)
	go e.maintain(ctx, host)
	e.logger.Info("PostgreSQL exporter started",
		zap.String("host", pcfg.ConnConfig.Host), zap.Uint16("port", pcfg.ConnConfig.Port),
		zap.String("database", pcfg.ConnConfig.Database), zap.String("schema", e.cfg.Schema))
	return nil
}

// maintain prepares the schema, retrying with backoff while the database is unreachable, then
// keeps the partitions ahead of time and applies retention every maintenanceInterval.
func (e *pgExporter) maintain(ctx context.Context, host component.Host) {
	defer e.wg.Done()
	delay := firstRetryDelay
	for {
		err := e.ensureReady(ctx)
		if err == nil {
			break
		}
		if ctx.Err() != nil {
			return
		}
		e.logger.Warn("PostgreSQL not ready; retrying", zap.Error(err), zap.Duration("retry_in", delay))
		componentstatus.ReportStatus(host, componentstatus.NewRecoverableErrorEvent(err))
		if !sleep(ctx, delay) {
			return
		}
		delay = min(2*delay, maxRetryDelay)
	}
	componentstatus.ReportStatus(host, componentstatus.NewEvent(componentstatus.StatusOK))
	ticker := time.NewTicker(maintenanceInterval)
	defer ticker.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-ticker.C:
			if _, err := e.maintainPartitions(ctx); err != nil && ctx.Err() == nil {
				e.logger.Warn("Partition maintenance failed; next attempt at the next interval", zap.Error(err))
			}
		}
	}
}

func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// ensureReady migrates (or, with create_schema false, checks) the schema and creates the current
// partitions, once; later calls return at once.
func (e *pgExporter) ensureReady(ctx context.Context) error {
	if e.ready.Load() {
		return nil
	}
	e.readyMu.Lock()
	defer e.readyMu.Unlock()
	if e.ready.Load() {
		return nil
	}
	if e.cfg.CreateSchema {
		if err := migrate(ctx, e.pool, e.cfg.Schema, e.migrations); err != nil {
			return fmt.Errorf("migrate schema %q: %w", e.cfg.Schema, err)
		}
		if err := applyAttributeIndex(ctx, e.pool, e.cfg.Schema, e.cfg.AttributeIndex, e.migrations); err != nil {
			return fmt.Errorf("schema %q: %w", e.cfg.Schema, err)
		}
	} else if err := checkMigrated(ctx, e.pool, e.cfg.Schema, e.migrations); err != nil {
		return fmt.Errorf("check schema %q: %w", e.cfg.Schema, err)
	}
	if _, err := e.maintainPartitions(ctx); err != nil {
		return err
	}
	e.ready.Store(true)
	return nil
}

func (e *pgExporter) maintainPartitions(ctx context.Context) (maintenanceResult, error) {
	res, err := maintainPartitions(ctx, e.pool, e.cfg.Schema, e.now(), e.cfg.Retention)
	if err != nil {
		return res, fmt.Errorf("maintain partitions: %w", err)
	}
	if res.Dropped > 0 || res.Deleted > 0 {
		e.logger.Info("Retention applied", zap.Int("partitions_dropped", res.Dropped), zap.Int("default_rows_deleted", res.Deleted))
	}
	return res, nil
}

// shutdown stops the maintenance goroutine and closes the pool. exporterhelper has drained the
// queue by then; a ctx that ends first abandons the wait.
func (e *pgExporter) shutdown(ctx context.Context) error {
	var err error
	e.shutdownOnce.Do(func() {
		defer e.telemetry.Shutdown()
		if e.cancel == nil {
			return
		}
		defer e.logger.Info("PostgreSQL exporter stopped")
		e.cancel()
		done := make(chan struct{})
		go func() {
			e.wg.Wait()
			e.pool.Close()
			close(done)
		}()
		select {
		case <-done:
		case <-ctx.Done():
			err = fmt.Errorf("close connection pool: %w", ctx.Err())
		}
	})
	return err
}

func (e *pgExporter) pushMetrics(ctx context.Context, md pmetric.Metrics) error {
	return e.write(ctx, metricsToRows(md), "metrics")
}

func (e *pgExporter) pushTraces(ctx context.Context, td ptrace.Traces) error {
	return e.write(ctx, tracesToRows(td), "traces")
}

func (e *pgExporter) pushLogs(ctx context.Context, ld plog.Logs) error {
	return e.write(ctx, logsToRows(ld), "logs")
}

// write stores one request's rows. The dimension rows not known yet go first, in a transaction
// of their own, through temporary tables and INSERT ... ON CONFLICT DO NOTHING (several writers
// and collectors may write the same series). Committed before the facts, a new resource or series
// is visible to the other writers at once: in the facts' transaction, its uncommitted row would
// make every other writer inserting it wait for that whole COPY. The fact rows not stored yet
// follow in one transaction (see copyFact). Every fact table has a unique key of the row's
// identity, so a request written again (a retry after a COMMIT whose answer was lost, a queue
// that re-dispatches after a crash, a receiver that re-emits) adds no row twice.
func (e *pgExporter) write(ctx context.Context, rs *rowSet, signal string) error {
	if e.pool == nil {
		return errNotStarted
	}
	if err := e.ensureReady(ctx); err != nil {
		return err
	}
	todo := e.known.newDimensions(rs)
	if dims := todo.dimensions(); len(dims) > 0 {
		written, err := e.writeTables(ctx, dims, e.insertNew, commitTx)
		if err != nil {
			return e.failed(ctx, err, signal)
		}
		e.known.remember(todo)
		e.countRows(ctx, dims, written, false)
	}
	if facts := todo.facts(); len(facts) > 0 {
		written, err := e.writeTables(ctx, facts, e.copyFact, e.commit)
		if err != nil {
			return e.failed(ctx, err, signal)
		}
		e.countRows(ctx, facts, written, true)
	}
	return nil
}

func commitTx(ctx context.Context, tx pgx.Tx) error { return tx.Commit(ctx) }

// writeTables writes each of tables with writeOne in one transaction and returns the rows each
// wrote.
func (e *pgExporter) writeTables(ctx context.Context, tables []copyTable,
	writeOne func(context.Context, pgx.Tx, copyTable) (int64, error), commit func(context.Context, pgx.Tx) error,
) ([]int64, error) {
	tx, err := e.pool.Begin(ctx)
	if err != nil {
		return nil, err
	}
	written := make([]int64, 0, len(tables))
	for _, t := range tables {
		n, err := writeOne(ctx, tx, t)
		if err != nil {
			_ = tx.Rollback(context.WithoutCancel(ctx))
			return nil, err
		}
		written = append(written, n)
	}
	if err := commit(ctx, tx); err != nil {
		return nil, fmt.Errorf("commit: %w", err)
	}
	return written, nil
}

// failed classifies the error of a write, for exporterhelper to retry it or drop the request.
func (e *pgExporter) failed(ctx context.Context, err error, signal string) error {
	if isSchemaMissing(err) {
		// Dropped by hand or a restored database: migrate again before the retry.
		e.ready.Store(false)
		e.known.forget()
	}
	err = classify(err)
	if consumererror.IsPermanent(err) {
		e.telemetry.ExporterPostgresPermanentErrors.Add(context.WithoutCancel(ctx), 1,
			metric.WithAttributes(attribute.String("signal", signal)))
	}
	return err
}

// countRows records the rows a committed transaction wrote into each table and, for fact
// tables, the rows it skipped as stored already.
func (e *pgExporter) countRows(ctx context.Context, tables []copyTable, written []int64, facts bool) {
	tctx := context.WithoutCancel(ctx)
	for i, t := range tables {
		table := metric.WithAttributes(attribute.String("table", t.Table))
		if written[i] > 0 {
			e.telemetry.ExporterPostgresRowsWritten.Add(tctx, written[i], table)
		}
		if facts && int64(t.Rows) > written[i] {
			e.telemetry.ExporterPostgresRowsSkipped.Add(tctx, int64(t.Rows)-written[i], table)
		}
	}
}

// rewinder is a COPY source that can be read again.
type rewinder interface{ rewind() }

// copyFact writes the rows of a fact table whose key is not stored yet and returns how many it
// wrote. The common case, none stored, keeps COPY's speed: a COPY straight into the table inside
// a savepoint. Only when the unique key refuses it are the rows copied into a staging table and
// inserted with ON CONFLICT DO NOTHING, which skips the stored ones.
func (e *pgExporter) copyFact(ctx context.Context, tx pgx.Tx, t copyTable) (int64, error) {
	sp, err := tx.Begin(ctx)
	if err != nil {
		return 0, fmt.Errorf("savepoint before %s: %w", t.Table, err)
	}
	n, err := sp.CopyFrom(ctx, pgx.Identifier{e.cfg.Schema, t.Table}, t.Columns, t.Source)
	if err == nil {
		if err := sp.Commit(ctx); err != nil {
			return 0, fmt.Errorf("release savepoint after %s: %w", t.Table, err)
		}
		return n, nil
	}
	if !isUniqueViolation(err) {
		return 0, fmt.Errorf("copy %d rows into %s: %w", t.Rows, t.Table, err)
	}
	if err := sp.Rollback(ctx); err != nil {
		return 0, fmt.Errorf("roll back to savepoint before %s: %w", t.Table, err)
	}
	r, ok := t.Source.(rewinder)
	if !ok {
		return 0, fmt.Errorf("copy %d rows into %s: %w", t.Rows, t.Table, err)
	}
	r.rewind()
	return e.insertNew(ctx, tx, t)
}

// insertNew adds the rows of a table whose key is not there yet and returns how many it
// inserted. The staging table is the transaction's own (ON COMMIT DROP: no session state for a
// transaction-mode pooler to hand on). Rows are ordered so that concurrent writers lock the same
// keys in the same order.
func (e *pgExporter) insertNew(ctx context.Context, tx pgx.Tx, t copyTable) (int64, error) {
	target := pgx.Identifier{e.cfg.Schema, t.Table}.Sanitize()
	tmp := "otel_new_" + t.Table
	qtmp := pgx.Identifier{tmp}.Sanitize()
	if _, err := tx.Exec(ctx, "CREATE TEMPORARY TABLE "+qtmp+" (LIKE "+target+") ON COMMIT DROP"); err != nil {
		return 0, fmt.Errorf("create temporary table for %s: %w", t.Table, err)
	}
	if _, err := tx.CopyFrom(ctx, pgx.Identifier{tmp}, t.Columns, t.Source); err != nil {
		return 0, fmt.Errorf("copy %d rows into %s: %w", t.Rows, t.Table, err)
	}
	cols := columnList(t.Columns)
	tag, err := tx.Exec(ctx, "INSERT INTO "+target+" ("+cols+") SELECT "+cols+" FROM "+qtmp+
		" ORDER BY 1 ON CONFLICT DO NOTHING")
	if err != nil {
		return 0, fmt.Errorf("insert %d rows into %s: %w", t.Rows, t.Table, err)
	}
	return tag.RowsAffected(), nil
}

func columnList(cols []string) string {
	var b []byte
	for i, c := range cols {
		if i > 0 {
			b = append(b, ", "...)
		}
		b = append(b, pgx.Identifier{c}.Sanitize()...)
	}
	return string(b)
}
