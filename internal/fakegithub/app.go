package fakegithub // import "github.com/otelcol-diagnostics/otelcol-diagnostics/internal/fakegithub"

import (
	"crypto/rand"
	"crypto/rsa"
	"encoding/hex"
	"fmt"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	jwt "github.com/golang-jwt/jwt/v4"
	"github.com/google/go-github/v66/github"
)

// App endpoint families, as counted by Requests.
const (
	EndpointInstallationToken = "installation_token" // POST /app/installations/{id}/access_tokens
	EndpointInstallationRepos = "installation_repos" // GET /installation/repositories
)

// app is a GitHub App with one installation, as EnableApp declares it.
type app struct {
	id             int64
	installationID int64
	key            *rsa.PublicKey
	ttl            time.Duration
	tokens         map[string]time.Time // installation token -> expiry
	minted         int
}

// EnableApp makes the server behave as GitHub does for an installation of a GitHub App:
// POST /app/installations/{installationID}/access_tokens answers a token that expires
// after ttl if the request carries a JWT signed (RS256) with the private key of key,
// issued by appID and not expired; from then on every other request must carry an
// unexpired installation token ("Authorization: token ...") or is refused with 401, and
// GET /installation/repositories lists every repository of the server. Expiry follows
// the server's now, which must then be the one the client's library reads (time.Now,
// or a testing/synctest bubble's).
func (s *Server) EnableApp(appID, installationID int64, key *rsa.PublicKey, ttl time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.app = &app{id: appID, installationID: installationID, key: key, ttl: ttl, tokens: map[string]time.Time{}}
}

// TokensMinted counts the installation tokens the server issued.
func (s *Server) TokensMinted() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.app == nil {
		return 0
	}
	return s.app.minted
}

// authorized reports whether r carries an unexpired installation token (always true
// without EnableApp).
func (s *Server) authorized(r *http.Request, now time.Time) bool {
	if s.app == nil {
		return true
	}
	tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "token ")
	if !ok {
		return false
	}
	exp, ok := s.app.tokens[tok]
	return ok && now.Before(exp)
}

// mintToken answers POST /app/installations/{id}/access_tokens (p are the path segments).
func (s *Server) mintToken(w http.ResponseWriter, r *http.Request, p []string, now time.Time) int {
	if s.app == nil || r.Method != http.MethodPost || p[2] != strconv.FormatInt(s.app.installationID, 10) {
		return s.writeError(w, http.StatusNotFound, "Not Found")
	}
	raw, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok {
		return s.writeError(w, http.StatusUnauthorized, "A JSON web token could not be decoded")
	}
	// The signature is checked by the library; the times against the server's clock.
	var claims jwt.RegisteredClaims
	parser := jwt.NewParser(jwt.WithValidMethods([]string{jwt.SigningMethodRS256.Alg()}), jwt.WithoutClaimsValidation())
	if _, err := parser.ParseWithClaims(raw, &claims, func(*jwt.Token) (any, error) { return s.app.key, nil }); err != nil {
		return s.writeError(w, http.StatusUnauthorized, "A JSON web token could not be decoded: "+err.Error())
	}
	switch {
	case claims.Issuer != strconv.FormatInt(s.app.id, 10):
		return s.writeError(w, http.StatusUnauthorized, "'Issuer' claim ('iss') must be the App id")
	case !claims.VerifyExpiresAt(now, true) || claims.ExpiresAt.Sub(now) > 10*time.Minute:
		return s.writeError(w, http.StatusUnauthorized, "'Expiration time' claim ('exp') must be a numeric value representing the future time at which the assertion expires")
	case !claims.VerifyIssuedAt(now.Add(time.Minute), true):
		return s.writeError(w, http.StatusUnauthorized, "'Issued at' claim ('iat') must be a numeric value representing the time the assertion was issued")
	}
	var b [20]byte
	_, _ = rand.Read(b[:])
	tok := "ghs_" + hex.EncodeToString(b[:])
	exp := now.Add(s.app.ttl)
	s.app.tokens[tok] = exp
	s.app.minted++
	// Forget the expired ones.
	for t, e := range s.app.tokens {
		if !now.Before(e) {
			delete(s.app.tokens, t)
		}
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(http.StatusCreated)
	_, _ = fmt.Fprintf(w, `{"token":%q,"expires_at":%q,"permissions":{"actions":"read","metadata":"read"},"repository_selection":"all"}`,
		tok, exp.UTC().Format(time.RFC3339))
	return http.StatusCreated
}

// listInstallationRepos answers GET /installation/repositories: every repository.
func (s *Server) listInstallationRepos(r *http.Request) (any, int, int, int) {
	if s.app == nil {
		return nil, 0, 0, http.StatusNotFound
	}
	var all []*github.Repository
	keys := make([]string, 0, len(s.owners))
	for k := range s.owners {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		o := s.owners[k]
		names := slices.Clone(s.repos[k])
		sort.Strings(names)
		for _, n := range names {
			all = append(all, &github.Repository{
				Name:     github.String(n),
				FullName: github.String(o.login + "/" + n),
				Owner:    &github.User{Login: github.String(o.login), Type: github.String(o.typ)},
			})
		}
	}
	page, perPage := pageParams(r)
	lo, hi, next, last := paginate(len(all), page, perPage)
	return &github.ListRepositories{TotalCount: github.Int(len(all)), Repositories: all[lo:hi]}, next, last, http.StatusOK
}
