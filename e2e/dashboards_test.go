package e2e

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-github/v66/github"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/otelcol-diagnostics/otelcol-diagnostics/internal/e2etest"
	"github.com/otelcol-diagnostics/otelcol-diagnostics/internal/fakegithub"
	"github.com/otelcol-diagnostics/otelcol-diagnostics/internal/grafanasql"
	"github.com/otelcol-diagnostics/otelcol-diagnostics/internal/journaltest"
	"github.com/otelcol-diagnostics/otelcol-diagnostics/internal/pgtest"
)

// dashboardsConfig runs both receivers into the postgres exporter: the GitHub
// stand-in polled every second, and journal files read from the beginning with
// the built-in entries counter and one rule of each type.
const dashboardsConfig = `
extensions:
  health_check:
    endpoint: %[1]s
receivers:
  otlp:
    protocols:
      grpc:
        endpoint: %[4]s
  githubworkflow:
    endpoint: %[2]s
    token: ${env:GITHUB_TOKEN}
    repositories: [octo-org/*]
    collection_interval: 1s
    lookback: 24h
  journaldmetrics:
    files: [%[3]s]
    start_at: beginning
    collection_interval: 200ms
    entries_metric: true
    metrics:
      - name: legacyapp.orders
        description: Orders handled, by outcome
        unit: "{order}"
        type: counter
        match:
          fields: {SYSLOG_IDENTIFIER: legacyapp}
          regex: {MESSAGE: '^order (?P<state>\w+) in (?P<ms>\d+)ms$'}
        attributes: {state: state}
      - name: legacyapp.order.duration
        unit: ms
        type: histogram
        match:
          fields: {SYSLOG_IDENTIFIER: legacyapp}
          regex: {MESSAGE: '^order (?P<state>\w+) in (?P<ms>\d+)ms$'}
        value: ms
        attributes: {state: state}
        buckets: [10, 100, 1000]
      - name: legacyapp.queue.depth
        type: gauge
        match:
          fields: {SYSLOG_IDENTIFIER: legacyapp}
        value: QUEUE_DEPTH
        attributes: {queue: QUEUE_NAME}
exporters:
  postgres:
    dsn: ${env:POSTGRES_DSN}
    schema: otel
    sending_queue:
      batch:
        flush_timeout: 100ms
service:
  extensions: [health_check]
  telemetry:
    metrics:
      level: none
  pipelines:
    traces:
      receivers: [githubworkflow]
      exporters: [postgres]
    metrics:
      receivers: [githubworkflow, journaldmetrics]
      exporters: [postgres]
    logs:
      receivers: [otlp]
      exporters: [postgres]
`

// dashboardLogs is the number of log records the Hosts dashboard's Logs panel reads.
const dashboardLogs = 50

// journalEntries is the size of the synthetic journal the Hosts dashboard reads.
const journalEntries = 2000

// ciData is what the GitHub stand-in serves: how many run attempts, jobs and steps.
type ciData struct {
	attempts, jobs, steps, flaky int
	earliest                     time.Time
}

