package githubworkflowreceiver // import "github.com/otelcol-diagnostics/otelcol-diagnostics/receiver/githubworkflowreceiver"

import (
	"fmt"
	"net/http"
	"os"
	"strings"

	"github.com/bradleyfalzon/ghinstallation/v2"
)

// appTransport authenticates the requests of next as an installation of a GitHub App.
// ghinstallation signs the App's JWT (RS256), mints installation tokens at
// {api}/app/installations/{id}/access_tokens through next (so that these requests get the
// rate-limit and retry handling and count in the API telemetry too) and refreshes each
// token a minute before it expires. apiRoot is the endpoint, e.g. https://HOST/api/v3/ on
// GitHub Enterprise Server. Reading or parsing the key fails naming its config key.
func appTransport(next http.RoundTripper, app *GitHubAppConfig, apiRoot string) (http.RoundTripper, error) {
	key, name := []byte(string(app.PrivateKey)), "github_app::private_key"
	if app.PrivateKeyFile != "" {
		name = "github_app::private_key_file"
		var err error
		if key, err = os.ReadFile(app.PrivateKeyFile); err != nil {
			return nil, fmt.Errorf("%s: read %q: %w", name, app.PrivateKeyFile, err)
		}
	}
	tr, err := ghinstallation.New(next, app.AppID, app.InstallationID, key)
	if err != nil {
		// The library's message says no more than "could not parse private key"; the
		// key itself is never printed.
		return nil, fmt.Errorf("%s: not an RSA private key in PEM form: %w", name, err)
	}
	tr.BaseURL = strings.TrimSuffix(apiRoot, "/")
	return tr, nil
}
