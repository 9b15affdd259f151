package journaldmetricsreceiver // import "github.com/otelcol-diagnostics/otelcol-diagnostics/receiver/journaldmetricsreceiver"

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
	"time"
)

// journalctlBinary is looked up in PATH.
const journalctlBinary = "journalctl"

// machineIDFile holds the local machine's id, the _MACHINE_ID of its entries.
const machineIDFile = "/etc/machine-id"

// journalctlReader runs `journalctl -o export --follow` and parses its
// output, which keeps libsystemd (and its known crashes while files rotate
// on systemd < 255) out of the collector process and needs no cgo.
type journalctlReader struct {
	cmd    *exec.Cmd
	stdout *os.File
	stderr *tailBuffer
	p      *exportParser

	resumeCursor string // the saved cursor, until the first entry tells how resuming went
	resumed      func(outcome string)
}

func openJournalctl(ctx context.Context, o readerOptions) (journalReader, error) {
	path, err := exec.LookPath(journalctlBinary)
	if err != nil {
		return nil, fmt.Errorf("reader journalctl: %w", err)
	}
	if len(o.files) == 0 && o.directory == "" {
		// The local journal with --merge (see sourceArgs): keep it to this
		// machine's entries, as sdjournal's SD_JOURNAL_LOCAL_ONLY does.
		id, err := os.ReadFile(machineIDFile)
		if err != nil {
			return nil, fmt.Errorf("reader journalctl: read the machine id: %w", err)
		}
		o.filter = o.filter.and(journalFilter{{"_MACHINE_ID": {strings.TrimSpace(string(id))}}})
	}
	silent := false
	if o.cursor == "" && o.startAt != startAtBeginning {
		// Start at the end as sdjournal does (SeekTail, Previous): from the
		// cursor of the last entry now, so that an entry written once Start
		// returned is never missed while journalctl is still starting.
		last, err := lastCursor(ctx, path, o)
		if err != nil {
			return nil, err
		}
		if last == "" {
			// Nothing yet: whatever journalctl finds is new.
			o.startAt = startAtBeginning
		} else {
			o.cursor, silent = last, true
		}
	}
	cmd := exec.CommandContext(ctx, path, journalctlArgs(o)...)
	// A pipe of our own (not StdoutPipe) so that reads can have deadlines.
	stdout, w, err := os.Pipe()
	if err != nil {
		return nil, fmt.Errorf("start journalctl: %w", err)
	}
	cmd.Stdout = w
	stderr := &tailBuffer{max: 4096}
	cmd.Stderr = stderr
	err = cmd.Start()
	_ = w.Close() // the child holds its own copy
	if err != nil {
		_ = stdout.Close()
		return nil, fmt.Errorf("start journalctl: %w", err)
	}
	r := &journalctlReader{
		cmd:          cmd,
		stdout:       stdout,
		stderr:       stderr,
		p:            newExportParser(stdout, o.fields),
		resumeCursor: o.cursor,
		resumed:      o.resumed,
	}
	if silent {
		r.resumed = func(string) {}
	}
	return r, nil
}

// lastCursor is the cursor of the journal's last (matching) entry, "" when
// there is none.
func lastCursor(ctx context.Context, path string, o readerOptions) (string, error) {
	args := []string{"--output=export", "--no-pager", "--quiet", "--lines=1", "--output-fields=PRIORITY"}
	args = append(args, sourceArgs(o)...)
	args = append(args, matchArgs(o.filter)...)
	var stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, path, args...)
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("find the end of the journal with journalctl: %w: %s", err, strings.TrimSpace(stderr.String()))
	}
	p := newExportParser(bytes.NewReader(out), nil)
	for {
		if err := p.next(); err != nil {
			if errors.Is(err, io.EOF) {
				return string(p.cursor), nil
			}
			return "", fmt.Errorf("find the end of the journal with journalctl: %w", err)
		}
	}
}

