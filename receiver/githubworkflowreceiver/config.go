package githubworkflowreceiver // import "github.com/otelcol-diagnostics/otelcol-diagnostics/receiver/githubworkflowreceiver"

import (
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/config/confighttp"
	"go.opentelemetry.io/collector/config/configopaque"
	"go.opentelemetry.io/collector/config/configoptional"
	"go.opentelemetry.io/collector/confmap"
)

const (
	defaultEndpoint = "https://api.github.com/"
	// defaultTimeout bounds each API request, so a stalled connection cannot hold a poll.
	defaultTimeout            = 30 * time.Second
	defaultCollectionInterval = 60 * time.Second
	defaultLookback           = 24 * time.Hour
	defaultConcurrency        = 4
	defaultRateLimitReserve   = 100
	defaultWebhookEndpoint    = "localhost:8088"
	defaultWebhookPath        = "/events"
	// defaultWebhookMaxBody is GitHub's own cap on webhook payloads (25 MB).
	defaultWebhookMaxBody = 25 << 20

	// minCollectionInterval keeps a misconfiguration from burning the budget.
	minCollectionInterval = time.Second
	maxConcurrency        = 64
)

// ownerPattern and repoPattern follow GitHub's naming rules: owners are alphanumerics and
// single hyphens (up to 39 characters), repository names alphanumerics, '-', '_' and '.'.
var (
	ownerPattern = regexp.MustCompile(`^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})$`)
	repoPattern  = regexp.MustCompile(`^[A-Za-z0-9._-]{1,100}$`)
)

// Config is the configuration of the githubworkflow receiver.
type Config struct {
	// ClientConfig is the HTTP client for the REST API; its endpoint is the API root
	// (https://api.github.com/, or https://HOST/api/v3/ for GitHub Enterprise Server).
	confighttp.ClientConfig `mapstructure:",squash"`
	// Token authenticates API requests (a fine-grained token with Actions: read, or a
	// classic token with repo scope for private repositories). Exactly one of Token and
	// GitHubApp is set.
	Token configopaque.String `mapstructure:"token"`
	// GitHubApp authenticates as an installation of a GitHub App, with installation tokens
	// minted and refreshed before they expire. (The key is not "auth": that is confighttp's
	// authenticator key.)
	GitHubApp configoptional.Optional[GitHubAppConfig] `mapstructure:"github_app"`
	// Repositories are "owner/repo" entries, or "owner/*" for every repository of an
	// organization or user.
	Repositories []string `mapstructure:"repositories"`
	// CollectionInterval is how often every repository is polled.
	CollectionInterval time.Duration `mapstructure:"collection_interval"`
	// Lookback is how far back the first sync of a repository reaches.
	Lookback time.Duration `mapstructure:"lookback"`
	// StorageID names a storage extension that keeps emitted attempts and watermarks
	// across restarts; without it they live in memory.
	StorageID *component.ID `mapstructure:"storage"`
	// Concurrency bounds the API requests in flight.
	Concurrency int `mapstructure:"concurrency"`
	// RateLimitReserve is how many requests of the rate-limit window are left untouched:
	// the receiver pauses until the window resets when X-RateLimit-Remaining reaches it.
	RateLimitReserve int `mapstructure:"rate_limit_reserve"`
	// Webhook, when set, serves GitHub webhook deliveries.
	Webhook configoptional.Optional[WebhookConfig] `mapstructure:"webhook"`

	// prevent unkeyed literal initialization
	_ struct{}
}

// GitHubAppConfig names a GitHub App installation and the App's private key.
type GitHubAppConfig struct {
	// AppID is the App's id (its settings page: "App ID").
	AppID int64 `mapstructure:"app_id"`
	// InstallationID is the id of the App's installation on the organization or user.
	InstallationID int64 `mapstructure:"installation_id"`
	// PrivateKeyFile is a PEM file holding the App's private key; it is read at Start.
	PrivateKeyFile string `mapstructure:"private_key_file"`
	// PrivateKey is the PEM text of the App's private key (e.g. ${env:GITHUB_APP_KEY}).
	PrivateKey configopaque.String `mapstructure:"private_key"`

	// prevent unkeyed literal initialization
	_ struct{}
}

// WebhookConfig is the HTTP server that receives GitHub webhook deliveries.
type WebhookConfig struct {
	confighttp.ServerConfig `mapstructure:",squash"`
	// Path is the URL path deliveries are posted to.
	Path string `mapstructure:"path"`
	// Secret is the webhook secret that signs every delivery (X-Hub-Signature-256).
	Secret configopaque.String `mapstructure:"secret"`

	// prevent unkeyed literal initialization
	_ struct{}
}

var (
	_ component.Config    = (*Config)(nil)
	_ confmap.Unmarshaler = (*Config)(nil)
	_ confmap.Unmarshaler = (*WebhookConfig)(nil)
)

