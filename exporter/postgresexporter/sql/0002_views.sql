-- Views for Grafana's PostgreSQL data source. Like the tables, they are created with search_path
-- set to the configured schema; the names they refer to are bound when the view is created.

-- v_metrics: gauge and sum points with their series, e.g. for a time series panel:
--   SELECT time, attributes->>'state' AS metric, value FROM otel.v_metrics
--   WHERE metric_name = 'legacyapp.orders' AND $__timeFilter(time) ORDER BY time
-- The planner finds the series through metric_series_name_idx, then each series' points in the
-- time range through metric_points_series_time_idx.
CREATE VIEW v_metrics AS
SELECT p.time,
       s.metric_name,
       s.service_name,
       p.value,
       p.int_value,
       s.attributes,
       s.unit,
       s.type,
       s.temporality,
       s.is_monotonic,
       p.start_time,
       p.flags,
       p.series_id,
       s.resource_id,
       s.scope_id
FROM metric_points p
JOIN metric_series s ON s.series_id = p.series_id;

-- v_trace_spans: spans with the field names and shapes of Grafana's Traces panel (times and
-- durations in milliseconds, tags as [{key, value}], span events as logs, links as references),
-- plus the raw columns start_time, trace_id and service_name for filtering by index, e.g.:
--   SELECT * FROM otel.v_trace_spans WHERE "traceID" = '5b8aa5a2d2c872e8321cf37308d69df2'
CREATE VIEW v_trace_spans AS
SELECT s.trace_id                                                  AS "traceID",
       s.span_id                                                   AS "spanID",
       NULLIF(s.parent_span_id, '')                                AS "parentSpanID",
       s.span_name                                                 AS "operationName",
       s.service_name                                              AS "serviceName",
       (SELECT coalesce(jsonb_agg(jsonb_build_object('key', a.key, 'value', a.value) ORDER BY a.key), '[]'::jsonb)
          FROM resources r, jsonb_each(r.attributes) a
         WHERE r.resource_id = s.resource_id)                      AS "serviceTags",
       extract(epoch FROM s.start_time)::double precision * 1000   AS "startTime",
       s.duration / 1e6::double precision                          AS "duration",
       (SELECT coalesce(jsonb_agg(jsonb_build_object('key', a.key, 'value', a.value) ORDER BY a.key), '[]'::jsonb)
          FROM jsonb_each(s.attributes) a)                         AS "tags",
       (SELECT coalesce(jsonb_agg(jsonb_build_object(
                   'timestamp', extract(epoch FROM (e.value->>'time')::timestamptz)::double precision * 1000,
                   'name', e.value->>'name',
                   'fields', (SELECT coalesce(jsonb_agg(jsonb_build_object('key', f.key, 'value', f.value) ORDER BY f.key), '[]'::jsonb)
                                FROM jsonb_each(coalesce(e.value->'attributes', '{}'::jsonb)) f))
                   ORDER BY e.ordinality), '[]'::jsonb)
          FROM jsonb_array_elements(s.events) WITH ORDINALITY e)   AS "logs",
       (SELECT coalesce(jsonb_agg(jsonb_build_object(
                   'traceID', l.value->>'trace_id',
                   'spanID', l.value->>'span_id',
                   'tags', (SELECT coalesce(jsonb_agg(jsonb_build_object('key', f.key, 'value', f.value) ORDER BY f.key), '[]'::jsonb)
                              FROM jsonb_each(coalesce(l.value->'attributes', '{}'::jsonb)) f))
                   ORDER BY l.ordinality), '[]'::jsonb)
          FROM jsonb_array_elements(s.links) WITH ORDINALITY l)    AS "references",
       lower(s.span_kind)                                          AS "kind",
       CASE s.status_code WHEN 'Ok' THEN 1 WHEN 'Error' THEN 2 ELSE 0 END AS "statusCode",
       s.status_message                                            AS "statusMessage",
       s.trace_state                                               AS "traceState",
       (SELECT sc.name FROM scopes sc WHERE sc.scope_id = s.scope_id)    AS "instrumentationLibraryName",
       (SELECT sc.version FROM scopes sc WHERE sc.scope_id = s.scope_id) AS "instrumentationLibraryVersion",
       s.start_time,
       s.trace_id,
       s.service_name
FROM spans s;
