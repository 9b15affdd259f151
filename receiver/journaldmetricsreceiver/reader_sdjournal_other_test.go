//go:build !linux || !cgo

package journaldmetricsreceiver

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestSdjournalUnavailable(t *testing.T) {
	_, err := openReader(t.Context(), readerSdjournal, readerOptions{resumed: func(string) {}})
	assert.ErrorIs(t, err, errSdjournalUnavailable)
}
