package postgresexporter

import (
	"context"
	"math"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pcommon"
)

// TestJSONAcceptedByPostgres sends the JSON writer's edge cases to the real
// jsonb parser (binary jsonb, as COPY does) and checks numbers survive exactly.
func TestJSONAcceptedByPostgres(t *testing.T) {
	conn, err := pgx.Connect(t.Context(), cluster.NewDatabase(t))
	require.NoError(t, err)
	t.Cleanup(func() { _ = conn.Close(context.Background()) })

	deep := pcommon.NewMap()
	inner := deep
	for range 3 * maxJSONDepth {
		inner = inner.PutEmptyMap("a")
	}
	fuzzed := pcommon.NewMap()
	(&fuzzValues{data: []byte("\x05\x03\x01k\x01\x05\x00\xff\xfe\x1f\x02\x01n\x03\x01\x00\x00\x00\x00\x00\xf0\x7f\x02\x01s\x06\x03\x07\x02\x01m\x00\x01\x01\x02\x05x\x00y\x00\x05\x01\x01b\x05\x04\x00\x01\x02\x03")}).fillMap(fuzzed)

	for _, tc := range []struct {
		name  string
		build func(m pcommon.Map)
		check string // SQL over the document j that must be true
	}{
		{"numbers", func(m pcommon.Map) {
			m.PutInt("max", math.MaxInt64)
			m.PutInt("min", math.MinInt64)
			m.PutDouble("big", 1e21)
			m.PutDouble("tiny", 5e-324)
			m.PutDouble("maxf", math.MaxFloat64)
			m.PutDouble("negzero", math.Copysign(0, -1))
			m.PutDouble("third", 1.0/3)
		}, `(j->>'max')::bigint = 9223372036854775807 AND (j->>'min')::bigint = -9223372036854775808
			AND (j->>'big')::float8 = 1e21 AND (j->>'tiny')::float8 = 5e-324
			AND (j->>'maxf')::float8 = 1.7976931348623157e308 AND (j->>'third')::float8 = 1.0::float8/3`},
		{"non-finite", func(m pcommon.Map) {
			m.PutDouble("nan", math.NaN())
			m.PutDouble("inf", math.Inf(1))
			m.PutDouble("ninf", math.Inf(-1))
		}, `(j->>'nan')::float8 = 'NaN' AND (j->>'inf')::float8 = 'Infinity' AND (j->>'ninf')::float8 = '-Infinity'`},
		{"strings", func(m pcommon.Map) {
			m.PutStr("ctl", "a\x01\x1f\t\n\r\"\\b")
			m.PutStr("nul", "a\x00b")
			m.PutStr("bad", "x\xff\xc3")
			m.PutStr("sep", "\u2028\u2029\U0001F600")
			m.PutStr("k\x00\xfe", "key")
		}, `j->>'ctl' = E'a\x01\x1f\t\n\r"\\b' AND j->>'nul' = 'ab' AND j->>'bad' = E'x\uFFFD\uFFFD'
			AND j->>'sep' = E'\u2028\u2029\U0001F600' AND j->>E'k\uFFFD' = 'key'`},
		{"bytes and empty", func(m pcommon.Map) {
			m.PutEmptyBytes("b").FromRaw([]byte{0, 0xff})
			m.PutEmpty("e")
		}, `j->>'b' = 'AP8=' AND j->'e' = 'null'::jsonb`},
		{"nesting beyond the limit", func(m pcommon.Map) { deep.CopyTo(m) }, `jsonb_typeof(j #> '{a,a,a}') = 'object'`},
		{"fuzzed", func(m pcommon.Map) { fuzzed.CopyTo(m) }, `jsonb_typeof(j) = 'object'`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := pcommon.NewMap()
			tc.build(m)
			doc := appendMapJSON(nil, m)
			var ok bool
			err := conn.QueryRow(t.Context(), "SELECT "+tc.check+" FROM (SELECT $1::jsonb AS j) AS d", doc).Scan(&ok)
			require.NoError(t, err, "%s", doc)
			assert.True(t, ok, "%s", doc)
		})
	}
}
