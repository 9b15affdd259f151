package postgresexporter

import (
	"math"
	"testing"

	"github.com/cespare/xxhash/v2"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
)

func testAttrs() pcommon.Map {
	m := pcommon.NewMap()
	m.PutStr("service.name", "api")
	m.PutInt("port", 8080)
	m.PutDouble("ratio", 0.5)
	m.PutBool("ok", true)
	m.PutEmptyBytes("raw").FromRaw([]byte{1, 2})
	s := m.PutEmptySlice("list")
	s.AppendEmpty().SetStr("x")
	s.AppendEmpty()
	m.PutEmptyMap("nested").PutStr("b", "2")
	m.PutEmptyMap("nested2").PutStr("a", "1")
	return m
}

// TestIDsMatchDocumentedEncoding recomputes the ids from the canonical encoding
// documented in ids.go, written out byte by byte.
func TestIDsMatchDocumentedEncoding(t *testing.T) {
	attrs := pcommon.NewMap()
	attrs.PutStr("b", "x")
	attrs.PutInt("a", 258)
	attrs.PutEmptyMap("c").PutBool("z", true)

	// map: 3 entries sorted a, b, c.
	encMap := []byte{
		3,
		1, 'a', 2, 0, 0, 0, 0, 0, 0, 1, 2, // int 258
		1, 'b', 1, 1, 'x', // str "x"
		1, 'c', 5, 1, 1, 'z', 4, 1, // map {z: true}
	}
	var h idHasher
	wantRes := append([]byte{'R', 1, 3, 'u', 'r', 'l'}, encMap...)
	assert.Equal(t, int64(xxhash.Sum64(wantRes)), h.resourceID("url", attrs)) //nolint:gosec // bit pattern

	sc := pcommon.NewInstrumentationScope()
	sc.SetName("lib")
	sc.SetVersion("1")
	attrs.CopyTo(sc.Attributes())
	wantScope := append([]byte{'S', 1, 3, 'l', 'i', 'b', 1, '1', 0}, encMap...)
	assert.Equal(t, int64(xxhash.Sum64(wantScope)), h.scopeID(sc, "")) //nolint:gosec // bit pattern

	wantSeries := []byte{
		'M', 1, 0, 0, 0, 0, 0, 0, 0, 7, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
		1, 'm', 1, 's', 3, 's', 'u', 'm', 5, 'd', 'e', 'l', 't', 'a', 1,
	}
	wantSeries = append(wantSeries, encMap...)
	prefix := h.seriesPrefix(nil, 7, -1, "m", "s", "sum", "delta", true)
	assert.Equal(t, int64(xxhash.Sum64(wantSeries)), h.seriesID(prefix, attrs)) //nolint:gosec // bit pattern

	lr := plog.NewLogRecord()
	lr.SetTimestamp(0x0102)
	lr.SetObservedTimestamp(0x03)
	lr.SetTraceID(pcommon.TraceID{0: 0xaa, 15: 0xbb})
	lr.SetSpanID(pcommon.SpanID{7: 0xcc})
	lr.SetFlags(1)
	lr.SetSeverityNumber(plog.SeverityNumberWarn)
	lr.SetSeverityText("W")
	lr.SetEventName("e")
	lr.Body().SetStr("hi")
	attrs.CopyTo(lr.Attributes())
	wantLog := []byte{
		'L', 1, 0, 0, 0, 0, 0, 0, 0, 7, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
		0, 0, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 0, 0, 0, 3,
		0xaa, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xbb, 0, 0, 0, 0, 0, 0, 0, 0xcc,
		0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 13,
		1, 'W', 1, 'e', 1, 2, 'h', 'i',
	}
	wantLog = append(wantLog, encMap...)
	assert.Equal(t, int64(xxhash.Sum64(wantLog)), h.logHash(7, -1, lr)) //nolint:gosec // bit pattern
}

// TestIDsStable pins ids: a change here changes every id in existing databases
// and must come with a new encoding version.
func TestIDsStable(t *testing.T) {
	var h idHasher
	sc := pcommon.NewInstrumentationScope()
	sc.SetName("io.opentelemetry.test")
	sc.SetVersion("1.2.3")
	testAttrs().CopyTo(sc.Attributes())
	prefix := h.seriesPrefix(nil, 1, 2, "http.server.duration", "ms", metricTypeHistogram, "cumulative", false)

	assert.Equal(t, int64(-3689574280230236229), h.resourceID("https://opentelemetry.io/schemas/1.26.0", testAttrs()), "resource")
	assert.Equal(t, int64(-1521576855184164674), h.scopeID(sc, ""), "scope")
	assert.Equal(t, int64(5832371679782983303), h.seriesID(prefix, testAttrs()), "series")
}

