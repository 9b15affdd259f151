package githubworkflowreceiver // import "github.com/otelcol-diagnostics/otelcol-diagnostics/receiver/githubworkflowreceiver"

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"sync"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componentstatus"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/extension/xextension/storage"
	"go.opentelemetry.io/collector/receiver"
	"go.opentelemetry.io/collector/receiver/receiverhelper"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"go.uber.org/zap"

	"github.com/otelcol-diagnostics/otelcol-diagnostics/receiver/githubworkflowreceiver/internal/metadata"
)

// webhookQueueSize bounds the completed attempts announced by webhooks and not yet fetched.
// A full queue refuses the delivery with 503 (not remembered), so GitHub's redelivery is
// taken; polling also finds the attempt if its repository is configured.
const webhookQueueSize = 1024

// obsTransport is the transport of the standard receiver telemetry: attempts arrive over
// HTTP, polled or delivered.
const obsTransport = "http"

// githubReceiver is one githubworkflow receiver, shared by its traces and metrics pipelines.
type githubReceiver struct {
	cfg       *Config
	set       receiver.Settings
	traces    consumer.Traces
	metrics   consumer.Metrics
	clock     clock
	onRelease func()

	startOnce    sync.Once
	startErr     error
	shutdownOnce sync.Once
	shutdownErr  error

	telemetry *metadata.TelemetryBuilder
	client    *apiClient
	state     *stateStore
	storage   storage.Client
	poller    *poller
	server    *http.Server
	// webhookAddr is the address the webhook server listens on.
	webhookAddr string
	webhooks    chan completedRun
	cancel      context.CancelFunc
	wg          sync.WaitGroup
}

func newReceiver(set receiver.Settings, cfg *Config, onRelease func()) *githubReceiver {
	return &githubReceiver{cfg: cfg, set: set, clock: realClock{}, onRelease: onRelease}
}

// Start opens the storage, builds the API client, starts the webhook server and the poll loop.
func (r *githubReceiver) Start(ctx context.Context, host component.Host) error {
	r.startOnce.Do(func() { r.startErr = r.start(ctx, host) })
	return r.startErr
}

func (r *githubReceiver) start(ctx context.Context, host component.Host) error {
	if err := r.setup(ctx, host); err != nil {
		return err
	}
	runCtx, cancel := context.WithCancel(context.Background())
	r.cancel = cancel

	if wh := r.cfg.Webhook.Get(); wh != nil {
		r.webhooks = make(chan completedRun, webhookQueueSize)
		if err := r.startWebhook(ctx, host, wh); err != nil {
			cancel()
			return errors.Join(err, r.closeStorage(ctx))
		}
		r.wg.Add(1)
		go func() {
			defer r.wg.Done()
			r.webhookLoop(runCtx)
		}()
	}

	r.wg.Add(1)
	go func() {
		defer r.wg.Done()
		r.pollLoop(runCtx)
	}()
	r.set.Logger.Info("githubworkflow receiver started",
		zap.String("endpoint", r.cfg.Endpoint),
		zap.Int("repositories", len(r.cfg.Repositories)),
		zap.Bool("webhook", r.server != nil))
	return nil
}

// setup builds the telemetry, the API client, the state (opening the storage) and the poller.
func (r *githubReceiver) setup(ctx context.Context, host component.Host) error {
	tb, err := metadata.NewTelemetryBuilder(r.set.TelemetrySettings)
	if err != nil {
		return fmt.Errorf("create telemetry: %w", err)
	}
	r.telemetry = tb

	httpClient, err := r.cfg.ToClient(ctx, host.GetExtensions(), r.set.TelemetrySettings)
	if err != nil {
		return fmt.Errorf("create http client: %w", err)
	}
	r.client, err = newAPIClient(httpClient, r.cfg, r.clock, r.observeRequest)
	if err != nil {
		return err
	}
	if r.cfg.StorageID != nil {
		r.storage, err = openStorage(ctx, host, *r.cfg.StorageID, r.set.ID)
		if err != nil {
			return err
		}
	}
	r.state = newStateStore(r.storage, r.clock, r.cfg.Lookback)
	obs, err := receiverhelper.NewObsReport(receiverhelper.ObsReportSettings{
		ReceiverID:             r.set.ID,
		Transport:              obsTransport,
		ReceiverCreateSettings: r.set,
	})
	if err != nil {
		return errors.Join(fmt.Errorf("create receiver telemetry: %w", err), r.closeStorage(ctx))
	}
	em := newEmitter(r.set.Logger, hostName(r.cfg.Endpoint), r.traces, r.metrics, r.state, r.clock, r.telemetry, obs)
	r.poller = newPoller(r.cfg, r.client, r.state, em, r.clock, r.set.Logger)
	r.poller.webhooks = r.cfg.Webhook.HasValue()
	return nil
}

