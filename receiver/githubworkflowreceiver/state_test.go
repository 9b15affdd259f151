package githubworkflowreceiver

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

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
