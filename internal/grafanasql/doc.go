// Package grafanasql expands Grafana's PostgreSQL data source macros and
// template variables the way Grafana does before it sends a panel's query,
// so tests can run every dashboard query against a real database.
package grafanasql
