package journaldmetricsreceiver

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/coreos/go-systemd/v22/journal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/otelcol-diagnostics/otelcol-diagnostics/internal/journaltest"
)

var readerKinds = []string{readerSdjournal, readerJournalctl}

var testFields = []string{"SEQ", "MESSAGE", "_SYSTEMD_UNIT", "PRIORITY"}

type outcomes []string

func (o *outcomes) record(s string) { *o = append(*o, s) }

// readSeqs reads until n entries were seen or the journal stays idle for
// idle, and returns their SEQ fields.
func readSeqs(t *testing.T, r journalReader, n int, idle time.Duration) []int {
	t.Helper()
	var seqs []int
	last := time.Now()
	for len(seqs) < n && time.Since(last) < idle {
		ok, err := r.next(t.Context())
		require.NoError(t, err)
		if !ok {
			continue
		}
		last = time.Now()
		v, found := r.Field("SEQ")
		require.True(t, found)
		seq, err := strconv.Atoi(string(v))
		require.NoError(t, err)
		seqs = append(seqs, seq)
	}
	return seqs
}

func seqRange(from, to int) []int {
	var s []int
	for i := from; i < to; i++ {
		s = append(s, i)
	}
	return s
}

func openTest(t *testing.T, kind string, o readerOptions) (journalReader, *outcomes) {
	t.Helper()
	var got outcomes
	o.resumed = got.record
	if o.fields == nil {
		o.fields = testFields
	}
	r, err := openReader(t.Context(), kind, o)
	require.NoError(t, err)
	t.Cleanup(func() { assert.NoError(t, r.close()) })
	return r, &got
}

// seqFile writes entries with SEQ from..to-1 (the synthetic workload shifted).
func seqFile(t *testing.T, path string, from, to int) {
	t.Helper()
	gen := journaltest.Synthetic(0)
	journaltest.WriteFile(t, path, to-from, func(i int) journaltest.Entry { return gen(from + i) })
}

func TestReaderStartAt(t *testing.T) {
	file := filepath.Join(t.TempDir(), "a.journal")
	seqFile(t, file, 0, 50)
	for _, kind := range readerKinds {
		t.Run(kind+"/beginning", func(t *testing.T) {
			r, res := openTest(t, kind, readerOptions{files: []string{file}, startAt: startAtBeginning})
			assert.Equal(t, seqRange(0, 50), readSeqs(t, r, 51, time.Second))
			assert.Empty(t, *res)
		})
		t.Run(kind+"/end", func(t *testing.T) {
			r, _ := openTest(t, kind, readerOptions{files: []string{file}, startAt: startAtEnd})
			assert.Empty(t, readSeqs(t, r, 1, time.Second))
		})
	}
}

func TestReaderFieldsAndTime(t *testing.T) {
	file := filepath.Join(t.TempDir(), "a.journal")
	seqFile(t, file, 0, 2)
	for _, kind := range readerKinds {
		t.Run(kind, func(t *testing.T) {
			r, _ := openTest(t, kind, readerOptions{files: []string{file}, startAt: startAtBeginning})
			ok, err := r.next(t.Context())
			for err == nil && !ok {
				ok, err = r.next(t.Context())
			}
			require.NoError(t, err)
			msg, found := r.Field("MESSAGE")
			require.True(t, found)
			assert.Equal(t, "order failed in 0ms", string(msg))
			unit, _ := r.Field("_SYSTEMD_UNIT")
			assert.Equal(t, "legacyapp.service", string(unit))
			_, found = r.Field("_PID")
			assert.False(t, found, "fields not asked for are not read")
			assert.Equal(t, journaltest.Base, r.Realtime().UTC())
			c, err := r.cursor()
			require.NoError(t, err)
			assert.True(t, validCursor(c), c)
		})
	}
}

