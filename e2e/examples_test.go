package e2e

import (
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/otelcol-diagnostics/otelcol-diagnostics/internal/e2etest"
)

// Every shipped example must pass the binary's own validation.
func TestExampleConfigsValidate(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(e2etest.RepoRoot(), "config", "examples", "*.yaml"))
	require.NoError(t, err)
	require.NotEmpty(t, files)
	t.Setenv("GITHUB_TOKEN", "ghp_example")
	t.Setenv("GITHUB_WEBHOOK_SECRET", "example-secret")
	t.Setenv("POSTGRES_DSN", "postgres://otel@localhost:5432/otel?sslmode=disable")
	t.Setenv("STATE_DIRECTORY", t.TempDir())
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			out, err := e2etest.Command(t, "validate", "--config", f)
			require.NoError(t, err, out)
		})
	}
}
