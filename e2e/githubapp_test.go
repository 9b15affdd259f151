package e2e

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/otelcol-diagnostics/otelcol-diagnostics/internal/e2etest"
	"github.com/otelcol-diagnostics/otelcol-diagnostics/internal/fakegithub"
)

const githubAppE2EConfig = `
receivers:
  githubworkflow:
    endpoint: %[1]s
    github_app:
      app_id: 12345
      installation_id: 67890
      %[2]s
    repositories: [octo-org/*]
    collection_interval: 1s
exporters:
  otlp_http:
    endpoint: %[3]s
service:
  telemetry:
    metrics:
      level: none
  pipelines:
    traces:
      receivers: [githubworkflow]
      exporters: [otlp_http]
`

// The binary authenticates as a GitHub App installation against a GitHub Enterprise Server
// (the fake API served only under /api/v3/), with the key in a file or in the environment,
// and polls on across installation tokens that expire every few seconds.
func TestGitHubAppEnterpriseEndToEnd(t *testing.T) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	require.NoError(t, err)
	pemKey := pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)})
	keyFile := filepath.Join(t.TempDir(), "github-app.pem")
	require.NoError(t, os.WriteFile(keyFile, pemKey, 0o600))
	base, err := fakegithub.LoadRun(filepath.Join(fakegithub.FixturesDir(), "webhooks", "workflow_run", "completed.payload.json"))
	require.NoError(t, err)

	tests := []struct {
		name, keyLine string
		env           []string
	}{
		{"private_key_file", "private_key_file: " + keyFile, nil},
		{"private_key", "private_key: ${env:GITHUB_APP_KEY}", []string{"GITHUB_APP_KEY=" + string(pemKey)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			gh := fakegithub.New(nil)
			gh.Enterprise()
			gh.AddRepo("Organization", "octo-org", "octo-repo")
			// A token lives 63 s and is refreshed a minute before it expires: a new one
			// every ~3 s.
			gh.EnableApp(12345, 67890, &key.PublicKey, 63*time.Second)
			gh.PutAttempt("octo-org/octo-repo", fakegithub.ShapeRun(base, "octo-org/octo-repo", 1, 1, time.Now().Add(-time.Hour), "completed", "success"), nil)
			apiURL := gh.Start()
			t.Cleanup(gh.Close)
			sink := &otlpSink{roots: map[string]int{}}
			otlp := httptest.NewServer(sink)
			t.Cleanup(otlp.Close)

			config := fmt.Sprintf(githubAppE2EConfig, apiURL+"api/v3/", tt.keyLine, otlp.URL)
			col := e2etest.Start(t, config, tt.env...)
			e2etest.Eventually(t, 30*time.Second, func() bool { return sink.attempts()["1/1"] == 1 }, "polled attempt exported: %v", sink.attempts())
			e2etest.Eventually(t, 30*time.Second, func() bool { return gh.TokensMinted() >= 3 }, "installation tokens refreshed: %d", gh.TokensMinted())
			gh.PutAttempt("octo-org/octo-repo", fakegithub.ShapeRun(base, "octo-org/octo-repo", 2, 1, time.Now(), "completed", "success"), nil)
			e2etest.Eventually(t, 30*time.Second, func() bool { return sink.attempts()["2/1"] == 1 }, "attempt after refreshes exported: %v", sink.attempts())
			require.NoError(t, col.Stop(10*time.Second))

			assert.Zero(t, gh.Total(http.StatusUnauthorized), "no request refused")
			assert.Zero(t, gh.Requests(fakegithub.EndpointOther, http.StatusNotFound), "every request under /api/v3/")
			assert.Positive(t, gh.Requests(fakegithub.EndpointInstallationRepos, http.StatusOK))
			assert.NotContains(t, col.Output(), strings.TrimSpace(string(pemKey[40:80])), "the key is never logged")
		})
	}
}
