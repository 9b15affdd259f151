package postgresexporter

import (
	"context"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/exporter/exportertest"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/otelcol-diagnostics/otelcol-diagnostics/exporter/postgresexporter/internal/metadata"
	"github.com/otelcol-diagnostics/otelcol-diagnostics/internal/pgtest"
)

// The spans below have the shape of the githubworkflow receiver's traces (see its
// testdata/golden): a root span per run attempt, a span per job with a "queue" child and a child
// per step. e2e/cicd_test.go checks the same views on the receiver's real output.

// ciJob is a job of a test run attempt; times are offsets from the run's creation.
type ciJob struct {
	id                          int64
	name                        string
	ranIn                       int // attempt the job ran in (carried over when < the attempt)
	conclusion                  string
	created, started, completed time.Duration
	runner                      string
	labels                      []any
	steps                       []ciStep
}

type ciStep struct {
	number     int64
	name       string
	conclusion string
	start, end time.Duration
}

var ciResults = map[string]string{"success": "success", "failure": "failure", "skipped": "skip", "cancelled": "cancellation"}

// ciAttempt appends the spans of one run attempt to ss, as the receiver builds them.
func ciAttempt(t testing.TB, ss ptrace.ScopeSpans, base time.Time, runID int64, attempt int, conclusion string,
	start, end time.Duration, jobs ...ciJob,
) {
	traceID := pcommon.TraceID{0: byte(runID), 1: byte(attempt), 15: 1}
	at := func(d time.Duration) pcommon.Timestamp { return pts(base.Add(d)) }
	rfc := func(d time.Duration) string { return base.Add(d).UTC().Format(time.RFC3339Nano) }
	root := ss.Spans().AppendEmpty()
	root.SetTraceID(traceID)
	root.SetSpanID(pcommon.SpanID{0: byte(attempt), 7: 1})
	root.SetName("RUN CI")
	root.SetKind(ptrace.SpanKindServer)
	root.SetStartTimestamp(at(start))
	root.SetEndTimestamp(at(end))
	url := "https://github.com/octo-org/app/actions/runs/" + itoa(runID)
	if attempt > 1 {
		url += "/attempts/" + itoa(int64(attempt))
	}
	require.NoError(t, root.Attributes().FromRaw(map[string]any{
		"cicd.pipeline.name": "CI", "cicd.pipeline.action.name": "RUN", "cicd.pipeline.run.id": itoa(runID),
		"cicd.pipeline.run.url.full": url, "cicd.pipeline.result": ciResults[conclusion],
		"vcs.provider.name": "github", "vcs.repository.name": "app",
		"vcs.repository.url.full": "https://github.com/octo-org/app", "vcs.ref.head.name": "main",
		"vcs.ref.head.revision": "abc123", "github.actions.run.attempt": attempt, "github.actions.run.number": 7,
		"github.actions.event": "push", "github.actions.status": "completed", "github.actions.conclusion": conclusion,
		"github.actions.run.created_at": rfc(0), "github.actions.workflow.id": 42,
		"github.actions.workflow.path": ".github/workflows/ci.yml",
	}))
	for _, j := range jobs {
		js := ss.Spans().AppendEmpty()
		js.SetTraceID(traceID)
		js.SetSpanID(pcommon.SpanID{0: byte(attempt), 6: byte(j.id), 7: 2})
		js.SetParentSpanID(root.SpanID())
		js.SetName(j.name)
		attrs := map[string]any{
			"cicd.pipeline.task.name": j.name, "cicd.pipeline.task.run.id": itoa(j.id),
			"cicd.pipeline.task.run.url.full": "https://github.com/octo-org/app/actions/runs/" + itoa(runID) + "/job/" + itoa(j.id),
			"cicd.pipeline.task.run.result":   ciResults[j.conclusion],
			"github.actions.status":           "completed", "github.actions.conclusion": j.conclusion,
			"github.actions.job.run_attempt": j.ranIn, "github.actions.job.node_id": "CR_" + itoa(j.id),
			"github.actions.job.created_at": rfc(j.created), "github.actions.job.completed_at": rfc(j.completed),
		}
		if j.runner != "" {
			attrs["cicd.worker.name"] = j.runner
			attrs["github.actions.job.started_at"] = rfc(j.started)
			attrs["github.actions.runner.labels"] = j.labels
			attrs["github.actions.runner.group.name"] = "Default"
		}
		if j.ranIn < attempt {
			attrs["github.actions.job.carried_over"] = true
			attrs["github.actions.timestamps_corrected"] = true
			js.SetStartTimestamp(at(start))
			js.SetEndTimestamp(at(start))
			require.NoError(t, js.Attributes().FromRaw(attrs))
			continue
		}
		js.SetStartTimestamp(at(j.created))
		js.SetEndTimestamp(at(j.completed))
		require.NoError(t, js.Attributes().FromRaw(attrs))
		if j.runner == "" {
			continue
		}
		q := ss.Spans().AppendEmpty()
		q.SetTraceID(traceID)
		q.SetSpanID(pcommon.SpanID{0: byte(attempt), 6: byte(j.id), 7: 3})
		q.SetParentSpanID(js.SpanID())
		q.SetName("queue")
		q.SetStartTimestamp(at(j.created))
		q.SetEndTimestamp(at(j.started))
		for _, st := range j.steps {
			s := ss.Spans().AppendEmpty()
			s.SetTraceID(traceID)
			s.SetSpanID(pcommon.SpanID{0: byte(attempt), 5: byte(st.number), 6: byte(j.id), 7: 4})
			s.SetParentSpanID(js.SpanID())
			s.SetName(st.name)
			s.SetStartTimestamp(at(st.start))
			s.SetEndTimestamp(at(st.end))
			require.NoError(t, s.Attributes().FromRaw(map[string]any{
				"github.actions.step.number": st.number, "github.actions.status": "completed",
				"github.actions.conclusion": st.conclusion,
			}))
		}
	}
}

