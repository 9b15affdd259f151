-- Tables of the postgres exporter. Run with search_path set to the configured schema only, so
-- every name below lands in that schema; no schema name ever appears in this file.
-- Hot tables are partitioned by day on their time column; partitions are created ahead by the
-- exporter and a DEFAULT partition takes anything outside them, so no write ever fails for want
-- of a partition.

CREATE TABLE resources (
    resource_id  bigint PRIMARY KEY,
    service_name text   NOT NULL,
    attributes   jsonb  NOT NULL,
    schema_url   text   NOT NULL
);

CREATE TABLE scopes (
    scope_id   bigint PRIMARY KEY,
    name       text   NOT NULL,
    version    text   NOT NULL,
    attributes jsonb  NOT NULL,
    schema_url text   NOT NULL
);

CREATE TABLE metric_series (
    series_id    bigint  PRIMARY KEY,
    metric_name  text    NOT NULL,
    service_name text    NOT NULL,
    description  text    NOT NULL,
    unit         text    NOT NULL,
    type         text    NOT NULL,
    temporality  text    NOT NULL,
    is_monotonic boolean NOT NULL,
    attributes   jsonb   NOT NULL,
    resource_id  bigint  NOT NULL,
    scope_id     bigint  NOT NULL
);
CREATE INDEX metric_series_name_idx ON metric_series (metric_name, service_name);

CREATE TABLE metric_points (
    series_id  bigint           NOT NULL,
    time       timestamptz      NOT NULL,
    start_time timestamptz,
    value      double precision NOT NULL,
    int_value  bigint,
    flags      integer          NOT NULL,
    exemplars  jsonb
) PARTITION BY RANGE (time);
CREATE INDEX metric_points_series_time_idx ON metric_points (series_id, time);
CREATE TABLE metric_points_default PARTITION OF metric_points DEFAULT;

CREATE TABLE metric_histogram_points (
    series_id       bigint             NOT NULL,
    time            timestamptz        NOT NULL,
    start_time      timestamptz,
    count           bigint             NOT NULL,
    sum             double precision,
    min             double precision,
    max             double precision,
    explicit_bounds double precision[] NOT NULL,
    bucket_counts   bigint[]           NOT NULL,
    flags           integer            NOT NULL,
    exemplars       jsonb
) PARTITION BY RANGE (time);
CREATE INDEX metric_histogram_points_series_time_idx ON metric_histogram_points (series_id, time);
CREATE TABLE metric_histogram_points_default PARTITION OF metric_histogram_points DEFAULT;

CREATE TABLE metric_exp_histogram_points (
    series_id              bigint           NOT NULL,
    time                   timestamptz      NOT NULL,
    start_time             timestamptz,
    count                  bigint           NOT NULL,
    sum                    double precision,
    min                    double precision,
    max                    double precision,
    scale                  integer          NOT NULL,
    zero_count             bigint           NOT NULL,
    zero_threshold         double precision NOT NULL,
    positive_offset        integer          NOT NULL,
    positive_bucket_counts bigint[]         NOT NULL,
    negative_offset        integer          NOT NULL,
    negative_bucket_counts bigint[]         NOT NULL,
    flags                  integer          NOT NULL,
    exemplars              jsonb
) PARTITION BY RANGE (time);
CREATE INDEX metric_exp_histogram_points_series_time_idx ON metric_exp_histogram_points (series_id, time);
CREATE TABLE metric_exp_histogram_points_default PARTITION OF metric_exp_histogram_points DEFAULT;

CREATE TABLE metric_summary_points (
    series_id       bigint             NOT NULL,
    time            timestamptz        NOT NULL,
    start_time      timestamptz,
    count           bigint             NOT NULL,
    sum             double precision   NOT NULL,
    quantiles       double precision[] NOT NULL,
    quantile_values double precision[] NOT NULL,
    flags           integer            NOT NULL
) PARTITION BY RANGE (time);
CREATE INDEX metric_summary_points_series_time_idx ON metric_summary_points (series_id, time);
CREATE TABLE metric_summary_points_default PARTITION OF metric_summary_points DEFAULT;

CREATE TABLE spans (
    trace_id       text        NOT NULL,
    span_id        text        NOT NULL,
    parent_span_id text        NOT NULL,
    trace_state    text        NOT NULL,
    service_name   text        NOT NULL,
    span_name      text        NOT NULL,
    span_kind      text        NOT NULL,
    start_time     timestamptz NOT NULL,
    end_time       timestamptz NOT NULL,
    duration       bigint      NOT NULL,
    status_code    text        NOT NULL,
    status_message text        NOT NULL,
    attributes     jsonb       NOT NULL,
    events         jsonb       NOT NULL,
    links          jsonb       NOT NULL,
    resource_id    bigint      NOT NULL,
    scope_id       bigint      NOT NULL
) PARTITION BY RANGE (start_time);
CREATE INDEX spans_trace_id_idx ON spans (trace_id);
CREATE INDEX spans_service_start_idx ON spans (service_name, start_time);
CREATE INDEX spans_start_idx ON spans (start_time);
CREATE TABLE spans_default PARTITION OF spans DEFAULT;

CREATE TABLE logs (
    time            timestamptz NOT NULL,
    observed_time   timestamptz,
    trace_id        text        NOT NULL,
    span_id         text        NOT NULL,
    flags           integer     NOT NULL,
    severity_number integer     NOT NULL,
    severity_text   text        NOT NULL,
    service_name    text        NOT NULL,
    body            jsonb,
    attributes      jsonb       NOT NULL,
    event_name      text        NOT NULL,
    resource_id     bigint      NOT NULL,
    scope_id        bigint      NOT NULL
) PARTITION BY RANGE (time);
CREATE INDEX logs_service_time_idx ON logs (service_name, time);
CREATE INDEX logs_trace_id_idx ON logs (trace_id) WHERE trace_id <> '';
CREATE TABLE logs_default PARTITION OF logs DEFAULT;
