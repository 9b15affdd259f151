package postgresexporter

import (
	"strings"
	"unicode/utf8"
)

// PostgreSQL rejects NUL in text and jsonb and, in a UTF8 database, any
// invalid UTF-8. Every string written by this exporter therefore goes through
// sanitize (text columns) or appendJSONString (JSON strings, which applies the
// same rules): NUL bytes are dropped and each byte that does not start a valid
// UTF-8 sequence is replaced by U+FFFD, exactly as a Go range loop decodes it.

// sanitize returns s itself, without allocating, when it is clean.
func sanitize(s string) string {
	if strings.IndexByte(s, 0) < 0 && utf8.ValidString(s) {
		return s
	}
	return string(appendSanitized(make([]byte, 0, len(s)+8), s))
}

// appendSanitized appends the sanitised s to dst.
func appendSanitized(dst []byte, s string) []byte {
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c != 0 {
				dst = append(dst, c)
			}
			i++
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && n == 1 {
			dst = utf8.AppendRune(dst, utf8.RuneError)
		} else {
			dst = append(dst, s[i:i+n]...)
		}
		i += n
	}
	return dst
}