func (r *githubReceiver) startWebhook(ctx context.Context, host component.Host, wh *WebhookConfig) error {
	mux := http.NewServeMux()
	mux.Handle(wh.Path, newWebhookHandler([]byte(string(wh.Secret)), wh.webhookMaxBody(), r.enqueueWebhook, r.poller.announceActive, r.observeWebhook))
	ln, err := wh.ToListener(ctx)
	if err != nil {
		return fmt.Errorf("listen on webhook endpoint %q: %w", wh.NetAddr.Endpoint, err)
	}
	srv, err := wh.ToServer(ctx, host.GetExtensions(), r.set.TelemetrySettings, mux)
	if err != nil {
		_ = ln.Close()
		return fmt.Errorf("create webhook server: %w", err)
	}
	r.server = srv
	r.webhookAddr = ln.Addr().String()
	r.wg.Add(1)
	go func() {
		defer r.wg.Done()
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			componentstatus.ReportStatus(host, componentstatus.NewFatalErrorEvent(err))
		}
	}()
	return nil
}

// pollLoop polls at once, then every collection_interval, and emits the CI/CD metrics after
// each cycle.
func (r *githubReceiver) pollLoop(ctx context.Context) {
	ticker := time.NewTicker(r.cfg.CollectionInterval)
	defer ticker.Stop()
	for {
		r.poller.poll(ctx)
		r.poller.emitter.flushMetrics(ctx)
		select {
		case <-ctx.Done():
			return
		case <-ticker.C:
		}
	}
}

// webhookLoop fetches and emits the attempts that webhook deliveries announce.
func (r *githubReceiver) webhookLoop(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case cr := <-r.webhooks:
			r.poller.fetchAnnounced(ctx, cr)
		}
	}
}

// enqueueWebhook never blocks: the webhook handler must answer at once. It reports whether
// the queue took cr.
func (r *githubReceiver) enqueueWebhook(cr completedRun) bool {
	select {
	case r.webhooks <- cr:
		return true
	default:
		return false
	}
}

func (r *githubReceiver) observeWebhook(event, outcome string) {
	r.telemetry.GithubworkflowWebhookDeliveries.Add(context.Background(), 1,
		metric.WithAttributes(attribute.String("event", event), attribute.String("outcome", outcome)))
}

func (r *githubReceiver) observeRequest(endpoint, status string, remaining int, paused bool) {
	if r.telemetry == nil {
		return
	}
	ctx := context.Background()
	if endpoint != "" {
		r.telemetry.GithubworkflowAPIRequests.Add(ctx, 1,
			metric.WithAttributes(attribute.String("endpoint", endpoint), attribute.String("status", status)))
	}
	if remaining >= 0 {
		r.telemetry.GithubworkflowRateLimitRemaining.Record(ctx, int64(remaining))
	}
	if paused {
		r.telemetry.GithubworkflowRateLimitPauses.Add(ctx, 1)
	}
}

// Shutdown stops the webhook server, the poll loop and the storage. It is idempotent, safe
// without Start, and gives up waiting when ctx ends.
func (r *githubReceiver) Shutdown(ctx context.Context) error {
	r.shutdownOnce.Do(func() { r.shutdownErr = r.shutdown(ctx) })
	return r.shutdownErr
}

func (r *githubReceiver) shutdown(ctx context.Context) error {
	if r.onRelease != nil {
		r.onRelease()
	}
	var errs []error
	if r.server != nil {
		if err := r.server.Shutdown(ctx); err != nil {
			errs = append(errs, fmt.Errorf("shut down webhook server: %w", err))
		}
	}
	if r.cancel != nil {
		r.cancel()
	}
	done := make(chan struct{})
	go func() {
		r.wg.Wait()
		close(done)
	}()
	select {
	case <-done:
	case <-ctx.Done():
		return errors.Join(append(errs, ctx.Err())...)
	}
	errs = append(errs, r.closeStorage(ctx))
	if r.telemetry != nil {
		r.telemetry.Shutdown()
	}
	if r.storage != nil || r.server != nil || r.cancel != nil {
		r.set.Logger.Info("githubworkflow receiver stopped")
	}
	return errors.Join(errs...)
}

func (r *githubReceiver) closeStorage(ctx context.Context) error {
	if r.storage == nil {
		return nil
	}
	err := r.storage.Close(ctx)
	r.storage = nil
	if err != nil {
		return fmt.Errorf("close storage: %w", err)
	}
	return nil
}

// openStorage gets a client of the storage extension id.
func openStorage(ctx context.Context, host component.Host, id, owner component.ID) (storage.Client, error) {
	ext, ok := host.GetExtensions()[id]
	if !ok {
		return nil, fmt.Errorf("storage: extension %q not found", id)
	}
	se, ok := ext.(storage.Extension)
	if !ok {
		return nil, fmt.Errorf("storage: extension %q is not a storage extension", id)
	}
	client, err := se.GetClient(ctx, component.KindReceiver, owner, "")
	if err != nil {
		return nil, fmt.Errorf("storage: get client of %q: %w", id, err)
	}
	return client, nil
}

// hostName is the API endpoint's host, part of every trace and span id.
func hostName(endpoint string) string {
	u, err := url.Parse(endpoint)
	if err != nil || u.Host == "" {
		return endpoint
	}
	if h, _, err := net.SplitHostPort(u.Host); err == nil {
		return h
	}
	return u.Host
}