// putCIRuns feeds gh with run attempts shaped from the real fixtures: two workflows in
// two repositories, a failed attempt re-run successfully on the same commit (a flaky
// job), a failed run, and jobs on GitHub-hosted and self-hosted runners.
func putCIRuns(t *testing.T, gh *fakegithub.Server, now time.Time) ciData {
	t.Helper()
	fixtures := filepath.Join(fakegithub.FixturesDir(), "webhooks")
	base, err := fakegithub.LoadRun(filepath.Join(fixtures, "workflow_run", "completed.payload.json"))
	require.NoError(t, err, "fixtures in internal/fakegithub/testdata/github")
	success, err := fakegithub.LoadJob(filepath.Join(fixtures, "workflow_job", "completed.success.with-organization.payload.json"))
	require.NoError(t, err)
	failure, err := fakegithub.LoadJob(filepath.Join(fixtures, "workflow_job", "completed.failure.with-organization.payload.json"))
	require.NoError(t, err)

	gh.AddRepo("Organization", "octo-org", "octo-repo")
	gh.AddRepo("Organization", "octo-org", "tools")

	var d ciData
	d.earliest = now
	type job struct {
		name   string
		failed bool
		self   bool // on a self-hosted runner
	}
	put := func(repo, workflow string, id int64, n int, ago time.Duration, conclusion string, jobs ...job) {
		created := now.Add(-ago)
		run := fakegithub.ShapeRun(base, repo, id, n, created, "completed", conclusion)
		run.Name = github.String(workflow)
		run.Path = github.String(".github/workflows/" + strings.ToLower(workflow) + ".yml")
		run.WorkflowID = github.Int64(int64(len(workflow)))
		jobCreated := created.Add(time.Duration(n-1) * 10 * time.Minute)
		var shaped []*github.WorkflowJob
		for i, j := range jobs {
			src := success
			if j.failed {
				src = failure
			}
			wj := fakegithub.ShapeJob(src, id*100+int64(n*10+i), id, n, jobCreated)
			wj.Name = github.String(j.name)
			wj.WorkflowName = github.String(workflow)
			if j.self {
				wj.Labels = []string{"self-hosted", "linux", "x64"}
				wj.RunnerName = github.String("builder-1")
			}
			shaped = append(shaped, wj)
			d.jobs++
			d.steps += len(wj.Steps)
		}
		gh.PutAttempt(repo, run, shaped)
		d.attempts++
		if created.Before(d.earliest) {
			d.earliest = created
		}
	}
	put("octo-org/octo-repo", "CI", 101, 1, 5*time.Hour, "failure", job{"linters", true, false}, job{"build", false, true})
	put("octo-org/octo-repo", "CI", 101, 2, 5*time.Hour, "success", job{"linters", false, false}, job{"build", false, true})
	put("octo-org/octo-repo", "CI", 102, 1, 3*time.Hour, "success", job{"linters", false, false}, job{"build", false, true})
	put("octo-org/octo-repo", "Release", 103, 1, 2*time.Hour, "failure", job{"publish", true, true})
	put("octo-org/tools", "CI", 201, 1, time.Hour, "success", job{"linters", false, false}, job{"build", false, false})
	d.flaky = 1 // linters of run 101
	return d
}

// populateDashboardDB runs the built collector once with both receivers exporting to a fresh
// database, waits until every row has arrived, stops the collector and returns the DSN and
// the time range of the data.
func populateDashboardDB(t *testing.T) (dsn string, from, to time.Time) {
	t.Helper()
	dsn = sharedDatabase(t)

	now := time.Now().UTC().Truncate(time.Second)
	gh := fakegithub.New(nil)
	ci := putCIRuns(t, gh, now)
	apiURL := gh.Start()
	t.Cleanup(gh.Close)

	files := journaltest.WriteFile(t, filepath.Join(t.TempDir(), "hosts.journal"), journalEntries, journaltest.Synthetic(0))
	health := e2etest.FreeAddr(t)
	otlp := e2etest.FreeAddr(t)
	config := fmt.Sprintf(dashboardsConfig, health, apiURL, strings.Join(files, ", "), otlp)
	col := e2etest.Start(t, config, "POSTGRES_DSN="+dsn, "GITHUB_TOKEN=ghp_e2e")
	col.WaitHTTP("http://"+health+"/", 30*time.Second)
	// Log records for the Hosts dashboard's Logs panel (v_logs).
	out, err := exec.CommandContext(t.Context(), e2etest.Telemetrygen(t), "logs", "--logs", strconv.Itoa(dashboardLogs),
		"--otlp-endpoint", otlp, "--otlp-insecure", "--workers", "1").CombinedOutput()
	require.NoError(t, err, string(out))

	conn := pgtest.Connect(t, dsn)
	count := func(query string) int64 {
		var n int64
		if err := conn.QueryRow(t.Context(), query).Scan(&n); err != nil {
			return -1 // not migrated yet
		}
		return n
	}
	want := map[string]int64{
		"SELECT count(*) FROM otel.cicd_runs":       int64(ci.attempts),
		"SELECT count(*) FROM otel.cicd_jobs":       int64(ci.jobs),
		"SELECT count(*) FROM otel.cicd_steps":      int64(ci.steps),
		"SELECT count(*) FROM otel.cicd_flaky_jobs": int64(ci.flaky),
		"SELECT count(*) FROM otel.v_logs":          dashboardLogs,
		// Every entry counted: the latest cumulative value of each series adds up to the journal.
		`SELECT coalesce(sum(v), 0)::bigint FROM (SELECT DISTINCT ON (series_id) value AS v FROM otel.v_metrics
		  WHERE metric_name = 'journald.entries' ORDER BY series_id, time DESC) s`: journalEntries,
		`SELECT count(DISTINCT s.metric_name) FROM otel.metric_series s
		  WHERE s.metric_name LIKE 'legacyapp.%' AND (EXISTS (SELECT 1 FROM otel.metric_points p WHERE p.series_id = s.series_id)
		  OR EXISTS (SELECT 1 FROM otel.metric_histogram_points h WHERE h.series_id = s.series_id))`: 3,
	}
	e2etest.Eventually(t, 60*time.Second, func() bool {
		for q, n := range want {
			if count(q) != n {
				return false
			}
		}
		return true
	}, "rows did not arrive; collector output:\n%s", col.Output())
	require.NoError(t, col.Stop(10*time.Second), "clean exit on SIGTERM")

	return dsn, ci.earliest.Add(-time.Hour), time.Now().UTC().Add(time.Minute)
}

