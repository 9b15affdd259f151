package journaldmetricsreceiver

import (
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/receiver/receivertest"

	"github.com/otelcol-diagnostics/otelcol-diagnostics/receiver/journaldmetricsreceiver/internal/metadata"
)

func TestFactory(t *testing.T) {
	f := NewFactory()
	assert.Equal(t, metadata.Type, f.Type())
	assert.Equal(t, metadata.MetricsStability, f.MetricsStability())
	cfg := f.CreateDefaultConfig().(*Config)
	require.NoError(t, cfg.Validate(), "the default configuration is valid")

	r, err := f.CreateMetrics(t.Context(), receivertest.NewNopSettings(metadata.Type), cfg, consumertest.NewNop())
	require.NoError(t, err)
	require.NotNil(t, r)
	assert.Equal(t, createDefaultConfig(), cfg, "creating the receiver leaves the config alone")
}

// TestReadmeExample keeps the README's example equal to testdata/config.yaml.
func TestReadmeExample(t *testing.T) {
	readme, err := os.ReadFile("README.md")
	require.NoError(t, err)
	example, err := os.ReadFile("testdata/config.yaml")
	require.NoError(t, err)
	assert.True(t, strings.Contains(string(readme), "```yaml\n"+string(example)+"```"),
		"README.md holds testdata/config.yaml verbatim in a yaml block")
}
