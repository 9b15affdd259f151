-- CI/CD views over the spans of the githubworkflow receiver (and of any CI/CD instrumentation
-- following the OpenTelemetry CI/CD semantic conventions): one row per pipeline run attempt, job
-- and step, with the semantic convention attributes as columns. Attributes a producer does not set
-- are NULL; the full attribute object stays in `attributes`.

-- Root spans of run attempts.
CREATE VIEW cicd_runs AS
SELECT s.trace_id,
       s.span_id,
       s.service_name,
       s.attributes->>'cicd.pipeline.name'            AS pipeline_name,
       s.attributes->>'cicd.pipeline.run.id'          AS run_id,
       (s.attributes->>'github.actions.run.attempt')::bigint AS attempt,
       s.attributes->>'cicd.pipeline.result'          AS result,
       s.attributes->>'cicd.pipeline.run.url.full'    AS url,
       s.attributes->>'vcs.repository.name'           AS repository,
       s.attributes->>'vcs.ref.head.name'             AS branch,
       s.attributes->>'vcs.ref.head.revision'         AS revision,
       s.start_time,
       s.end_time,
       s.duration / 1e9::double precision             AS duration_seconds,
       s.status_code,
       s.attributes
FROM spans s
WHERE s.attributes ? 'cicd.pipeline.run.id'
  AND NOT s.attributes ? 'cicd.pipeline.task.run.id';

-- Job spans, with the time they waited in the queue (their child span named "queue").
CREATE VIEW cicd_jobs AS
SELECT s.trace_id,
       s.span_id,
       s.parent_span_id                               AS run_span_id,
       s.service_name,
       s.attributes->>'cicd.pipeline.task.name'       AS job_name,
       s.attributes->>'cicd.pipeline.task.run.id'     AS job_run_id,
       s.attributes->>'cicd.pipeline.task.run.result' AS result,
       s.attributes->>'cicd.pipeline.task.run.url.full' AS url,
       s.attributes->>'cicd.worker.name'              AS worker,
       s.start_time,
       s.end_time,
       s.duration / 1e9::double precision             AS duration_seconds,
       (SELECT q.duration / 1e9::double precision FROM spans q
         WHERE q.trace_id = s.trace_id AND q.parent_span_id = s.span_id AND q.span_name = 'queue'
         LIMIT 1)                                     AS queue_seconds,
       s.status_code,
       s.attributes
FROM spans s
WHERE s.attributes ? 'cicd.pipeline.task.run.id';

-- Step spans (children of jobs).
CREATE VIEW cicd_steps AS
SELECT s.trace_id,
       s.span_id,
       s.parent_span_id                               AS job_span_id,
       s.service_name,
       s.span_name                                    AS step_name,
       (s.attributes->>'github.actions.step.number')::bigint AS step_number,
       s.attributes->>'cicd.pipeline.task.run.result' AS result,
       s.start_time,
       s.end_time,
       s.duration / 1e9::double precision             AS duration_seconds,
       s.status_code,
       s.attributes
FROM spans s
WHERE s.attributes ? 'github.actions.step.number';
