package postgresexporter

import (
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestSanitize(t *testing.T) {
	for _, tc := range []struct {
		name, in, want string
	}{
		{"empty", "", ""},
		{"ascii", "GET /api/v1", "GET /api/v1"},
		{"multibyte kept", "héllo ✓ 𝄞", "héllo ✓ 𝄞"},
		{"NUL removed", "a\x00b\x00", "ab"},
		{"only NUL", "\x00\x00", ""},
		{"invalid byte", "a\xffb", "a\ufffdb"},
		{"each invalid byte replaced", "\xc3\x28\xff", "\ufffd(\ufffd"},
		{"truncated sequence", "ok\xe2\x82", "ok\ufffd\ufffd"},
		{"surrogate encoding is invalid", "\xed\xa0\x80", "\ufffd\ufffd\ufffd"},
		{"NUL and invalid", "\x00\xfe\x00x", "\ufffdx"},
		{"control chars kept", "a\tb\nc\x01", "a\tb\nc\x01"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, sanitize(tc.in))
		})
	}
}

func TestSanitizeCleanDoesNotAllocate(t *testing.T) {
	s := strings.Repeat("clean ✓ text ", 20)
	allocs := testing.AllocsPerRun(100, func() {
		if sanitize(s) != s {
			t.Fatal("changed")
		}
	})
	assert.Zero(t, allocs)
}

// FuzzSanitize checks that the sanitiser's output is always valid UTF-8 without
// NUL, that clean input is returned unchanged, and that the JSON string writer
// applies exactly the same rules and always produces a valid JSON string.
func FuzzSanitize(f *testing.F) {
	for _, s := range []string{"", "abc", "a\x00b", "\xff\xfe", "é\xc3", "\xed\xa0\x80", "\"\\\n\x1f\u2028", "\xf4\x90\x80\x80"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out := sanitize(s)
		require.True(t, utf8.ValidString(out))
		require.NotContains(t, out, "\x00")
		if utf8.ValidString(s) && !strings.Contains(s, "\x00") {
			require.Equal(t, s, out)
		}
		require.Equal(t, out, sanitize(out), "idempotent")

		js := appendJSONString(nil, s)
		require.True(t, json.Valid(js), "%q", js)
		require.NotContains(t, string(js), `\u0000`)
		var back string
		require.NoError(t, json.Unmarshal(js, &back))
		require.Equal(t, out, back)
	})
}
