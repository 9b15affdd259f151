-- Rows are written once by identity: a row whose key is already stored is skipped, whatever
-- request or retry brings it again (a crash between a commit and the queue's mark-done, a client
-- retry, a receiver re-emitting an attempt). Each key includes the partition column, so the
-- unique indexes stay partitioned.
--   spans:        (trace_id, span_id, start_time)
--   point tables: (series_id, time, start_time), a NULL start_time equal to another NULL
--   logs:         (time, record_hash), record_hash a 64-bit hash of the record's content and
--                 identity, computed by the exporter
--
-- Duplicates stored before this migration are deleted, keeping one row of each key (the first
-- in physical order; duplicates by key came from one write stored twice, so the rows are equal).
-- Logs stored before it get a record_hash computed here in SQL from the same fields; it differs
-- from the exporter's, so a record stored before the upgrade and sent again after it is stored a
-- second time. The unique indexes replace the (series_id, time) and (trace_id) indexes, which
-- they cover as prefixes.
--
-- The request tokens of export_commits are not needed any more: a retry of a commit left in
-- doubt finds its rows stored and writes nothing.

DELETE FROM spans WHERE (tableoid, ctid) IN (
    SELECT tableoid, ctid FROM (
        SELECT tableoid, ctid, row_number() OVER (
            PARTITION BY trace_id, span_id, start_time ORDER BY tableoid, ctid) AS n
        FROM spans) AS d
    WHERE n > 1);
CREATE UNIQUE INDEX spans_identity_idx ON spans (trace_id, span_id, start_time);
DROP INDEX spans_trace_id_idx;

-- The four point tables share one key and one index name scheme.
DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['metric_points', 'metric_histogram_points',
                             'metric_exp_histogram_points', 'metric_summary_points'] LOOP
        EXECUTE format($q$
            DELETE FROM %1$I WHERE (tableoid, ctid) IN (
                SELECT tableoid, ctid FROM (
                    SELECT tableoid, ctid, row_number() OVER (
                        PARTITION BY series_id, time, start_time ORDER BY tableoid, ctid) AS n
                    FROM %1$I) AS d
                WHERE n > 1)$q$, t);
        EXECUTE format('CREATE UNIQUE INDEX %I ON %I (series_id, time, start_time) NULLS NOT DISTINCT',
            t || '_identity_idx', t);
        EXECUTE format('DROP INDEX %I', t || '_series_time_idx');
    END LOOP;
END
$$;

ALTER TABLE logs ADD COLUMN record_hash bigint;
UPDATE logs SET record_hash = hashtextextended(concat_ws(E'\x1f',
    observed_time, trace_id, span_id, flags, severity_number, severity_text, service_name,
    body, attributes, event_name, resource_id, scope_id), 0);
DELETE FROM logs WHERE (tableoid, ctid) IN (
    SELECT tableoid, ctid FROM (
        SELECT tableoid, ctid, row_number() OVER (
            PARTITION BY time, record_hash ORDER BY tableoid, ctid) AS n
        FROM logs) AS d
    WHERE n > 1);
ALTER TABLE logs ALTER COLUMN record_hash SET NOT NULL;
CREATE UNIQUE INDEX logs_identity_idx ON logs (time, record_hash);

DROP TABLE export_commits;
