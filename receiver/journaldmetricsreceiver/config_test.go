package journaldmetricsreceiver

import (
	"math"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/confmap/confmaptest"

	"github.com/otelcol-diagnostics/otelcol-diagnostics/receiver/journaldmetricsreceiver/internal/metadata"
)

// contractDefaults is the default configuration the contract fixes.
func contractDefaults() *Config {
	return &Config{
		Reader:             readerSdjournal,
		StartAt:            startAtEnd,
		CollectionInterval: 10 * time.Second,
		MaxSeriesPerMetric: 2000,
		SeriesIdleTimeout:  time.Hour,
		EntriesMetric:      true,
		ResourceAttributes: map[string]string{"host.name": "_HOSTNAME", "host.id": "_MACHINE_ID"},
	}
}

func TestDefaultConfigIsTheContract(t *testing.T) {
	cfg := createDefaultConfig()
	assert.Equal(t, contractDefaults(), cfg)
	assert.NoError(t, confmap.Validate(cfg))
}

func TestLoadConfig(t *testing.T) {
	cm, err := confmaptest.LoadConf(filepath.Join("testdata", "config.yaml"))
	require.NoError(t, err)

	storage := component.MustNewID("file_storage")
	orderRegex := map[string]string{"MESSAGE": `^order (?P<state>\w+) in (?P<ms>\d+)ms$`}
	legacy := map[string]string{"SYSLOG_IDENTIFIER": "legacyapp"}

	tests := []struct {
		id   component.ID
		want *Config
	}{
		{id: component.NewID(metadata.Type), want: contractDefaults()},
		{
			id: component.NewIDWithName(metadata.Type, "full"),
			want: func() *Config {
				c := contractDefaults()
				c.Directory = "/var/log/journal"
				c.StorageID = &storage
				c.Matches = []map[string]string{{"_SYSTEMD_UNIT": "legacyapp.service"}}
				c.Metrics = []MetricConfig{
					{
						Name: "legacyapp.orders", Description: "Orders handled, by outcome", Unit: "{order}", Type: typeCounter,
						Match:      MatchConfig{Fields: legacy, Regex: orderRegex},
						Attributes: map[string]string{"state": "state", "unit": "_SYSTEMD_UNIT"},
					},
					{
						Name: "legacyapp.order.duration", Description: "Order handling time", Unit: "ms", Type: typeHistogram,
						Match: MatchConfig{Fields: legacy, Regex: orderRegex}, Value: "ms",
						Attributes: map[string]string{"state": "state"}, Buckets: []float64{10, 100, 1000},
					},
					{
						Name: "legacyapp.queue.depth", Description: "Queue depth reported in the custom QUEUE_DEPTH field",
						Unit: "{item}", Type: typeGauge, Match: MatchConfig{Fields: legacy}, Value: "QUEUE_DEPTH",
						Attributes: map[string]string{"queue": "QUEUE_NAME"},
					},
				}
				return c
			}(),
		},
		{
			id: component.NewIDWithName(metadata.Type, "journalctl"),
			want: func() *Config {
				c := contractDefaults()
				c.Reader = readerJournalctl
				c.Files = []string{"/var/log/journal/remote/remote-a.journal", "/var/log/journal/remote/remote-b.journal"}
				c.StartAt = startAtBeginning
				c.EntriesMetric = false
				c.ResourceAttributes = map[string]string{"host.name": "_HOSTNAME"}
				c.Metrics = []MetricConfig{{
					Name: "sshd.auth.failures", Type: typeCounter,
					Match: MatchConfig{
						Fields: map[string]string{"_COMM": "sshd"},
						Regex:  map[string]string{"MESSAGE": `^Failed password for (invalid user )?(?P<user>\S+) from`},
					},
					Attributes: map[string]string{"user": "user"},
				}}
				return c
			}(),
		},
	}
	filters := contractDefaults()
	filters.Units, filters.Identifiers = []string{"legacyapp.service"}, []string{"legacyapp"}
	filters.Priority, filters.Boot = "warning", "current"
	tests = append(tests, struct {
		id   component.ID
		want *Config
	}{id: component.NewIDWithName(metadata.Type, "filters"), want: filters})
	noResource := contractDefaults()
	noResource.ResourceAttributes = map[string]string{}
	tests = append(tests, struct {
		id   component.ID
		want *Config
	}{id: component.NewIDWithName(metadata.Type, "one_resource"), want: noResource})
	for _, tt := range tests {
		t.Run(tt.id.String(), func(t *testing.T) {
			sub, err := cm.Sub(tt.id.String())
			require.NoError(t, err)
			cfg := createDefaultConfig().(*Config)
			require.NoError(t, sub.Unmarshal(cfg))
			assert.NoError(t, confmap.Validate(cfg))
			assert.Equal(t, tt.want, cfg)
		})
	}
}

