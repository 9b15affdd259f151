package githubworkflowreceiver

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/config/configopaque"
	"go.opentelemetry.io/collector/config/configoptional"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/receiver/receivertest"
	"go.uber.org/zap"

	"github.com/otelcol-diagnostics/otelcol-diagnostics/internal/fakegithub"
	"github.com/otelcol-diagnostics/otelcol-diagnostics/receiver/githubworkflowreceiver/internal/metadata"
)

const (
	testAppID          = 12345
	testInstallationID = 67890
)

// appKey is a fresh App key, and its PEM written to a file.
func appKey(t *testing.T) (*rsa.PrivateKey, string) {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	require.NoError(t, err)
	file := filepath.Join(t.TempDir(), "github-app.pem")
	raw := pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)})
	require.NoError(t, os.WriteFile(file, raw, 0o600))
	return key, file
}

func appConfig(endpoint, keyFile string, repos ...string) *Config {
	cfg := createDefaultConfig().(*Config)
	cfg.Endpoint = endpoint
	cfg.Repositories = repos
	cfg.GitHubApp = configoptional.Some(GitHubAppConfig{AppID: testAppID, InstallationID: testInstallationID, PrivateKeyFile: keyFile})
	return cfg
}

// loopReceiver is a receiver whose API client talks to rt; run its poll loop with run.
func loopReceiver(t *testing.T, cfg *Config, rt http.RoundTripper) (*githubReceiver, *consumertest.TracesSink) {
	t.Helper()
	require.NoError(t, cfg.Validate())
	r := newReceiver(receivertest.NewNopSettings(metadata.Type), cfg, nil)
	traces := new(consumertest.TracesSink)
	r.traces = traces
	var err error
	r.client, err = newAPIClient(&http.Client{Transport: rt}, cfg, r.clock, func(string, string, int, bool) {})
	require.NoError(t, err)
	r.state = newStateStore(nil, r.clock, cfg.Lookback)
	em := newEmitter(zap.NewNop(), hostName(cfg.Endpoint), traces, nil, r.state, r.clock, nil, nil)
	r.poller = newPoller(cfg, r.client, r.state, em, r.clock, zap.NewNop())
	return r, traces
}

// runLoop runs the poll loop of r for d of (bubble) time.
func runLoop(t *testing.T, r *githubReceiver, d time.Duration, during func(elapsed time.Duration)) {
	t.Helper()
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() {
		defer close(done)
		r.pollLoop(ctx)
	}()
	step := r.cfg.CollectionInterval
	for elapsed := time.Duration(0); elapsed < d; elapsed += step {
		synctest.Wait()
		if during != nil {
			during(elapsed)
		}
		time.Sleep(step)
	}
	synctest.Wait()
	cancel()
	<-done
}

