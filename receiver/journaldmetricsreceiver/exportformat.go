package journaldmetricsreceiver // import "github.com/otelcol-diagnostics/otelcol-diagnostics/receiver/journaldmetricsreceiver"

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"strconv"
	"time"
)

// maxExportField bounds one field value of an export stream; journald itself
// refuses entries larger than 768 MiB, but no metric rule needs that much.
const maxExportField = 64 << 20

// errExportSyntax marks a malformed Journal Export Format stream.
var errExportSyntax = errors.New("malformed journal export stream")

// exportParser decodes the Journal Export Format
// (https://systemd.io/JOURNAL_EXPORT_FORMATS/) as written by
// `journalctl -o export`. It keeps only the fields it was asked for, plus
// __CURSOR and __REALTIME_TIMESTAMP; the others are skipped without copying.
// It implements entry for the entry read last.
type exportParser struct {
	br   *bufio.Reader
	want []string // field names kept, index = slot
	vals [][]byte // value of each wanted field in the current entry
	has  []bool
	buf  []byte // holds the kept values of the current entry

	cursor   []byte // of the last entry decoded completely
	cur      []byte // of the entry being decoded
	realtime time.Time
	line     int
}

func newExportParser(r io.Reader, want []string) *exportParser {
	return &exportParser{
		br:   bufio.NewReaderSize(r, 256<<10),
		want: want,
		vals: make([][]byte, len(want)),
		has:  make([]bool, len(want)),
	}
}

// buffered reports whether a complete or partial entry is already buffered,
// so the next call of next does not block on the first byte.
func (p *exportParser) buffered() bool { return p.br.Buffered() > 0 }

// next decodes the following entry. It returns io.EOF at the end of the
// stream when no partial entry was read, and an errExportSyntax error for
// malformed input.
func (p *exportParser) next() error {
	clear(p.has)
	p.buf = p.buf[:0]
	p.cur = p.cur[:0]
	p.realtime = time.Time{}
	type span struct{ slot, off, end int }
	var spans [16]span
	kept := spans[:0]
	fields := 0
	for {
		line, err := p.readLine()
		if err != nil {
			if errors.Is(err, io.EOF) && fields > 0 {
				return fmt.Errorf("%w: line %d: stream ends inside an entry", errExportSyntax, p.line)
			}
			return err
		}
		if len(line) == 0 {
			if fields == 0 {
				continue // tolerate blank lines between entries
			}
			break
		}
		fields++
		var name, value []byte
		binaryField := false
		if i := bytes.IndexByte(line, '='); i >= 0 {
			name, value = line[:i], line[i+1:]
		} else {
			name = line
			binaryField = true
		}
		if !validFieldName(name) {
			return fmt.Errorf("%w: line %d: invalid field name %q", errExportSyntax, p.line, truncate(name))
		}
		slot := p.slot(name)
		switch {
		case string(name) == "__CURSOR":
			if binaryField {
				return fmt.Errorf("%w: line %d: binary __CURSOR", errExportSyntax, p.line)
			}
			p.cur = append(p.cur, value...)
			continue
		case string(name) == "__REALTIME_TIMESTAMP":
			if binaryField {
				return fmt.Errorf("%w: line %d: binary __REALTIME_TIMESTAMP", errExportSyntax, p.line)
			}
			usec, err := strconv.ParseInt(string(value), 10, 64)
			if err != nil || usec < 0 {
				return fmt.Errorf("%w: line %d: invalid __REALTIME_TIMESTAMP %q", errExportSyntax, p.line, truncate(value))
			}
			p.realtime = time.UnixMicro(usec)
			if slot < 0 {
				continue
			}
		}
		if binaryField {
			// The name line is followed by the length, the data and a newline.
			if name, err = p.readBinary(slot >= 0); err != nil {
				return err
			}
			value = name
		}
		if slot >= 0 && !p.has[slot] {
			off := len(p.buf)
			p.buf = append(p.buf, value...)
			kept = append(kept, span{slot, off, len(p.buf)})
			p.has[slot] = true
		}
	}
	p.cursor = append(p.cursor[:0], p.cur...)
	// Values point into buf only once it stopped growing.
	for _, s := range kept {
		p.vals[s.slot] = p.buf[s.off:s.end:s.end]
	}
	return nil
}