func TestIDsDistinguish(t *testing.T) {
	var h idHasher
	base := h.resourceID("", testAttrs())
	for _, tc := range []struct {
		name   string
		mutate func(m pcommon.Map) string
	}{
		{"schema url", func(pcommon.Map) string { return "https://x" }},
		{"string value", func(m pcommon.Map) string { m.PutStr("service.name", "api2"); return "" }},
		{"int vs string", func(m pcommon.Map) string { m.PutStr("port", "8080"); return "" }},
		{"int vs double", func(m pcommon.Map) string { m.PutDouble("port", 8080); return "" }},
		{"bool", func(m pcommon.Map) string { m.PutBool("ok", false); return "" }},
		{"bytes", func(m pcommon.Map) string { m.PutEmptyBytes("raw").FromRaw([]byte{1, 3}); return "" }},
		{"nested value", func(m pcommon.Map) string { v, _ := m.Get("nested"); v.Map().PutStr("b", "3"); return "" }},
		{"moved between nested maps", func(m pcommon.Map) string {
			v, _ := m.Get("nested")
			v.Map().PutStr("a", "1")
			v, _ = m.Get("nested2")
			v.Map().Remove("a")
			return ""
		}},
		{"extra key", func(m pcommon.Map) string { m.PutEmpty("e"); return "" }},
		{"removed key", func(m pcommon.Map) string { m.Remove("ok"); return "" }},
		{"key boundary", func(m pcommon.Map) string { m.Remove("ok"); m.PutBool("o", true); return "" }},
		{"NaN", func(m pcommon.Map) string { m.PutDouble("ratio", math.NaN()); return "" }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := testAttrs()
			url := tc.mutate(m)
			assert.NotEqual(t, base, h.resourceID(url, m))
		})
	}

	// Series identity: everything but the description.
	attrs := testAttrs()
	p := func(res, scope int64, name, unit, typ, temp string, mono bool) int64 {
		return h.seriesID(h.seriesPrefix(nil, res, scope, name, unit, typ, temp, mono), attrs)
	}
	ref := p(1, 2, "m", "s", "sum", "delta", true)
	assert.Equal(t, ref, p(1, 2, "m", "s", "sum", "delta", true))
	for i, id := range []int64{
		p(3, 2, "m", "s", "sum", "delta", true),
		p(1, 3, "m", "s", "sum", "delta", true),
		p(1, 2, "n", "s", "sum", "delta", true),
		p(1, 2, "m", "ms", "sum", "delta", true),
		p(1, 2, "m", "s", "gauge", "delta", true),
		p(1, 2, "m", "s", "sum", "cumulative", true),
		p(1, 2, "m", "s", "sum", "delta", false),
		p(1, 2, "ms", "", "sum", "delta", true),
	} {
		assert.NotEqual(t, ref, id, "case %d", i)
	}
}

func TestIDHasherScratchReuse(t *testing.T) {
	var h idHasher
	m := testAttrs()
	first := h.resourceID("", m)
	require.Empty(t, h.kvs)
	prefix := h.seriesPrefix(nil, 1, 1, "a", "", "gauge", "unspecified", false)
	h.seriesID(prefix, m)
	assert.Equal(t, first, h.resourceID("", m))
	allocs := testing.AllocsPerRun(100, func() { h.seriesID(prefix, m) })
	assert.Zero(t, allocs)
}

// TestIDsLargeMaps covers maps beyond the stack scratch (16 entries), nested in
// each other, in both orders.
func TestIDsLargeMaps(t *testing.T) {
	build := func(reverse bool) pcommon.Map {
		m := pcommon.NewMap()
		for i := range 20 {
			if reverse {
				i = 19 - i
			}
			k := string(rune('a' + i))
			nested := m.PutEmptyMap(k)
			for j := range 20 {
				if !reverse {
					j = 19 - j
				}
				nested.PutInt(string(rune('A'+j)), int64(i*100+j))
			}
		}
		return m
	}
	var h idHasher
	fwd := h.resourceID("", build(false))
	assert.Empty(t, h.kvs, "scratch popped")
	assert.Equal(t, fwd, h.resourceID("", build(true)))

	changed := build(false)
	v, _ := changed.Get("k")
	v.Map().PutInt("T", 0)
	assert.NotEqual(t, fwd, h.resourceID("", changed))
}
