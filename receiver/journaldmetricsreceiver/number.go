package journaldmetricsreceiver // import "github.com/otelcol-diagnostics/otelcol-diagnostics/receiver/journaldmetricsreceiver"

import (
	"bytes"
	"math"
	"strconv"
)

// parseNumber parses a journal field value or capture as a finite float64. Surrounding
// ASCII white space is ignored. Plain decimals take an allocation-free fast path; other
// forms strconv.ParseFloat accepts (exponents, hex floats, underscores in hex) fall back
// to it. NaN and ±Inf are rejected.
func parseNumber(b []byte) (float64, bool) {
	b = bytes.TrimFunc(b, isASCIISpace)
	if v, ok := parseDecimalFast(b); ok {
		return v, true
	}
	if len(b) == 0 {
		return 0, false
	}
	v, err := strconv.ParseFloat(string(b), 64)
	if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
		return 0, false
	}
	return v, true
}

func isASCIISpace(r rune) bool {
	return r == ' ' || r == '\t' || r == '\n' || r == '\r' || r == '\v' || r == '\f'
}

// pow10 holds the powers of ten a float64 represents exactly.
var pow10 = [...]float64{1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22}

// parseDecimalFast parses [+-]digits[.digits] when the digits fit in 15 significant
// digits: the mantissa and the power of ten are then exact and one division rounds
// correctly (the classic fast path of strconv). It reports false for anything else.
func parseDecimalFast(b []byte) (float64, bool) {
	i := 0
	neg := false
	if i < len(b) && (b[i] == '+' || b[i] == '-') {
		neg = b[i] == '-'
		i++
	}
	var mant uint64
	digits, frac := 0, 0
	sawDot := false
	for ; i < len(b); i++ {
		c := b[i]
		switch {
		case c >= '0' && c <= '9':
			if mant == 0 && c == '0' {
				// leading zeros carry no significant digits
			} else {
				digits++
			}
			mant = mant*10 + uint64(c-'0')
			if sawDot {
				frac++
			}
			if digits > 15 || frac >= len(pow10) {
				return 0, false
			}
		case c == '.' && !sawDot:
			sawDot = true
		default:
			return 0, false
		}
	}
	start := 0
	if len(b) > 0 && (b[0] == '+' || b[0] == '-') {
		start = 1
	}
	// at least one digit, and not a lone "." or "-."
	if len(b)-start == 0 || (sawDot && len(b)-start == 1) {
		return 0, false
	}
	v := float64(mant) / pow10[frac]
	if neg {
		v = -v
	}
	return v, true
}
