package journaldmetricsreceiver // import "github.com/otelcol-diagnostics/otelcol-diagnostics/receiver/journaldmetricsreceiver"

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componentstatus"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/receiver"
	"go.opentelemetry.io/collector/receiver/receiverhelper"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"go.uber.org/zap"

	"github.com/otelcol-diagnostics/otelcol-diagnostics/receiver/journaldmetricsreceiver/internal/metadata"
)

// checkpointEvery is how many entries the read loop reads between two
// refreshes of the cursor and of its own telemetry while catching up.
const checkpointEvery = 8192

// Backoff between attempts to reopen the journal after a fault.
const (
	minReopenBackoff = 500 * time.Millisecond
	maxReopenBackoff = 30 * time.Second
)

type journaldReceiver struct {
	set     receiver.Settings
	cfg     *Config
	next    consumer.Metrics
	obsrecv *receiverhelper.ObsReport
	host    component.Host // for status reports from the read loop

	// newTicker makes the collection ticker; tests replace it.
	newTicker func(d time.Duration) (<-chan time.Time, func())
	// onIdle, when set, is called by the read loop each time it caught up
	// with the journal, with the number of entries read so far.
	onIdle func(read int64)

	lifecycle sync.Mutex
	started   bool
	stopped   bool
	cancel    context.CancelFunc
	wg        sync.WaitGroup
	tb        *metadata.TelemetryBuilder
	eng       *engine
	store     *cursorStore
	filter    journalFilter

	mu           sync.Mutex // guards what the read loop hands to the emitter
	cursor       string
	savedCursor  string
	lastRealtime time.Time
}

func newReceiver(set receiver.Settings, cfg *Config, next consumer.Metrics) (*journaldReceiver, error) {
	obsrecv, err := receiverhelper.NewObsReport(receiverhelper.ObsReportSettings{
		ReceiverID:             set.ID,
		ReceiverCreateSettings: set,
	})
	if err != nil {
		return nil, fmt.Errorf("create receiver telemetry: %w", err)
	}
	return &journaldReceiver{
		set:     set,
		cfg:     cfg,
		next:    next,
		obsrecv: obsrecv,
		newTicker: func(d time.Duration) (<-chan time.Time, func()) {
			t := time.NewTicker(d)
			return t.C, t.Stop
		},
	}, nil
}

// Start opens the storage and the journal, then reads in the background.
func (rc *journaldReceiver) Start(ctx context.Context, host component.Host) error {
	rc.lifecycle.Lock()
	defer rc.lifecycle.Unlock()
	if rc.started {
		return errors.New("journaldmetrics receiver already started")
	}
	tb, err := metadata.NewTelemetryBuilder(rc.set.TelemetrySettings)
	if err != nil {
		return fmt.Errorf("create own telemetry: %w", err)
	}
	eng, err := newEngine(rc.cfg, tb, time.Now())
	if err != nil {
		tb.Shutdown()
		return err
	}
	filter, err := buildFilter(rc.cfg)
	if err != nil {
		tb.Shutdown()
		return err
	}
	rc.filter = filter
	store, err := openCursorStore(ctx, host, rc.cfg.StorageID, rc.set.ID)
	if err != nil {
		tb.Shutdown()
		return err
	}
	saved, err := store.load(ctx)
	if err != nil {
		_ = store.close(ctx)
		tb.Shutdown()
		return err
	}
	runCtx, cancel := context.WithCancel(context.Background())
	rc.tb, rc.eng, rc.store = tb, eng, store
	rc.cursor, rc.savedCursor = saved, saved
	if saved == "" {
		rc.resumed(resumeNone)
	}
	r, err := openReader(runCtx, rc.cfg.Reader, rc.readerOptions(saved))
	if err != nil {
		cancel()
		_ = store.close(ctx)
		tb.Shutdown()
		return fmt.Errorf("start journaldmetrics reader %s: %w", rc.cfg.Reader, err)
	}
	rc.started = true
	rc.cancel = cancel
	rc.host = host
	rc.wg.Add(2)
	go func() {
		defer rc.wg.Done()
		rc.readLoop(runCtx, r)
	}()
	go func() {
		defer rc.wg.Done()
		rc.emitLoop(runCtx)
	}()
	rc.set.Logger.Info("Reading the journal",
		zap.String("reader", rc.cfg.Reader), zap.String("directory", rc.cfg.Directory),
		zap.Int("files", len(rc.cfg.Files)), zap.Bool("resumed", saved != ""))
	return nil
}

func (rc *journaldReceiver) readerOptions(cursor string) readerOptions {
	return readerOptions{
		directory: rc.cfg.Directory,
		files:     rc.cfg.Files,
		startAt:   rc.cfg.StartAt,
		filter:    rc.filter,
		fields:    rc.eng.Fields(),
		cursor:    cursor,
		resumed:   rc.resumed,
	}
}

func (rc *journaldReceiver) resumed(outcome string) {
	rc.tb.JournaldmetricsCursorResumes.Add(context.Background(), 1,
		metric.WithAttributes(attribute.String("outcome", outcome)))
}