// readLine returns the next line without its newline. The slice is valid
// until the next read.
func (p *exportParser) readLine() ([]byte, error) {
	p.line++
	line, err := p.br.ReadSlice('\n')
	if err == nil {
		return line[:len(line)-1], nil
	}
	if errors.Is(err, bufio.ErrBufferFull) {
		// A text field longer than the buffer: assemble it.
		long := append([]byte(nil), line...)
		for errors.Is(err, bufio.ErrBufferFull) {
			if len(long) > maxExportField {
				return nil, fmt.Errorf("%w: line %d: field longer than %d bytes", errExportSyntax, p.line, maxExportField)
			}
			line, err = p.br.ReadSlice('\n')
			long = append(long, line...)
		}
		if err == nil {
			return long[:len(long)-1], nil
		}
	}
	if errors.Is(err, io.EOF) && len(line) > 0 {
		return nil, fmt.Errorf("%w: line %d: stream ends inside a line", errExportSyntax, p.line)
	}
	return nil, err
}

// readBinary reads the length, data and newline of a binary field. The
// data is returned only when keep is set; the slice is valid until the next
// read.
func (p *exportParser) readBinary(keep bool) ([]byte, error) {
	var n [8]byte
	if _, err := io.ReadFull(p.br, n[:]); err != nil {
		return nil, fmt.Errorf("%w: line %d: binary field length: %w", errExportSyntax, p.line, unexpected(err))
	}
	size := binary.LittleEndian.Uint64(n[:])
	if size > maxExportField {
		return nil, fmt.Errorf("%w: line %d: binary field of %d bytes exceeds %d", errExportSyntax, p.line, size, maxExportField)
	}
	var data []byte
	if keep {
		// Grow with the data actually read, never by the announced size.
		var b bytes.Buffer
		if _, err := io.CopyN(&b, p.br, int64(size)); err != nil {
			return nil, fmt.Errorf("%w: line %d: binary field data: %w", errExportSyntax, p.line, unexpected(err))
		}
		data = b.Bytes()
	} else if _, err := p.br.Discard(int(size)); err != nil {
		return nil, fmt.Errorf("%w: line %d: binary field data: %w", errExportSyntax, p.line, unexpected(err))
	}
	c, err := p.br.ReadByte()
	if err != nil {
		return nil, fmt.Errorf("%w: line %d: binary field end: %w", errExportSyntax, p.line, unexpected(err))
	}
	if c != '\n' {
		return nil, fmt.Errorf("%w: line %d: binary field not followed by a newline", errExportSyntax, p.line)
	}
	return data, nil
}

func unexpected(err error) error {
	if errors.Is(err, io.EOF) {
		return io.ErrUnexpectedEOF
	}
	return err
}

func (p *exportParser) slot(name []byte) int {
	for i, w := range p.want {
		if w == string(name) {
			return i
		}
	}
	return -1
}

// Field implements entry.
func (p *exportParser) Field(name string) ([]byte, bool) {
	for i, w := range p.want {
		if w == name {
			if p.has[i] {
				return p.vals[i], true
			}
			return nil, false
		}
	}
	return nil, false
}

// Realtime implements entry.
func (p *exportParser) Realtime() time.Time { return p.realtime }

// validFieldName accepts what journald writes: address fields start with two
// underscores, trusted ones with one, and names hold A-Z, 0-9 and _.
func validFieldName(name []byte) bool {
	if len(name) == 0 || len(name) > maxFieldNameLen+2 {
		return false
	}
	for _, c := range name {
		switch {
		case c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '_':
		default:
			return false
		}
	}
	return true
}

func truncate(b []byte) string {
	if len(b) > 64 {
		return string(b[:64]) + "..."
	}
	return string(b)
}
