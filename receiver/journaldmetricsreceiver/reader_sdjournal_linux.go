//go:build linux && cgo

package journaldmetricsreceiver // import "github.com/otelcol-diagnostics/otelcol-diagnostics/receiver/journaldmetricsreceiver"

import (
	"context"
	"errors"
	"fmt"
	"syscall"
	"time"

	"github.com/coreos/go-systemd/v22/sdjournal"
)

// Per-entry state of a wanted field.
const (
	fieldUnknown uint8 = iota
	fieldPresent
	fieldAbsent
)

// sdReader reads the journal in process through libsystemd. With fr, moving
// to an entry and reading its wanted fields is one cgo call and one pass over
// the entry. Without it (libsystemd or go-systemd not as expected) fields are
// read lazily with sd_journal_get_data, only when the engine asks for them.
type sdReader struct {
	j      *sdjournal.Journal
	fr     *fieldReader
	fields []string
	state  []uint8
	vals   [][]byte

	realtime time.Time
	haveTime bool
	pending  bool // positioned on an unread entry (resume after a vacuumed cursor)
}

func openSdjournal(o readerOptions) (journalReader, error) {
	var (
		j   *sdjournal.Journal
		err error
	)
	switch {
	case len(o.files) > 0:
		j, err = sdjournal.NewJournalFromFiles(o.files...)
	case o.directory != "":
		j, err = sdjournal.NewJournalFromDir(o.directory)
	default:
		j, err = sdjournal.NewJournal()
	}
	if err != nil {
		return nil, fmt.Errorf("open journal: %w", err)
	}
	r := &sdReader{
		j:      j,
		fields: o.fields,
		state:  make([]uint8, len(o.fields)),
		vals:   make([][]byte, len(o.fields)),
	}
	if err := r.addMatches(o.filter); err != nil {
		_ = j.Close()
		return nil, err
	}
	if err := r.seek(o); err != nil {
		_ = j.Close()
		return nil, err
	}
	r.fr = newFieldReader(j, o.fields)
	return r, nil
}

// addMatches pushes the journal-level prefilter into libsystemd: terms of a
// group are ANDed (different fields; one field's terms are ORed) and groups
// are ORed.
func (r *sdReader) addMatches(f journalFilter) error {
	for i, group := range f.terms() {
		if i > 0 {
			if err := r.j.AddDisjunction(); err != nil {
				return fmt.Errorf("add journal match: %w", err)
			}
		}
		for _, term := range group {
			if err := r.j.AddMatch(term); err != nil {
				return fmt.Errorf("add journal match %q: %w", term, err)
			}
		}
	}
	return nil
}

// seek positions the journal so that the next call of Next returns the first
// entry to read.
func (r *sdReader) seek(o readerOptions) error {
	if o.cursor != "" {
		outcome, err := r.seekCursor(o.cursor)
		if err == nil {
			o.resumed(outcome)
			return nil
		}
		o.resumed(resumeInvalid)
	}
	if o.startAt == startAtBeginning {
		if err := r.j.SeekHead(); err != nil {
			return fmt.Errorf("seek journal head: %w", err)
		}
		return nil
	}
	if err := r.j.SeekTail(); err != nil {
		return fmt.Errorf("seek journal tail: %w", err)
	}
	// Step onto the last entry, so that Next returns only newer ones.
	if _, err := r.j.Previous(); err != nil {
		return fmt.Errorf("seek journal tail: %w", err)
	}
	return nil
}

// seekCursor resumes after the saved entry: SeekCursor, Next, then
// TestCursor tells whether the entry found is the saved one (skip it) or a
// later one because the saved entry was vacuumed (read it).
func (r *sdReader) seekCursor(cursor string) (string, error) {
	if err := r.j.SeekCursor(cursor); err != nil {
		return "", err
	}
	n, err := r.j.Next()
	if err != nil {
		return "", err
	}
	if n == 0 {
		// Nothing at or after the saved position: it is gone along with
		// everything after it; read what comes next.
		return resumeVacuumed, nil
	}
	if err := r.j.TestCursor(cursor); err != nil {
		if !errors.Is(err, sdjournal.ErrNoTestCursor) {
			return "", err
		}
		r.pending = true
		return resumeVacuumed, nil
	}
	return resumeExact, nil
}

func (r *sdReader) next(ctx context.Context) (bool, error) {
	clear(r.state)
	r.haveTime = false
	if r.fr != nil {
		ok, err := r.fr.next(!r.pending)
		r.pending = false
		if err != nil || ok {
			return ok, err
		}
	} else {
		if r.pending {
			r.pending = false
			return true, nil
		}
		n, err := r.j.Next()
		if err != nil {
			return false, fmt.Errorf("read journal: %w", err)
		}
		if n > 0 {
			return true, nil
		}
	}
	if ctx.Err() != nil {
		return false, nil
	}
	// sd_journal_wait also processes inotify events: files added by
	// rotation are picked up, vacuumed ones dropped.
	if st := r.j.Wait(waitTimeout); st < 0 {
		return false, fmt.Errorf("wait for journal: %w", syscall.Errno(-st))
	}
	return false, nil
}

// Field implements entry.
func (r *sdReader) Field(name string) ([]byte, bool) {
	for i, f := range r.fields {
		if f != name {
			continue
		}
		if r.fr != nil {
			return r.fr.field(i)
		}
		switch r.state[i] {
		case fieldPresent:
			return r.vals[i], true
		case fieldAbsent:
			return nil, false
		}
		data, err := r.j.GetDataBytes(name)
		if err != nil || len(data) <= len(name) {
			r.state[i] = fieldAbsent
			return nil, false
		}
		r.vals[i] = data[len(name)+1:]
		r.state[i] = fieldPresent
		return r.vals[i], true
	}
	return nil, false
}

// Realtime implements entry.
func (r *sdReader) Realtime() time.Time {
	if !r.haveTime {
		usec, err := r.j.GetRealtimeUsec()
		if err != nil {
			usec = 0
		}
		r.realtime = time.UnixMicro(int64(usec))
		r.haveTime = true
	}
	return r.realtime
}

func (r *sdReader) cursor() (string, error) { return r.j.GetCursor() }

// close is idempotent: closing an sd_journal twice is a use after free.
func (r *sdReader) close() error {
	if r.j == nil {
		return nil
	}
	err := r.j.Close()
	r.j = nil
	return err
}
