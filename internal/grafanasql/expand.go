package grafanasql

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Variable is a dashboard template variable's current value.
type Variable struct {
	Values []string
	// Multi is true for multi-value or include-all variables: Grafana quotes
	// their values as SQL literals; single-value variables go in raw.
	Multi bool
}

// Request is what Grafana knows when it runs a panel query.
type Request struct {
	From, To time.Time
	Interval time.Duration // the panel's $__interval
	Vars     map[string]Variable
}

var (
	// Matches $name, ${name}, ${name:format} and [[name]] like Grafana's template service.
	varExpr   = regexp.MustCompile(`\$(\w+)|\$\{(\w+)(?::(\w+))?\}|\[\[(\w+)\]\]`)
	macroExpr = regexp.MustCompile(`\$(__\w+)\(([^)]*)\)`)
)

// ErrUnknownVariable is returned for a template variable the request lacks.
var ErrUnknownVariable = errors.New("unknown template variable")

// Expand returns sql as Grafana sends it to PostgreSQL: template variables
// first (frontend), then the backend's interval and time macros.
func Expand(sql string, r Request) (string, error) {
	out, err := expandVariables(sql, r)
	if err != nil {
		return "", err
	}
	return expandMacros(out, r)
}

func expandVariables(sql string, r Request) (string, error) {
	var firstErr error
	out := varExpr.ReplaceAllStringFunc(sql, func(m string) string {
		g := varExpr.FindStringSubmatch(m)
		name, format := g[1]+g[2]+g[4], g[3]
		if strings.HasPrefix(name, "__") {
			if v, ok := builtin(name, r); ok {
				return v
			}
			return m // a macro such as $__timeFilter(...), expanded later
		}
		v, ok := r.Vars[name]
		if !ok {
			if firstErr == nil {
				firstErr = fmt.Errorf("%w %q", ErrUnknownVariable, name)
			}
			return m
		}
		return formatVariable(v, format)
	})
	return out, firstErr
}

func builtin(name string, r Request) (string, bool) {
	switch name {
	case "__interval":
		return formatInterval(r.Interval), true
	case "__interval_ms":
		return strconv.FormatInt(r.Interval.Milliseconds(), 10), true
	case "__range_s":
		return strconv.FormatInt(int64(r.To.Sub(r.From).Seconds()), 10), true
	case "__range_ms":
		return strconv.FormatInt(r.To.Sub(r.From).Milliseconds(), 10), true
	case "__from":
		return strconv.FormatInt(r.From.UnixMilli(), 10), true
	case "__to":
		return strconv.FormatInt(r.To.UnixMilli(), 10), true
	}
	return "", false
}

func formatVariable(v Variable, format string) string {
	switch format {
	case "csv":
		return strings.Join(v.Values, ",")
	case "raw":
		return strings.Join(v.Values, ",")
	case "singlequote", "sqlstring":
		return quoteAll(v.Values)
	case "doublequote":
		q := make([]string, len(v.Values))
		for i, s := range v.Values {
			q[i] = `"` + strings.ReplaceAll(s, `"`, `\"`) + `"`
		}
		return strings.Join(q, ",")
	}
	if v.Multi {
		return quoteAll(v.Values)
	}
	return strings.Join(v.Values, ",")
}

func quoteAll(values []string) string {
	q := make([]string, len(values))
	for i, s := range values {
		q[i] = "'" + strings.ReplaceAll(s, "'", "''") + "'"
	}
	return strings.Join(q, ",")
}

// formatInterval writes a duration the way Grafana's $__interval reads: 500ms, 30s, 5m, 2h, 1d.
func formatInterval(d time.Duration) string {
	switch {
	case d <= 0:
		return "1s"
	case d%(24*time.Hour) == 0:
		return strconv.FormatInt(int64(d/(24*time.Hour)), 10) + "d"
	case d%time.Hour == 0:
		return strconv.FormatInt(int64(d/time.Hour), 10) + "h"
	case d%time.Minute == 0:
		return strconv.FormatInt(int64(d/time.Minute), 10) + "m"
	case d%time.Second == 0:
		return strconv.FormatInt(int64(d/time.Second), 10) + "s"
	}
	return strconv.FormatInt(d.Milliseconds(), 10) + "ms"
}
