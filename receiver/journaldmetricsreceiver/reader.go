package journaldmetricsreceiver // import "github.com/otelcol-diagnostics/otelcol-diagnostics/receiver/journaldmetricsreceiver"

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"time"
)

// waitTimeout bounds one wait for new journal entries, so that a reader
// notices cancellation well within a second while idle.
const waitTimeout = 400 * time.Millisecond

// Resume outcomes (attribute outcome of journaldmetrics_cursor_resumes).
const (
	resumeNone     = "none"
	resumeExact    = "exact"
	resumeVacuumed = "vacuumed"
	resumeInvalid  = "invalid"
)

// Fault kinds (attribute kind of journaldmetrics_faults).
const (
	faultRead   = "read"   // the reader failed while reading or waiting
	faultOpen   = "open"   // reopening the journal after a fault failed
	faultCursor = "cursor" // the cursor of an entry could not be read or stored
)

// journalReader reads journal entries one at a time for one goroutine. It is
// the entry read last; its bytes are valid until next is called again.
type journalReader interface {
	entry
	// next moves to the following entry and reports whether there is one.
	// When there is none yet it waits at most about waitTimeout (less when
	// ctx ends) and returns false.
	next(ctx context.Context) (bool, error)
	// cursor is the cursor of the current entry.
	cursor() (string, error)
	close() error
}

// readerOptions is what both readers need to open the journal.
type readerOptions struct {
	directory string
	files     []string
	startAt   string
	filter    journalFilter // index-backed prefilter: matches and the shortcuts
	fields    []string      // journal fields the engine reads
	cursor    string        // resume right after this entry when set
	// resumed reports how resuming from cursor went (once per open with a cursor).
	resumed func(outcome string)
}

// openReader opens the reader the config names.
func openReader(ctx context.Context, kind string, o readerOptions) (journalReader, error) {
	if err := checkSources(o.directory, o.files); err != nil {
		return nil, err
	}
	if o.cursor != "" && !validCursor(o.cursor) {
		o.resumed(resumeInvalid)
		o.cursor = ""
	}
	switch kind {
	case readerJournalctl:
		return openJournalctl(ctx, o)
	default:
		return openSdjournal(o)
	}
}

// checkSources turns a missing or unreadable journal directory or file into
// a clear error before any reader runs.
func checkSources(dir string, files []string) error {
	if dir != "" {
		f, err := os.Open(dir)
		if err != nil {
			return fmt.Errorf("open journal directory (directory): %w", err)
		}
		_, err = f.ReadDir(1)
		_ = f.Close()
		if err != nil && !errors.Is(err, io.EOF) {
			return fmt.Errorf("read journal directory %q (directory): %w", dir, err)
		}
	}
	for _, p := range files {
		f, err := os.Open(p)
		if err != nil {
			return fmt.Errorf("open journal file (files): %w", err)
		}
		_ = f.Close()
	}
	return nil
}

// cursorPattern is the shape of the cursors libsystemd writes
// (sd_journal_get_cursor): s=seqnum id;i=seqnum;b=boot id;m=monotonic;t=realtime;x=xor hash.
var cursorPattern = regexp.MustCompile(`^s=[0-9a-f]{32};i=[0-9a-f]{1,16};b=[0-9a-f]{32};m=[0-9a-f]{1,16};t=[0-9a-f]{1,16};x=[0-9a-f]{1,16}$`)

func validCursor(c string) bool { return len(c) < 256 && cursorPattern.MatchString(c) }
