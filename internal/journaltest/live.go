package journaltest

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/coreos/go-systemd/v22/journal"
)

// RunField is the custom field that tags the live entries of one test.
const RunField = "OTELCOL_TEST_RUN"

// RunID returns a fresh random value for RunField.
func RunID(tb testing.TB) string {
	tb.Helper()
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		tb.Fatalf("random run id: %v", err)
	}
	return hex.EncodeToString(b[:])
}

// RequireLive fails the test with a clear message when no journald listens
// on the native socket.
func RequireLive(tb testing.TB) {
	tb.Helper()
	if !journal.Enabled() {
		tb.Fatalf("systemd-journald is not running (no socket at /run/systemd/journal/socket): start /lib/systemd/systemd-journald")
	}
}

// Send writes one entry to the live journald through the native protocol.
func Send(tb testing.TB, message string, priority journal.Priority, fields map[string]string) {
	tb.Helper()
	if err := journal.Send(message, priority, fields); err != nil {
		tb.Fatalf("journal.Send: %v", err)
	}
}

// Count returns how many entries of the live journal match the given
// journalctl match arguments (FIELD=value).
func Count(tb testing.TB, matches ...string) int {
	tb.Helper()
	args := append([]string{"--no-pager", "-q", "-o", "json", "--output-fields=__CURSOR"}, matches...)
	out, err := exec.Command("journalctl", args...).Output()
	if err != nil {
		tb.Fatalf("journalctl %v: %v", args, err)
	}
	return bytes.Count(out, []byte("\n"))
}

// WaitVisible waits until at least n entries matching matches can be read
// from the live journal, failing the test after timeout.
func WaitVisible(tb testing.TB, timeout time.Duration, n int, matches ...string) {
	tb.Helper()
	deadline := time.Now().Add(timeout)
	for {
		got := Count(tb, matches...)
		if got >= n {
			return
		}
		if time.Now().After(deadline) {
			tb.Fatalf("only %d of %d entries matching %v readable after %s", got, n, matches, timeout)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Rotate asks the live journald to rotate its files (journalctl --rotate).
func Rotate(tb testing.TB) {
	tb.Helper()
	if out, err := exec.Command("journalctl", "--rotate").CombinedOutput(); err != nil {
		tb.Fatalf("journalctl --rotate: %v\n%s", err, out)
	}
}

// VacuumDir removes archived files of a test journal directory until at most
// n files remain (journalctl --directory=dir --vacuum-files=n).
func VacuumDir(tb testing.TB, dir string, n int) {
	tb.Helper()
	out, err := exec.Command("journalctl", "--directory="+dir, "--vacuum-files="+strconv.Itoa(n)).CombinedOutput()
	if err != nil {
		tb.Fatalf("journalctl --vacuum-files: %v\n%s", err, out)
	}
}

// VacuumOldestLive removes the oldest archived file of the live journal
// with journalctl --vacuum-files, keeping every other one: tests of other
// components reading the live journal at the same time keep their entries.
func VacuumOldestLive(tb testing.TB) {
	tb.Helper()
	var archived []string
	for _, pattern := range []string{"/run/log/journal/*/*@*.journal", "/var/log/journal/*/*@*.journal"} {
		m, err := filepath.Glob(pattern)
		if err != nil {
			tb.Fatalf("list archived journal files: %v", err)
		}
		archived = append(archived, m...)
	}
	if len(archived) == 0 {
		tb.Fatalf("no archived live journal file to vacuum: rotate first")
	}
	out, err := exec.Command("journalctl", "--vacuum-files="+strconv.Itoa(len(archived)-1)).CombinedOutput()
	if err != nil {
		tb.Fatalf("journalctl --vacuum-files: %v\n%s", err, out)
	}
}
