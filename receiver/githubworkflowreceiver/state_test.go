package githubworkflowreceiver

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestNewRepository(t *testing.T) {
	tests := []struct {
		host, fullName string
		wantKey        string
		wantOK         bool
	}{
		{"api.github.com", "octo/app", "api.github.com/octo/app", true},
		{"API.GitHub.com", "Octo/App", "api.github.com/octo/app", true},
		{"ghe.example.com", "Octo-Org/Hello.World", "ghe.example.com/octo-org/hello.world", true},
		{"api.github.com", "octo", "", false},
		{"api.github.com", "/app", "", false},
		{"api.github.com", "octo/", "", false},
		{"api.github.com", "octo/app/x", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.host+" "+tt.fullName, func(t *testing.T) {
			r, ok := newRepository(tt.host, tt.fullName)
			assert.Equal(t, tt.wantOK, ok)
			assert.Equal(t, tt.wantKey, r.key)
		})
	}
}

// A configured "Octo/App" and a delivery's "octo/app" are one repository: an attempt
// emitted under one spelling is done under the other.
func TestStateFoldsRepositoryCase(t *testing.T) {
	s := newStateStore(nil, realClock{}, time.Hour)
	created := time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC)
	upperRepo, _ := newRepository("api.github.com", "Octo/App")
	lowerRepo, _ := newRepository("api.github.com", "octo/app")
	upper := attemptID{Repo: upperRepo.key, RunID: 7, Attempt: 1}
	lower := attemptID{Repo: lowerRepo.key, RunID: 7, Attempt: 1}

	claimed, err := s.claim(t.Context(), upper, created)
	require.NoError(t, err)
	require.True(t, claimed)

	again, err := s.claim(t.Context(), lower, created)
	require.NoError(t, err)
	assert.False(t, again, "in-flight claim must hold across case")

	require.NoError(t, s.done(t.Context(), upper, created, sourcePoll))
	done, err := s.isDone(t.Context(), lower, created)
	require.NoError(t, err)
	assert.True(t, done)
}

// FuzzNewRepository: a delivery's repository full_name is outside input. Whatever it holds,
// the key is case-folded, made of the host and the returned owner/name, the same for any
// spelling of the name, and stable when made again from its own fullName.
func FuzzNewRepository(f *testing.F) {
	for _, s := range []string{"octo-org/octo-repo", "Octo/App", "a/b/c", "/x", "x/", "", "ÄÖ/ü", "İ/ı", "o/r.git"} {
		f.Add("api.github.com", s)
	}
	f.Add("GHE.Example.com", "Octo-Org/Hello.World")
	f.Fuzz(func(t *testing.T, host, fullName string) {
		r, ok := newRepository(host, fullName)
		if !ok {
			return
		}
		assert.Equal(t, strings.ToLower(r.key), r.key)
		assert.Equal(t, strings.ToLower(host)+"/"+r.fullName(), r.key)
		assert.Equal(t, 1, strings.Count(r.fullName(), "/"))
		again, ok := newRepository(host, r.fullName())
		require.True(t, ok)
		assert.Equal(t, r.key, again.key)
		upper, ok := newRepository(strings.ToUpper(host), strings.ToUpper(fullName))
		if ok && strings.ToLower(strings.ToUpper(fullName)) == strings.ToLower(fullName) && strings.ToLower(strings.ToUpper(host)) == strings.ToLower(host) {
			assert.Equal(t, r.key, upper.key)
		}
	})
}
