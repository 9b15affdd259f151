package journaltest

import (
	"fmt"
	"path/filepath"
	"testing"
	"time"
)

// Host is one machine of a fleet whose journals a central host collects with
// systemd-journal-remote.
type Host struct {
	Name      string // _HOSTNAME
	MachineID string // _MACHINE_ID
	BootID    string // _BOOT_ID
}

// Fleet returns n distinct hosts, host-1 to host-n, with machine and boot ids
// derived from their number.
func Fleet(n int) []Host {
	hosts := make([]Host, n)
	for i := range hosts {
		hosts[i] = Host{
			Name:      fmt.Sprintf("host-%d", i+1),
			MachineID: fmt.Sprintf("%032x", 0xa000+i+1),
			BootID:    fmt.Sprintf("%032x", 0xb000+i+1),
		}
	}
	return hosts
}

// OnHost returns gen's entries as host h wrote them: h's _HOSTNAME,
// _MACHINE_ID and _BOOT_ID replace any the generator sets.
func OnHost(h Host, gen func(i int) Entry) func(i int) Entry {
	return func(i int) Entry {
		e := gen(i)
		fields := make([]Field, 0, len(e.Fields)+3)
		for _, f := range e.Fields {
			switch f.Name {
			case "_HOSTNAME", "_MACHINE_ID", "_BOOT_ID":
				continue
			}
			fields = append(fields, f)
		}
		e.Fields = append(fields, Field{"_HOSTNAME", h.Name}, Field{"_MACHINE_ID", h.MachineID}, Field{"_BOOT_ID", h.BootID})
		return e
	}
}

// RemoteFile is the file systemd-journal-remote (--split-mode=host) writes
// for host h in its output directory.
func RemoteFile(dir string, h Host) string {
	return filepath.Join(dir, "remote-"+h.Name+".journal")
}

// WriteRemoteDir writes the directory a central systemd-journal-remote keeps:
// one file per host, host i with counts[i] entries of gen, all in the same
// span of time so that their entries interleave.
func WriteRemoteDir(tb testing.TB, dir string, hosts []Host, counts []int, gen func(i int) Entry) {
	tb.Helper()
	if len(hosts) != len(counts) {
		tb.Fatalf("WriteRemoteDir: %d hosts but %d counts", len(hosts), len(counts))
	}
	for i, h := range hosts {
		WriteFile(tb, RemoteFile(dir, h), counts[i], OnHost(h, gen))
	}
}

// Interleave returns the entries of several hosts in one stream, round robin,
// as one journal file holding a whole fleet (journal-remote --split-mode=none):
// entry k is entry k/len(hosts) of host k%len(hosts).
func Interleave(hosts []Host, gen func(i int) Entry) func(i int) Entry {
	perHost := make([]func(int) Entry, len(hosts))
	for i, h := range hosts {
		perHost[i] = OnHost(h, gen)
	}
	return func(k int) Entry {
		e := perHost[k%len(hosts)](k / len(hosts))
		// Time strictly increasing across hosts, as in one file journal-remote wrote.
		e.Realtime = Base.Add(time.Duration(k) * time.Microsecond)
		return e
	}
}
