-- CI/CD views, second version: one row per run attempt (cicd_runs), job (cicd_jobs) and step
-- (cicd_steps) of the githubworkflow receiver's traces, each with the run's identity (repository,
-- workflow, run id, attempt, branch, sha, event), and the flaky jobs (cicd_flaky_jobs). They hold
-- at least what gh-workflow-stats-action's runs, jobs and steps tables hold.
--
-- Efficiency: each kind of CI span has partial indexes (only CI spans are in them, so other
-- traces cost nothing but the predicate check), a Grafana time filter on a view's start_time
-- reads one of them, and the joins from step to job to run go through (trace_id, span_id)
-- probes. Run-level values that need the jobs (first job start) are scalar subqueries on an
-- index: the planner drops them when a query does not use the column, which a LATERAL join
-- could not offer.

DROP VIEW cicd_steps;
DROP VIEW cicd_jobs;
DROP VIEW cicd_runs;

-- Root spans of run attempts: cicd.pipeline.run.id, and no task id.
CREATE INDEX spans_cicd_runs_start_idx ON spans (start_time)
    WHERE attributes ? 'cicd.pipeline.run.id' AND NOT attributes ? 'cicd.pipeline.task.run.id';
CREATE INDEX spans_cicd_runs_trace_idx ON spans (trace_id)
    WHERE attributes ? 'cicd.pipeline.run.id' AND NOT attributes ? 'cicd.pipeline.task.run.id';
CREATE INDEX spans_cicd_runs_run_id_idx ON spans ((attributes->>'cicd.pipeline.run.id'))
    WHERE attributes ? 'cicd.pipeline.run.id' AND NOT attributes ? 'cicd.pipeline.task.run.id';
-- Job spans.
CREATE INDEX spans_cicd_jobs_start_idx ON spans (start_time)
    WHERE attributes ? 'cicd.pipeline.task.run.id';
CREATE INDEX spans_cicd_jobs_trace_idx ON spans (trace_id, span_id)
    WHERE attributes ? 'cicd.pipeline.task.run.id';
-- Step spans.
CREATE INDEX spans_cicd_steps_start_idx ON spans (start_time)
    WHERE attributes ? 'github.actions.step.number';