func itoa(n int64) string { return pcommon.NewValueInt(n).AsString() }

// ciTraces: run 10 fails its "test" job in attempt 1 and succeeds in a partial re-run (attempt 2,
// "build" carried over); run 20 fails in attempt 1 and succeeds in attempts 2 and 3 (full
// re-runs): one flaky transition each. An OTLP span that is no CI span is there too.
func ciTraces(t testing.TB, base time.Time) ptrace.Traces {
	td := ptrace.NewTraces()
	rs := td.ResourceSpans().AppendEmpty()
	rs.Resource().Attributes().PutStr("service.name", "octo-org/app")
	ss := rs.ScopeSpans().AppendEmpty()
	minute := time.Minute
	steps := func(end time.Duration, startAt time.Duration, conclusion string) []ciStep {
		return []ciStep{
			{1, "Set up job", "success", startAt, startAt + 5*time.Second},
			{2, "Run", conclusion, startAt + 5*time.Second, end},
		}
	}
	build := ciJob{
		id: 1, name: "build", ranIn: 1, conclusion: "success", created: 5 * time.Second, started: 15 * time.Second,
		completed: 2 * minute, runner: "runner-1", labels: []any{"ubuntu-latest"}, steps: steps(2*minute, 15*time.Second, "success"),
	}
	test1 := ciJob{
		id: 2, name: "test", ranIn: 1, conclusion: "failure", created: 5 * time.Second, started: 65 * time.Second,
		completed: 5 * minute, runner: "runner-2", labels: []any{"self-hosted", "linux"}, steps: steps(5*minute, 65*time.Second, "failure"),
	}
	lint := ciJob{id: 3, name: "lint", ranIn: 1, conclusion: "skipped", created: 5 * time.Second, completed: 5 * time.Second}
	ciAttempt(t, ss, base, 10, 1, "failure", 0, 10*minute, build, test1, lint)
	test2 := ciJob{
		id: 4, name: "test", ranIn: 2, conclusion: "success", created: 20*minute + 2*time.Second, started: 20*minute + 32*time.Second,
		completed: 25 * minute, runner: "runner-3", labels: []any{"self-hosted", "linux"}, steps: steps(25*minute, 20*minute+32*time.Second, "success"),
	}
	ciAttempt(t, ss, base, 10, 2, "success", 20*minute, 30*minute, build, test2)

	for n, c := range []string{"failure", "success", "success"} {
		off := time.Duration(n) * 10 * minute
		j := ciJob{
			id: int64(10 + n), name: "e2e", ranIn: n + 1, conclusion: c, created: off, started: off + time.Second,
			completed: off + 2*minute, runner: "runner-9", labels: []any{"ubuntu-latest"},
		}
		ciAttempt(t, ss, base.Add(time.Hour), 20, n+1, c, off, off+3*minute, j)
	}

	// run 30: failed twice, then passed: one transition, from the last failure
	for n, c := range []string{"failure", "failure", "success"} {
		off := time.Duration(n) * 10 * minute
		j := ciJob{
			id: int64(20 + n), name: "e2e", ranIn: n + 1, conclusion: c, created: off, started: off + time.Second,
			completed: off + 2*minute, runner: "runner-9", labels: []any{"ubuntu-latest"},
		}
		ciAttempt(t, ss, base.Add(2*time.Hour), 30, n+1, c, off, off+3*minute, j)
	}

	other := ss.Spans().AppendEmpty()
	other.SetTraceID(pcommon.TraceID{15: 9})
	other.SetSpanID(pcommon.SpanID{7: 9})
	other.SetName("GET /")
	other.SetStartTimestamp(pts(base))
	other.SetEndTimestamp(pts(base.Add(time.Second)))
	return td
}

