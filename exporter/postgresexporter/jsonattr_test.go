package postgresexporter

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"math"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pcommon"
)

func TestAppendValueJSON(t *testing.T) {
	for _, tc := range []struct {
		name  string
		build func(v pcommon.Value)
		want  string
	}{
		{"empty", func(pcommon.Value) {}, `null`},
		{"string", func(v pcommon.Value) { v.SetStr("a \"q\" \\ /") }, `"a \"q\" \\ /"`},
		{"string controls", func(v pcommon.Value) { v.SetStr("l1\nl2\r\t\x01\x1f") }, `"l1\nl2\r\t\u0001\u001f"`},
		{"string NUL dropped", func(v pcommon.Value) { v.SetStr("a\x00b") }, `"ab"`},
		{"string invalid UTF-8", func(v pcommon.Value) { v.SetStr("a\xffb") }, "\"a\ufffdb\""},
		{"string unicode kept", func(v pcommon.Value) { v.SetStr("é ✓ \u2028") }, "\"é ✓ \u2028\""},
		{"int", func(v pcommon.Value) { v.SetInt(-42) }, `-42`},
		{"int beyond 2^53", func(v pcommon.Value) { v.SetInt(1<<53 + 1) }, `9007199254740993`},
		{"int min", func(v pcommon.Value) { v.SetInt(math.MinInt64) }, `-9223372036854775808`},
		{"double", func(v pcommon.Value) { v.SetDouble(1.5) }, `1.5`},
		{"double integral", func(v pcommon.Value) { v.SetDouble(3) }, `3`},
		{"double large", func(v pcommon.Value) { v.SetDouble(1e21) }, `1e+21`},
		{"double tiny", func(v pcommon.Value) { v.SetDouble(5e-324) }, `5e-324`},
		{"double negative zero", func(v pcommon.Value) { v.SetDouble(math.Copysign(0, -1)) }, `-0`},
		{"double NaN", func(v pcommon.Value) { v.SetDouble(math.NaN()) }, `"NaN"`},
		{"double +Inf", func(v pcommon.Value) { v.SetDouble(math.Inf(1)) }, `"Infinity"`},
		{"double -Inf", func(v pcommon.Value) { v.SetDouble(math.Inf(-1)) }, `"-Infinity"`},
		{"bool", func(v pcommon.Value) { v.SetBool(true) }, `true`},
		{"bytes", func(v pcommon.Value) { v.SetEmptyBytes().FromRaw([]byte{0, 1, 2, 0xff}) }, `"AAEC/w=="`},
		{"bytes empty", func(v pcommon.Value) { v.SetEmptyBytes() }, `""`},
		{"bytes long", func(v pcommon.Value) { v.SetEmptyBytes().FromRaw(bytes.Repeat([]byte("abc"), 40)) }, `"` + string(bytes.Repeat([]byte("YWJj"), 40)) + `"`},
		{"slice", func(v pcommon.Value) {
			s := v.SetEmptySlice()
			s.AppendEmpty().SetInt(1)
			s.AppendEmpty().SetStr("x")
			s.AppendEmpty()
			s.AppendEmpty().SetEmptySlice()
		}, `[1,"x",null,[]]`},
		{"map", func(v pcommon.Value) {
			m := v.SetEmptyMap()
			m.PutStr("k", "v")
			m.PutEmptyMap("nested").PutDouble("d", math.Inf(1))
			m.PutEmptyMap("empty")
		}, `{"k":"v","nested":{"d":"Infinity"},"empty":{}}`},
		{"map key sanitised", func(v pcommon.Value) { v.SetEmptyMap().PutBool("a\x00\"\xff", false) }, "{\"a\\\"\ufffd\":false}"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v := pcommon.NewValueEmpty()
			tc.build(v)
			got := appendValueJSON(nil, v)
			assert.Equal(t, tc.want, string(got))
			assert.True(t, json.Valid(got))
		})
	}
}

func TestAppendMapJSONEmpty(t *testing.T) {
	assert.Equal(t, `{}`, string(appendMapJSON(nil, pcommon.NewMap())))
}

func TestAppendJSONTime(t *testing.T) {
	got := appendJSONTime(nil, time.Unix(1_700_000_000, 123_456_789).In(time.FixedZone("x", 3600)))
	assert.Equal(t, `"2023-11-14T22:13:20.123456789Z"`, string(got))
	assert.Equal(t, `"1970-01-01T00:00:00Z"`, string(appendJSONTime(nil, time.Unix(0, 0))))
}

// fuzzValues builds pcommon values from fuzz input with a tiny interpreter, so
// the fuzzer explores every value kind, nesting, odd strings and odd doubles.
type fuzzValues struct {
	data  []byte
	depth int
}

func (f *fuzzValues) byte() byte {
	if len(f.data) == 0 {
		return 0
	}
	b := f.data[0]
	f.data = f.data[1:]
	return b
}

func (f *fuzzValues) bytes() []byte {
	n := min(int(f.byte()%32), len(f.data))
	b := f.data[:n]
	f.data = f.data[n:]
	return b
}

func (f *fuzzValues) u64() uint64 {
	var b [8]byte
	copy(b[:], f.data)
	f.data = f.data[min(8, len(f.data)):]
	return binary.LittleEndian.Uint64(b[:])
}