-- cicd.pipeline.result of a raw GitHub conclusion, as the receiver maps it (for steps, whose
-- spans carry only the raw conclusion). Inlined by the planner.
CREATE FUNCTION cicd_github_result(conclusion text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
SELECT CASE conclusion
    WHEN 'success' THEN 'success'
    WHEN 'neutral' THEN 'success'
    WHEN 'failure' THEN 'failure'
    WHEN 'timed_out' THEN 'timeout'
    WHEN 'startup_failure' THEN 'error'
    WHEN 'cancelled' THEN 'cancellation'
    WHEN 'stale' THEN 'cancellation'
    WHEN 'skipped' THEN 'skip'
    WHEN 'action_required' THEN 'skip'
END
$$;

-- One row per run attempt.
--   queued_at     attempt 1: the run's created_at; a re-run: when it was requested (run_started_at)
--   started_at    when the first job of this attempt got a runner (NULL if none did)
--   completed_at  the attempt's updated_at
--   queue_seconds started_at - queued_at; duration_seconds: the root span (run_started_at →
--   updated_at), as the receiver's cicd.pipeline.run.duration metric.
CREATE VIEW cicd_runs AS
SELECT r.start_time,
       x.repository,
       r.attributes->>'cicd.pipeline.name'                  AS workflow,
       (r.attributes->>'github.actions.workflow.id')::bigint AS workflow_id,
       r.attributes->>'github.actions.workflow.path'         AS workflow_path,
       r.attributes->>'cicd.pipeline.run.id'                AS run_id,
       (r.attributes->>'github.actions.run.number')::bigint AS run_number,
       x.attempt,
       r.attributes->>'vcs.ref.head.name'                   AS branch,
       r.attributes->>'vcs.ref.head.revision'               AS sha,
       r.attributes->>'github.actions.event'                AS event,
       r.attributes->>'github.actions.status'               AS status,
       r.attributes->>'cicd.pipeline.result'                AS result,
       r.attributes->>'github.actions.conclusion'           AS conclusion,
       x.created_at,
       x.queued_at,
       q.started_at,
       r.end_time                                           AS completed_at,
       extract(epoch FROM q.started_at - x.queued_at)::double precision AS queue_seconds,
       r.duration / 1e9::double precision                   AS duration_seconds,
       r.attributes->>'github.actions.run.display_title'    AS display_title,
       r.attributes->>'github.actions.actor'                AS actor,
       r.attributes->>'github.actions.triggering_actor'     AS triggering_actor,
       r.attributes->>'cicd.pipeline.run.url.full'          AS url,
       r.attributes->>'vcs.repository.name'                 AS repository_name,
       r.trace_id,
       r.span_id,
       r.service_name,
       r.status_code,
       r.end_time,
       coalesce((r.attributes->>'github.actions.timestamps_corrected')::boolean, false) AS timestamps_corrected,
       r.attributes
FROM spans r
CROSS JOIN LATERAL (
    SELECT CASE
               -- the receiver's service.name is "owner/name"; other producers: the URL's path
               WHEN r.service_name LIKE '%_/_%' THEN r.service_name
               ELSE coalesce(substring(r.attributes->>'vcs.repository.url.full' FROM '^[^:/]+://[^/]+/(.+)$'),
                             r.attributes->>'vcs.repository.name')
           END AS repository,
           coalesce((r.attributes->>'github.actions.run.attempt')::bigint, 1) AS attempt,
           (r.attributes->>'github.actions.run.created_at')::timestamptz AS created_at,
           CASE WHEN coalesce((r.attributes->>'github.actions.run.attempt')::bigint, 1) <= 1
                THEN least(r.start_time, (r.attributes->>'github.actions.run.created_at')::timestamptz)
                ELSE r.start_time
           END AS queued_at
) x
CROSS JOIN LATERAL (
    -- first job start, through spans_cicd_jobs_trace_idx; jobs lie within their run
    SELECT (SELECT min(least(greatest((j.attributes->>'github.actions.job.started_at')::timestamptz,
                                      j.start_time), j.end_time))
              FROM spans j
             WHERE j.trace_id = r.trace_id
               AND j.parent_span_id = r.span_id
               AND j.attributes ? 'cicd.pipeline.task.run.id'
               AND j.attributes ? 'github.actions.job.started_at'
               AND NOT j.attributes ? 'github.actions.job.carried_over'
               AND j.start_time >= r.start_time
               AND j.start_time <= r.end_time) AS started_at
) q
WHERE r.attributes ? 'cicd.pipeline.run.id'
  AND NOT r.attributes ? 'cicd.pipeline.task.run.id';

-- One row per job of a run attempt, with its run's identity.
--   queued_at → started_at → completed_at: created_at, when it got a runner (NULL if it never
--   did), completed_at. queue_seconds = started_at - queued_at (NULL if it never started);
--   duration_seconds = completed_at - started_at (0 if it never started), as the receiver's
--   github.actions.job.queue.duration and github.actions.job.duration metrics.
--   carried_over: a partial re-run ("re-run failed jobs") carried the job over from the attempt
--   it ran in (job_run_attempt); its times are that attempt's and its queue_seconds and
--   duration_seconds are NULL, so aggregates count each execution once.
CREATE VIEW cicd_jobs AS
SELECT j.start_time,
       r.repository,
       r.workflow,
       r.workflow_id,
       r.run_id,
       r.attempt,
       r.branch,
       r.sha,
       r.event,
       j.attributes->>'cicd.pipeline.task.run.id'           AS job_id,
       j.attributes->>'github.actions.job.node_id'          AS job_node_id,
       j.attributes->>'cicd.pipeline.task.name'             AS job_name,
       coalesce((j.attributes->>'github.actions.job.run_attempt')::bigint, r.attempt) AS job_run_attempt,
       y.carried_over,
       j.attributes->>'github.actions.status'               AS status,
       j.attributes->>'cicd.pipeline.task.run.result'       AS result,
       j.attributes->>'github.actions.conclusion'           AS conclusion,
       y.queued_at,
       y.started_at,
       y.completed_at,
       CASE WHEN NOT y.carried_over
            THEN extract(epoch FROM y.started_at - y.queued_at)::double precision
       END                                                  AS queue_seconds,
       CASE WHEN NOT y.carried_over
            THEN coalesce(extract(epoch FROM y.completed_at - y.started_at)::double precision, 0)
       END                                                  AS duration_seconds,
       j.attributes->>'cicd.worker.name'                    AS runner_name,
       j.attributes->>'cicd.worker.id'                      AS runner_id,
       ARRAY(SELECT jsonb_array_elements_text(CASE jsonb_typeof(j.attributes->'github.actions.runner.labels')
                                                  WHEN 'array' THEN j.attributes->'github.actions.runner.labels'
                                                  ELSE '[]'::jsonb END)) AS runner_labels,
       j.attributes->>'github.actions.runner.group.name'    AS runner_group_name,
       (j.attributes->>'github.actions.runner.group.id')::bigint AS runner_group_id,
       j.attributes->>'cicd.pipeline.task.run.url.full'     AS url,
       r.url                                                AS run_url,
       j.trace_id,
       j.span_id,
       j.parent_span_id                                     AS run_span_id,
       j.service_name,
       j.status_code,
       j.end_time,
       coalesce((j.attributes->>'github.actions.timestamps_corrected')::boolean, false) AS timestamps_corrected,
       j.attributes
FROM spans j
JOIN cicd_runs r ON r.trace_id = j.trace_id AND r.span_id = j.parent_span_id
CROSS JOIN LATERAL (
    SELECT z.carried_over,
           CASE WHEN z.carried_over THEN z.raw_created ELSE j.start_time END AS queued_at,
           CASE WHEN z.raw_started IS NULL OR z.carried_over THEN z.raw_started
                -- clamped into the job span as the receiver clamps its queue span
                ELSE least(greatest(z.raw_started, j.start_time), j.end_time)
           END                                                           AS started_at,
           CASE WHEN z.carried_over THEN z.raw_completed ELSE j.end_time END AS completed_at
    FROM (SELECT coalesce((j.attributes->>'github.actions.job.carried_over')::boolean, false) AS carried_over,
                 (j.attributes->>'github.actions.job.created_at')::timestamptz   AS raw_created,
                 (j.attributes->>'github.actions.job.started_at')::timestamptz   AS raw_started,
                 (j.attributes->>'github.actions.job.completed_at')::timestamptz AS raw_completed) z
) y
WHERE j.attributes ? 'cicd.pipeline.task.run.id';

-- One row per step that ran, with its job's and run's identity.
CREATE VIEW cicd_steps AS
SELECT s.start_time,
       j.repository,
       j.workflow,
       j.run_id,
       j.attempt,
       j.branch,
       j.sha,
       j.event,
       j.job_id,
       j.job_name,
       j.job_run_attempt,
       (s.attributes->>'github.actions.step.number')::bigint AS step_number,
       s.span_name                                          AS step_name,
       s.attributes->>'github.actions.status'               AS status,
       cicd_github_result(s.attributes->>'github.actions.conclusion') AS result,
       s.attributes->>'github.actions.conclusion'           AS conclusion,
       s.start_time                                         AS started_at,
       s.end_time                                           AS completed_at,
       s.duration / 1e9::double precision                   AS duration_seconds,
       j.runner_name,
       j.url                                                AS job_url,
       s.trace_id,
       s.span_id,
       s.parent_span_id                                     AS job_span_id,
       s.service_name,
       s.status_code,
       s.end_time,
       coalesce((s.attributes->>'github.actions.timestamps_corrected')::boolean, false) AS timestamps_corrected,
       s.attributes
FROM spans s
JOIN cicd_jobs j ON j.trace_id = s.trace_id AND j.span_id = s.parent_span_id
WHERE s.attributes ? 'github.actions.step.number';

-- Flaky jobs: a job (same repository, run, sha and name) that failed (failure or timeout) and
-- succeeded in a later attempt of the same run. One row per failure → success transition: the
-- success, and the last earlier attempt the job ran in (carried-over copies and cancelled or
-- skipped attempts aside), which failed. start_time is the success's, for time filters.
CREATE VIEW cicd_flaky_jobs AS
SELECT s.start_time,
       s.repository,
       s.workflow,
       s.run_id,
       s.branch,
       s.sha,
       s.event,
       s.job_name,
       f.attempt         AS failed_attempt,
       f.job_id          AS failed_job_id,
       f.result          AS failed_result,
       f.conclusion      AS failed_conclusion,
       f.started_at      AS failed_started_at,
       f.completed_at    AS failed_completed_at,
       f.runner_name     AS failed_runner_name,
       f.url             AS failed_url,
       f.trace_id        AS failed_trace_id,
       s.attempt         AS succeeded_attempt,
       s.job_id          AS succeeded_job_id,
       s.started_at      AS succeeded_started_at,
       s.completed_at    AS succeeded_completed_at,
       s.runner_name     AS succeeded_runner_name,
       s.url             AS succeeded_url,
       s.trace_id        AS succeeded_trace_id
FROM cicd_jobs s
CROSS JOIN LATERAL (
    -- through spans_cicd_runs_run_id_idx, then each attempt's jobs by trace id
    SELECT p.*
      FROM cicd_jobs p
     WHERE p.run_id = s.run_id
       AND p.repository = s.repository
       AND p.sha = s.sha
       AND p.job_name = s.job_name
       AND p.attempt < s.attempt
       AND NOT p.carried_over
       AND p.result IN ('success', 'failure', 'timeout')
     ORDER BY p.attempt DESC
     LIMIT 1
) f
WHERE s.result = 'success'
  AND NOT s.carried_over
  AND s.attempt > 1
  AND f.result IN ('failure', 'timeout');
