package postgresexporter

import (
	"math"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
)

// converter builds one rowSet. JSON documents and numeric arrays are carved out
// of chunked arenas (each row gets a capacity-capped sub-slice), so a push costs
// a handful of allocations, not several per row, and nothing is copied when an
// arena fills up: a new chunk is started and the old one stays with its rows.
type converter struct {
	rs        *rowSet
	ids       idHasher
	json      []byte
	jsonChunk int
	floats    []float64
	ints      []int64
	resources map[int64]struct{}
	scopes    map[int64]struct{}
	series    map[int64]struct{}
}

const (
	maxJSONChunk  = 64 << 10 // bytes
	minJSONRoom   = 1 << 10  // start a new chunk below this much room; larger documents grow the chunk
	numberChunk   = 4 << 10  // elements
	minFirstChunk = 4 << 10
)

// newConverter returns a converter whose first JSON chunk holds about jsonBytes.
func newConverter(jsonBytes int) *converter {
	return &converter{
		rs:        &rowSet{},
		jsonChunk: min(max(jsonBytes, minFirstChunk), maxJSONChunk),
		resources: make(map[int64]struct{}),
		scopes:    make(map[int64]struct{}),
	}
}

// docStart makes room for a JSON document and returns its start offset.
func (c *converter) docStart() int {
	if cap(c.json)-len(c.json) < minJSONRoom {
		c.json = make([]byte, 0, c.jsonChunk)
		c.jsonChunk = maxJSONChunk
	}
	return len(c.json)
}

// doc returns the JSON document written into the arena since start.
func (c *converter) doc(start int) []byte {
	return c.json[start:len(c.json):len(c.json)]
}

// floatRoom and intRoom make room for n more array elements.
func (c *converter) floatRoom(n int) {
	if cap(c.floats)-len(c.floats) < n {
		c.floats = make([]float64, 0, max(n, numberChunk))
	}
}

func (c *converter) intRoom(n int) {
	if cap(c.ints)-len(c.ints) < n {
		c.ints = make([]int64, 0, max(n, numberChunk))
	}
}

func (c *converter) jsonMap(m pcommon.Map) []byte {
	start := c.docStart()
	c.json = appendMapJSON(c.json, m)
	return c.doc(start)
}

// resource returns the resource's id and service name, adding its row on first sight.
func (c *converter) resource(res pcommon.Resource, schemaURL string) (int64, string) {
	attrs := res.Attributes()
	service := ""
	if v, ok := attrs.Get(serviceNameKey); ok {
		service = sanitize(v.AsString())
	}
	id := c.ids.resourceID(schemaURL, attrs)
	if _, ok := c.resources[id]; !ok {
		c.resources[id] = struct{}{}
		c.rs.Resources = append(c.rs.Resources, resourceRow{
			ID:          id,
			ServiceName: service,
			Attributes:  c.jsonMap(attrs),
			SchemaURL:   sanitize(schemaURL),
		})
	}
	return id, service
}

// scope returns the scope's id, adding its row on first sight.
func (c *converter) scope(sc pcommon.InstrumentationScope, schemaURL string) int64 {
	id := c.ids.scopeID(sc, schemaURL)
	if _, ok := c.scopes[id]; !ok {
		c.scopes[id] = struct{}{}
		c.rs.Scopes = append(c.rs.Scopes, scopeRow{
			ID:         id,
			Name:       sanitize(sc.Name()),
			Version:    sanitize(sc.Version()),
			Attributes: c.jsonMap(sc.Attributes()),
			SchemaURL:  sanitize(schemaURL),
		})
	}
	return id
}

// Timestamps: timestamptz holds microseconds, so sub-microsecond digits are
// truncated (not rounded). Timestamps beyond int64 nanoseconds (year 2262) are clamped.

func toTime(ts pcommon.Timestamp) time.Time {
	ns := clampInt64(uint64(ts))
	return time.Unix(0, ns-ns%1000).UTC()
}

// toOptTime maps an OTLP timestamp of 0 (absent) to the zero time.Time, written as NULL.
func toOptTime(ts pcommon.Timestamp) time.Time {
	if ts == 0 {
		return time.Time{}
	}
	return toTime(ts)
}

// clampInt64 stores a uint64 count in a bigint: values above math.MaxInt64 become math.MaxInt64.
func clampInt64(u uint64) int64 {
	if u > math.MaxInt64 {
		return math.MaxInt64
	}
	return int64(u)
}

// flags32 keeps the bit pattern of uint32 OTLP flags in an int column.
func flags32(f uint32) int32 {
	return int32(f) //nolint:gosec // bit pattern, not a quantity
}