func TestCICDViews(t *testing.T) {
	dsn := cluster.NewDatabase(t)
	e := startExporter(t, itConfig(dsn))
	base := itTime.Add(-3 * time.Hour)
	require.NoError(t, e.pushTraces(t.Context(), ciTraces(t, base)))
	conn := pgtest.Connect(t, dsn)
	at := func(d time.Duration) time.Time { return base.Add(d) }

	t.Run("runs", func(t *testing.T) {
		rows := pgtest.Rows(t, conn, `SELECT repository, workflow, workflow_id, workflow_path, run_id, run_number, attempt,
			branch, sha, event, status, result, conclusion, created_at, queued_at, started_at, completed_at,
			queue_seconds, duration_seconds, url, length(trace_id), repository_name
			FROM otel.cicd_runs WHERE run_id = '10' ORDER BY attempt`)
		url := "https://github.com/octo-org/app/actions/runs/10"
		assert.Equal(t, [][]any{
			{
				"octo-org/app", "CI", int64(42), ".github/workflows/ci.yml", "10", int64(7), int64(1), "main", "abc123", "push",
				"completed", "failure", "failure", at(0), at(0), at(15 * time.Second), at(10 * time.Minute),
				15.0, 600.0, url, int32(32), "app",
			},
			{
				"octo-org/app", "CI", int64(42), ".github/workflows/ci.yml", "10", int64(7), int64(2), "main", "abc123", "push",
				"completed", "success", "success", at(0), at(20 * time.Minute), at(20*time.Minute + 32*time.Second), at(30 * time.Minute),
				32.0, 600.0, url + "/attempts/2", int32(32), "app",
			},
		}, rows)
	})

	t.Run("jobs", func(t *testing.T) {
		rows := pgtest.Rows(t, conn, `SELECT attempt, job_id, job_node_id, job_name, job_run_attempt, carried_over, status,
			result, conclusion, queued_at, started_at, completed_at, queue_seconds, duration_seconds, runner_name,
			runner_labels, runner_group_name, repository, run_id, sha, event
			FROM otel.cicd_jobs WHERE run_id = '10' ORDER BY attempt, job_id`)
		labels := []any{"ubuntu-latest"}
		selfHosted := []any{"self-hosted", "linux"}
		assert.Equal(t, [][]any{
			{
				int64(1), "1", "CR_1", "build", int64(1), false, "completed", "success", "success",
				at(5 * time.Second), at(15 * time.Second), at(2 * time.Minute), 10.0, 105.0, "runner-1", labels, "Default",
				"octo-org/app", "10", "abc123", "push",
			},
			{
				int64(1), "2", "CR_2", "test", int64(1), false, "completed", "failure", "failure",
				at(5 * time.Second), at(65 * time.Second), at(5 * time.Minute), 60.0, 235.0, "runner-2", selfHosted, "Default",
				"octo-org/app", "10", "abc123", "push",
			},
			{
				int64(1), "3", "CR_3", "lint", int64(1), false, "completed", "skip", "skipped",
				at(5 * time.Second), nil, at(5 * time.Second), nil, 0.0, nil,
				[]any{},
				nil,
				"octo-org/app", "10", "abc123", "push",
			},
			// carried over: the times of attempt 1, no seconds (counted with attempt 1)
			{
				int64(2), "1", "CR_1", "build", int64(1), true, "completed", "success", "success",
				at(5 * time.Second), at(15 * time.Second), at(2 * time.Minute), nil, nil, "runner-1", labels, "Default",
				"octo-org/app", "10", "abc123", "push",
			},
			{
				int64(2), "4", "CR_4", "test", int64(2), false, "completed", "success", "success",
				at(20*time.Minute + 2*time.Second), at(20*time.Minute + 32*time.Second), at(25 * time.Minute), 30.0, 268.0,
				"runner-3", selfHosted, "Default", "octo-org/app", "10", "abc123", "push",
			},
		}, rows)
	})

	t.Run("steps", func(t *testing.T) {
		rows := pgtest.Rows(t, conn, `SELECT attempt, job_name, step_number, step_name, status, result, conclusion,
			started_at, duration_seconds, runner_name, run_id, sha
			FROM otel.cicd_steps WHERE run_id = '10' ORDER BY attempt, job_id, step_number`)
		assert.Equal(t, [][]any{
			{int64(1), "build", int64(1), "Set up job", "completed", "success", "success", at(15 * time.Second), 5.0, "runner-1", "10", "abc123"},
			{int64(1), "build", int64(2), "Run", "completed", "success", "success", at(20 * time.Second), 100.0, "runner-1", "10", "abc123"},
			{int64(1), "test", int64(1), "Set up job", "completed", "success", "success", at(65 * time.Second), 5.0, "runner-2", "10", "abc123"},
			{int64(1), "test", int64(2), "Run", "completed", "failure", "failure", at(70 * time.Second), 230.0, "runner-2", "10", "abc123"},
			{int64(2), "test", int64(1), "Set up job", "completed", "success", "success", at(20*time.Minute + 32*time.Second), 5.0, "runner-3", "10", "abc123"},
			{int64(2), "test", int64(2), "Run", "completed", "success", "success", at(20*time.Minute + 37*time.Second), 263.0, "runner-3", "10", "abc123"},
		}, rows)
	})

	t.Run("flaky jobs", func(t *testing.T) {
		rows := pgtest.Rows(t, conn, `SELECT repository, run_id, sha, job_name, failed_attempt, failed_job_id, failed_conclusion,
			failed_runner_name, failed_url, succeeded_attempt, succeeded_job_id, succeeded_runner_name, succeeded_started_at,
			failed_trace_id <> succeeded_trace_id
			FROM otel.cicd_flaky_jobs ORDER BY run_id, succeeded_attempt`)
		assert.Equal(t, [][]any{
			{
				"octo-org/app", "10", "abc123", "test", int64(1), "2", "failure", "runner-2",
				"https://github.com/octo-org/app/actions/runs/10/job/2", int64(2), "4", "runner-3", at(20*time.Minute + 32*time.Second), true,
			},
			// attempt 3 succeeded again after a success: no second transition
			{
				"octo-org/app", "20", "abc123", "e2e", int64(1), "10", "failure", "runner-9",
				"https://github.com/octo-org/app/actions/runs/20/job/10", int64(2), "11", "runner-9", at(time.Hour + 10*time.Minute + time.Second), true,
			},
			{
				"octo-org/app", "30", "abc123", "e2e", int64(2), "21", "failure", "runner-9",
				"https://github.com/octo-org/app/actions/runs/30/job/21", int64(3), "22", "runner-9", at(2*time.Hour + 20*time.Minute + time.Second), true,
			},
		}, rows)
	})

	t.Run("no other spans", func(t *testing.T) {
		for view, want := range map[string]int64{"cicd_runs": 8, "cicd_jobs": 11, "cicd_steps": 6, "cicd_flaky_jobs": 3} {
			assert.Equal(t, want, countRows(t, conn, "otel", view), view)
		}
	})

	t.Run("README examples", func(t *testing.T) {
		readme, err := os.ReadFile("README.md")
		require.NoError(t, err)
		_, rest, ok := strings.Cut(string(readme), "## CI/CD views")
		require.True(t, ok)
		_, rest, ok = strings.Cut(rest, "```sql\n")
		require.True(t, ok)
		block, _, ok := strings.Cut(rest, "```")
		require.True(t, ok)
		queries := strings.Split(strings.TrimSpace(block), "\n\n")
		require.Len(t, queries, 3)
		for _, q := range queries {
			q = strings.ReplaceAll(q, "$__timeFilter(start_time)", "start_time >= now() - interval '7 days'")
			got := pgtest.Rows(t, conn, q)
			assert.NotEmpty(t, got, q)
		}
	})
}

