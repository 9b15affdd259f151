package journaldmetricsreceiver

import (
	"math"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// FuzzParseNumber checks the fast path against strconv.ParseFloat on any field bytes.
func FuzzParseNumber(f *testing.F) {
	seeds := []string{
		"0", "42", "-7.25", " 3\n", ".5", "5.", "1e3", "0x1p4", "NaN", "inf", "", ".", "-", "12ms",
		"123456789012345", "1234567890123456", "0.000000000000000000001", "00000000000000000000001", "1_000", "\xff",
	}
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		got, ok := parseNumber(b)
		want, err := strconv.ParseFloat(strings.Trim(string(b), " \t\n\r\v\f"), 64)
		wantOK := err == nil && !math.IsNaN(want) && !math.IsInf(want, 0)
		require.Equal(t, wantOK, ok, "input %q", b)
		if ok {
			require.Equal(t, math.Float64bits(want), math.Float64bits(got), "input %q: want %v, got %v", b, want, got)
		}
	})
}

// FuzzRegexCaptures feeds arbitrary MESSAGE and custom field bytes through rules that read
// a capture and a field as values, and checks the result against a direct evaluation.
func FuzzRegexCaptures(f *testing.F) {
	f.Add([]byte("order done in 12ms"), []byte("3"))
	f.Add([]byte("order  in 1ms"), []byte("x"))
	f.Add([]byte("order d\xffone in 99999999999999999999ms"), []byte(" -2.5 "))
	f.Add([]byte("order done in 12ms\n"), []byte(""))
	f.Fuzz(func(t *testing.T, message, value []byte) {
		cfg := engineConfig(
			MetricConfig{
				Name: "ms", Type: typeHistogram, Value: "ms", Buckets: []float64{10, 100},
				Match: MatchConfig{Regex: map[string]string{"MESSAGE": orderRegex}}, Attributes: map[string]string{"state": "state"},
			},
			MetricConfig{Name: "v", Type: typeGauge, Value: "VALUE"},
		)
		e := mustEngine(t, cfg)
		ent := newEntry("MESSAGE", string(message), "VALUE", string(value))
		e.Observe(t.Context(), ent)
		got := points(e.Collect(testStart.Add(time.Second)))

		re := regexp.MustCompile(orderRegex)
		m := re.FindSubmatch(message)
		histOK := false
		if m != nil {
			ms, err := strconv.ParseFloat(string(m[2]), 64)
			if err == nil && !math.IsInf(ms, 0) {
				histOK = true
				key := "ms{state=" + strings.ToValidUTF8(string(m[1]), "\uFFFD") + "}"
				assert.InDelta(t, 1.0, got[key+":count"], 0)
				assert.Equal(t, ms, got[key+":sum"]) //nolint:testifylint // exact
			}
		}
		if !histOK {
			for k := range got {
				assert.False(t, strings.HasPrefix(k, "ms{"), "unexpected %s", k)
			}
		}
		v, ok := parseNumber(value)
		if ok {
			assert.Equal(t, v, got["v{}"]) //nolint:testifylint // exact
		} else {
			_, present := got["v{}"]
			assert.False(t, present)
		}
	})
}

// FuzzRuleRegex compiles user-supplied regexes the way a configuration would carry them:
// whatever Validate accepts must build an engine that matches exactly like regexp does.
func FuzzRuleRegex(f *testing.F) {
	f.Add(orderRegex, "order done in 12ms")
	f.Add(`(?P<a>x)|(?P<b>y)`, "y")
	f.Add(`(?P<a>\w+)?$`, "")
	f.Add(`(`, "x")
	f.Add(`(?i)^ERROR (?P<code>\d{3})`, "error 500")
	f.Fuzz(func(t *testing.T, pattern, message string) {
		m := MetricConfig{Name: "r", Type: typeCounter, Match: MatchConfig{Regex: map[string]string{"MESSAGE": pattern}}}
		if re, err := regexp.Compile(pattern); err == nil {
			m.Attributes = map[string]string{}
			for _, n := range re.SubexpNames() {
				if n != "" {
					m.Attributes["a_"+n] = n
				}
			}
		}
		cfg := engineConfig(m)
		if cfg.Validate() != nil {
			_, err := newEngine(cfg, nil, testStart)
			require.Error(t, err)
			return
		}
		e := mustEngine(t, cfg)
		e.Observe(t.Context(), newEntry("MESSAGE", message))
		total := 0.0
		for _, v := range points(e.Collect(testStart.Add(time.Second))) {
			total += v
		}
		want := 0.0
		if regexp.MustCompile(pattern).MatchString(message) {
			want = 1
		}
		assert.InDelta(t, want, total, 0)
	})
}
