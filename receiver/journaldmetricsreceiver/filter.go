package journaldmetricsreceiver // import "github.com/otelcol-diagnostics/otelcol-diagnostics/receiver/journaldmetricsreceiver"

import (
	"errors"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
)

// Values of boot.
const bootCurrent = "current"

// bootIDFile holds the id of the running kernel's boot, dashed.
const bootIDFile = "/proc/sys/kernel/random/boot_id"

// coredumpMessageID is systemd-coredump's MESSAGE_ID.
const coredumpMessageID = "fc2e22bc6ee647b6b90729ab34a250b1"

// priorityNames are syslog's level names as journalctl --priority accepts them.
var priorityNames = []string{"emerg", "alert", "crit", "err", "warning", "notice", "info", "debug"}

// errNoEntryCanMatch marks a filter whose parts contradict each other.
var errNoEntryCanMatch = errors.New("matches and the filter shortcuts (units, identifiers, priority, boot) exclude every entry")

// matchGroup is a conjunction of fields, each of which must hold one of its values.
type matchGroup map[string][]string

// journalFilter is a disjunction of groups: the shape both sd_journal_add_match
// (terms of one field ORed, of different fields ANDed, groups split by
// sd_journal_add_disjunction) and journalctl's match arguments ("+" between
// groups) express. nil matches every entry.
type journalFilter []matchGroup

// and is the filter of the entries both f and g match. Groups are multiplied out;
// a field both groups restrict keeps the values they share, and a pair sharing
// none is dropped: it matches nothing. The result of two non-nil filters may be
// empty, which matches nothing (errNoEntryCanMatch).
func (f journalFilter) and(g journalFilter) journalFilter {
	if f == nil {
		return g
	}
	if g == nil {
		return f
	}
	out := journalFilter{}
	for _, a := range f {
	pairs:
		for _, b := range g {
			m := make(matchGroup, len(a)+len(b))
			for k, v := range a {
				m[k] = v
			}
			for k, v := range b {
				prev, ok := m[k]
				if !ok {
					m[k] = v
					continue
				}
				var both []string
				for _, x := range v {
					if slices.Contains(prev, x) {
						both = append(both, x)
					}
				}
				if len(both) == 0 {
					continue pairs
				}
				m[k] = both
			}
			out = append(out, m)
		}
	}
	return out
}

// terms renders the filter as FIELD=value terms per group, in a stable order.
func (f journalFilter) terms() [][]string {
	groups := make([][]string, 0, len(f))
	for _, g := range f {
		var terms []string
		for k, vs := range g {
			for _, v := range vs {
				terms = append(terms, k+"="+v)
			}
		}
		slices.Sort(terms)
		terms = slices.Compact(terms)
		groups = append(groups, terms)
	}
	return groups
}

// unitFilter selects a unit's own entries and systemd's entries about it, as
// `journalctl --unit` does: _SYSTEMD_UNIT; coredumps of the unit; PID 1's
// messages (UNIT); and those of privileged daemons (OBJECT_SYSTEMD_UNIT). The
// sender checks keep an unprivileged process from posing as systemd.
func unitFilter(units []string) journalFilter {
	if len(units) == 0 {
		return nil
	}
	return journalFilter{
		{"_SYSTEMD_UNIT": units},
		{"MESSAGE_ID": {coredumpMessageID}, "_UID": {"0"}, "COREDUMP_UNIT": units},
		{"_PID": {"1"}, "UNIT": units},
		{"_UID": {"0"}, "OBJECT_SYSTEMD_UNIT": units},
	}
}

// matchesFilter is the filter of matches: an OR of AND-groups of single values.
func matchesFilter(matches []map[string]string) journalFilter {
	if len(matches) == 0 {
		return nil
	}
	f := make(journalFilter, 0, len(matches))
	for _, group := range matches {
		g := make(matchGroup, len(group))
		for k, v := range group {
			g[k] = []string{v}
		}
		f = append(f, g)
	}
	return f
}

// parsePriority turns a level name or number into 0-7.
func parsePriority(s string) (int, error) {
	if i := slices.Index(priorityNames, strings.ToLower(s)); i >= 0 {
		return i, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 || n > 7 {
		return 0, fmt.Errorf("must be a syslog level name (%s) or a number 0-7, got %q", strings.Join(priorityNames, ", "), s)
	}
	return n, nil
}

// priorityFilter selects entries of level p and more severe (lower numbers).
func priorityFilter(p int) journalFilter {
	vals := make([]string, p+1)
	for i := range vals {
		vals[i] = strconv.Itoa(i)
	}
	return journalFilter{{"PRIORITY": vals}}
}

// staticFilter is the filter cfg sets without asking the system: matches, units,
// identifiers and priority.
func staticFilter(cfg *Config) journalFilter {
	f := matchesFilter(cfg.Matches).and(unitFilter(cfg.Units))
	if len(cfg.Identifiers) > 0 {
		f = f.and(journalFilter{{"SYSLOG_IDENTIFIER": cfg.Identifiers}})
	}
	if cfg.Priority != "" {
		if p, err := parsePriority(cfg.Priority); err == nil {
			f = f.and(priorityFilter(p))
		}
	}
	return f
}

// buildFilter is the whole filter of cfg; boot: current reads the running boot's id.
func buildFilter(cfg *Config) (journalFilter, error) {
	f := staticFilter(cfg)
	if cfg.Boot != "" {
		id := cfg.Boot
		if id == bootCurrent {
			b, err := os.ReadFile(bootIDFile)
			if err != nil {
				return nil, fmt.Errorf("read the current boot id (boot): %w", err)
			}
			id = strings.ReplaceAll(strings.TrimSpace(string(b)), "-", "")
		}
		f = f.and(journalFilter{{"_BOOT_ID": {id}}})
	}
	if f != nil && len(f) == 0 {
		return nil, errNoEntryCanMatch
	}
	return f, nil
}

// validateFilter checks the filter keys; key names the problem.
func validateFilter(cfg *Config, add func(key, format string, args ...any)) {
	for i, u := range cfg.Units {
		key := fmt.Sprintf("units[%d]", i)
		switch {
		case u == "":
			add(key, "must not be empty")
		case strings.ContainsAny(u, "*?["):
			add(key, "%q: patterns are not supported, name each unit", u)
		case strings.ContainsFunc(u, func(r rune) bool { return r <= ' ' || r == '/' }):
			add(key, "%q is not a unit name", u)
		case !strings.Contains(u, "."):
			add(key, "%q needs its type suffix, e.g. %q", u, u+".service")
		}
	}
	for i, id := range cfg.Identifiers {
		if id == "" {
			add(fmt.Sprintf("identifiers[%d]", i), "must not be empty")
		}
	}
	if cfg.Priority != "" {
		if _, err := parsePriority(cfg.Priority); err != nil {
			add("priority", "%v", err)
		}
	}
	if cfg.Boot != "" && cfg.Boot != bootCurrent && !isBootID(cfg.Boot) {
		add("boot", "must be %q or a 32-digit hex boot id, got %q", bootCurrent, cfg.Boot)
	}
	if f := staticFilter(cfg); f != nil && len(f) == 0 {
		add("matches", "%v", errNoEntryCanMatch)
	}
}

func isBootID(s string) bool {
	if len(s) != 32 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}