// fillMap adds up to 23 entries: beyond 16 the id hasher sorts on the heap.
func (f *fuzzValues) fillMap(m pcommon.Map) {
	for n := int(f.byte() % 24); n > 0 && len(f.data) > 0; n-- {
		f.fill(m.PutEmpty(string(f.bytes())))
	}
}

func (f *fuzzValues) fill(v pcommon.Value) {
	switch f.byte() % 8 {
	case 0:
		// empty
	case 1:
		v.SetStr(string(f.bytes()))
	case 2:
		v.SetInt(int64(f.u64())) //nolint:gosec // any bit pattern
	case 3:
		v.SetDouble(math.Float64frombits(f.u64()))
	case 4:
		v.SetBool(f.byte()&1 == 1)
	case 5:
		v.SetEmptyBytes().FromRaw(f.bytes())
	case 6:
		s := v.SetEmptySlice()
		if f.depth < 8 {
			f.depth++
			for n := int(f.byte() % 4); n > 0; n-- {
				f.fill(s.AppendEmpty())
			}
			f.depth--
		}
	case 7:
		m := v.SetEmptyMap()
		if f.depth < 8 {
			f.depth++
			f.fillMap(m)
			f.depth--
		}
	}
}

// reversedCopy copies m with its entries (at every level) in reverse order.
func reversedCopy(dst, m pcommon.Map) {
	keys := make([]string, 0, m.Len())
	for k := range m.All() {
		keys = append(keys, k)
	}
	for i := len(keys) - 1; i >= 0; i-- {
		v, _ := m.Get(keys[i])
		if v.Type() == pcommon.ValueTypeMap {
			reversedCopy(dst.PutEmptyMap(keys[i]), v.Map())
			continue
		}
		v.CopyTo(dst.PutEmpty(keys[i]))
	}
}

// FuzzAttributeJSON checks that the JSON of any attribute map is valid JSON that
// PostgreSQL's jsonb accepts (valid UTF-8, no \u0000, no NUL), and that the id
// hash is deterministic and independent of the attributes' order.
func FuzzAttributeJSON(f *testing.F) {
	f.Add([]byte{})
	f.Add([]byte("\x03\x01a\x01\x05x\x00\xffy"))
	f.Add([]byte("\x02\x01k\x03\x00\x00\x00\x00\x00\x00\xf8\x7f\x01j\x07\x02\x01n\x05\x03\x00\x01\x02"))
	f.Add([]byte("\x04\x02k1\x06\x03\x01\x02\x00\x02k2\x02\xff\xff\xff\xff\xff\xff\xff\xff"))
	f.Fuzz(func(t *testing.T, data []byte) {
		fv := &fuzzValues{data: data}
		m := pcommon.NewMap()
		fv.fillMap(m)

		js := appendMapJSON(nil, m)
		require.True(t, json.Valid(js), "%q", js)
		require.True(t, utf8.Valid(js))
		require.NotContains(t, string(js), `\u0000`)
		require.NotContains(t, string(js), "\x00")

		var h idHasher
		id := h.resourceID("u", m)
		require.Equal(t, id, h.resourceID("u", m), "deterministic")
		rev := pcommon.NewMap()
		reversedCopy(rev, m)
		require.Equal(t, id, h.resourceID("u", rev), "independent of attribute order")
	})
}

func TestAppendJSONDeepNesting(t *testing.T) {
	const levels = 100
	m := pcommon.NewMap()
	inner := m
	for range levels - 1 {
		inner = inner.PutEmptyMap("a")
	}
	inner.PutEmptySlice("s").AppendEmpty().SetInt(7)

	got := appendMapJSON(nil, m)
	require.True(t, json.Valid(got))
	// Walk down the "a" keys: objects up to maxJSONDepth levels, then a string.
	var doc any
	require.NoError(t, json.Unmarshal(got, &doc))
	depth := 0
	for {
		obj, ok := doc.(map[string]any)
		if !ok {
			break
		}
		depth++
		doc = obj["a"]
	}
	assert.Equal(t, maxJSONDepth, depth)
	text, ok := doc.(string)
	require.True(t, ok, "too-deep value kept as JSON text")
	var rest any
	require.NoError(t, json.Unmarshal([]byte(text), &rest))
	restDepth := 0
	for {
		obj, ok := rest.(map[string]any)
		if !ok {
			break
		}
		restDepth++
		if next, ok := obj["a"]; ok {
			rest = next
			continue
		}
		assert.Equal(t, []any{7.0}, obj["s"])
		break
	}
	assert.Equal(t, levels-maxJSONDepth, restDepth)

	// A slice body nested the same way.
	v := pcommon.NewValueEmpty()
	s := v.SetEmptySlice()
	for range levels {
		s = s.AppendEmpty().SetEmptySlice()
	}
	got = appendValueJSON(nil, v)
	require.True(t, json.Valid(got))
	assert.Equal(t, string(bytes.Repeat([]byte("["), maxJSONDepth)), string(got[:maxJSONDepth]))
	assert.Equal(t, byte('"'), got[maxJSONDepth])
}