// TestCICDViewsUseIndexes checks the plans of the queries Grafana panels run on the CI views,
// on two weeks of CI traces among other spans: a time filter reads the partial index of its kind
// of span, and the joins probe indexes, with no sequential scan of spans.
func TestCICDViewsUseIndexes(t *testing.T) {
	dsn := cluster.NewDatabase(t)
	e := startExporter(t, itConfig(dsn))
	require.NoError(t, e.pushTraces(t.Context(), ciTraces(t, itTime.Add(-3*time.Hour))))
	conn := pgtest.Connect(t, dsn)
	fillCIHistory(t, conn)

	filter := " WHERE start_time >= now() - interval '1 day' AND start_time < now()"
	// Each kind of CI span has several partial indexes with one predicate; a bitmap scan of
	// any of them reads only that kind, and which one is cheapest depends on the hour.
	runs := []string{"spans_cicd_runs_start_idx", "spans_cicd_runs_run_id_idx", "spans_cicd_runs_trace_idx"}
	for _, tc := range []struct {
		query   string
		indexes []string
	}{
		{"SELECT workflow, result, duration_seconds, queue_seconds FROM otel.cicd_runs" + filter, runs},
		{"SELECT job_name, runner_labels, queue_seconds, url FROM otel.cicd_jobs" + filter, []string{"spans_cicd_jobs_start_idx", "spans_cicd_jobs_trace_idx"}},
		{"SELECT step_name, duration_seconds FROM otel.cicd_steps" + filter, []string{"spans_cicd_steps_start_idx"}},
		{"SELECT job_name, failed_url, succeeded_url FROM otel.cicd_flaky_jobs" + filter, []string{"spans_cicd_runs_run_id_idx"}},
	} {
		t.Run(tc.indexes[0], func(t *testing.T) {
			// The plan names the partitions' indexes, attached to the ones the migration created.
			rows, err := conn.Query(t.Context(), `SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
				WHERE i.inhparent = ANY (SELECT to_regclass('otel.' || ix) FROM unnest($1::text[]) ix)`, tc.indexes)
			require.NoError(t, err)
			partIndexes, err := pgx.CollectRows(rows, pgx.RowTo[string])
			require.NoError(t, err)
			require.NotEmpty(t, partIndexes)

			rows, err = conn.Query(t.Context(), "EXPLAIN "+tc.query)
			require.NoError(t, err)
			lines, err := pgx.CollectRows(rows, pgx.RowTo[string])
			require.NoError(t, err)
			plan := strings.Join(lines, "\n")
			for _, l := range lines {
				// the planner may read an empty partition (the days ahead) whole: it costs nothing
				if strings.Contains(l, "Seq Scan") && !strings.Contains(l, "(cost=0.00..0.00 ") {
					t.Errorf("sequential scan: %s\nin the plan:\n%s", l, plan)
				}
			}
			assert.True(t, slices.ContainsFunc(partIndexes, func(ix string) bool { return strings.Contains(plan, " "+ix+" ") }),
				"no partition index of %v in the plan:\n%s", tc.indexes, plan)
			_, err = conn.Exec(t.Context(), tc.query)
			require.NoError(t, err)
		})
	}
}