// grafanaReader creates the read-only role of dashboards/README.md and connects as it.
func grafanaReader(t *testing.T, dsn string) *pgx.Conn {
	t.Helper()
	admin := pgtest.Connect(t, dsn)
	for _, stmt := range []string{
		"CREATE ROLE grafana_reader LOGIN",
		"GRANT USAGE ON SCHEMA otel TO grafana_reader",
		"GRANT SELECT ON ALL TABLES IN SCHEMA otel TO grafana_reader",
		"ALTER ROLE grafana_reader SET default_transaction_read_only = on",
	} {
		_, err := admin.Exec(t.Context(), stmt)
		require.NoError(t, err, stmt)
	}
	cfg, err := pgx.ParseConfig(dsn)
	require.NoError(t, err)
	cfg.User = "grafana_reader"
	conn, err := pgx.ConnectConfig(t.Context(), cfg)
	require.NoError(t, err)
	t.Cleanup(func() { _ = conn.Close(context.Background()) })
	_, err = conn.Exec(t.Context(), "CREATE TEMPORARY TABLE probe (x int)")
	require.Error(t, err, "the Grafana role cannot write")
	return conn
}

// dashboardTotals are exact values some panels must show: their query's first cell.
var dashboardTotals = map[string]float64{
	"hosts/Entries in range":           journalEntries,
	"cicd-overview/Run attempts":       5,
	"cicd-overview/Failed attempts":    2,
	"cicd-overview/Success rate":       60, // 3 of 5
	"cicd-overview/Duration p50 / p95": 300,
	"cicd-overview/Queue p95":          10, // every job waited 10s (fakegithub.ShapeJob)
}

// TestDashboards populates a database through the built binary, then runs every panel query
// and query variable of every dashboard in dashboards/, expanded as Grafana expands them, as
// the read-only Grafana role: each must succeed and return rows.
func TestDashboards(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(e2etest.RepoRoot(), "dashboards", "*.json"))
	require.NoError(t, err)
	require.NotEmpty(t, files, "dashboards/*.json")

	dsn, from, to := populateDashboardDB(t)
	conn := grafanaReader(t, dsn)
	for _, file := range files {
		name := strings.TrimSuffix(filepath.Base(file), ".json")
		t.Run(name, func(t *testing.T) {
			raw, err := os.ReadFile(file)
			require.NoError(t, err)
			queries, templates, err := grafanasql.Parse(raw)
			require.NoError(t, err)
			require.NotEmpty(t, queries)
			req := grafanasql.Request{From: from, To: to, Interval: time.Minute, Vars: variables(t, conn, templates, from, to)}
			for _, q := range queries {
				t.Run(q.Panel+"/"+q.RefID, func(t *testing.T) {
					assert.Contains(t, q.SQL, "$__time", "the query follows Grafana's time range")
					sql, err := grafanasql.Expand(q.SQL, req)
					require.NoError(t, err)
					columns, rows, first, nulls := runQuery(t, conn, sql)
					assert.Positive(t, rows, "no rows from:\n%s", sql)
					assert.Empty(t, nulls, "NULL columns in the first row of:\n%s", sql)
					if q.Format == "time_series" {
						assert.Contains(t, columns, "time", "a time series query has a time column")
					}
					if want, ok := dashboardTotals[name+"/"+q.Panel]; ok && rows > 0 {
						assert.InDelta(t, want, first, 1e-9, "first value of:\n%s", sql)
					}
				})
			}
		})
	}
}

