package githubworkflowreceiver // import "github.com/otelcol-diagnostics/otelcol-diagnostics/receiver/githubworkflowreceiver"

import (
	"context"
	"sync"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/config/confighttp"
	"go.opentelemetry.io/collector/config/configoptional"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/receiver"

	"github.com/otelcol-diagnostics/otelcol-diagnostics/receiver/githubworkflowreceiver/internal/metadata"
)

// NewFactory creates the factory of the githubworkflow receiver.
func NewFactory() receiver.Factory {
	f := &factory{receivers: map[*Config]*githubReceiver{}}
	return receiver.NewFactory(
		metadata.Type,
		createDefaultConfig,
		receiver.WithTraces(f.createTraces, metadata.TracesStability),
		receiver.WithMetrics(f.createMetrics, metadata.MetricsStability),
	)
}

func createDefaultConfig() component.Config {
	client := confighttp.NewDefaultClientConfig()
	client.Endpoint = defaultEndpoint
	client.Timeout = defaultTimeout
	server := confighttp.NewDefaultServerConfig()
	server.NetAddr.Endpoint = defaultWebhookEndpoint
	return &Config{
		ClientConfig:       client,
		CollectionInterval: defaultCollectionInterval,
		Lookback:           defaultLookback,
		Concurrency:        defaultConcurrency,
		RateLimitReserve:   defaultRateLimitReserve,
		GitHubApp:          configoptional.None[GitHubAppConfig](),
		Webhook: configoptional.Default(WebhookConfig{
			ServerConfig: server,
			Path:         defaultWebhookPath,
		}),
	}
}

// factory shares one receiver between the traces and metrics pipelines of the same
// configuration, so that both signals come from one poller, one webhook server and one
// rate-limit budget.
type factory struct {
	mu        sync.Mutex
	receivers map[*Config]*githubReceiver
}

func (f *factory) get(set receiver.Settings, cfg *Config) *githubReceiver {
	f.mu.Lock()
	defer f.mu.Unlock()
	r, ok := f.receivers[cfg]
	if !ok {
		r = newReceiver(set, cfg, func() {
			f.mu.Lock()
			delete(f.receivers, cfg)
			f.mu.Unlock()
		})
		f.receivers[cfg] = r
	}
	return r
}

func (f *factory) createTraces(_ context.Context, set receiver.Settings, cfg component.Config, next consumer.Traces) (receiver.Traces, error) {
	r := f.get(set, cfg.(*Config))
	r.traces = next
	return r, nil
}

func (f *factory) createMetrics(_ context.Context, set receiver.Settings, cfg component.Config, next consumer.Metrics) (receiver.Metrics, error) {
	r := f.get(set, cfg.(*Config))
	r.metrics = next
	return r, nil
}
