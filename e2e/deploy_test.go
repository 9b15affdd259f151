package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/otelcol-diagnostics/otelcol-diagnostics/internal/e2etest"
)

// The shipped unit must pass systemd's own checks once pointed at a real binary.
func TestSystemdUnitVerifies(t *testing.T) {
	analyze, err := exec.LookPath("systemd-analyze")
	require.NoError(t, err, "systemd-analyze (Debian package systemd) is needed")

	raw, err := os.ReadFile(filepath.Join(e2etest.RepoRoot(), "deploy", "systemd", "otelcol-diagnostics.service"))
	require.NoError(t, err)
	unit := strings.ReplaceAll(string(raw), "/usr/bin/otelcol-diagnostics", e2etest.Binary(t))
	path := filepath.Join(t.TempDir(), "otelcol-diagnostics.service")
	require.NoError(t, os.WriteFile(path, []byte(unit), 0o600))

	out, err := exec.CommandContext(t.Context(), analyze, "verify", path).CombinedOutput()
	require.NoError(t, err, string(out))
	assert.Empty(t, strings.TrimSpace(string(out)))
}
