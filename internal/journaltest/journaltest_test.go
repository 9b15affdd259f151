package journaltest

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/coreos/go-systemd/v22/journal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func readJSON(t *testing.T, args ...string) []map[string]any {
	t.Helper()
	out, err := exec.Command("journalctl", append([]string{"--no-pager", "-o", "json"}, args...)...).Output()
	require.NoError(t, err)
	var got []map[string]any
	dec := json.NewDecoder(bytesReader(out))
	for dec.More() {
		var m map[string]any
		require.NoError(t, dec.Decode(&m))
		got = append(got, m)
	}
	return got
}

func TestWriteFileRoundTrip(t *testing.T) {
	path := filepath.Join(t.TempDir(), "a.journal")
	entries := []Entry{
		{Realtime: Base, Fields: []Field{{"MESSAGE", "hello"}, {"CUSTOM", "x=y"}}},
		{Realtime: Base.Add(time.Second), Fields: []Field{{"MESSAGE", "two\nlines\x00nul"}, {"PRIORITY", "3"}}},
	}
	WriteEntries(t, path, entries)
	got := readJSON(t, "--file="+path)
	require.Len(t, got, 2)
	assert.Equal(t, "hello", got[0]["MESSAGE"])
	assert.Equal(t, "x=y", got[0]["CUSTOM"])
	assert.Equal(t, BootID, got[0]["_BOOT_ID"])
	assert.Equal(t, "1767323045000000", got[0]["__REALTIME_TIMESTAMP"])
	// journalctl renders values with control bytes as arrays of bytes.
	raw, ok := got[1]["MESSAGE"].([]any)
	require.True(t, ok, "binary MESSAGE: %#v", got[1]["MESSAGE"])
	b := make([]byte, len(raw))
	for i, v := range raw {
		b[i] = byte(v.(float64))
	}
	assert.Equal(t, "two\nlines\x00nul", string(b))
}

func TestSyntheticAndVacuum(t *testing.T) {
	dir := t.TempDir()
	for k := range 3 {
		WriteFile(t, filepath.Join(dir, ArchivedName(k+1)), 100, Synthetic(time.Duration(k)*time.Second))
	}
	got := readJSON(t, "--directory="+dir, "SYSLOG_IDENTIFIER=legacyapp")
	require.Len(t, got, 75)
	assert.Equal(t, "order failed in 0ms", got[0]["MESSAGE"])
	assert.Equal(t, "order ok in 4ms", got[1]["MESSAGE"])

	VacuumDir(t, dir, 1)
	files, err := os.ReadDir(dir)
	require.NoError(t, err)
	require.Len(t, files, 1)
	assert.Equal(t, ArchivedName(3), files[0].Name())
}

func TestLive(t *testing.T) {
	RequireLive(t)
	run := RunID(t)
	for range 3 {
		Send(t, "live hello", journal.PriWarning, map[string]string{RunField: run, "ORDER_MS": "12"})
	}
	WaitVisible(t, 10*time.Second, 3, RunField+"="+run)
	got := readJSON(t, RunField+"="+run)
	require.Len(t, got, 3)
	assert.Equal(t, "12", got[0]["ORDER_MS"])
	assert.Equal(t, "4", got[0]["PRIORITY"])
}

func bytesReader(b []byte) *bytes.Reader { return bytes.NewReader(b) }

func TestWriteRemoteDir(t *testing.T) {
	dir := t.TempDir()
	hosts := Fleet(3)
	WriteRemoteDir(t, dir, hosts, []int{10, 20, 30}, Synthetic(0))
	got := readJSON(t, "--directory="+dir)
	require.Len(t, got, 60)
	byHost := map[string]int{}
	for _, e := range got {
		byHost[e["_HOSTNAME"].(string)+"/"+e["_MACHINE_ID"].(string)+"/"+e["_BOOT_ID"].(string)]++
	}
	assert.Equal(t, map[string]int{
		"host-1/0000000000000000000000000000a001/0000000000000000000000000000b001": 10,
		"host-2/0000000000000000000000000000a002/0000000000000000000000000000b002": 20,
		"host-3/0000000000000000000000000000a003/0000000000000000000000000000b003": 30,
	}, byHost)

	one := filepath.Join(t.TempDir(), "fleet.journal")
	WriteFile(t, one, 9, Interleave(hosts, Synthetic(0)))
	got = readJSON(t, "--file="+one)
	require.Len(t, got, 9)
	for k, e := range got {
		assert.Equal(t, hosts[k%3].Name, e["_HOSTNAME"], "entry %d", k)
	}
}