func (rc *journaldReceiver) fault(kind string) {
	rc.tb.JournaldmetricsFaults.Add(context.Background(), 1,
		metric.WithAttributes(attribute.String("kind", kind)))
}

// readLoop feeds every entry to the engine. It owns r and closes it.
func (rc *journaldReceiver) readLoop(ctx context.Context, r journalReader) {
	var read, reported int64
	dirty := false
	checkpoint := func() {
		c, err := r.cursor()
		if err != nil {
			rc.fault(faultCursor)
		}
		rt := r.Realtime()
		rc.mu.Lock()
		if err == nil {
			rc.cursor = c
		}
		rc.lastRealtime = rt
		rc.mu.Unlock()
		rc.tb.JournaldmetricsEntriesRead.Add(context.Background(), read-reported)
		reported = read
		dirty = false
	}
	defer func() {
		if r != nil {
			_ = r.close()
		}
	}()
	for {
		ok, err := r.next(ctx)
		if ctx.Err() != nil {
			break
		}
		if err != nil {
			if dirty {
				checkpoint()
			}
			rc.fault(faultRead)
			rc.set.Logger.Warn("Journal reader failed; reopening after the last entry read", zap.Error(err))
			rc.reportStatus(componentstatus.NewRecoverableErrorEvent(fmt.Errorf("read the journal: %w", err)))
			_ = r.close()
			if r = rc.reopen(ctx); r == nil {
				return
			}
			rc.reportStatus(componentstatus.NewEvent(componentstatus.StatusOK))
			continue
		}
		if !ok {
			if dirty {
				checkpoint()
			}
			if rc.onIdle != nil {
				rc.onIdle(read)
			}
			continue
		}
		rc.eng.Observe(ctx, r)
		read++
		dirty = true
		if read%checkpointEvery == 0 {
			checkpoint()
		}
	}
	if dirty {
		checkpoint()
	}
}

// reopen opens the journal again after the last cursor, backing off while
// it fails. It returns nil when ctx ends first.
func (rc *journaldReceiver) reopen(ctx context.Context) journalReader {
	backoff := minReopenBackoff
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(backoff):
		}
		rc.mu.Lock()
		cursor := rc.cursor
		rc.mu.Unlock()
		r, err := openReader(ctx, rc.cfg.Reader, rc.readerOptions(cursor))
		if err == nil {
			return r
		}
		rc.fault(faultOpen)
		rc.reportStatus(componentstatus.NewRecoverableErrorEvent(fmt.Errorf("reopen the journal: %w", err)))
		backoff = min(2*backoff, maxReopenBackoff)
	}
}

// reportStatus tells the host how reading goes: a recoverable error while the
// journal cannot be read or is being reopened, OK once reading again.
func (rc *journaldReceiver) reportStatus(ev *componentstatus.Event) {
	componentstatus.ReportStatus(rc.host, ev)
}

// emitLoop emits the metrics and saves the cursor every collection_interval.
func (rc *journaldReceiver) emitLoop(ctx context.Context) {
	tick, stop := rc.newTicker(rc.cfg.CollectionInterval)
	defer stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick:
			rc.emit(ctx)
		}
	}
}

// emit sends the cumulative metrics to the next consumer, then saves the
// cursor when it moved.
func (rc *journaldReceiver) emit(ctx context.Context) {
	now := time.Now()
	md := rc.eng.Collect(now)
	if points := md.DataPointCount(); points > 0 {
		opCtx := rc.obsrecv.StartMetricsOp(ctx)
		err := rc.next.ConsumeMetrics(opCtx, md)
		rc.obsrecv.EndMetricsOp(opCtx, metadata.Type.String(), points, err)
		if err != nil {
			rc.set.Logger.Warn("Next consumer refused the journal metrics", zap.Error(err))
		}
	}
	rc.mu.Lock()
	cursor, saved, last := rc.cursor, rc.savedCursor, rc.lastRealtime
	rc.mu.Unlock()
	if !last.IsZero() {
		rc.tb.JournaldmetricsLag.Record(ctx, now.Sub(last).Seconds())
	}
	if cursor == saved {
		return
	}
	if err := rc.store.save(ctx, cursor); err != nil {
		rc.fault(faultCursor)
		return
	}
	rc.mu.Lock()
	rc.savedCursor = cursor
	rc.mu.Unlock()
}

// Shutdown stops reading, emits the last metrics and saves the cursor. It
// is idempotent and safe without Start.
func (rc *journaldReceiver) Shutdown(ctx context.Context) error {
	rc.lifecycle.Lock()
	defer rc.lifecycle.Unlock()
	if !rc.started || rc.stopped {
		return nil
	}
	rc.stopped = true
	rc.cancel()
	done := make(chan struct{})
	go func() {
		rc.wg.Wait()
		close(done)
	}()
	select {
	case <-done:
	case <-ctx.Done():
		return fmt.Errorf("stop journaldmetrics receiver: %w", ctx.Err())
	}
	rc.emit(ctx)
	err := rc.store.close(ctx)
	rc.tb.Shutdown()
	rc.set.Logger.Info("Stopped reading the journal")
	return err
}
