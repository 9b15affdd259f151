package journaldmetricsreceiver

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/otelcol-diagnostics/otelcol-diagnostics/internal/journaltest"
)

func exportStream(t testing.TB, entries ...journaltest.Entry) []byte {
	t.Helper()
	var b bytes.Buffer
	x := journaltest.NewExportWriter(&b)
	for _, e := range entries {
		require.NoError(t, x.Write(e))
	}
	require.NoError(t, x.Flush())
	return b.Bytes()
}

func TestExportParserRoundTrip(t *testing.T) {
	entries := []journaltest.Entry{
		{Realtime: journaltest.Base, Fields: []journaltest.Field{{Name: "MESSAGE", Value: "order ok in 12ms"}, {Name: "EQ", Value: "a=b=c"}}},
		{Realtime: journaltest.Base.Add(time.Second), Fields: []journaltest.Field{{Name: "MESSAGE", Value: "two\nlines\x00"}, {Name: "PRIORITY", Value: "3"}, {Name: "SKIPPED", Value: "bin\x01ary"}}},
		{Realtime: journaltest.Base.Add(2 * time.Second), Fields: []journaltest.Field{{Name: "MESSAGE", Value: strings.Repeat("x", 300<<10)}, {Name: "EMPTY", Value: ""}}},
	}
	p := newExportParser(bytes.NewReader(exportStream(t, entries...)), []string{"MESSAGE", "PRIORITY", "EQ", "EMPTY", "_BOOT_ID"})
	for i, want := range entries {
		require.NoError(t, p.next(), "entry %d", i)
		assert.Equal(t, want.Realtime, p.Realtime().UTC(), "entry %d", i)
		assert.Contains(t, string(p.cursor), ";i=", "entry %d", i)
		for _, name := range []string{"MESSAGE", "PRIORITY", "EQ", "EMPTY"} {
			w, wok := want.Get(name)
			g, gok := p.Field(name)
			assert.Equal(t, wok, gok, "entry %d field %s", i, name)
			assert.Equal(t, w, string(g), "entry %d field %s", i, name)
		}
		boot, ok := p.Field("_BOOT_ID")
		assert.True(t, ok)
		assert.Equal(t, journaltest.BootID, string(boot))
		_, ok = p.Field("SKIPPED")
		assert.False(t, ok, "fields not asked for are not kept")
	}
	assert.ErrorIs(t, p.next(), io.EOF)
}

func TestExportParserErrors(t *testing.T) {
	tests := []struct {
		name  string
		input string
	}{
		{"bad field name", "message=x\n\n"},
		{"ends inside entry", "MESSAGE=x\n"},
		{"ends inside line", "MESSAGE=x"},
		{"binary length truncated", "MESSAGE\n\x05\x00\x00"},
		{"binary data truncated", "MESSAGE\n\x05\x00\x00\x00\x00\x00\x00\x00ab"},
		{"binary no newline", "MESSAGE\n\x02\x00\x00\x00\x00\x00\x00\x00abX\n"},
		{"binary too large", "MESSAGE\n\xff\xff\xff\xff\xff\xff\xff\x7f"},
		{"bad realtime", "__REALTIME_TIMESTAMP=soon\n\n"},
		{"binary cursor", "__CURSOR\n\x01\x00\x00\x00\x00\x00\x00\x00a\n\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := newExportParser(strings.NewReader(tt.input), []string{"MESSAGE"})
			err := p.next()
			require.Error(t, err)
			assert.ErrorIs(t, err, errExportSyntax)
		})
	}
}

func TestExportParserBlankLines(t *testing.T) {
	p := newExportParser(strings.NewReader("\n\nMESSAGE=a\n\n\nMESSAGE=b\n\n"), []string{"MESSAGE"})
	for _, want := range []string{"a", "b"} {
		require.NoError(t, p.next())
		got, ok := p.Field("MESSAGE")
		require.True(t, ok)
		assert.Equal(t, want, string(got))
	}
	assert.ErrorIs(t, p.next(), io.EOF)
}

func FuzzExportParser(f *testing.F) {
	f.Add(exportStream(f, journaltest.Synthetic(0)(0), journaltest.Synthetic(0)(1)))
	f.Add([]byte("MESSAGE\n\x03\x00\x00\x00\x00\x00\x00\x00a\nb\n\n"))
	f.Add([]byte("__REALTIME_TIMESTAMP=1\nMESSAGE=x\n\n"))
	f.Add([]byte("MESSAGE\n\xff\xff\xff\xff\xff\xff\xff\xff"))
	f.Fuzz(func(t *testing.T, data []byte) {
		p := newExportParser(bytes.NewReader(data), []string{"MESSAGE", "PRIORITY", "_SYSTEMD_UNIT"})
		for range 1000 {
			err := p.next()
			if err == nil {
				if v, ok := p.Field("MESSAGE"); ok && len(v) > len(data) {
					t.Fatalf("value longer than the input")
				}
				continue
			}
			if !errors.Is(err, io.EOF) && !errors.Is(err, errExportSyntax) {
				t.Fatalf("unexpected error class: %v", err)
			}
			return
		}
	})
}
