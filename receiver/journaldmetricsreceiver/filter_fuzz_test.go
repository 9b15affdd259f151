package journaldmetricsreceiver

import (
	"slices"
	"testing"
)

// matchesEntry evaluates f the way the journal does, on an entry with one
// value per field.
func (f journalFilter) matchesEntry(entry map[string]string) bool {
	if f == nil {
		return true
	}
	for _, g := range f {
		all := true
		for k, vs := range g {
			v, ok := entry[k]
			if !ok || !slices.Contains(vs, v) {
				all = false
				break
			}
		}
		if all {
			return true
		}
	}
	return false
}

// fuzzFilter decodes bytes into a small filter over fields A-C and values 0-3.
func fuzzFilter(b []byte) journalFilter {
	if len(b) == 0 {
		return nil
	}
	f := journalFilter{}
	for _, groupBits := range b {
		g := matchGroup{}
		for field := range 3 {
			vals := (groupBits >> (2 * field)) & 3
			if vals == 0 {
				continue
			}
			name := string(rune('A' + field))
			g[name] = []string{string(rune('0' + vals))}
			if vals == 3 {
				g[name] = append(g[name], "1")
			}
		}
		if len(g) > 0 {
			f = append(f, g)
		}
	}
	return f
}

// FuzzJournalFilterAnd checks that f.and(g) selects exactly the entries f and g
// both select, over every entry of the small field space, and that the
// shortcuts' parsers never accept what they cannot render.
func FuzzJournalFilterAnd(f *testing.F) {
	f.Add([]byte{0x01}, []byte{0x02}, "warning")
	f.Add([]byte{0x05, 0x30}, []byte{0x0f}, "3")
	f.Add([]byte{}, []byte{0x3f, 0x01}, "debug")
	f.Add([]byte{0x03}, []byte{0x01}, "8")
	f.Fuzz(func(t *testing.T, a, b []byte, prio string) {
		if len(a) > 8 || len(b) > 8 {
			return
		}
		fa, fb := fuzzFilter(a), fuzzFilter(b)
		both := fa.and(fb)
		for code := range 64 {
			entry := map[string]string{}
			for field := range 3 {
				if v := (code >> (2 * field)) & 3; v > 0 {
					entry[string(rune('A'+field))] = string(rune('0' + v))
				}
			}
			want := fa.matchesEntry(entry) && fb.matchesEntry(entry)
			if got := both.matchesEntry(entry); got != want {
				t.Fatalf("%v and %v on %v: got %v, want %v", fa, fb, entry, got, want)
			}
		}
		if p, err := parsePriority(prio); err == nil {
			if p < 0 || p > 7 || len(priorityFilter(p)[0]["PRIORITY"]) != p+1 {
				t.Fatalf("priority %q -> %d", prio, p)
			}
		}
	})
}
