package promtest

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// Prometheus scrapes itself; `up` must turn 1 through the query API.
func TestServerScrapesAndAnswers(t *testing.T) {
	srv := Start(t, time.Second)
	self := srv.URL[len("http://"):]
	srv2 := Start(t, time.Second, self)

	var got []Sample
	require.Eventually(t, func() bool {
		var err error
		got, err = srv2.Query(t.Context(), `up{job="otelcol"}`)
		return err == nil && len(got) == 1
	}, 30*time.Second, 200*time.Millisecond)
	assert.Equal(t, 1.0, got[0].Value)
	assert.Equal(t, self, got[0].Labels["instance"])

	_, err := srv2.Query(t.Context(), `rate(`)
	assert.Error(t, err, "a bad query is an error")
}
