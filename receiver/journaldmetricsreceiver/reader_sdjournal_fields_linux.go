//go:build linux && cgo

package journaldmetricsreceiver // import "github.com/otelcol-diagnostics/otelcol-diagnostics/receiver/journaldmetricsreceiver"

/*
#cgo LDFLAGS: -ldl
#include <dlfcn.h>
#include <stddef.h>
#include <string.h>

typedef struct sd_journal sd_journal;
typedef int (*next_fn)(sd_journal *);
typedef int (*enumerate_fn)(sd_journal *, const void **, size_t *);
typedef void (*restart_fn)(sd_journal *);

typedef struct {
	void *next, *enumerate, *restart;
} otelcol_sd_fns;

// otelcol_sd_load finds the functions in the libsystemd go-systemd already
// loaded. sd_journal_enumerate_available_data (systemd 246) skips fields it
// cannot decompress instead of failing; older libraries have only
// sd_journal_enumerate_data.
static int otelcol_sd_load(otelcol_sd_fns *f) {
	void *h = dlopen("libsystemd.so.0", RTLD_LAZY | RTLD_NOLOAD);
	if (!h) return -1;
	f->next = dlsym(h, "sd_journal_next");
	f->enumerate = dlsym(h, "sd_journal_enumerate_available_data");
	if (!f->enumerate) f->enumerate = dlsym(h, "sd_journal_enumerate_data");
	f->restart = dlsym(h, "sd_journal_restart_data");
	return (f->next && f->enumerate && f->restart) ? 0 : -1;
}

// otelcol_sd_next_fields moves to the next entry (when move is set) and reads
// the wanted fields of the entry in one pass over its items, copying each
// value into buf, since the journal may reuse the memory of a value for the
// next. names holds the n wanted names back to back (name i at offs[i], lens[i]
// bytes). It returns sd_journal_next's result (0: no entry; <0: -errno), or
// -ENOBUFS-like -1000 - needed when buf is too small.
static long otelcol_sd_next_fields(otelcol_sd_fns *f, sd_journal *j, int move,
		const char *names, const size_t *offs, const size_t *lens, int n,
		long *voff, long *vlen, char *buf, size_t cap) {
	int r = 1;
	if (move) {
		r = ((next_fn)f->next)(j);
		if (r <= 0) return r;
	}
	for (int i = 0; i < n; i++) voff[i] = -1;
	((restart_fn)f->restart)(j);
	const void *d;
	size_t l, used = 0, need = 0;
	int found = 0, e;
	while (found < n && (e = ((enumerate_fn)f->enumerate)(j, &d, &l)) > 0) {
		const char *eq = memchr(d, '=', l);
		if (!eq) continue;
		size_t nl = (size_t)(eq - (const char *)d);
		for (int i = 0; i < n; i++) {
			if (voff[i] >= 0 || lens[i] != nl || memcmp(names + offs[i], d, nl) != 0) continue;
			size_t vl = l - nl - 1;
			need += vl;
			if (used + vl <= cap) {
				memcpy(buf + used, eq + 1, vl);
				voff[i] = (long)used;
				vlen[i] = (long)vl;
				used += vl;
			} else {
				voff[i] = -2; // seen, did not fit
			}
			found++;
			break;
		}
	}
	if (need > cap) return -1000 - (long)need;
	return r;
}
*/
import "C"

import (
	"fmt"
	"reflect"
	"syscall"
	"unsafe"

	"github.com/coreos/go-systemd/v22/sdjournal"
)

// fieldReader reads the wanted fields of each entry in one cgo call that also
// moves to it: sd_journal_get_data walks the entry's items once per field, and
// go-systemd's wrapper copies and allocates for each; here the walk is one
// pass and the values land in one reused buffer.
type fieldReader struct {
	fns   C.otelcol_sd_fns
	j     *C.sd_journal
	names []byte // wanted names back to back
	offs  []C.size_t
	lens  []C.size_t
	voff  []C.long
	vlen  []C.long
	buf   []byte
}

// newFieldReader returns nil when the fast path is not available (the
// libsystemd go-systemd loaded lacks a function, or go-systemd changed): the
// reader then falls back to one sd_journal_get_data per field.
func newFieldReader(j *sdjournal.Journal, fields []string) *fieldReader {
	if len(fields) == 0 {
		return nil
	}
	fr := &fieldReader{
		offs: make([]C.size_t, len(fields)),
		lens: make([]C.size_t, len(fields)),
		voff: make([]C.long, len(fields)),
		vlen: make([]C.long, len(fields)),
		buf:  make([]byte, 4096),
	}
	if C.otelcol_sd_load(&fr.fns) != 0 {
		return nil
	}
	fr.j = journalHandle(j)
	if fr.j == nil {
		return nil
	}
	for i, f := range fields {
		fr.offs[i], fr.lens[i] = C.size_t(len(fr.names)), C.size_t(len(f))
		fr.names = append(fr.names, f...)
	}
	return fr
}

// journalHandle is go-systemd's sd_journal pointer, which it does not export.
// The field is checked by name and type; nil when that does not hold.
func journalHandle(j *sdjournal.Journal) *C.sd_journal {
	v := reflect.ValueOf(j).Elem().FieldByName("cjournal")
	if !v.IsValid() || v.Kind() != reflect.Pointer {
		return nil
	}
	return *(**C.sd_journal)(unsafe.Pointer(v.UnsafeAddr()))
}

// next moves to the next entry (or stays, move false) and reads its fields.
// It reports whether there is an entry.
func (fr *fieldReader) next(move bool) (bool, error) {
	m := C.int(0)
	if move {
		m = 1
	}
	for {
		r := C.otelcol_sd_next_fields(&fr.fns, fr.j, m,
			(*C.char)(unsafe.Pointer(&fr.names[0])), &fr.offs[0], &fr.lens[0], C.int(len(fr.offs)),
			&fr.voff[0], &fr.vlen[0], (*C.char)(unsafe.Pointer(&fr.buf[0])), C.size_t(len(fr.buf)))
		switch {
		case r <= -1000:
			// The values did not fit: grow, and read the same entry again.
			fr.buf = make([]byte, 2*int(-1000-r))
			m = 0
			continue
		case r < 0:
			return false, fmt.Errorf("read journal: %w", syscall.Errno(-r))
		}
		return r > 0, nil
	}
}

// field returns the value of wanted field i of the current entry.
func (fr *fieldReader) field(i int) ([]byte, bool) {
	off := fr.voff[i]
	if off < 0 {
		return nil, false
	}
	return fr.buf[off : off+fr.vlen[i]], true
}
