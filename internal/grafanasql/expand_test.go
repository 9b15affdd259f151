package grafanasql

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestExpand(t *testing.T) {
	req := Request{
		From:     time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC),
		To:       time.Date(2026, 11, 24, 16, 0, 0, 0, time.UTC),
		Interval: time.Minute,
		Vars: map[string]Variable{
			"repository": {Values: []string{"octo/app", "o'brien/x"}, Multi: true},
			"schema":     {Values: []string{"otel"}},
		},
	}
	tests := []struct {
		name, in, want string
	}{
		{
			"timeFilter", "WHERE $__timeFilter(start_time)",
			"WHERE start_time BETWEEN '2026-11-24T10:00:00Z' AND '2026-11-24T16:00:00Z'",
		},
		{
			"timeGroupAlias with interval var", "SELECT $__timeGroupAlias(time, $__interval), 1",
			`SELECT floor(extract(epoch from time)/60)*60 AS "time", 1`,
		},
		{
			"timeGroup quoted", "GROUP BY $__timeGroup(time, '5m')",
			"GROUP BY floor(extract(epoch from time)/300)*300",
		},
		{
			"timeGroup days", "$__timeGroup(time,1d)",
			"floor(extract(epoch from time)/86400)*86400",
		},
		{
			"from and to", "$__timeFrom() < x AND x < $__timeTo()",
			"'2026-11-24T10:00:00Z' < x AND x < '2026-11-24T16:00:00Z'",
		},
		{
			"epoch", "$__unixEpochFilter(t) $__unixEpochFrom() $__unixEpochTo()",
			"t >= 1795514400 AND t <= 1795536000 1795514400 1795536000",
		},
		{"multi variable quoted", "repo IN ($repository)", "repo IN ('octo/app','o''brien/x')"},
		{"single variable raw", "FROM ${schema}.spans", "FROM otel.spans"},
		{"bracket variable", "FROM [[schema]].spans", "FROM otel.spans"},
		{"csv format", "${repository:csv}", "octo/app,o'brien/x"},
		{"interval ms", "$__interval_ms", "60000"},
		{"time alias", "$__time(start_time)", `start_time AS "time"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Expand(tt.in, req)
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestExpandErrors(t *testing.T) {
	req := Request{From: time.Unix(0, 0), To: time.Unix(60, 0), Interval: time.Second}
	for name, in := range map[string]string{
		"unknown variable": "SELECT $nope",
		"unknown macro":    "SELECT $__nope(x)",
		"missing column":   "WHERE $__timeFilter()",
		"missing interval": "$__timeGroup(time)",
		"bad interval":     "$__timeGroup(time, 'abc')",
	} {
		t.Run(name, func(t *testing.T) {
			_, err := Expand(in, req)
			assert.Error(t, err)
		})
	}
}

func TestFormatInterval(t *testing.T) {
	for d, want := range map[time.Duration]string{
		500 * time.Millisecond: "500ms",
		30 * time.Second:       "30s",
		5 * time.Minute:        "5m",
		2 * time.Hour:          "2h",
		48 * time.Hour:         "2d",
		90 * time.Second:       "90s",
	} {
		assert.Equal(t, want, formatInterval(d), d.String())
	}
}

func TestParse(t *testing.T) {
	raw := []byte(`{
	  "panels": [
	    {"title": "Runs", "targets": [{"refId": "A", "rawSql": "SELECT 1", "format": "table"}]},
	    {"title": "Row", "type": "row", "panels": [
	      {"title": "Nested", "targets": [{"refId": "B", "rawSql": "SELECT 2"}, {"refId": "C", "rawSql": "SELECT 3", "hide": true}]}
	    ]}
	  ],
	  "templating": {"list": [
	    {"name": "repository", "type": "query", "query": "SELECT DISTINCT repo FROM x", "multi": true},
	    {"name": "ds", "type": "datasource", "query": "grafana-postgresql-datasource"},
	    {"name": "wf", "type": "query", "query": {"query": "SELECT 4"}}
	  ]}
	}`)
	qs, vars, err := Parse(raw)
	require.NoError(t, err)
	require.Len(t, vars, 3)
	var sqls []string
	for _, q := range qs {
		sqls = append(sqls, q.Panel+": "+q.SQL)
	}
	assert.Equal(t, []string{
		"Runs: SELECT 1",
		"Nested: SELECT 2",
		"variable repository: SELECT DISTINCT repo FROM x",
		"variable wf: SELECT 4",
	}, sqls)
}
