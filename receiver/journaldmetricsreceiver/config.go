package journaldmetricsreceiver // import "github.com/otelcol-diagnostics/otelcol-diagnostics/receiver/journaldmetricsreceiver"

import (
	"errors"
	"fmt"
	"math"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/confmap"
)

const (
	readerSdjournal  = "sdjournal"
	readerJournalctl = "journalctl"
	startAtEnd       = "end"
	startAtBeginning = "beginning"

	typeCounter   = "counter"
	typeGauge     = "gauge"
	typeHistogram = "histogram"

	// entriesMetricName is the built-in counter enabled by entries_metric.
	entriesMetricName = "journald.entries"
	// overflowAttribute marks the one series that takes every observation beyond
	// max_series_per_metric.
	overflowAttribute = "otel.metric.overflow"

	// maxFieldNameLen is journald's limit on field names (JOURNAL_FIELD_NAME_MAX).
	maxFieldNameLen = 64
)

// Config is the configuration of the journaldmetrics receiver.
type Config struct {
	// Reader selects how the journal is read: "sdjournal" (in process, libsystemd)
	// or "journalctl" (a `journalctl -o export --follow` subprocess).
	Reader string `mapstructure:"reader"`
	// Directory reads the journal files of this directory instead of the local system journal.
	Directory string `mapstructure:"directory"`
	// Files reads exactly these journal files.
	Files []string `mapstructure:"files"`
	// StartAt is where reading starts when no cursor is stored: "end" or "beginning".
	StartAt string `mapstructure:"start_at"`
	// StorageID names a storage extension that keeps the cursor across restarts.
	StorageID *component.ID `mapstructure:"storage"`
	// CollectionInterval is how often the aggregated metrics are emitted.
	CollectionInterval time.Duration `mapstructure:"collection_interval"`
	// Matches is a journal-level prefilter: an OR of AND-groups of exact field matches.
	Matches []map[string]string `mapstructure:"matches"`
	// Units keeps the entries of these systemd units and systemd's own entries
	// about them, as journalctl --unit does.
	Units []string `mapstructure:"units"`
	// Identifiers keeps the entries with one of these SYSLOG_IDENTIFIERs.
	Identifiers []string `mapstructure:"identifiers"`
	// Priority keeps entries of this syslog level and more severe: a name
	// (emerg ... debug) or a number 0-7.
	Priority string `mapstructure:"priority"`
	// Boot keeps the entries of one boot: "current" or a boot id.
	Boot string `mapstructure:"boot"`
	// ResourceAttributes maps a resource attribute to the journal field that holds its
	// value in each entry: entries of different origins become different resources.
	// An empty map puts every entry in one resource without attributes.
	ResourceAttributes map[string]string `mapstructure:"resource_attributes"`
	// MaxSeriesPerMetric caps the series of each metric; beyond it observations go to
	// one overflow series with otel.metric.overflow=true.
	MaxSeriesPerMetric int `mapstructure:"max_series_per_metric"`
	// SeriesIdleTimeout drops series not observed for this long; 0 keeps them forever.
	SeriesIdleTimeout time.Duration `mapstructure:"series_idle_timeout"`
	// EntriesMetric enables the built-in journald.entries counter by unit and priority.
	EntriesMetric bool `mapstructure:"entries_metric"`
	// Metrics are the user rules.
	Metrics []MetricConfig `mapstructure:"metrics"`

	// prevent unkeyed literal initialization
	_ struct{}
}

// MetricConfig is one rule: which entries it matches and what it records.
type MetricConfig struct {
	Name        string `mapstructure:"name"`
	Description string `mapstructure:"description"`
	Unit        string `mapstructure:"unit"`
	// Type is "counter", "gauge" or "histogram".
	Type  string      `mapstructure:"type"`
	Match MatchConfig `mapstructure:"match"`
	// Value names a journal field or a named capture holding the number to record.
	// Required for gauges and histograms; a counter without it counts entries.
	Value string `mapstructure:"value"`
	// Attributes maps an attribute name to a journal field or a named capture.
	Attributes map[string]string `mapstructure:"attributes"`
	// Buckets are the explicit histogram bucket boundaries (histogram only).
	Buckets []float64 `mapstructure:"buckets"`
}

// MatchConfig selects the entries a rule applies to. Every condition must hold.
type MatchConfig struct {
	// Fields are exact equalities: journal field -> value.
	Fields map[string]string `mapstructure:"fields"`
	// Regex are RE2 expressions, with optional named captures: journal field -> regex.
	Regex map[string]string `mapstructure:"regex"`
}

