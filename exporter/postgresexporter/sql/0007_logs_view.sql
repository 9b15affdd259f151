-- v_logs: log records shaped for Grafana's Logs panel: time, body (text), level (Grafana's level
-- names, from the severity number, else the severity text), labels (the resource's attributes,
-- then the record's, as strings; the record's win), traceID and spanID for links to the trace
-- ('' when the record has none), and the raw columns for filters, e.g.:
--   SELECT time, body, level, labels, "traceID" FROM otel.v_logs
--   WHERE $__timeFilter(time) ORDER BY time DESC LIMIT 1000
-- No column is NULL: the Logs panel shows a NULL body or level as a blank line.
CREATE VIEW v_logs AS
SELECT l.time,
       CASE
         WHEN l.body IS NULL THEN ''
         WHEN jsonb_typeof(l.body) = 'string' THEN l.body #>> '{}'
         ELSE l.body::text
       END                                                        AS body,
       CASE
         WHEN l.severity_number BETWEEN 1 AND 4 THEN 'trace'
         WHEN l.severity_number BETWEEN 5 AND 8 THEN 'debug'
         WHEN l.severity_number BETWEEN 9 AND 12 THEN 'info'
         WHEN l.severity_number BETWEEN 13 AND 16 THEN 'warning'
         WHEN l.severity_number BETWEEN 17 AND 20 THEN 'error'
         WHEN l.severity_number BETWEEN 21 AND 24 THEN 'critical'
         ELSE CASE lower(l.severity_text)
                WHEN 'trace' THEN 'trace'
                WHEN 'debug' THEN 'debug'
                WHEN 'info' THEN 'info'
                WHEN 'information' THEN 'info'
                WHEN 'notice' THEN 'info'
                WHEN 'warn' THEN 'warning'
                WHEN 'warning' THEN 'warning'
                WHEN 'error' THEN 'error'
                WHEN 'err' THEN 'error'
                WHEN 'fatal' THEN 'critical'
                WHEN 'critical' THEN 'critical'
                WHEN 'crit' THEN 'critical'
                WHEN 'alert' THEN 'critical'
                WHEN 'emerg' THEN 'critical'
                ELSE 'unknown'
              END
       END                                                        AS level,
       (SELECT coalesce(jsonb_object_agg(a.key, a.value #>> '{}'), '{}'::jsonb)
          FROM jsonb_each(coalesce((SELECT r.attributes FROM resources r WHERE r.resource_id = l.resource_id), '{}'::jsonb)
                          || l.attributes) a)                     AS labels,
       l.trace_id                                                 AS "traceID",
       l.span_id                                                  AS "spanID",
       l.service_name,
       l.severity_number,
       l.severity_text,
       l.attributes,
       l.observed_time,
       l.resource_id,
       l.scope_id
FROM logs l;