func TestReaderMatches(t *testing.T) {
	file := filepath.Join(t.TempDir(), "a.journal")
	seqFile(t, file, 0, 40)
	matches := []map[string]string{
		{"_SYSTEMD_UNIT": "billing.service", "PRIORITY": "6"}, // i%4==1 && i%5>=2
		{"_SYSTEMD_UNIT": "cron.service"},                     // i%4==2
	}
	var want []int
	for i := range 40 {
		if i%4 == 1 && i%5 >= 2 || i%4 == 2 {
			want = append(want, i)
		}
	}
	for _, kind := range readerKinds {
		t.Run(kind, func(t *testing.T) {
			r, _ := openTest(t, kind, readerOptions{files: []string{file}, startAt: startAtBeginning, filter: matchesFilter(matches)})
			assert.Equal(t, want, readSeqs(t, r, 41, time.Second))
		})
	}
}

func TestReaderResume(t *testing.T) {
	for _, kind := range readerKinds {
		t.Run(kind+"/exact", func(t *testing.T) {
			file := filepath.Join(t.TempDir(), "a.journal")
			seqFile(t, file, 0, 30)
			r, _ := openTest(t, kind, readerOptions{files: []string{file}, startAt: startAtBeginning})
			require.Equal(t, seqRange(0, 10), readSeqs(t, r, 10, time.Second))
			c, err := r.cursor()
			require.NoError(t, err)

			r2, res := openTest(t, kind, readerOptions{files: []string{file}, startAt: startAtEnd, cursor: c})
			assert.Equal(t, seqRange(10, 30), readSeqs(t, r2, 31, time.Second))
			assert.Equal(t, outcomes{resumeExact}, *res)
		})
		t.Run(kind+"/vacuumed", func(t *testing.T) {
			dir := t.TempDir()
			seqFile(t, filepath.Join(dir, journaltest.ArchivedName(1)), 0, 20)
			seqFile(t, filepath.Join(dir, journaltest.ArchivedName(2)), 20, 40)
			r, _ := openTest(t, kind, readerOptions{directory: dir, startAt: startAtBeginning})
			require.Equal(t, seqRange(0, 5), readSeqs(t, r, 5, time.Second))
			c, err := r.cursor()
			require.NoError(t, err)
			require.NoError(t, r.close())

			journaltest.VacuumDir(t, dir, 1)
			r2, res := openTest(t, kind, readerOptions{directory: dir, startAt: startAtEnd, cursor: c})
			assert.Equal(t, seqRange(20, 40), readSeqs(t, r2, 41, time.Second))
			assert.Equal(t, outcomes{resumeVacuumed}, *res)
		})
		t.Run(kind+"/invalid", func(t *testing.T) {
			file := filepath.Join(t.TempDir(), "a.journal")
			seqFile(t, file, 0, 5)
			r, res := openTest(t, kind, readerOptions{files: []string{file}, startAt: startAtBeginning, cursor: "not a cursor"})
			assert.Equal(t, seqRange(0, 5), readSeqs(t, r, 6, time.Second))
			assert.Equal(t, outcomes{resumeInvalid}, *res)
		})
	}
}

// TestReaderFollowRotation reads a directory while new files appear in it
// (as journald rotates) and old ones are vacuumed.
func TestReaderFollowRotation(t *testing.T) {
	for _, kind := range readerKinds {
		t.Run(kind, func(t *testing.T) {
			dir := t.TempDir()
			seqFile(t, filepath.Join(dir, journaltest.ArchivedName(1)), 0, 100)
			r, _ := openTest(t, kind, readerOptions{directory: dir, startAt: startAtBeginning})
			require.Equal(t, seqRange(0, 50), readSeqs(t, r, 50, 2*time.Second))

			// Rotation: a new file appears; vacuum: the oldest is removed
			// while the reader is still inside it.
			seqFile(t, filepath.Join(dir, journaltest.ArchivedName(2)), 100, 200)
			seqFile(t, filepath.Join(dir, journaltest.ArchivedName(3)), 200, 300)
			journaltest.VacuumDir(t, dir, 2)
			got := readSeqs(t, r, 250, 3*time.Second)
			require.NotEmpty(t, got)
			// Whatever was still mapped may be read; entries of the new
			// files are all read, in order, without stalling.
			assert.Equal(t, seqRange(100, 300), got[len(got)-200:])
			assert.IsIncreasing(t, got)
		})
	}
}

