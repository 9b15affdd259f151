package journaldmetricsreceiver

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/confmap"

	"github.com/otelcol-diagnostics/otelcol-diagnostics/internal/journaltest"
)

func TestJournalFilterAnd(t *testing.T) {
	tests := []struct {
		name string
		a, b journalFilter
		want [][]string
	}{
		{name: "nil is everything", a: nil, b: nil, want: [][]string{}},
		{name: "nil and f", a: nil, b: journalFilter{{"A": {"1"}}}, want: [][]string{{"A=1"}}},
		{
			name: "groups multiply out",
			a:    journalFilter{{"A": {"1"}}, {"B": {"2"}}},
			b:    journalFilter{{"C": {"3", "4"}}},
			want: [][]string{{"A=1", "C=3", "C=4"}, {"B=2", "C=3", "C=4"}},
		},
		{
			name: "a field both restrict keeps the shared values",
			a:    journalFilter{{"PRIORITY": {"0", "1", "2", "3"}}},
			b:    journalFilter{{"PRIORITY": {"3", "6"}, "X": {"y"}}},
			want: [][]string{{"PRIORITY=3", "X=y"}},
		},
		{
			name: "a pair sharing no value is dropped",
			a:    journalFilter{{"_SYSTEMD_UNIT": {"a.service"}}},
			b:    unitFilter([]string{"b.service"}),
			want: [][]string{
				{"COREDUMP_UNIT=b.service", "MESSAGE_ID=" + coredumpMessageID, "_SYSTEMD_UNIT=a.service", "_UID=0"},
				{"UNIT=b.service", "_PID=1", "_SYSTEMD_UNIT=a.service"},
				{"OBJECT_SYSTEMD_UNIT=b.service", "_SYSTEMD_UNIT=a.service", "_UID=0"},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := tt.a.and(tt.b).terms()
			assert.Equal(t, tt.want, got)
		})
	}
	assert.NotNil(t, journalFilter{{"P": {"1"}}}.and(journalFilter{{"P": {"2"}}}), "nothing is not everything")
	assert.Empty(t, journalFilter{{"P": {"1"}}}.and(journalFilter{{"P": {"2"}}}))
}

func TestPriorityConfig(t *testing.T) {
	for in, want := range map[any]string{4: "4", "warning": "warning", "0": "0"} {
		cfg := createDefaultConfig().(*Config)
		require.NoError(t, confmap.NewFromStringMap(map[string]any{"priority": in}).Unmarshal(cfg))
		assert.Equal(t, want, cfg.Priority)
		assert.NoError(t, cfg.Validate())
	}
	for name, want := range map[string]int{"emerg": 0, "ERR": 3, "warning": 4, "7": 7, "info": 6} {
		got, err := parsePriority(name)
		require.NoError(t, err, name)
		assert.Equal(t, want, got, name)
	}
}

func TestValidateFilter(t *testing.T) {
	tests := []validateCase{
		{name: "valid", modify: func(c *Config) {
			c.Units, c.Identifiers, c.Priority, c.Boot = []string{"a.service", "b.timer"}, []string{"app"}, "warning", "current"
		}},
		{name: "boot id", modify: func(c *Config) { c.Boot = strings.Repeat("0f", 16) }},
		{
			name:   "units",
			modify: func(c *Config) { c.Units = []string{"", "app", "a*.service", "a b.service"} },
			want: []string{
				"units[0]: must not be empty",
				`units[1]: "app" needs its type suffix, e.g. "app.service"`,
				`units[2]: "a*.service": patterns are not supported`,
				`units[3]: "a b.service" is not a unit name`,
			},
		},
		{name: "identifiers", modify: func(c *Config) { c.Identifiers = []string{"x", ""} }, want: []string{"identifiers[1]: must not be empty"}},
		{name: "priority", modify: func(c *Config) { c.Priority = "8" }, want: []string{`priority: must be a syslog level name (emerg, alert, crit, err, warning, notice, info, debug) or a number 0-7, got "8"`}},
		{name: "priority name", modify: func(c *Config) { c.Priority = "warn" }, want: []string{`priority: must be a syslog level name`}},
		{name: "boot", modify: func(c *Config) { c.Boot = "previous" }, want: []string{`boot: must be "current" or a 32-digit hex boot id, got "previous"`}},
		{
			name: "contradiction",
			modify: func(c *Config) {
				c.Matches = []map[string]string{{"PRIORITY": "6"}}
				c.Priority = "err"
			},
			want: []string{"matches: " + errNoEntryCanMatch.Error()},
		},
	}
	runValidateCases(t, tests)
}