func sourceArgs(o readerOptions) []string {
	var args []string
	switch {
	case len(o.files) > 0:
		for _, f := range o.files {
			args = append(args, "--file="+f)
		}
	case o.directory != "":
		args = append(args, "--directory="+o.directory)
	}
	// --follow alone implies --boot, which limits reading to the last boot in
	// the journal: a saved cursor of an earlier boot, or every host but one in
	// a directory where journal-remote collects many, would be skipped.
	// --merge lifts that; with --directory and --file it does nothing else,
	// and for the local journal openJournalctl keeps this machine's entries.
	return append(args, "--merge")
}

// matchArgs renders the filter as journalctl match arguments: the terms of a
// group, groups separated by "+".
func matchArgs(f journalFilter) []string {
	var args []string
	for i, group := range f.terms() {
		if i > 0 {
			args = append(args, "+")
		}
		args = append(args, group...)
	}
	return args
}

// journalctlArgs is the command line for the options. Only the wanted
// fields are exported (address fields such as __CURSOR always are).
func journalctlArgs(o readerOptions) []string {
	args := []string{"--output=export", "--follow", "--no-pager", "--quiet", "--all"}
	fields := o.fields
	if len(fields) == 0 {
		fields = []string{"PRIORITY"} // some field is needed; addresses come anyway
	}
	args = append(args, "--output-fields="+strings.Join(fields, ","))
	args = append(args, sourceArgs(o)...)
	switch {
	case o.cursor != "":
		// --cursor (not --after-cursor) so that the first entry tells whether
		// the saved one still exists, as TestCursor does.
		// --no-tail, or --follow would stop after 10 entries.
		args = append(args, "--cursor="+o.cursor, "--no-tail")
	case o.startAt == startAtBeginning:
		args = append(args, "--no-tail")
	default:
		args = append(args, "--lines=0")
	}
	return append(args, matchArgs(o.filter)...)
}

func (r *journalctlReader) next(ctx context.Context) (bool, error) {
	for {
		if !r.p.buffered() {
			// Wait for the next entry at most waitTimeout; a whole entry
			// follows its first byte.
			_ = r.stdout.SetReadDeadline(time.Now().Add(waitTimeout))
			_, err := r.p.br.Peek(1)
			_ = r.stdout.SetReadDeadline(time.Time{})
			if errors.Is(err, os.ErrDeadlineExceeded) {
				return false, nil
			}
		}
		err := r.p.next()
		if errors.Is(err, io.EOF) {
			werr := r.cmd.Wait()
			if ctx.Err() != nil {
				return false, nil
			}
			return false, fmt.Errorf("journalctl exited (%v): %s", werr, r.stderr.String())
		}
		if err != nil {
			return false, fmt.Errorf("parse journalctl output: %w", err)
		}
		if r.resumeCursor != "" {
			saved := r.resumeCursor
			r.resumeCursor = ""
			if string(r.p.cursor) == saved {
				r.resumed(resumeExact)
				continue
			}
			r.resumed(resumeVacuumed)
		}
		return true, nil
	}
}

// Field implements entry.
func (r *journalctlReader) Field(name string) ([]byte, bool) { return r.p.Field(name) }

// Realtime implements entry.
func (r *journalctlReader) Realtime() time.Time { return r.p.Realtime() }

func (r *journalctlReader) cursor() (string, error) {
	if len(r.p.cursor) == 0 {
		return "", errors.New("journalctl entry without __CURSOR")
	}
	return string(r.p.cursor), nil
}

func (r *journalctlReader) close() error {
	if r.cmd.ProcessState == nil {
		_ = r.cmd.Process.Kill()
		_ = r.cmd.Wait()
	}
	if err := r.stdout.Close(); err != nil && !errors.Is(err, os.ErrClosed) {
		return err
	}
	return nil
}

// tailBuffer keeps the last bytes written to it (journalctl's stderr).
type tailBuffer struct {
	mu  sync.Mutex
	max int
	buf bytes.Buffer
}

func (b *tailBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.buf.Write(p)
	if over := b.buf.Len() - b.max; over > 0 {
		b.buf.Next(over)
	}
	return len(p), nil
}

func (b *tailBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return strings.TrimSpace(b.buf.String())
}
