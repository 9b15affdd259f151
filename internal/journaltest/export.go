package journaltest

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
)

// BootID is the _BOOT_ID of generated entries unless an entry sets its own.
const BootID = "0123456789abcdef0123456789abcdef"

// Field is one journal field. Values may hold any bytes, newlines included.
type Field struct {
	Name  string
	Value string
}

// Entry is one generated journal entry.
type Entry struct {
	Realtime time.Time
	Fields   []Field
}

// Get returns the value of the first field called name.
func (e Entry) Get(name string) (string, bool) {
	for _, f := range e.Fields {
		if f.Name == name {
			return f.Value, true
		}
	}
	return "", false
}

// ExportWriter writes entries in the Journal Export Format
// (https://systemd.io/JOURNAL_EXPORT_FORMATS/): text fields as KEY=value,
// fields holding a newline or other control bytes in the binary form
// (KEY, newline, 64-bit little-endian length, data, newline), entries
// separated by an empty line.
type ExportWriter struct {
	w    *bufio.Writer
	seq  uint64
	boot string
}

// NewExportWriter writes to w; call Flush at the end.
func NewExportWriter(w io.Writer) *ExportWriter {
	return &ExportWriter{w: bufio.NewWriterSize(w, 1<<16), boot: BootID}
}

// Write appends one entry with its address fields (__CURSOR,
// __REALTIME_TIMESTAMP, __MONOTONIC_TIMESTAMP, _BOOT_ID).
func (x *ExportWriter) Write(e Entry) error {
	x.seq++
	usec := e.Realtime.UnixMicro()
	boot := x.boot
	if b, ok := e.Get("_BOOT_ID"); ok {
		boot = b
	}
	// bufio.Writer errors are sticky: the last WriteByte (and Flush) report them.
	w := x.w
	_, _ = fmt.Fprintf(w, "__CURSOR=s=generated;i=%x;b=%s;m=%x;t=%x\n", x.seq, boot, x.seq, usec)
	_, _ = w.WriteString("__REALTIME_TIMESTAMP=" + strconv.FormatInt(usec, 10) + "\n")
	// The monotonic clock follows the realtime one, so that files written
	// separately with the same boot id interleave in time order.
	_, _ = w.WriteString("__MONOTONIC_TIMESTAMP=" + strconv.FormatInt(usec, 10) + "\n")
	if _, ok := e.Get("_BOOT_ID"); !ok {
		_, _ = w.WriteString("_BOOT_ID=" + boot + "\n")
	}
	for _, f := range e.Fields {
		writeField(w, f)
	}
	return w.WriteByte('\n')
}

// Flush writes buffered data to the underlying writer.
func (x *ExportWriter) Flush() error { return x.w.Flush() }

func writeField(w *bufio.Writer, f Field) {
	if !needsBinary(f.Value) {
		_, _ = w.WriteString(f.Name + "=" + f.Value + "\n")
		return
	}
	var n [8]byte
	binary.LittleEndian.PutUint64(n[:], uint64(len(f.Value)))
	_, _ = w.WriteString(f.Name + "\n")
	_, _ = w.Write(n[:])
	_, _ = w.WriteString(f.Value + "\n")
}

func needsBinary(v string) bool {
	return strings.ContainsFunc(v, func(r rune) bool { return r < ' ' && r != '\t' })
}
