package journaltest

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// JournalRemote is systemd-journal-remote, which writes journal files from
// export streams.
const JournalRemote = "/lib/systemd/systemd-journal-remote"

// WriteFile writes n entries made by gen into a new journal file at path,
// which must end in ".journal", through systemd-journal-remote. Like
// journald, journal-remote archives a full file (about 32 MiB) as
// NAME@....journal beside it and goes on in a new one: WriteFile returns
// every file written, oldest first, path last.
func WriteFile(tb testing.TB, path string, n int, gen func(i int) Entry) []string {
	tb.Helper()
	if filepath.Ext(path) != ".journal" {
		tb.Fatalf("journal file %q must end in .journal", path)
	}
	if _, err := os.Stat(JournalRemote); err != nil {
		tb.Fatalf("%s is required to write test journals (Debian package systemd-journal-remote): %v", JournalRemote, err)
	}
	// Files larger than the default maximum are not split in mode none, so
	// give the file room for everything written here.
	cmd := exec.Command(JournalRemote, "--split-mode=none", "--compress=no", "--output="+path, "-")
	stdin, err := cmd.StdinPipe()
	if err != nil {
		tb.Fatalf("stdin of %s: %v", JournalRemote, err)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		tb.Fatalf("start %s: %v", JournalRemote, err)
	}
	x := NewExportWriter(stdin)
	var werr error
	for i := 0; i < n && werr == nil; i++ {
		werr = x.Write(gen(i))
	}
	if werr == nil {
		werr = x.Flush()
	}
	cerr := stdin.Close()
	if err := cmd.Wait(); err != nil || werr != nil || cerr != nil {
		tb.Fatalf("write journal %s: %v %v %v\n%s", path, err, werr, cerr, stderr.String())
	}
	archived, err := filepath.Glob(strings.TrimSuffix(path, ".journal") + "@*.journal")
	if err != nil {
		tb.Fatalf("list archived journal files: %v", err)
	}
	slices.Sort(archived) // names hold the head sequence number in hex
	return append(archived, path)
}

// WriteEntries writes the given entries into a new journal file at path.
func WriteEntries(tb testing.TB, path string, entries []Entry) []string {
	tb.Helper()
	return WriteFile(tb, path, len(entries), func(i int) Entry { return entries[i] })
}

// ArchivedName is a file name that journalctl --vacuum-* treats as an
// archived journal file of the given sequence, so tests can vacuum their own
// directories like journald's.
func ArchivedName(seq int) string {
	return fmt.Sprintf("system@%032x-%016x-%016x.journal", 0xfeed, seq, int64(seq)*1000)
}

// Base is the realtime of the first synthetic entry.
var Base = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

// Units, identifiers and priorities the synthetic workload cycles through.
var (
	SyntheticUnits      = []string{"legacyapp.service", "billing.service", "cron.service", "sshd.service"}
	SyntheticPriorities = []string{"3", "4", "6", "6", "6"}
)

// Synthetic is a deterministic workload whose entry i can be predicted by
// tests: unit SyntheticUnits[i%4], priority SyntheticPriorities[i%5],
// SYSLOG_IDENTIFIER legacyapp for the legacyapp unit, MESSAGE
// "order <ok|failed> in <ms>ms" for legacyapp (failed when i%10==0, ms =
// i%1000) and "tick <i>" otherwise, custom fields ORDER_MS (legacyapp only)
// QUEUE_NAME (orders when i%3==0, else refunds) and QUEUE_DEPTH=i%50
// (legacyapp only), and SEQ=i, one microsecond apart from Base + offset.
func Synthetic(offset time.Duration) func(i int) Entry {
	return func(i int) Entry {
		unit := SyntheticUnits[i%len(SyntheticUnits)]
		fields := make([]Field, 0, 8)
		fields = append(fields,
			Field{"_SYSTEMD_UNIT", unit},
			Field{"PRIORITY", SyntheticPriorities[i%len(SyntheticPriorities)]},
			Field{"SEQ", strconv.Itoa(i)},
			Field{"_PID", "4242"},
			Field{"_HOSTNAME", "testhost"},
		)
		if unit == "legacyapp.service" {
			state := "ok"
			if i%10 == 0 {
				state = "failed"
			}
			ms := strconv.Itoa(i % 1000)
			fields = append(fields,
				Field{"SYSLOG_IDENTIFIER", "legacyapp"},
				Field{"MESSAGE", "order " + state + " in " + ms + "ms"},
				Field{"ORDER_MS", ms},
				Field{"QUEUE_NAME", map[bool]string{true: "orders", false: "refunds"}[i%3 == 0]},
				Field{"QUEUE_DEPTH", strconv.Itoa(i % 50)},
			)
		} else {
			fields = append(fields,
				Field{"SYSLOG_IDENTIFIER", unit[:len(unit)-len(".service")]},
				Field{"MESSAGE", "tick " + strconv.Itoa(i)},
			)
		}
		return Entry{Realtime: Base.Add(offset + time.Duration(i)*time.Microsecond), Fields: fields}
	}
}
