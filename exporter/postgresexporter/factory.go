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
func NewFactory() exporter.Factory {
	return exporter.NewFactory(
		metadata.Type,
		createDefaultConfig,
		exporter.WithMetrics(createMetrics, metadata.MetricsStability),
		exporter.WithTraces(createTraces, metadata.TracesStability),
		exporter.WithLogs(createLogs, metadata.LogsStability),
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
		Timeout:      defaultTimeout,
		QueueConfig:  configoptional.Some(queue),
		BackOff:      configretry.NewDefaultBackOffConfig(),
	}
}

func helperOptions(cfg *Config, e *pgExporter) []exporterhelper.Option {
	return []exporterhelper.Option{
		exporterhelper.WithStart(e.start),
		exporterhelper.WithShutdown(e.shutdown),
		exporterhelper.WithCapabilities(consumer.Capabilities{MutatesData: false}),
		exporterhelper.WithTimeout(exporterhelper.TimeoutConfig{Timeout: cfg.Timeout}),
		exporterhelper.WithQueue(cfg.QueueConfig),
		exporterhelper.WithRetry(cfg.BackOff),
	}
}

func createMetrics(ctx context.Context, set exporter.Settings, cfg component.Config) (exporter.Metrics, error) {
	c := cfg.(*Config)
	e, err := newExporter(set, c, "metrics")
	if err != nil {
		return nil, err
	}
	return exporterhelper.NewMetrics(ctx, set, cfg, e.pushMetrics, helperOptions(c, e)...)
}

func createTraces(ctx context.Context, set exporter.Settings, cfg component.Config) (exporter.Traces, error) {
	c := cfg.(*Config)
	e, err := newExporter(set, c, "traces")
	if err != nil {
		return nil, err
	}
	return exporterhelper.NewTraces(ctx, set, cfg, e.pushTraces, helperOptions(c, e)...)
}

func createLogs(ctx context.Context, set exporter.Settings, cfg component.Config) (exporter.Logs, error) {
	c := cfg.(*Config)
	e, err := newExporter(set, c, "logs")
	if err != nil {
		return nil, err
	}
	return exporterhelper.NewLogs(ctx, set, cfg, e.pushLogs, helperOptions(c, e)...)
}