// validConfig is a small valid configuration the failure cases below break one key at a time.
func validConfig() *Config {
	c := contractDefaults()
	c.Metrics = []MetricConfig{
		{
			Name: "orders", Type: typeCounter,
			Match: MatchConfig{
				Fields: map[string]string{"SYSLOG_IDENTIFIER": "app"},
				Regex:  map[string]string{"MESSAGE": `^order (?P<state>\w+) in (?P<ms>\d+)ms$`},
			},
			Attributes: map[string]string{"state": "state", "unit": "_SYSTEMD_UNIT"},
		},
		{
			Name: "order.duration", Type: typeHistogram, Value: "ms", Buckets: []float64{1, 10},
			Match: MatchConfig{Regex: map[string]string{"MESSAGE": `^order (?P<state>\w+) in (?P<ms>\d+)ms$`}},
		},
		{Name: "depth", Type: typeGauge, Value: "QUEUE_DEPTH"},
	}
	return c
}

func TestValidate(t *testing.T) {
	tests := []validateCase{
		{name: "valid", modify: func(*Config) {}},
		{name: "journalctl reader", modify: func(c *Config) { c.Reader = readerJournalctl; c.StartAt = startAtBeginning }},
		{name: "no rules with entries_metric", modify: func(c *Config) { c.Metrics = nil }},
		{name: "zero idle timeout keeps series", modify: func(c *Config) { c.SeriesIdleTimeout = 0 }},
		{name: "uppercase capture name", modify: func(c *Config) {
			c.Metrics[2].Match.Regex = map[string]string{"MESSAGE": `depth=(?P<DEPTH>\d+)`}
			c.Metrics[2].Value = "DEPTH"
		}},
		{name: "optional capture and counter value", modify: func(c *Config) { c.Metrics[0].Value = "ms" }},
		{
			name:   "unknown reader",
			modify: func(c *Config) { c.Reader = "journald" },
			want:   []string{`reader: must be "sdjournal" or "journalctl", got "journald"`},
		},
		{
			name:   "unknown start_at",
			modify: func(c *Config) { c.StartAt = "now" },
			want:   []string{`start_at: must be "end" or "beginning", got "now"`},
		},
		{
			name: "files and directory",
			modify: func(c *Config) {
				c.Reader = readerJournalctl
				c.Directory = "/var/log/journal"
				c.Files = []string{"a.journal", " "}
			},
			want: []string{"files: cannot be combined with directory", "files[1]: must not be empty"},
		},
		{
			name:   "collection_interval",
			modify: func(c *Config) { c.CollectionInterval = 0 },
			want:   []string{"collection_interval: must be positive, got 0s"},
		},
		{
			name:   "max_series_per_metric",
			modify: func(c *Config) { c.MaxSeriesPerMetric = 0 },
			want:   []string{"max_series_per_metric: must be at least 1, got 0"},
		},
		{
			name:   "negative series_idle_timeout",
			modify: func(c *Config) { c.SeriesIdleTimeout = -time.Second },
			want:   []string{"series_idle_timeout: must not be negative"},
		},
		{
			name:   "matches",
			modify: func(c *Config) { c.Matches = []map[string]string{{"_SYSTEMD_UNIT": "a"}, {}, {"unit": "b"}} },
			want: []string{
				"matches[1]: must hold at least one field",
				`matches[2].unit: journal field name "unit" may hold only A-Z, 0-9 and _`,
			},
		},
		{name: "no resource attributes", modify: func(c *Config) { c.ResourceAttributes = map[string]string{} }},
		{
			name:   "resource_attributes",
			modify: func(c *Config) { c.ResourceAttributes = map[string]string{"host.name": "hostname", "": "_HOSTNAME"} },
			want: []string{
				"resource_attributes.: attribute name must not be empty",
				`resource_attributes.host.name: journal field name "hostname" may hold only A-Z, 0-9 and _`,
			},
		},
		{
			name:   "nothing to emit",
			modify: func(c *Config) { c.Metrics = nil; c.EntriesMetric = false },
			want:   []string{"metrics: at least one rule is required when entries_metric is false"},
		},
		{
			name:   "bad regex",
			modify: func(c *Config) { c.Metrics[1].Match.Regex["MESSAGE"] = `^order (?P<ms>\d+` },
			want:   []string{"metrics[1].match.regex.MESSAGE: invalid regex: error parsing regexp: missing closing )"},
		},
		{
			name: "bad regex does not blame the references to its captures",
			modify: func(c *Config) {
				c.Metrics[0].Match.Regex["MESSAGE"] = `^order (?P<state>\w+`
				c.Metrics[0].Attributes["empty"] = ""
			},
			want: []string{
				"metrics[0].match.regex.MESSAGE: invalid regex",
				"metrics[0].attributes.empty: must name a journal field or a named capture",
			},
		},
		{
			name:   "regex on a bad field name",
			modify: func(c *Config) { c.Metrics[1].Match.Regex["message"] = `x` },
			want:   []string{`metrics[1].match.regex.message: journal field name "message" may hold only A-Z, 0-9 and _`},
		},
		{
			name:   "field name starting with a digit",
			modify: func(c *Config) { c.Metrics[0].Match.Fields["1FIELD"] = "x" },
			want:   []string{`metrics[0].match.fields.1FIELD: journal field name "1FIELD" must not start with a digit`},
		},
		{
			name:   "field name too long",
			modify: func(c *Config) { c.Metrics[0].Match.Fields[strings.Repeat("A", 65)] = "x" },
			want:   []string{"is longer than 64 bytes"},
		},
		{
			name:   "unknown type",
			modify: func(c *Config) { c.Metrics[0].Type = "summary" },
			want:   []string{`metrics[0].type: unknown type "summary": must be "counter", "gauge" or "histogram"`},
		},
		{
			name:   "missing type",
			modify: func(c *Config) { c.Metrics[2].Type = "" },
			want:   []string{`metrics[2].type: must be set to "counter", "gauge" or "histogram"`},
		},
		{
			name:   "gauge without value",
			modify: func(c *Config) { c.Metrics[2].Value = "" },
			want:   []string{"metrics[2].value: is required for a gauge"},
		},
		{
			name:   "histogram without value",
			modify: func(c *Config) { c.Metrics[1].Value = "" },
			want:   []string{"metrics[1].value: is required for a histogram"},
		},
		{
			name:   "value names a capture that is not in the regex",
			modify: func(c *Config) { c.Metrics[1].Value = "millis" },
			want: []string{
				`metrics[1].value: "millis" is not a journal field name ([A-Z0-9_]+) nor a named capture of match.regex (captures: ms, state)`,
			},
		},
		{
			name:   "lowercase value without any regex",
			modify: func(c *Config) { c.Metrics[2].Value = "depth" },
			want:   []string{`metrics[2].value: "depth" is not a journal field name ([A-Z0-9_]+) and match.regex defines no named capture`},
		},
		{
			name:   "attribute names a missing capture",
			modify: func(c *Config) { c.Metrics[0].Attributes["user"] = "user" },
			want:   []string{`metrics[0].attributes.user: "user" is not a journal field name`},
		},
		{
			name:   "attribute with empty reference",
			modify: func(c *Config) { c.Metrics[0].Attributes["empty"] = "" },
			want:   []string{"metrics[0].attributes.empty: must name a journal field or a named capture, got an empty string"},
		},
		{
			name:   "reserved attribute",
			modify: func(c *Config) { c.Metrics[0].Attributes[overflowAttribute] = "state" },
			want:   []string{`metrics[0].attributes.otel.metric.overflow: "otel.metric.overflow" is reserved`},
		},
		{
			name:   "empty attribute name",
			modify: func(c *Config) { c.Metrics[0].Attributes[""] = "state" },
			want:   []string{"metrics[0].attributes.: attribute name must not be empty"},
		},
		{
			name: "capture defined twice",
			modify: func(c *Config) {
				c.Metrics[0].Match.Regex["CODE_FUNC"] = `(?P<state>\w+)`
			},
			want: []string{`metrics[0].match.regex.MESSAGE: capture "state" is also defined by match.regex.CODE_FUNC`},
		},
		{
			name:   "buckets on a counter",
			modify: func(c *Config) { c.Metrics[0].Buckets = []float64{1} },
			want:   []string{`metrics[0].buckets: only a histogram has buckets (type is "counter")`},
		},
		{
			name:   "unsorted buckets",
			modify: func(c *Config) { c.Metrics[1].Buckets = []float64{1, 10, 10, 5} },
			want: []string{
				"metrics[1].buckets[2]: must be greater than the previous boundary 10, got 10",
				"metrics[1].buckets[3]: must be greater than the previous boundary 10, got 5",
			},
		},
		{
			name:   "infinite bucket",
			modify: func(c *Config) { c.Metrics[1].Buckets = []float64{1, math.Inf(1)} },
			want:   []string{"metrics[1].buckets[1]: must be a finite number, got +Inf"},
		},
		{
			name:   "duplicate names",
			modify: func(c *Config) { c.Metrics[2].Name = "orders" },
			want:   []string{`metrics[2].name: "orders" is already used by metrics[0]`},
		},
		{
			name:   "empty name",
			modify: func(c *Config) { c.Metrics[2].Name = "" },
			want:   []string{"metrics[2].name: must not be empty"},
		},
		{
			name:   "invalid metric name",
			modify: func(c *Config) { c.Metrics[2].Name = "queue depth" },
			want:   []string{`metrics[2].name: "queue depth" is not a valid OpenTelemetry metric name`},
		},
		{
			name:   "metric name too long",
			modify: func(c *Config) { c.Metrics[2].Name = "a" + strings.Repeat("b", 255) },
			want:   []string{"metrics[2].name: ", "is not a valid OpenTelemetry metric name"},
		},
		{
			name:   "built-in name",
			modify: func(c *Config) { c.Metrics[2].Name = entriesMetricName },
			want:   []string{`metrics[2].name: "journald.entries" is the built-in metric of entries_metric`},
		},
		{
			name: "every problem at once",
			modify: func(c *Config) {
				c.Reader = ""
				c.CollectionInterval = -time.Second
				c.Metrics[0].Type = "sum"
				c.Metrics[1].Match.Regex["MESSAGE"] = "("
			},
			want: []string{"reader:", "collection_interval:", "metrics[0].type:", "metrics[1].match.regex.MESSAGE:"},
		},
	}
	runValidateCases(t, tests)
}

