package postgresexporter

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/otelcol-diagnostics/otelcol-diagnostics/internal/grafanasql"
	"github.com/otelcol-diagnostics/otelcol-diagnostics/internal/pgtest"
)

// logsPanelQuery returns the query of the Logs panel of the shipped hosts dashboard.
func logsPanelQuery(t *testing.T) string {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("..", "..", "dashboards", "hosts.json"))
	require.NoError(t, err)
	queries, _, err := grafanasql.Parse(raw)
	require.NoError(t, err)
	for _, q := range queries {
		if q.Panel == "Logs" {
			return q.SQL
		}
	}
	t.Fatal("no Logs panel in dashboards/hosts.json")
	return ""
}

// readOnlyConn connects to dsn as a role that may only read the schema, as Grafana does.
func readOnlyConn(t *testing.T, dsn string) *pgx.Conn {
	t.Helper()
	admin := pgtest.Connect(t, dsn)
	for _, stmt := range []string{
		`DO $$ BEGIN CREATE ROLE grafana_logs LOGIN; EXCEPTION WHEN duplicate_object THEN NULL; END $$`,
		"GRANT USAGE ON SCHEMA otel TO grafana_logs",
		"GRANT SELECT ON ALL TABLES IN SCHEMA otel TO grafana_logs",
		"ALTER ROLE grafana_logs SET default_transaction_read_only = on",
	} {
		mustExecT(t, admin, stmt)
	}
	cfg, err := pgx.ParseConfig(dsn)
	require.NoError(t, err)
	cfg.User = "grafana_logs"
	conn, err := pgx.ConnectConfig(t.Context(), cfg)
	require.NoError(t, err)
	t.Cleanup(func() { _ = conn.Close(t.Context()) })
	return conn
}

// TestLogsPanel runs the hosts dashboard's Logs panel query, expanded as Grafana expands it, on
// v_logs as a read-only role: exact rows, Grafana's level names, labels from the resource and
// the record (the record's win), no NULL anywhere.
func TestLogsPanel(t *testing.T) {
	dsn := cluster.NewDatabase(t)
	e := startExporter(t, itConfig(dsn))

	ld := plog.NewLogs()
	rl := ld.ResourceLogs().AppendEmpty()
	rl.Resource().Attributes().PutStr("service.name", "legacyapp")
	rl.Resource().Attributes().PutStr("host.name", "web-1")
	sl := rl.ScopeLogs().AppendEmpty()
	add := func(offset time.Duration, num plog.SeverityNumber, text string) plog.LogRecord {
		lr := sl.LogRecords().AppendEmpty()
		lr.SetTimestamp(pts(itTime.Add(offset)))
		lr.SetSeverityNumber(num)
		lr.SetSeverityText(text)
		return lr
	}
	r := add(1*time.Second, plog.SeverityNumberError, "ERROR")
	r.Body().SetStr("order 42 failed")
	r.SetTraceID(itTraceID)
	r.SetSpanID(itRootSpanID)
	r.Attributes().PutStr("order", "42")
	r.Attributes().PutStr("host.name", "web-1a") // the record's attribute wins over the resource's
	add(2*time.Second, plog.SeverityNumberWarn2, "").Body().SetStr("slow")
	add(3*time.Second, plog.SeverityNumberUnspecified, "notice").Body().SetStr("by text")
	r = add(4*time.Second, plog.SeverityNumberFatal, "")
	r.Body().SetEmptyMap().PutInt("n", 1)
	r.Attributes().PutInt("attempt", 3)
	add(5*time.Second, plog.SeverityNumberUnspecified, "") // no body at all
	add(6*time.Second, plog.SeverityNumberDebug, "").Body().SetStr("dbg")
	add(-48*time.Hour, plog.SeverityNumberInfo, "").Body().SetStr("outside the time range")
	require.NoError(t, e.pushLogs(t.Context(), ld))

	sql, err := grafanasql.Expand(logsPanelQuery(t), grafanasql.Request{
		From: itTime, To: itTime.Add(time.Minute), Interval: time.Second,
		Vars: map[string]grafanasql.Variable{"schema": {Values: []string{"otel"}}},
	})
	require.NoError(t, err)
	conn := readOnlyConn(t, dsn)
	rows, err := conn.Query(t.Context(), sql)
	require.NoError(t, err)
	type line struct {
		Time    time.Time
		Body    string
		Level   string
		Labels  map[string]string
		TraceID string
	}
	got, err := pgx.CollectRows(rows, pgx.RowToStructByPos[line])
	require.NoError(t, err, sql)
	for i := range got {
		got[i].Time = got[i].Time.UTC()
	}
	base := map[string]string{"service.name": "legacyapp", "host.name": "web-1"}
	with := func(kv ...string) map[string]string {
		m := map[string]string{}
		for k, v := range base {
			m[k] = v
		}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return m
	}
	assert.Equal(t, []line{
		{itTime.Add(6 * time.Second), "dbg", "debug", base, ""},
		{itTime.Add(5 * time.Second), "", "unknown", base, ""},
		{itTime.Add(4 * time.Second), `{"n": 1}`, "critical", with("attempt", "3"), ""},
		{itTime.Add(3 * time.Second), "by text", "info", base, ""},
		{itTime.Add(2 * time.Second), "slow", "warning", base, ""},
		{itTime.Add(1 * time.Second), "order 42 failed", "error", with("order", "42", "host.name", "web-1a"), "5b8aa5a2d2c872e8321cf37308d69df2"},
	}, got)

	var nulls int
	require.NoError(t, conn.QueryRow(t.Context(), `SELECT count(*) FROM otel.v_logs v
		WHERE num_nulls(v.time, v.body, v.level, v.labels, v."traceID", v."spanID") > 0`).Scan(&nulls))
	assert.Zero(t, nulls, "no NULL in the columns the Logs panel reads")
}
