package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"unicode"
)

// Result is one benchmark result line: a name, an iteration count and
// value/unit pairs (ns/op, B/op and every b.ReportMetric unit).
type Result struct {
	Pkg        string // the import path of the preceding "pkg:" line
	Name       string // without the -GOMAXPROCS suffix
	Procs      int    // GOMAXPROCS of the run (1 when the name has no suffix)
	Iterations int
	Values     map[string]float64
}

// Set is a parsed benchmark output: its configuration lines ("key: value",
// the last value of each key wins), the commands that produced it (every
// "command:" line, in order) and its results, in order.
type Set struct {
	Config   map[string]string
	Commands []string
	Results  []Result
}

// Parse reads benchmark output in the standard format
// (https://go.googlesource.com/proposal/+/master/design/14313-benchmark-format.md).
// Lines that are neither configuration nor results (PASS, ok, test logs,
// a benchmark's name printed alone before its log) are ignored. A result
// line that does not parse is an error naming its line.
func Parse(r io.Reader) (*Set, error) {
	s := &Set{Config: map[string]string{}}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64*1024), 1024*1024)
	pkg := ""
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		if key, value, ok := configLine(line); ok {
			switch key {
			case "pkg":
				pkg = value
			case "command":
				s.Commands = append(s.Commands, value)
			}
			s.Config[key] = value
			continue
		}
		res, ok, err := resultLine(line)
		if err != nil {
			return nil, fmt.Errorf("line %d: %w", n, err)
		}
		if ok {
			res.Pkg = pkg
			s.Results = append(s.Results, res)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read benchmark output: %w", err)
	}
	return s, nil
}

// configLine recognises "key: value", where key starts with a lower-case
// letter and holds no space or upper-case letter.
func configLine(line string) (key, value string, ok bool) {
	key, value, found := strings.Cut(line, ":")
	if !found || key == "" {
		return "", "", false
	}
	for i, r := range key {
		if (i == 0 && !unicode.IsLower(r)) || unicode.IsSpace(r) || unicode.IsUpper(r) {
			return "", "", false
		}
	}
	if value != "" && value[0] != ' ' && value[0] != '\t' {
		return "", "", false // "key:value" is not a configuration line (e.g. a URL)
	}
	return key, strings.TrimSpace(value), true
}

var errNoUnit = errors.New("value without a unit")

// resultLine parses "BenchmarkName-P  N  v1 unit1  v2 unit2 ...". A line
// that starts with Benchmark but has no iteration count is not a result.
func resultLine(line string) (Result, bool, error) {
	f := strings.Fields(line)
	if len(f) < 2 || !strings.HasPrefix(f[0], "Benchmark") {
		return Result{}, false, nil
	}
	iters, err := strconv.Atoi(f[1])
	if err != nil {
		return Result{}, false, nil //nolint:nilerr // a name printed alone, or a log line
	}
	if iters <= 0 {
		return Result{}, false, fmt.Errorf("%s: iteration count %d", f[0], iters)
	}
	res := Result{Iterations: iters, Values: map[string]float64{}}
	res.Name, res.Procs = splitProcs(f[0])
	pairs := f[2:]
	if len(pairs)%2 != 0 {
		return Result{}, false, fmt.Errorf("%s: %q: %w", f[0], pairs[len(pairs)-1], errNoUnit)
	}
	for i := 0; i < len(pairs); i += 2 {
		v, err := strconv.ParseFloat(pairs[i], 64)
		if err != nil {
			return Result{}, false, fmt.Errorf("%s: value %q of %s: %w", f[0], pairs[i], pairs[i+1], err)
		}
		res.Values[pairs[i+1]] = v
	}
	return res, true, nil
}

// splitProcs cuts the -GOMAXPROCS suffix the testing package appends when
// GOMAXPROCS is not 1.
func splitProcs(name string) (string, int) {
	i := strings.LastIndexByte(name, '-')
	if i < 0 || i == len(name)-1 {
		return name, 1
	}
	p, err := strconv.Atoi(name[i+1:])
	if err != nil || p <= 0 || strings.ContainsAny(name[i+1:], "+") {
		return name, 1
	}
	return name[:i], p
}

// Stats are the median, minimum and maximum of one figure across runs.
type Stats struct {
	Median, Min, Max float64
	Runs             int
}

// Figure returns the stats of unit over every result of the benchmark name
// in a package whose import path is pkg or ends in "/"+pkg.
func (s *Set) Figure(pkg, name, unit string) (Stats, bool) {
	var vs []float64
	for _, r := range s.Results {
		if r.Name != name || (r.Pkg != pkg && !strings.HasSuffix(r.Pkg, "/"+pkg)) {
			continue
		}
		if v, ok := r.Values[unit]; ok {
			vs = append(vs, v)
		}
	}
	if len(vs) == 0 {
		return Stats{}, false
	}
	slices.Sort(vs)
	st := Stats{Min: vs[0], Max: vs[len(vs)-1], Runs: len(vs)}
	if m := len(vs) / 2; len(vs)%2 == 1 {
		st.Median = vs[m]
	} else {
		st.Median = (vs[m-1] + vs[m]) / 2
	}
	return st, true
}