// A GitHub App configuration polls for hours across installation token refreshes, with no
// request refused; owner/* is the installation's repositories.
func TestAppPollsAcrossTokenExpiries(t *testing.T) {
	key, keyFile := appKey(t)
	base, err := fakegithub.LoadRun(filepath.Join(fixturesDir, "webhooks", "workflow_run", "completed.payload.json"))
	require.NoError(t, err)
	synctest.Test(t, func(t *testing.T) {
		gh := fakegithub.New(nil)
		gh.AddRepo("Organization", "octo-org", "octo-repo")
		gh.AddRepo("Organization", "octo-org", "other")
		gh.AddRepo("Organization", "someone-else", "theirs")
		gh.EnableApp(testAppID, testInstallationID, &key.PublicKey, 10*time.Minute)
		cfg := appConfig("http://api.test/", keyFile, "octo-org/*")
		r, traces := loopReceiver(t, cfg, gh.Transport())

		completions := 0
		runLoop(t, r, 3*time.Hour, func(elapsed time.Duration) {
			if elapsed%(20*time.Minute) != 0 {
				return
			}
			completions++
			repo := []string{"octo-org/octo-repo", "octo-org/other"}[completions%2]
			gh.PutAttempt(repo, fakegithub.ShapeRun(base, repo, int64(completions), 1, time.Now(), "completed", "success"), nil)
		})

		assert.Zero(t, gh.Total(http.StatusUnauthorized), "no request refused")
		assert.Zero(t, gh.Total(http.StatusForbidden))
		assert.Len(t, attemptsOf(traces), completions, "every completion emitted")
		// A token lives 10 minutes and is refreshed at the first request less than a
		// minute before it expires (polls are a minute apart): one per 9 to 10 minutes.
		assert.GreaterOrEqual(t, gh.TokensMinted(), 3*60/10)
		assert.LessOrEqual(t, gh.TokensMinted(), 3*60/9+1)
		assert.Positive(t, gh.Requests(fakegithub.EndpointInstallationRepos, http.StatusOK))
		assert.Zero(t, gh.Requests(fakegithub.EndpointOrgRepos, http.StatusOK), "owner/* is the installation's repositories")
		assert.Zero(t, gh.RepoRequests("someone-else/theirs", fakegithub.EndpointRepoRuns, http.StatusOK), "another owner's repository is not polled")
		// Idle polls stay free across token changes.
		assert.Greater(t, gh.Requests(fakegithub.EndpointRepoRuns, http.StatusNotModified), 2*3*60*3/4)
	})
}

// A JWT signed with another key is refused by GitHub: the poll fails, nothing is listed.
func TestAppWrongKeyIsRefused(t *testing.T) {
	_, keyFile := appKey(t)
	other, _ := appKey(t)
	gh := fakegithub.New(nil)
	gh.AddRepo("Organization", "octo-org", "octo-repo")
	gh.EnableApp(testAppID, testInstallationID, &other.PublicKey, time.Hour)
	r, traces := loopReceiver(t, appConfig("http://api.test/", keyFile, testRepo), gh.Transport())
	_, err := r.poller.pollRepo(t.Context(), repoOf(t, r.poller, testRepo))
	require.ErrorContains(t, err, "401")
	assert.Equal(t, 1, gh.Requests(fakegithub.EndpointInstallationToken, http.StatusUnauthorized))
	assert.Zero(t, gh.Requests(fakegithub.EndpointRepoRuns, http.StatusOK))
	assert.Empty(t, attemptsOf(traces))
}

// A key that cannot be read or parsed fails Start, naming its config key and never
// printing the key.
func TestAppKeyErrorsFailStart(t *testing.T) {
	garbage := filepath.Join(t.TempDir(), "garbage.pem")
	require.NoError(t, os.WriteFile(garbage, []byte("secret-but-not-a-key"), 0o600))
	tests := []struct {
		name string
		app  GitHubAppConfig
		want string
	}{
		{"missing file", GitHubAppConfig{PrivateKeyFile: filepath.Join(t.TempDir(), "missing.pem")}, "github_app::private_key_file: read "},
		{"unparsable file", GitHubAppConfig{PrivateKeyFile: garbage}, "github_app::private_key_file: not an RSA private key in PEM form"},
		{"unparsable inline key", GitHubAppConfig{PrivateKey: configopaque.String("secret-but-not-a-key")}, "github_app::private_key: not an RSA private key in PEM form"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := createDefaultConfig().(*Config)
			cfg.Repositories = []string{testRepo}
			tt.app.AppID, tt.app.InstallationID = testAppID, testInstallationID
			cfg.GitHubApp = configoptional.Some(tt.app)
			require.NoError(t, cfg.Validate())
			r := newReceiver(receivertest.NewNopSettings(metadata.Type), cfg, nil)
			err := r.Start(t.Context(), componenttest.NewNopHost())
			require.ErrorContains(t, err, tt.want)
			assert.NotContains(t, err.Error(), "secret-but-not-a-key")
			require.NoError(t, r.Shutdown(t.Context()))
		})
	}
}