var (
	_ component.Config    = (*Config)(nil)
	_ confmap.Unmarshaler = (*Config)(nil)
)

// defaultResourceAttributes name each entry's origin the way the semantic conventions do.
func defaultResourceAttributes() map[string]string {
	return map[string]string{"host.name": "_HOSTNAME", "host.id": "_MACHINE_ID"}
}

// Unmarshal replaces the default resource_attributes instead of merging into them, so
// that `resource_attributes: {}` turns them off and a map of its own drops the defaults.
func (cfg *Config) Unmarshal(conf *confmap.Conf) error {
	if conf.IsSet("resource_attributes") {
		cfg.ResourceAttributes = nil
	}
	// YAML reads `priority: 4` as a number; the key takes names and numbers alike.
	switch p := conf.Get("priority").(type) {
	case int, int64, uint64:
		if err := conf.Merge(confmap.NewFromStringMap(map[string]any{"priority": fmt.Sprint(p)})); err != nil {
			return err
		}
	}
	return conf.Unmarshal(cfg)
}

// metricNameRE is the OpenTelemetry instrument name syntax.
var metricNameRE = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_.\-/]{0,254}$`)

// Validate checks the configuration and returns every problem at once.
func (cfg *Config) Validate() error {
	var errs []error
	add := func(key, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s: %s", key, fmt.Sprintf(format, args...)))
	}

	switch cfg.Reader {
	case readerSdjournal, readerJournalctl:
	default:
		add("reader", "must be %q or %q, got %q", readerSdjournal, readerJournalctl, cfg.Reader)
	}
	switch cfg.StartAt {
	case startAtEnd, startAtBeginning:
	default:
		add("start_at", "must be %q or %q, got %q", startAtEnd, startAtBeginning, cfg.StartAt)
	}
	if cfg.Directory != "" && len(cfg.Files) > 0 {
		// Neither sd_journal_open_directory/sd_journal_open_files nor journalctl
		// (--directory/--file) reads both at once.
		add("files", "cannot be combined with directory: set one or the other")
	}
	for i, f := range cfg.Files {
		if strings.TrimSpace(f) == "" {
			add(fmt.Sprintf("files[%d]", i), "must not be empty")
		}
	}
	if cfg.CollectionInterval <= 0 {
		add("collection_interval", "must be positive, got %s", cfg.CollectionInterval)
	}
	if cfg.MaxSeriesPerMetric < 1 {
		add("max_series_per_metric", "must be at least 1, got %d", cfg.MaxSeriesPerMetric)
	}
	if cfg.SeriesIdleTimeout < 0 {
		add("series_idle_timeout", "must not be negative (0 keeps series forever), got %s", cfg.SeriesIdleTimeout)
	}
	for i, group := range cfg.Matches {
		key := fmt.Sprintf("matches[%d]", i)
		if len(group) == 0 {
			add(key, "must hold at least one field")
		}
		for _, field := range sortedKeys(group) {
			if err := checkFieldName(field); err != nil {
				add(key+"."+field, "%v", err)
			}
		}
	}
	validateFilter(cfg, add)
	for _, name := range sortedKeys(cfg.ResourceAttributes) {
		key := "resource_attributes." + name
		if name == "" {
			add(key, "attribute name must not be empty")
		}
		if err := checkFieldName(cfg.ResourceAttributes[name]); err != nil {
			add(key, "%v", err)
		}
	}
	if len(cfg.Metrics) == 0 && !cfg.EntriesMetric {
		add("metrics", "at least one rule is required when entries_metric is false")
	}

	names := map[string]int{}
	for i := range cfg.Metrics {
		m := &cfg.Metrics[i]
		key := fmt.Sprintf("metrics[%d]", i)
		if m.Name == "" {
			add(key+".name", "must not be empty")
		} else if !metricNameRE.MatchString(m.Name) {
			add(key+".name", "%q is not a valid OpenTelemetry metric name (a letter, then up to 254 letters, digits, '_', '.', '-' or '/')", m.Name)
		} else if j, dup := names[m.Name]; dup {
			add(key+".name", "%q is already used by metrics[%d]", m.Name, j)
		} else {
			names[m.Name] = i
			if cfg.EntriesMetric && m.Name == entriesMetricName {
				add(key+".name", "%q is the built-in metric of entries_metric", m.Name)
			}
		}
		errs = append(errs, validateMetric(key, m)...)
	}
	return errors.Join(errs...)
}

// validateMetric checks one rule; key is its YAML path, e.g. "metrics[2]".
func validateMetric(key string, m *MetricConfig) []error {
	var errs []error
	add := func(k, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s: %s", k, fmt.Sprintf(format, args...)))
	}

	switch m.Type {
	case typeCounter, typeGauge, typeHistogram:
	case "":
		add(key+".type", "must be set to %q, %q or %q", typeCounter, typeGauge, typeHistogram)
	default:
		add(key+".type", "unknown type %q: must be %q, %q or %q", m.Type, typeCounter, typeGauge, typeHistogram)
	}

	for _, field := range sortedKeys(m.Match.Fields) {
		if err := checkFieldName(field); err != nil {
			add(key+".match.fields."+field, "%v", err)
		}
	}
	// captures maps each named capture to the regex field that defines it.
	captures := map[string]string{}
	regexFailed := false // captures are unknown: references to them cannot be checked
	for _, field := range sortedKeys(m.Match.Regex) {
		k := key + ".match.regex." + field
		if err := checkFieldName(field); err != nil {
			add(k, "%v", err)
		}
		re, err := regexp.Compile(m.Match.Regex[field])
		if err != nil {
			add(k, "invalid regex: %v", err)
			regexFailed = true
			continue
		}
		for _, name := range re.SubexpNames() {
			if name == "" {
				continue
			}
			if other, dup := captures[name]; dup && other != field {
				add(k, "capture %q is also defined by match.regex.%s", name, other)
				continue
			}
			captures[name] = field
		}
	}

	if m.Value == "" {
		if m.Type == typeGauge || m.Type == typeHistogram {
			add(key+".value", "is required for a %s", m.Type)
		}
	} else if err := checkReference(m.Value, captures); err != nil && !regexFailed {
		add(key+".value", "%v", err)
	}

	for _, attr := range sortedKeys(m.Attributes) {
		k := key + ".attributes." + attr
		switch attr {
		case "":
			add(k, "attribute name must not be empty")
		case overflowAttribute:
			add(k, "%q is reserved for the overflow series", attr)
		}
		if err := checkReference(m.Attributes[attr], captures); err != nil && (!regexFailed || m.Attributes[attr] == "") {
			add(k, "%v", err)
		}
	}

	if len(m.Buckets) > 0 && m.Type != typeHistogram {
		add(key+".buckets", "only a histogram has buckets (type is %q)", m.Type)
	}
	for i, b := range m.Buckets {
		switch {
		case math.IsNaN(b) || math.IsInf(b, 0):
			add(fmt.Sprintf("%s.buckets[%d]", key, i), "must be a finite number, got %v", b)
		case i > 0 && b <= m.Buckets[i-1]:
			add(fmt.Sprintf("%s.buckets[%d]", key, i), "must be greater than the previous boundary %v, got %v", m.Buckets[i-1], b)
		}
	}
	return errs
}

// checkReference accepts a named capture of the rule's regexes or a journal field name.
func checkReference(ref string, captures map[string]string) error {
	if ref == "" {
		return errors.New("must name a journal field or a named capture, got an empty string")
	}
	if _, ok := captures[ref]; ok {
		return nil
	}
	if checkFieldName(ref) == nil {
		return nil
	}
	if len(captures) == 0 {
		return fmt.Errorf("%q is not a journal field name ([A-Z0-9_]+) and match.regex defines no named capture", ref)
	}
	return fmt.Errorf("%q is not a journal field name ([A-Z0-9_]+) nor a named capture of match.regex (captures: %s)",
		ref, strings.Join(sortedKeys(captures), ", "))
}

// checkFieldName applies journald's rule for field names: upper-case ASCII letters,
// digits and underscores, not starting with a digit, at most 64 bytes.
func checkFieldName(name string) error {
	if name == "" {
		return errors.New("journal field name must not be empty")
	}
	if len(name) > maxFieldNameLen {
		return fmt.Errorf("journal field name %q is longer than %d bytes", name, maxFieldNameLen)
	}
	if name[0] >= '0' && name[0] <= '9' {
		return fmt.Errorf("journal field name %q must not start with a digit", name)
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if (c < 'A' || c > 'Z') && (c < '0' || c > '9') && c != '_' {
			return fmt.Errorf("journal field name %q may hold only A-Z, 0-9 and _", name)
		}
	}
	return nil
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// histogramBuckets returns the rule's boundaries, or the OpenTelemetry SDK's default
// explicit boundaries when none are configured.
func histogramBuckets(m *MetricConfig) []float64 {
	if len(m.Buckets) > 0 {
		return slices.Clone(m.Buckets)
	}
	return []float64{0, 5, 10, 25, 50, 75, 100, 250, 500, 750, 1000, 2500, 5000, 7500, 10000}
}
