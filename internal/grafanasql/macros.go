package grafanasql

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

func expandMacros(sql string, r Request) (string, error) {
	var firstErr error
	out := macroExpr.ReplaceAllStringFunc(sql, func(m string) string {
		g := macroExpr.FindStringSubmatch(m)
		name := g[1]
		var args []string
		if strings.TrimSpace(g[2]) != "" {
			for a := range strings.SplitSeq(g[2], ",") {
				args = append(args, strings.TrimSpace(a))
			}
		}
		res, err := macro(name, args, r)
		if err != nil {
			if firstErr == nil {
				firstErr = err
			}
			return m
		}
		return res
	})
	return out, firstErr
}

func macro(name string, args []string, r Request) (string, error) {
	from, to := r.From.UTC(), r.To.UTC()
	column := func() (string, error) {
		if len(args) == 0 {
			return "", fmt.Errorf("macro $%s needs a column argument", name)
		}
		return args[0], nil
	}
	switch name {
	case "__time":
		c, err := column()
		return c + ` AS "time"`, err
	case "__timeEpoch":
		c, err := column()
		return `extract(epoch from ` + c + `) as "time"`, err
	case "__timeFilter":
		c, err := column()
		return fmt.Sprintf("%s BETWEEN '%s' AND '%s'", c, from.Format(time.RFC3339Nano), to.Format(time.RFC3339Nano)), err
	case "__timeFrom":
		return "'" + from.Format(time.RFC3339Nano) + "'", nil
	case "__timeTo":
		return "'" + to.Format(time.RFC3339Nano) + "'", nil
	case "__unixEpochFrom":
		return strconv.FormatInt(from.Unix(), 10), nil
	case "__unixEpochTo":
		return strconv.FormatInt(to.Unix(), 10), nil
	case "__unixEpochFilter":
		c, err := column()
		return fmt.Sprintf("%s >= %d AND %s <= %d", c, from.Unix(), c, to.Unix()), err
	case "__timeGroup", "__timeGroupAlias":
		if len(args) < 2 {
			return "", fmt.Errorf("macro $%s needs a column and an interval", name)
		}
		d, err := parseInterval(strings.Trim(args[1], "'"), r.Interval)
		if err != nil {
			return "", fmt.Errorf("macro $%s: %w", name, err)
		}
		s := strconv.FormatFloat(d.Seconds(), 'f', -1, 64)
		expr := fmt.Sprintf("floor(extract(epoch from %s)/%s)*%s", args[0], s, s)
		if name == "__timeGroupAlias" {
			expr += ` AS "time"`
		}
		return expr, nil
	}
	return "", fmt.Errorf("unknown macro $%s", name)
}

// parseInterval reads Grafana interval strings (30s, 5m, 1h, 1d, 1w) and $__interval.
func parseInterval(s string, panel time.Duration) (time.Duration, error) {
	if s == "$__interval" || s == "auto" {
		return panel, nil
	}
	if n, unit := strings.TrimRight(s, "dwy"), strings.TrimLeft(s, "0123456789"); unit == "d" || unit == "w" || unit == "y" {
		v, err := strconv.Atoi(n)
		if err != nil {
			return 0, fmt.Errorf("interval %q: %w", s, err)
		}
		day := 24 * time.Hour
		return map[string]time.Duration{"d": day, "w": 7 * day, "y": 365 * day}[unit] * time.Duration(v), nil
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("interval %q: %w", s, err)
	}
	return d, nil
}