// fillCIHistory adds 2,000 copies of ciTraces, one every 10 minutes back from now (two weeks),
// and 100,000 other spans, then analyzes spans.
func fillCIHistory(t testing.TB, conn *pgx.Conn) {
	t.Helper()
	_, err := conn.Exec(context.Background(), `
		INSERT INTO otel.spans
		SELECT md5(s.trace_id || g), s.span_id, s.parent_span_id, s.trace_state, s.service_name, s.span_name,
		       s.span_kind, s.start_time - g * interval '10 minutes', s.end_time - g * interval '10 minutes',
		       s.duration, s.status_code, s.status_message,
		       CASE WHEN s.attributes ? 'cicd.pipeline.run.id'
		            THEN jsonb_set(s.attributes, '{cicd.pipeline.run.id}', to_jsonb((s.attributes->>'cicd.pipeline.run.id') || '-' || g))
		            ELSE s.attributes END,
		       s.events, s.links, s.resource_id, s.scope_id
		FROM otel.spans s, generate_series(1, 2000) g
		WHERE s.service_name = 'octo-org/app';
		INSERT INTO otel.spans
		SELECT md5(g::text), '00000000000000' || lpad(to_hex(g % 256), 2, '0'), '', '', 'shop', 'GET /', 'Server',
		       now() - g * interval '12 seconds', now() - g * interval '12 seconds' + interval '1 ms', 1000000, 'Unset', '',
		       '{"http.route": "/"}', '[]', '[]', 0, 0
		FROM generate_series(1, 100000) g;
		ANALYZE otel.spans`)
	require.NoError(t, err)
}

