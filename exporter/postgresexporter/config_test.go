package postgresexporter

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/confmap/confmaptest"

	"github.com/otelcol-diagnostics/otelcol-diagnostics/exporter/postgresexporter/internal/metadata"
)

func TestLoadConfig(t *testing.T) {
	cm, err := confmaptest.LoadConf(filepath.Join("testdata", "config.yaml"))
	require.NoError(t, err)

	full := createDefaultConfig().(*Config)
	full.DSN = "postgres://otel:secret@db.example:5432/telemetry?sslmode=verify-full"
	full.Schema = "observability"
	full.CreateSchema = false
	full.AttributeIndex = false
	full.Retention = 720 * time.Hour
	full.Timeout = 10 * time.Second
	q := full.QueueConfig.Get()
	q.QueueSize = 500
	q.NumConsumers = 2
	b := q.Batch.Get()
	b.FlushTimeout = time.Second
	b.MinSize = 10000
	b.MaxSize = 50000
	full.BackOff.MaxElapsedTime = 10 * time.Minute

	tests := []struct {
		id      component.ID
		want    *Config
		wantErr []string
	}{
		{id: component.NewID(metadata.Type), want: createDefaultConfig().(*Config)},
		{id: component.NewIDWithName(metadata.Type, "full"), want: full},
		{id: component.NewIDWithName(metadata.Type, "invalid"), wantErr: []string{
			"dsn: cannot be parsed", "schema: must be a plain identifier", "retention: must be 0", "timeout: must not be negative",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.id.String(), func(t *testing.T) {
			cfg := createDefaultConfig()
			sub, err := cm.Sub(tt.id.String())
			require.NoError(t, err)
			require.NoError(t, sub.Unmarshal(cfg))
			err = confmap.Validate(cfg)
			if tt.wantErr != nil {
				require.Error(t, err)
				for _, w := range tt.wantErr {
					assert.ErrorContains(t, err, w)
				}
				assert.NotContains(t, err.Error(), "notaport", "the dsn must never be echoed")
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, cfg)
		})
	}
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name    string
		mutate  func(*Config)
		wantErr error
	}{
		{name: "default", mutate: func(*Config) {}},
		{name: "schema with capitals", mutate: func(c *Config) { c.Schema = "Otel_2" }},
		{name: "empty schema", mutate: func(c *Config) { c.Schema = "" }, wantErr: errSchemaEmpty},
		{name: "quoted schema", mutate: func(c *Config) { c.Schema = `otel"` }, wantErr: errSchemaInvalid},
		{name: "schema starting with digit", mutate: func(c *Config) { c.Schema = "1otel" }, wantErr: errSchemaInvalid},
		{name: "schema with space", mutate: func(c *Config) { c.Schema = "otel data" }, wantErr: errSchemaInvalid},
		{name: "schema too long", mutate: func(c *Config) { c.Schema = string(make([]byte, 64)) }, wantErr: errSchemaInvalid},
		{name: "schema 63 bytes", mutate: func(c *Config) { c.Schema = "a23456789012345678901234567890123456789012345678901234567890123" }},
		{name: "system schema", mutate: func(c *Config) { c.Schema = "pg_catalog" }, wantErr: errSchemaReserved},
		{name: "information_schema", mutate: func(c *Config) { c.Schema = "INFORMATION_SCHEMA" }, wantErr: errSchemaReserved},
		{name: "retention 24h", mutate: func(c *Config) { c.Retention = 24 * time.Hour }},
		{name: "retention 23h", mutate: func(c *Config) { c.Retention = 23 * time.Hour }, wantErr: errRetention},
		{name: "negative retention", mutate: func(c *Config) { c.Retention = -time.Hour }, wantErr: errRetention},
		{name: "negative timeout", mutate: func(c *Config) { c.Timeout = -time.Second }, wantErr: errTimeout},
		{name: "key=value dsn", mutate: func(c *Config) { c.DSN = "host=/run/postgresql dbname=otel" }},
		{name: "bad dsn", mutate: func(c *Config) { c.DSN = "postgres://u:hunter2@h:99999999/db" }, wantErr: errDSN},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := createDefaultConfig().(*Config)
			tt.mutate(cfg)
			err := cfg.Validate()
			if tt.wantErr == nil {
				assert.NoError(t, err)
				return
			}
			assert.ErrorIs(t, err, tt.wantErr)
			assert.NotContains(t, err.Error(), "hunter2")
		})
	}
}

func TestDefaultConfigBatches(t *testing.T) {
	cfg := createDefaultConfig().(*Config)
	require.True(t, cfg.QueueConfig.HasValue())
	q := cfg.QueueConfig.Get()
	require.True(t, q.Batch.HasValue(), "batching is on by default")
	assert.GreaterOrEqual(t, q.Batch.Get().MinSize, int64(1000))
	assert.NoError(t, confmap.Validate(cfg))
}