// Unmarshal decodes every key. Without it, the Unmarshal method promoted from the embedded
// confighttp config would decode that config's keys alone.
func (cfg *Config) Unmarshal(conf *confmap.Conf) error {
	return conf.Unmarshal(cfg)
}

// Unmarshal decodes every key; see Config.Unmarshal.
func (wh *WebhookConfig) Unmarshal(conf *confmap.Conf) error {
	return conf.Unmarshal(wh)
}

// Validate checks the configuration and reports every problem at once.
func (cfg *Config) Validate() error {
	var errs []error
	if cfg.Endpoint == "" {
		errs = append(errs, errors.New("endpoint: must not be empty"))
	} else if u, err := url.Parse(cfg.Endpoint); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		errs = append(errs, fmt.Errorf("endpoint: %q is not an http(s) URL", cfg.Endpoint))
	}
	switch app := cfg.GitHubApp.Get(); {
	case cfg.Token != "" && app != nil:
		errs = append(errs, errors.New("token, github_app: set exactly one of the two, not both"))
	case cfg.Token == "" && app == nil:
		errs = append(errs, errors.New("token, github_app: set exactly one of the two"))
	case app != nil:
		errs = append(errs, app.validate()...)
	}
	if len(cfg.Repositories) == 0 && !cfg.Webhook.HasValue() {
		errs = append(errs, errors.New("repositories: at least one repository is required when no webhook is configured"))
	}
	seen := make(map[string]bool, len(cfg.Repositories))
	for i, r := range cfg.Repositories {
		if _, _, err := parseRepository(r); err != nil {
			errs = append(errs, fmt.Errorf("repositories[%d]: %w", i, err))
			continue
		}
		key := strings.ToLower(r)
		if seen[key] {
			errs = append(errs, fmt.Errorf("repositories[%d]: %q is listed twice", i, r))
		}
		seen[key] = true
	}
	if cfg.CollectionInterval < minCollectionInterval {
		errs = append(errs, fmt.Errorf("collection_interval: must be at least %s, got %s", minCollectionInterval, cfg.CollectionInterval))
	}
	if cfg.Lookback <= 0 {
		errs = append(errs, fmt.Errorf("lookback: must be positive, got %s", cfg.Lookback))
	}
	if cfg.Concurrency < 1 || cfg.Concurrency > maxConcurrency {
		errs = append(errs, fmt.Errorf("concurrency: must be between 1 and %d, got %d", maxConcurrency, cfg.Concurrency))
	}
	if cfg.RateLimitReserve < 0 {
		errs = append(errs, fmt.Errorf("rate_limit_reserve: must not be negative, got %d", cfg.RateLimitReserve))
	}
	if wh := cfg.Webhook.Get(); wh != nil {
		if wh.Secret == "" {
			errs = append(errs, errors.New("webhook::secret: required when webhook is set (unsigned deliveries are refused)"))
		}
		if wh.NetAddr.Endpoint == "" {
			errs = append(errs, errors.New("webhook::endpoint: must not be empty"))
		}
		if !strings.HasPrefix(wh.Path, "/") {
			errs = append(errs, fmt.Errorf("webhook::path: must start with '/', got %q", wh.Path))
		}
		if wh.MaxRequestBodySize < 0 {
			errs = append(errs, fmt.Errorf("webhook::max_request_body_size: must not be negative, got %d", wh.MaxRequestBodySize))
		}
	}
	return errors.Join(errs...)
}

func (app *GitHubAppConfig) validate() []error {
	var errs []error
	if app.AppID <= 0 {
		errs = append(errs, fmt.Errorf("github_app::app_id: must be a positive App id, got %d", app.AppID))
	}
	if app.InstallationID <= 0 {
		errs = append(errs, fmt.Errorf("github_app::installation_id: must be a positive installation id, got %d", app.InstallationID))
	}
	if (app.PrivateKeyFile == "") == (app.PrivateKey == "") {
		errs = append(errs, errors.New("github_app::private_key_file, github_app::private_key: set exactly one of the two"))
	}
	return errs
}

// parseRepository splits an "owner/repo" or "owner/*" entry; repo is "*" for a whole owner.
func parseRepository(s string) (owner, repo string, err error) {
	owner, repo, ok := strings.Cut(s, "/")
	if !ok {
		return "", "", fmt.Errorf("%q: want owner/repo or owner/*", s)
	}
	if !ownerPattern.MatchString(owner) {
		return "", "", fmt.Errorf("%q: invalid owner %q", s, owner)
	}
	if repo != "*" && (!repoPattern.MatchString(repo) || repo == "." || repo == "..") {
		return "", "", fmt.Errorf("%q: invalid repository name %q", s, repo)
	}
	return owner, repo, nil
}

// webhookMaxBody is the body limit handed to the webhook handler.
func (wh *WebhookConfig) webhookMaxBody() int64 {
	if wh.MaxRequestBodySize > 0 {
		return wh.MaxRequestBodySize
	}
	return defaultWebhookMaxBody
}