// BenchmarkCICDViews times the queries of CI dashboard panels over a day of fillCIHistory's
// two weeks (about 1,000 attempts, 1,350 jobs and 700 steps in the day).
func BenchmarkCICDViews(b *testing.B) {
	dsn := cluster.NewDatabase(b)
	cfg := itConfig(dsn)
	e, err := newExporter(exportertest.NewNopSettings(metadata.Type), cfg)
	require.NoError(b, err)
	require.NoError(b, e.start(context.Background(), componenttest.NewNopHost()))
	b.Cleanup(func() { assert.NoError(b, e.shutdown(context.Background())) })
	require.NoError(b, e.pushTraces(context.Background(), ciTraces(b, itTime.Add(-3*time.Hour))))
	conn := pgtest.Connect(b, dsn)
	fillCIHistory(b, conn)

	filter := " WHERE start_time >= now() - interval '1 day' AND start_time < now()"
	for _, q := range []struct{ name, sql string }{
		{"runs", "SELECT workflow, result, queue_seconds, duration_seconds, url, trace_id FROM otel.cicd_runs" + filter},
		{"jobs", "SELECT job_name, runner_labels, queue_seconds, duration_seconds, url FROM otel.cicd_jobs" + filter},
		{"steps", "SELECT job_name, step_name, duration_seconds FROM otel.cicd_steps" + filter},
		{"flaky_jobs", "SELECT job_name, failed_url, succeeded_url FROM otel.cicd_flaky_jobs" + filter},
	} {
		b.Run(q.name, func(b *testing.B) {
			var n int
			for b.Loop() {
				rows, err := conn.Query(context.Background(), q.sql)
				require.NoError(b, err)
				n = 0
				for rows.Next() {
					n++
				}
				require.NoError(b, rows.Err())
			}
			b.ReportMetric(float64(n), "rows")
		})
	}
}
