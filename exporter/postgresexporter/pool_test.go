package postgresexporter

import (
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestPoolConfig(t *testing.T) {
	tests := []struct {
		name    string
		dsn     string
		mode    pgx.QueryExecMode
		appName string
	}{
		{name: "default: no statement outlives its transaction", dsn: "postgres://u@h/db", mode: pgx.QueryExecModeExec, appName: applicationName},
		{name: "key=value", dsn: "host=h user=u dbname=db pool_max_conns=3", mode: pgx.QueryExecModeExec, appName: applicationName},
		{name: "explicit cache_statement for a direct connection", dsn: "postgres://u@h/db?default_query_exec_mode=cache_statement", mode: pgx.QueryExecModeCacheStatement, appName: applicationName},
		{name: "explicit simple_protocol", dsn: "postgres://u@h/db?default_query_exec_mode=simple_protocol", mode: pgx.QueryExecModeSimpleProtocol, appName: applicationName},
		{name: "application_name kept", dsn: "postgres://u@h/db?application_name=mine", mode: pgx.QueryExecModeExec, appName: "mine"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pcfg, err := poolConfig(tt.dsn)
			require.NoError(t, err)
			assert.Equal(t, tt.mode, pcfg.ConnConfig.DefaultQueryExecMode)
			assert.Equal(t, tt.appName, pcfg.ConnConfig.RuntimeParams["application_name"])
			assert.NotContains(t, pcfg.ConnConfig.RuntimeParams, execModeParam, "never sent to the server")
		})
	}
	_, err := poolConfig("postgres://u:secret@h/db?default_query_exec_mode=bogus")
	require.ErrorIs(t, err, errDSN)
	assert.NotContains(t, err.Error(), "secret")
}
