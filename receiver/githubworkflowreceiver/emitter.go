package githubworkflowreceiver // import "github.com/otelcol-diagnostics/otelcol-diagnostics/receiver/githubworkflowreceiver"

import (
	"context"
	"fmt"

	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/receiver/receiverhelper"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"go.uber.org/zap"

	"github.com/otelcol-diagnostics/otelcol-diagnostics/receiver/githubworkflowreceiver/internal/metadata"
)

// obsFormat is the format reported by the standard receiver telemetry: the REST API's and
// the webhook deliveries' JSON objects of GitHub Actions.
const obsFormat = "github_actions"

// emitter turns completed attempts into traces and metrics, exactly once.
type emitter struct {
	logger    *zap.Logger
	builder   *traceBuilder
	metrics   *cicdMetrics
	traces    consumer.Traces
	metricsC  consumer.Metrics
	state     *stateStore
	clock     clock
	telemetry *metadata.TelemetryBuilder
	// obs (may be nil in tests) reports every hand-off downstream as the collector's
	// standard receiver telemetry: otelcol_receiver_accepted/refused_spans and
	// _metric_points, and a span per operation.
	obs *receiverhelper.ObsReport
}

func newEmitter(logger *zap.Logger, host string, traces consumer.Traces, metrics consumer.Metrics, state *stateStore, clk clock, tb *metadata.TelemetryBuilder, obs *receiverhelper.ObsReport) *emitter {
	return &emitter{
		logger:    logger,
		builder:   newTraceBuilder(host),
		metrics:   newCICDMetrics(clk.Now()),
		traces:    traces,
		metricsC:  metrics,
		state:     state,
		clock:     clk,
		telemetry: tb,
		obs:       obs,
	}
}

// emit sends a claimed attempt downstream and marks it done; on a consumer error the claim
// is released so that the next poll tries again.
func (e *emitter) emit(ctx context.Context, id attemptID, a runAttempt, source string) error {
	if e.traces != nil {
		if err := e.consumeTraces(ctx, e.builder.build(a)); err != nil {
			e.state.release(id)
			return fmt.Errorf("consume trace of %s run %d attempt %d: %w", a.Repo, id.RunID, id.Attempt, err)
		}
	}
	e.metrics.recordCompleted(a)
	if e.telemetry != nil {
		e.telemetry.GithubworkflowAttemptsEmitted.Add(ctx, 1, metric.WithAttributes(attribute.String("source", source)))
	}
	return e.state.done(ctx, id, a.Run.GetCreatedAt().Time, source)
}

// flushMetrics sends the CI/CD metrics as of now.
func (e *emitter) flushMetrics(ctx context.Context) {
	if e.metricsC == nil {
		return
	}
	md := e.metrics.collect(e.clock.Now())
	if md.ResourceMetrics().Len() == 0 {
		return
	}
	if err := e.consumeMetrics(ctx, md); err != nil && ctx.Err() == nil {
		e.logger.Warn("consume cicd metrics failed", zap.Error(err))
	}
}

func (e *emitter) consumeTraces(ctx context.Context, td ptrace.Traces) error {
	if e.obs == nil {
		return e.traces.ConsumeTraces(ctx, td)
	}
	n := td.SpanCount() // before the hand-off: the consumer may mutate td
	ctx = e.obs.StartTracesOp(ctx)
	err := e.traces.ConsumeTraces(ctx, td)
	e.obs.EndTracesOp(ctx, obsFormat, n, err)
	return err
}

func (e *emitter) consumeMetrics(ctx context.Context, md pmetric.Metrics) error {
	if e.obs == nil {
		return e.metricsC.ConsumeMetrics(ctx, md)
	}
	n := md.DataPointCount()
	ctx = e.obs.StartMetricsOp(ctx)
	err := e.metricsC.ConsumeMetrics(ctx, md)
	e.obs.EndMetricsOp(ctx, obsFormat, n, err)
	return err
}
