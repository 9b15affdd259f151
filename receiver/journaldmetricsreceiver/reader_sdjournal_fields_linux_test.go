//go:build linux && cgo

package journaldmetricsreceiver

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/otelcol-diagnostics/otelcol-diagnostics/internal/journaltest"
)

// TestFieldReaderOnePass reads values larger than the reused buffer, empty and
// binary values, and a missing field through the one-pass path, which must be
// the one in use.
func TestFieldReaderOnePass(t *testing.T) {
	big := strings.Repeat("x", 10_000)
	entries := []journaltest.Entry{
		{Realtime: journaltest.Base, Fields: []journaltest.Field{{Name: "SEQ", Value: "0"}, {Name: "MESSAGE", Value: big}, {Name: "PRIORITY", Value: ""}}},
		{Realtime: journaltest.Base, Fields: []journaltest.Field{{Name: "SEQ", Value: "1"}, {Name: "MESSAGE", Value: "two\nlines\x00nul"}, {Name: "_SYSTEMD_UNIT", Value: "a.service"}}},
		{Realtime: journaltest.Base, Fields: []journaltest.Field{{Name: "SEQ", Value: "2"}, {Name: "MESSAGE", Value: big + big}}},
	}
	file := filepath.Join(t.TempDir(), "a.journal")
	journaltest.WriteEntries(t, file, entries)
	r, _ := openTest(t, readerSdjournal, readerOptions{files: []string{file}, startAt: startAtBeginning})
	require.NotNil(t, r.(*sdReader).fr, "one-pass field reader in use")

	type got struct {
		msg, prio, unit  string
		hasPrio, hasUnit bool
	}
	var all []got
	for len(all) < len(entries) {
		ok, err := r.next(t.Context())
		require.NoError(t, err)
		require.True(t, ok)
		msg, _ := r.Field("MESSAGE")
		prio, hasPrio := r.Field("PRIORITY")
		unit, hasUnit := r.Field("_SYSTEMD_UNIT")
		_, other := r.Field("NOT_ASKED_FOR")
		assert.False(t, other)
		all = append(all, got{string(msg), string(prio), string(unit), hasPrio, hasUnit})
	}
	assert.Equal(t, []got{
		{msg: big, hasPrio: true},
		{msg: "two\nlines\x00nul", unit: "a.service", hasUnit: true},
		{msg: big + big},
	}, all)
}