// variables resolves a dashboard's template variables in order, the way Grafana does when
// every value is selected: a query variable takes all the values its own query returns.
func variables(t *testing.T, conn *pgx.Conn, templates []grafanasql.Template, from, to time.Time) map[string]grafanasql.Variable {
	t.Helper()
	vars := map[string]grafanasql.Variable{}
	for _, v := range templates {
		switch v.Type {
		case "datasource":
			// The panels' data source, not part of any SQL.
		case "constant", "textbox":
			s, ok := v.Query.(string)
			require.True(t, ok, "variable %s: a string query", v.Name)
			vars[v.Name] = grafanasql.Variable{Values: []string{s}}
		case "query":
			q, ok := v.Query.(string)
			if !ok {
				m, isMap := v.Query.(map[string]any)
				require.True(t, isMap, "variable %s: query", v.Name)
				q, _ = m["query"].(string)
			}
			sql, err := grafanasql.Expand(q, grafanasql.Request{From: from, To: to, Interval: time.Minute, Vars: vars})
			require.NoError(t, err, "variable %s", v.Name)
			values := variableValues(t, conn, sql)
			require.NotEmpty(t, values, "variable %s has no values:\n%s", v.Name, sql)
			multi := v.Multi || v.IncludeAll
			if !multi {
				values = values[:1] // Grafana selects the first option
			}
			vars[v.Name] = grafanasql.Variable{Values: values, Multi: multi}
		default:
			require.Failf(t, "unsupported variable type", "variable %s: %s", v.Name, v.Type)
		}
	}
	return vars
}

// variableValues runs a query variable's SQL and returns its values: the __value column if
// there is one (with __text as the label), else the first column.
func variableValues(t *testing.T, conn *pgx.Conn, sql string) []string {
	t.Helper()
	rows, err := conn.Query(t.Context(), sql)
	require.NoError(t, err, sql)
	defer rows.Close()
	col := 0
	for i, f := range rows.FieldDescriptions() {
		if f.Name == "__value" {
			col = i
		}
	}
	var values []string
	for rows.Next() {
		row, err := rows.Values()
		require.NoError(t, err, sql)
		s, ok := row[col].(string)
		require.True(t, ok, "a variable's value is text, got %T:\n%s", row[col], sql)
		values = append(values, s)
	}
	require.NoError(t, rows.Err(), sql)
	return values
}

// runQuery runs sql and returns its column names, its row count, its first cell as a number
// (0 when it is not one) and the columns that are NULL in the first row (an aggregate over no
// rows still returns one row, of NULLs).
func runQuery(t *testing.T, conn *pgx.Conn, sql string) (columns []string, n int, first float64, nulls []string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	rows, err := conn.Query(ctx, sql)
	require.NoError(t, err, sql)
	defer rows.Close()
	for _, f := range rows.FieldDescriptions() {
		columns = append(columns, f.Name)
	}
	for rows.Next() {
		if n == 0 {
			values, err := rows.Values()
			require.NoError(t, err, sql)
			first = number(values[0])
			for i, v := range values {
				if v == nil && columns[i] != "parentSpanID" { // a trace's root has none
					nulls = append(nulls, columns[i])
				}
			}
		}
		n++
	}
	require.NoError(t, rows.Err(), sql)
	return columns, n, first, nulls
}

func number(v any) float64 {
	switch x := v.(type) {
	case float64:
		return x
	case int64:
		return float64(x)
	case int32:
		return float64(x)
	case pgtype.Numeric:
		f, err := x.Float64Value()
		if err == nil && f.Valid {
			return f.Float64
		}
	}
	return 0
}
