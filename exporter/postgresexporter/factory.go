package postgresexporter // import "github.com/otelcol-diagnostics/otelcol-diagnostics/exporter/postgresexporter"

import (
	"context"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/config/configoptional"
	"go.opentelemetry.io/collector/config/configretry"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/exporter"
	"go.opentelemetry.io/collector/exporter/exporterhelper"

	"github.com/otelcol-diagnostics/otelcol-diagnostics/exporter/postgresexporter/internal/metadata"
)

// Default batching: thousands of rows per transaction, at most a short wait for them.
const (
	defaultBatchMinItems  = 8192
	defaultBatchMaxItems  = 32768
	defaultFlushTimeout   = 200 * time.Millisecond
	defaultQueueConsumers = 4
)

// NewFactory returns the factory of the postgres exporter.
// Every pipeline naming one config gets the same exporter (one pool, one migration, one retention
// loop); the map lives in the factory, not in the package.
func NewFactory() exporter.Factory {
	shared := newSharedExporters()
	return exporter.NewFactory(
		metadata.Type,
		createDefaultConfig,
		exporter.WithMetrics(shared.createMetrics, metadata.MetricsStability),
		exporter.WithTraces(shared.createTraces, metadata.TracesStability),
		exporter.WithLogs(shared.createLogs, metadata.LogsStability),
	)
}

func createDefaultConfig() component.Config {
	queue := exporterhelper.NewDefaultQueueConfig()
	queue.NumConsumers = defaultQueueConsumers
	queue.Batch = configoptional.Some(exporterhelper.BatchConfig{
		FlushTimeout: defaultFlushTimeout,
		Sizer:        exporterhelper.RequestSizerTypeItems,
		MinSize:      defaultBatchMinItems,
		MaxSize:      defaultBatchMaxItems,
	})
	return &Config{
		Schema:       defaultSchema,
		CreateSchema: true,
		// Measured: see the README's Performance section.
		AttributeIndex: true,
		Timeout:        defaultTimeout,
		QueueConfig:    configoptional.Some(queue),
		BackOff:        configretry.NewDefaultBackOffConfig(),
	}
}

func helperOptions(cfg *Config, u *pipelineUse) []exporterhelper.Option {
	return []exporterhelper.Option{
		exporterhelper.WithStart(u.start),
		exporterhelper.WithShutdown(u.shutdown),
		exporterhelper.WithCapabilities(consumer.Capabilities{MutatesData: false}),
		exporterhelper.WithTimeout(exporterhelper.TimeoutConfig{Timeout: cfg.Timeout}),
		exporterhelper.WithQueue(cfg.QueueConfig),
		exporterhelper.WithRetry(cfg.BackOff),
	}
}

func (s *sharedExporters) createMetrics(ctx context.Context, set exporter.Settings, cfg component.Config) (exporter.Metrics, error) {
	c := cfg.(*Config)
	u, err := s.use(set, c)
	if err != nil {
		return nil, err
	}
	return exporterhelper.NewMetrics(ctx, set, cfg, u.exporter().pushMetrics, helperOptions(c, u)...)
}

func (s *sharedExporters) createTraces(ctx context.Context, set exporter.Settings, cfg component.Config) (exporter.Traces, error) {
	c := cfg.(*Config)
	u, err := s.use(set, c)
	if err != nil {
		return nil, err
	}
	return exporterhelper.NewTraces(ctx, set, cfg, u.exporter().pushTraces, helperOptions(c, u)...)
}

func (s *sharedExporters) createLogs(ctx context.Context, set exporter.Settings, cfg component.Config) (exporter.Logs, error) {
	c := cfg.(*Config)
	u, err := s.use(set, c)
	if err != nil {
		return nil, err
	}
	return exporterhelper.NewLogs(ctx, set, cfg, u.exporter().pushLogs, helperOptions(c, u)...)
}