func currentBootID(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(bootIDFile)
	require.NoError(t, err)
	return strings.ReplaceAll(strings.TrimSpace(string(b)), "-", "")
}

// filterEntry is one entry of the filter journal: its tag says which filters must
// let it through.
type filterEntry struct {
	tag    string
	fields []journaltest.Field
}

// TestReaderFilters writes entries that each filter key must and must not let
// through into a real journal file, and reads it through both readers.
func TestReaderFilters(t *testing.T) {
	boot := currentBootID(t)
	other := strings.Repeat("ab", 16)
	f := func(kv ...string) []journaltest.Field {
		var out []journaltest.Field
		for i := 0; i+1 < len(kv); i += 2 {
			out = append(out, journaltest.Field{Name: kv[i], Value: kv[i+1]})
		}
		return out
	}
	entries := []filterEntry{
		{"own", f("_SYSTEMD_UNIT", "legacyapp.service", "SYSLOG_IDENTIFIER", "legacyapp", "PRIORITY", "6", "_BOOT_ID", boot, "_PID", "42", "_UID", "1000")},
		{"own-err", f("_SYSTEMD_UNIT", "legacyapp.service", "SYSLOG_IDENTIFIER", "legacyapp", "PRIORITY", "3", "_BOOT_ID", other, "_PID", "42", "_UID", "1000")},
		{"pid1", f("_SYSTEMD_UNIT", "init.scope", "SYSLOG_IDENTIFIER", "systemd", "UNIT", "legacyapp.service", "PRIORITY", "4", "_BOOT_ID", boot, "_PID", "1", "_UID", "0")},
		{"object", f("_SYSTEMD_UNIT", "systemd-logind.service", "SYSLOG_IDENTIFIER", "systemd-logind", "OBJECT_SYSTEMD_UNIT", "legacyapp.service", "PRIORITY", "5", "_BOOT_ID", boot, "_PID", "300", "_UID", "0")},
		{"coredump", f("_SYSTEMD_UNIT", "systemd-coredump@0.service", "SYSLOG_IDENTIFIER", "systemd-coredump", "MESSAGE_ID", coredumpMessageID, "COREDUMP_UNIT", "legacyapp.service", "PRIORITY", "2", "_BOOT_ID", boot, "_PID", "400", "_UID", "0")},
		{"spoof-unit", f("_SYSTEMD_UNIT", "evil.service", "SYSLOG_IDENTIFIER", "legacyapp", "UNIT", "legacyapp.service", "OBJECT_SYSTEMD_UNIT", "legacyapp.service", "PRIORITY", "0", "_BOOT_ID", other, "_PID", "666", "_UID", "1000")},
		{"other", f("_SYSTEMD_UNIT", "billing.service", "SYSLOG_IDENTIFIER", "billing", "PRIORITY", "7", "_BOOT_ID", boot, "_PID", "43", "_UID", "1000")},
		{"other-err", f("_SYSTEMD_UNIT", "billing.service", "SYSLOG_IDENTIFIER", "billing", "PRIORITY", "3", "_BOOT_ID", boot, "_PID", "43", "_UID", "1000")},
	}
	file := filepath.Join(t.TempDir(), "filters.journal")
	journaltest.WriteFile(t, file, len(entries), func(i int) journaltest.Entry {
		e := entries[i]
		fields := append(f("SEQ", e.tag), e.fields...)
		return journaltest.Entry{Realtime: journaltest.Base.Add(time.Duration(i) * time.Millisecond), Fields: fields}
	})

	tests := []struct {
		name   string
		modify func(*Config)
		want   []string
	}{
		{name: "none", modify: func(*Config) {}, want: []string{"own", "own-err", "pid1", "object", "coredump", "spoof-unit", "other", "other-err"}},
		{name: "units", modify: func(c *Config) { c.Units = []string{"legacyapp.service"} }, want: []string{"own", "own-err", "pid1", "object", "coredump"}},
		{name: "two units", modify: func(c *Config) { c.Units = []string{"legacyapp.service", "billing.service"} }, want: []string{"own", "own-err", "pid1", "object", "coredump", "other", "other-err"}},
		{name: "identifiers", modify: func(c *Config) { c.Identifiers = []string{"legacyapp", "systemd"} }, want: []string{"own", "own-err", "pid1", "spoof-unit"}},
		{name: "priority name", modify: func(c *Config) { c.Priority = "err" }, want: []string{"own-err", "coredump", "spoof-unit", "other-err"}},
		{name: "priority number", modify: func(c *Config) { c.Priority = "4" }, want: []string{"own-err", "pid1", "coredump", "spoof-unit", "other-err"}},
		{name: "boot current", modify: func(c *Config) { c.Boot = bootCurrent }, want: []string{"own", "pid1", "object", "coredump", "other", "other-err"}},
		{name: "boot id", modify: func(c *Config) { c.Boot = other }, want: []string{"own-err", "spoof-unit"}},
		{
			name: "all combined",
			modify: func(c *Config) {
				c.Units, c.Priority, c.Boot = []string{"legacyapp.service", "billing.service"}, "warning", bootCurrent
			},
			want: []string{"pid1", "coredump", "other-err"},
		},
		{
			name: "with matches",
			modify: func(c *Config) {
				c.Matches = []map[string]string{{"_UID": "0"}, {"_PID": "43"}}
				c.Units = []string{"legacyapp.service"}
			},
			// _PID=43 is billing's: only systemd's messages about legacyapp are left.
			want: []string{"pid1", "object", "coredump"},
		},
		{
			name: "matches on a field a shortcut uses",
			modify: func(c *Config) {
				c.Matches = []map[string]string{{"PRIORITY": "3"}, {"PRIORITY": "6"}}
				c.Priority = "err"
				c.Identifiers = []string{"legacyapp"}
			},
			want: []string{"own-err"},
		},
	}
	for _, tt := range tests {
		for _, kind := range readerKinds {
			t.Run(tt.name+"/"+kind, func(t *testing.T) {
				cfg := validConfig()
				tt.modify(cfg)
				require.NoError(t, cfg.Validate())
				filter, err := buildFilter(cfg)
				require.NoError(t, err)
				r, _ := openTest(t, kind, readerOptions{files: []string{file}, startAt: startAtBeginning, filter: filter})
				var got []string
				last := time.Now()
				for time.Since(last) < time.Second && len(got) < len(entries) {
					ok, err := r.next(t.Context())
					require.NoError(t, err)
					if !ok {
						continue
					}
					last = time.Now()
					v, _ := r.Field("SEQ")
					got = append(got, string(v))
				}
				assert.Equal(t, tt.want, got)
				assert.True(t, slices.IsSorted(indexes(entries, got)), "journal order")
			})
		}
	}
}

func indexes(entries []filterEntry, tags []string) []int {
	var out []int
	for _, tag := range tags {
		out = append(out, slices.IndexFunc(entries, func(e filterEntry) bool { return e.tag == tag }))
	}
	return out
}