// validateCase changes a valid config and names what Validate's error must say.
type validateCase struct {
	name   string
	modify func(*Config)
	want   []string // each must appear in the error; none means valid
}

func runValidateCases(t *testing.T, tests []validateCase) {
	t.Helper()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := validConfig()
			tt.modify(cfg)
			err := cfg.Validate()
			if len(tt.want) == 0 {
				assert.NoError(t, err)
				return
			}
			require.Error(t, err)
			for _, w := range tt.want {
				assert.Contains(t, err.Error(), w)
			}
		})
	}
}

func TestValidateDoesNotMutate(t *testing.T) {
	cfg := validConfig()
	cfg.Metrics[1].Buckets = []float64{5, 1}
	before := validConfig()
	before.Metrics[1].Buckets = []float64{5, 1}
	require.Error(t, cfg.Validate())
	assert.Equal(t, before, cfg)
}

func TestValidateBadRegexOnly(t *testing.T) {
	cfg := validConfig()
	cfg.Metrics[0].Match.Regex["MESSAGE"] = `^order (?P<state>\w+`
	err := cfg.Validate()
	require.Error(t, err)
	assert.Equal(t, "metrics[0].match.regex.MESSAGE: invalid regex: error parsing regexp: missing closing ): `^order (?P<state>\\w+`",
		err.Error())
}
