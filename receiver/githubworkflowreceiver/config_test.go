package githubworkflowreceiver

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/confmap/confmaptest"

	"github.com/otelcol-diagnostics/otelcol-diagnostics/receiver/githubworkflowreceiver/internal/metadata"
)

func loadConfig(t *testing.T, name string) *Config {
	t.Helper()
	cm, err := confmaptest.LoadConf(filepath.Join("testdata", "config.yaml"))
	require.NoError(t, err)
	sub, err := cm.Sub(component.NewIDWithName(metadata.Type, name).String())
	require.NoError(t, err)
	cfg := NewFactory().CreateDefaultConfig().(*Config)
	require.NoError(t, sub.Unmarshal(cfg))
	return cfg
}

func TestLoadConfig(t *testing.T) {
	t.Run("default", func(t *testing.T) {
		cfg := loadConfig(t, "")
		assert.Equal(t, "https://api.github.com/", cfg.Endpoint)
		assert.Equal(t, 30*time.Second, cfg.Timeout)
		assert.Equal(t, 60*time.Second, cfg.CollectionInterval)
		assert.Equal(t, 24*time.Hour, cfg.Lookback)
		assert.Equal(t, 4, cfg.Concurrency)
		assert.Nil(t, cfg.StorageID)
		assert.False(t, cfg.Webhook.HasValue())
		// No repositories and no webhook: nothing to do.
		assert.ErrorContains(t, confmap.Validate(cfg), "repositories:")
	})
	t.Run("full", func(t *testing.T) {
		cfg := loadConfig(t, "full")
		require.NoError(t, confmap.Validate(cfg))
		assert.Equal(t, "https://github.example.com/api/v3/", cfg.Endpoint)
		assert.Equal(t, "ghp_example", string(cfg.Token))
		assert.Equal(t, []string{"octo-org/octo-repo", "octo-org/*"}, cfg.Repositories)
		assert.Equal(t, 2*time.Minute, cfg.CollectionInterval)
		assert.Equal(t, 72*time.Hour, cfg.Lookback)
		require.NotNil(t, cfg.StorageID)
		assert.Equal(t, "file_storage", cfg.StorageID.String())
		assert.Equal(t, 8, cfg.Concurrency)
		assert.Equal(t, 200, cfg.RateLimitReserve)
		wh := cfg.Webhook.Get()
		require.NotNil(t, wh)
		assert.Equal(t, "0.0.0.0:8088", wh.NetAddr.Endpoint)
		assert.Equal(t, "/events", wh.Path)
		assert.Equal(t, "s3cret", string(wh.Secret))
	})
	t.Run("webhook_only", func(t *testing.T) {
		cfg := loadConfig(t, "webhook_only")
		require.NoError(t, confmap.Validate(cfg))
		wh := cfg.Webhook.Get()
		require.NotNil(t, wh)
		assert.Equal(t, "/events", wh.Path, "default path")
		assert.Equal(t, int64(defaultWebhookMaxBody), wh.webhookMaxBody())
	})
	t.Run("app", func(t *testing.T) {
		cfg := loadConfig(t, "app")
		require.NoError(t, confmap.Validate(cfg))
		app := cfg.GitHubApp.Get()
		require.NotNil(t, app)
		assert.Equal(t, int64(12345), app.AppID)
		assert.Equal(t, int64(67890), app.InstallationID)
		assert.Equal(t, "/etc/otelcol-diagnostics/github-app.pem", app.PrivateKeyFile)
		assert.Empty(t, string(cfg.Token))
	})
	t.Run("invalid_app", func(t *testing.T) {
		err := confmap.Validate(loadConfig(t, "invalid_app"))
		require.Error(t, err)
		for _, want := range []string{
			"token, github_app: set exactly one of the two, not both",
		} {
			assert.ErrorContains(t, err, want)
		}
		cfg := loadConfig(t, "invalid_app")
		cfg.Token = ""
		err = confmap.Validate(cfg)
		for _, want := range []string{
			"github_app::app_id: must be a positive App id, got 0",
			"github_app::installation_id: must be a positive installation id, got -1",
			"github_app::private_key_file, github_app::private_key: set exactly one of the two",
		} {
			assert.ErrorContains(t, err, want)
		}
	})
	t.Run("invalid", func(t *testing.T) {
		err := confmap.Validate(loadConfig(t, "invalid"))
		require.Error(t, err)
		for _, want := range []string{
			"token, github_app: set exactly one of the two",
			`endpoint: "ftp://example.com" is not an http(s) URL`,
			`repositories[0]: "octo-org": want owner/repo or owner/*`,
			`repositories[1]: "-bad/repo": invalid owner "-bad"`,
			`repositories[2]: "octo-org/bad name": invalid repository name "bad name"`,
			`repositories[4]: "octo-org/REPO" is listed twice`,
			"collection_interval: must be at least 1s",
			"lookback: must be positive",
			"concurrency: must be between 1 and 64, got 0",
			"rate_limit_reserve: must not be negative",
			"webhook::secret: required",
			"webhook::endpoint: must not be empty",
			`webhook::path: must start with '/'`,
		} {
			assert.ErrorContains(t, err, want)
		}
	})
}

func TestValidateWebhookWithoutSecret(t *testing.T) {
	cfg := createDefaultConfig().(*Config)
	cfg.Token = "ghp_example"
	cfg.Repositories = []string{"octo-org/octo-repo"}
	require.NoError(t, cfg.Validate())
	cfg.Webhook.GetOrInsertDefault()
	assert.EqualError(t, cfg.Validate(), "webhook::secret: required when webhook is set (unsigned deliveries are refused)")
	cfg.Webhook.Get().Secret = "s"
	assert.NoError(t, cfg.Validate())
}

func TestParseRepository(t *testing.T) {
	tests := []struct {
		in          string
		owner, repo string
		wantErr     bool
	}{
		{in: "octo-org/octo-repo", owner: "octo-org", repo: "octo-repo"},
		{in: "octo-org/*", owner: "octo-org", repo: "*"},
		{in: "a/.github", owner: "a", repo: ".github"},
		{in: "a/b_c.d-e", owner: "a", repo: "b_c.d-e"},
		{in: "", wantErr: true},
		{in: "/", wantErr: true},
		{in: "owner/", wantErr: true},
		{in: "owner/a/b", wantErr: true},
		{in: "owner/..", wantErr: true},
		{in: "*/*", wantErr: true},
		{in: "owner/re*", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			owner, repo, err := parseRepository(tt.in)
			if tt.wantErr {
				assert.Error(t, err)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.owner, owner)
			assert.Equal(t, tt.repo, repo)
		})
	}
}

func FuzzParseRepository(f *testing.F) {
	for _, s := range []string{"octo-org/octo-repo", "octo-org/*", "a/b/c", "", "x/.."} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		owner, repo, err := parseRepository(s)
		if err == nil && owner+"/"+repo != s {
			t.Fatalf("parseRepository(%q) = %q, %q", s, owner, repo)
		}
	})
}