func TestReaderStartErrors(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name string
		o    readerOptions
		want string
	}{
		{"missing directory", readerOptions{directory: filepath.Join(dir, "nope")}, "open journal directory (directory)"},
		{"directory is a file", readerOptions{directory: writeFile(t, dir, "f")}, "read journal directory"},
		{"missing file", readerOptions{files: []string{filepath.Join(dir, "x.journal")}}, "open journal file (files)"},
	}
	for _, kind := range readerKinds {
		for _, tt := range tests {
			t.Run(kind+"/"+tt.name, func(t *testing.T) {
				_, err := openReader(t.Context(), kind, tt.o)
				require.Error(t, err)
				assert.Contains(t, err.Error(), tt.want)
			})
		}
	}
}

func writeFile(t *testing.T, dir, name string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	require.NoError(t, os.WriteFile(p, []byte("x"), 0o600))
	return p
}

// TestReaderWaitHonoursContext: an idle reader returns within a second of
// its context ending.
func TestReaderWaitHonoursContext(t *testing.T) {
	file := filepath.Join(t.TempDir(), "a.journal")
	seqFile(t, file, 0, 1)
	for _, kind := range readerKinds {
		t.Run(kind, func(t *testing.T) {
			ctx, cancel := context.WithCancel(t.Context())
			var res outcomes
			r, err := openReader(ctx, kind, readerOptions{files: []string{file}, startAt: startAtEnd, fields: testFields, resumed: res.record})
			require.NoError(t, err)
			defer func() { assert.NoError(t, r.close()) }()
			done := make(chan struct{})
			go func() {
				defer close(done)
				for ctx.Err() == nil {
					if _, err := r.next(ctx); err != nil {
						return
					}
				}
			}()
			time.AfterFunc(200*time.Millisecond, cancel)
			select {
			case <-done:
			case <-time.After(1500 * time.Millisecond):
				t.Fatal("reader did not return within 1s of cancellation")
			}
		})
	}
}

// TestReaderEndSeesNextEntry: once open returned at the end of the live
// journal, the very next entry written is read, by both readers.
func TestReaderEndSeesNextEntry(t *testing.T) {
	journaltest.RequireLive(t)
	for _, kind := range readerKinds {
		t.Run(kind, func(t *testing.T) {
			runID := journaltest.RunID(t)
			journaltest.Send(t, "before", journal.PriInfo, map[string]string{journaltest.RunField: runID, "SEQ": "0"})
			journaltest.WaitVisible(t, 10*time.Second, 1, journaltest.RunField+"="+runID)
			r, res := openTest(t, kind, readerOptions{startAt: startAtEnd, filter: matchesFilter([]map[string]string{{journaltest.RunField: runID}})})
			journaltest.Send(t, "after", journal.PriInfo, map[string]string{journaltest.RunField: runID, "SEQ": "1"})
			assert.Equal(t, []int{1}, readSeqs(t, r, 2, 2*time.Second))
			assert.Empty(t, *res, "starting at the end is no resume")
		})
	}
}

// TestJournalctlLocalArgs: the local journal is read with --merge (no implied
// --boot) and restricted to this machine's entries, as sdjournal reads it.
func TestJournalctlLocalArgs(t *testing.T) {
	args := journalctlArgs(readerOptions{startAt: startAtBeginning, filter: journalFilter{{"_SYSTEMD_UNIT": {"a.service"}}}})
	assert.Contains(t, args, "--merge")
	assert.Contains(t, journalctlArgs(readerOptions{directory: "/d"}), "--merge")

	id, err := os.ReadFile(machineIDFile)
	require.NoError(t, err)
	runID := journaltest.RunID(t)
	journaltest.RequireLive(t)
	journaltest.Send(t, "local", journal.PriInfo, map[string]string{journaltest.RunField: runID, "SEQ": "7"})
	journaltest.WaitVisible(t, 10*time.Second, 1, journaltest.RunField+"="+runID)
	r, _ := openTest(t, readerJournalctl, readerOptions{
		startAt: startAtBeginning, filter: matchesFilter([]map[string]string{{journaltest.RunField: runID}}),
		fields: []string{"SEQ", "_MACHINE_ID"},
	})
	assert.Equal(t, []int{7}, readSeqs(t, r, 1, 5*time.Second))
	mid, ok := r.Field("_MACHINE_ID")
	require.True(t, ok)
	assert.Equal(t, strings.TrimSpace(string(id)), string(mid))
}
