package e2e

import (
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/otelcol-diagnostics/otelcol-diagnostics/internal/e2etest"
)

// defaultConfig rewrites config/default.yaml's fixed ports to free ones so the
// test never collides with a collector the user runs.
func defaultConfig(t *testing.T) (config, health, metrics string) {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(e2etest.RepoRoot(), "config", "default.yaml"))
	require.NoError(t, err)
	health, metrics = e2etest.FreeAddr(t), e2etest.FreeAddr(t)
	config = strings.NewReplacer(
		"localhost:13133", health,
		"localhost:8889", metrics,
		"localhost:4317", e2etest.FreeAddr(t),
		"localhost:4318", e2etest.FreeAddr(t),
	).Replace(string(raw))
	return config, health, metrics
}

func TestDefaultConfigServesHealthAndMetrics(t *testing.T) {
	config, health, metrics := defaultConfig(t)
	col := e2etest.Start(t, config)

	col.WaitHTTP("http://"+health+"/", 30*time.Second)
	col.WaitHTTP("http://"+metrics+"/metrics", 10*time.Second)

	resp, err := http.Get("http://" + metrics + "/metrics")
	require.NoError(t, err)
	defer func() { _ = resp.Body.Close() }()
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	_, err = io.ReadAll(resp.Body)
	require.NoError(t, err)

	start := time.Now()
	require.NoError(t, col.Stop(5*time.Second), "clean exit on SIGTERM")
	assert.Less(t, time.Since(start), 5*time.Second)
}

func TestValidateDefaultConfig(t *testing.T) {
	out, err := e2etest.Command(t, "validate", "--config", filepath.Join(e2etest.RepoRoot(), "config", "default.yaml"))
	require.NoError(t, err, out)
}

// Every module builder-config.yaml names is built in: `components` lists it at its pinned
// version, and the project's own three components by name.
func TestComponentsListBuilderConfig(t *testing.T) {
	out, err := e2etest.Command(t, "components")
	require.NoError(t, err, out)
	raw, err := os.ReadFile(filepath.Join(e2etest.RepoRoot(), "builder-config.yaml"))
	require.NoError(t, err)
	var modules int
	for _, line := range strings.Split(string(raw), "\n") {
		mod, ok := strings.CutPrefix(strings.TrimSpace(line), "- gomod: ")
		if !ok || strings.HasPrefix(mod, "github.com/otelcol-diagnostics/") || strings.Contains(mod, "/confmap/provider/") {
			continue
		}
		modules++
		assert.Contains(t, out, "module: "+mod)
	}
	assert.Greater(t, modules, 10)
	for _, name := range []string{"journaldmetrics", "githubworkflow", "postgres"} {
		assert.Contains(t, out, "- name: "+name+"\n")
	}
}
