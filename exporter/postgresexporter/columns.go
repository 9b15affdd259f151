package postgresexporter

// Table names (unqualified; the exporter qualifies them with the configured schema).
const (
	tableResources         = "resources"
	tableScopes            = "scopes"
	tableSeries            = "metric_series"
	tablePoints            = "metric_points"
	tableHistograms        = "metric_histogram_points"
	tableExpHistograms     = "metric_exp_histogram_points"
	tableSummaries         = "metric_summary_points"
	tableSpans             = "spans"
	tableLogs              = "logs"
	metricTypeGauge        = "gauge"
	metricTypeSum          = "sum"
	metricTypeHistogram    = "histogram"
	metricTypeExpHistogram = "exponential_histogram"
	metricTypeSummary      = "summary"
	serviceNameKey         = "service.name"
)

// COPY column orders. They are read-only: the DDL, the COPY calls and the
// CopyFromSource implementations below all follow them.
//
// NULL is written only where noted in the row types: start_time and
// observed_time when the OTLP timestamp is 0; int_value for double points;
// sum/min/max when the point does not carry them; exemplars when there are
// none; logs.body when the body is empty. Every other column is always set.
var (
	resourceColumns = []string{"resource_id", "service_name", "attributes", "schema_url"}
	scopeColumns    = []string{"scope_id", "name", "version", "attributes", "schema_url"}
	seriesColumns   = []string{
		"series_id", "metric_name", "service_name", "description", "unit", "type",
		"temporality", "is_monotonic", "attributes", "resource_id", "scope_id",
	}
	pointColumns = []string{
		"series_id", "time", "start_time", "value", "int_value", "flags", "exemplars",
	}
	histogramColumns = []string{
		"series_id", "time", "start_time", "count", "sum", "min", "max",
		"explicit_bounds", "bucket_counts", "flags", "exemplars",
	}
	expHistogramColumns = []string{
		"series_id", "time", "start_time", "count", "sum", "min", "max",
		"scale", "zero_count", "zero_threshold",
		"positive_offset", "positive_bucket_counts", "negative_offset", "negative_bucket_counts",
		"flags", "exemplars",
	}
	summaryColumns = []string{
		"series_id", "time", "start_time", "count", "sum", "quantiles", "quantile_values", "flags",
	}
	spanColumns = []string{
		"trace_id", "span_id", "parent_span_id", "trace_state", "service_name", "span_name",
		"span_kind", "start_time", "end_time", "duration", "status_code", "status_message",
		"attributes", "events", "links", "resource_id", "scope_id",
	}
	logColumns = []string{
		"time", "observed_time", "trace_id", "span_id", "flags", "severity_number",
		"severity_text", "service_name", "body", "attributes", "event_name",
		"resource_id", "scope_id", "record_hash",
	}
)
