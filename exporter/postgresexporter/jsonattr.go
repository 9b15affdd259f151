package postgresexporter

import (
	"encoding/base64"
	"math"
	"strconv"
	"time"
	"unicode/utf8"

	"go.opentelemetry.io/collector/pdata/pcommon"
)

// JSON is written by hand into a caller-owned buffer: no reflection, no
// intermediate maps. The mapping of pcommon values:
//
//	string        JSON string (sanitised: NUL dropped, invalid UTF-8 → U+FFFD)
//	int           JSON number, exact (jsonb stores numeric, so int64 survives)
//	double        JSON number in Go's shortest round-trip form; NaN, +Inf and
//	              -Inf, which JSON cannot express, as the strings "NaN",
//	              "Infinity" and "-Infinity"
//	bool          true / false
//	bytes         standard base64 string
//	slice         array
//	map           object, keys in pdata order (jsonb keeps the last of duplicate keys)
//	empty         null
//
// The output never contains \u0000, which jsonb rejects. PostgreSQL parses JSON
// recursively and fails a whole COPY when nesting exhausts its stack, so a map or
// slice nested deeper than maxJSONDepth is written as a JSON string holding its
// JSON text: nothing is lost and the document stays flat enough to parse.

const maxJSONDepth = 64

// appendMapJSON appends m as a JSON object.
func appendMapJSON(dst []byte, m pcommon.Map) []byte {
	return appendMapJSONDepth(dst, m, 1)
}

// appendValueJSON appends v as a JSON value.
func appendValueJSON(dst []byte, v pcommon.Value) []byte {
	return appendValueJSONDepth(dst, v, 0)
}

// depth is the nesting level of the container being written; a negative depth
// means no limit (used for the text of a too-deep value).
func appendMapJSONDepth(dst []byte, m pcommon.Map, depth int) []byte {
	dst = append(dst, '{')
	first := true
	for k, v := range m.All() {
		if !first {
			dst = append(dst, ',')
		}
		first = false
		dst = appendJSONString(dst, k)
		dst = append(dst, ':')
		dst = appendValueJSONDepth(dst, v, depth)
	}
	return append(dst, '}')
}

// appendValueJSONDepth appends v, found inside depth levels of containers.
func appendValueJSONDepth(dst []byte, v pcommon.Value, depth int) []byte {
	typ := v.Type()
	if depth >= maxJSONDepth && (typ == pcommon.ValueTypeMap || typ == pcommon.ValueTypeSlice) {
		text := appendValueJSONDepth(nil, v, -1<<62)
		return appendJSONString(dst, string(text))
	}
	switch typ {
	case pcommon.ValueTypeStr:
		return appendJSONString(dst, v.Str())
	case pcommon.ValueTypeInt:
		return strconv.AppendInt(dst, v.Int(), 10)
	case pcommon.ValueTypeDouble:
		return appendJSONFloat(dst, v.Double())
	case pcommon.ValueTypeBool:
		return strconv.AppendBool(dst, v.Bool())
	case pcommon.ValueTypeBytes:
		return appendJSONBytes(dst, v.Bytes())
	case pcommon.ValueTypeSlice:
		s := v.Slice()
		dst = append(dst, '[')
		for i := range s.Len() {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = appendValueJSONDepth(dst, s.At(i), depth+1)
		}
		return append(dst, ']')
	case pcommon.ValueTypeMap:
		return appendMapJSONDepth(dst, v.Map(), depth+1)
	default:
		return append(dst, "null"...)
	}
}

// appendJSONFloat appends f as a JSON number, or as a string for NaN and ±Inf.
func appendJSONFloat(dst []byte, f float64) []byte {
	switch {
	case math.IsNaN(f):
		return append(dst, `"NaN"`...)
	case math.IsInf(f, 1):
		return append(dst, `"Infinity"`...)
	case math.IsInf(f, -1):
		return append(dst, `"-Infinity"`...)
	}
	// 'g' with the shortest precision yields valid JSON numbers (e.g. 1e+21, 5e-324).
	return strconv.AppendFloat(dst, f, 'g', -1, 64)
}

func appendJSONBytes(dst []byte, b pcommon.ByteSlice) []byte {
	n := b.Len()
	dst = append(dst, '"')
	// Encode in chunks of 48 bytes (64 base64 characters) to avoid copying b.
	var chunk [48]byte
	for i := 0; i < n; i += len(chunk) {
		m := min(len(chunk), n-i)
		for j := range m {
			chunk[j] = b.At(i + j)
		}
		dst = base64.StdEncoding.AppendEncode(dst, chunk[:m])
	}
	return append(dst, '"')
}

// appendJSONTime appends t as an RFC 3339 string in UTC with nanoseconds.
func appendJSONTime(dst []byte, t time.Time) []byte {
	dst = append(dst, '"')
	dst = t.UTC().AppendFormat(dst, time.RFC3339Nano)
	return append(dst, '"')
}

const hexDigits = "0123456789abcdef"

// appendJSONString appends s as a sanitised JSON string.
func appendJSONString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	start := 0 // s[start:i] is pending, safe to copy verbatim
	for i := 0; i < len(s); {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' && c < utf8.RuneSelf {
			i++
			continue
		}
		if c >= utf8.RuneSelf {
			r, n := utf8.DecodeRuneInString(s[i:])
			if r != utf8.RuneError || n != 1 {
				i += n
				continue
			}
		}
		dst = append(dst, s[start:i]...)
		switch c {
		case 0:
			// dropped
		case '"', '\\':
			dst = append(dst, '\\', c)
		case '\n':
			dst = append(dst, '\\', 'n')
		case '\r':
			dst = append(dst, '\\', 'r')
		case '\t':
			dst = append(dst, '\\', 't')
		default:
			if c < 0x20 {
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			} else {
				dst = append(dst, "\ufffd"...)
			}
		}
		i++
		start = i
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}
