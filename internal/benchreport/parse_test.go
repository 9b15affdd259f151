package main

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestResultLine(t *testing.T) {
	tests := []struct {
		name    string
		line    string
		want    Result
		isRes   bool
		wantErr string
	}{
		{
			name:  "custom units and procs suffix",
			line:  "BenchmarkIntegrationTraces/exporter-2         \t      20\t 275734411 ns/op\t     29014 spans/s\t 1234 B/op\t 56 allocs/op",
			want:  Result{Name: "BenchmarkIntegrationTraces/exporter", Procs: 2, Iterations: 20, Values: map[string]float64{"ns/op": 275734411, "spans/s": 29014, "B/op": 1234, "allocs/op": 56}},
			isRes: true,
		},
		{
			name:  "-cpu 1 has no suffix, sub-benchmark names keep their dashes",
			line:  "BenchmarkRead/journalctl-o-cat \t 3\t 520000000 ns/op\t 481234 entries/s",
			want:  Result{Name: "BenchmarkRead/journalctl-o-cat", Procs: 1, Iterations: 3, Values: map[string]float64{"ns/op": 520000000, "entries/s": 481234}},
			isRes: true,
		},
		{
			name:  "fractions and exponents",
			line:  "BenchmarkPollRealisticHistory-2 1 9.5e+09 ns/op 137.0 attempts 1.000 idle-304-share 3.467 requests/attempt",
			want:  Result{Name: "BenchmarkPollRealisticHistory", Procs: 2, Iterations: 1, Values: map[string]float64{"ns/op": 9.5e9, "attempts": 137, "idle-304-share": 1, "requests/attempt": 3.467}},
			isRes: true,
		},
		{name: "name printed alone before a log", line: "BenchmarkRead/sdjournal"},
		{name: "name followed by a log", line: "BenchmarkRead/sdjournal    benchmark_test.go:12: hello"},
		{name: "not a benchmark", line: "ok  \tgithub.com/x/y\t12.3s"},
		{name: "fail line", line: "--- FAIL: BenchmarkRead/sdjournal"},
		{name: "value without unit", line: "BenchmarkX-2 10 123 ns/op 5", wantErr: "value without a unit"},
		{name: "value not a number", line: "BenchmarkX-2 10 fast ns/op", wantErr: `value "fast" of ns/op`},
		{name: "zero iterations", line: "BenchmarkX-2 0 1 ns/op", wantErr: "iteration count 0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok, err := resultLine(tt.line)
			if tt.wantErr != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tt.wantErr)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.isRes, ok)
			if tt.isRes {
				assert.Equal(t, tt.want, got)
			}
		})
	}
}

func TestConfigLine(t *testing.T) {
	tests := []struct {
		line, key, value string
		ok               bool
	}{
		{"goos: linux", "goos", "linux", true},
		{"pkg: github.com/a/b", "pkg", "github.com/a/b", true},
		{"cpu: AMD EPYC 7B13", "cpu", "AMD EPYC 7B13", true},
		{"load-start: 0.50 0.65 1.75", "load-start", "0.50 0.65 1.75", true},
		{"command: go test -run '^$' ./x/", "command", "go test -run '^$' ./x/", true},
		{"Goos: linux", "", "", false},
		{"some key: value", "", "", false},
		{"    benchmark_test.go:12: log", "", "", false},
		{"http://host:80/", "", "", false},
		{"PASS", "", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.line, func(t *testing.T) {
			k, v, ok := configLine(tt.line)
			assert.Equal(t, tt.ok, ok)
			assert.Equal(t, tt.key, k)
			assert.Equal(t, tt.value, v)
		})
	}
}

func TestParseErrorNamesTheLine(t *testing.T) {
	_, err := Parse(strings.NewReader("goos: linux\nBenchmarkA-2 1 1 ns/op\nBenchmarkB-2 1 x ns/op\n"))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "line 3: BenchmarkB-2")
}

func TestFigureMedians(t *testing.T) {
	in := `pkg: example.com/m/receiver/a
BenchmarkR-2 1 1 ns/op 30 x/s
BenchmarkR-2 1 1 ns/op 10 x/s
BenchmarkR-2 1 1 ns/op 20 x/s
pkg: example.com/m/receiver/b
BenchmarkR-2 1 1 ns/op 7 x/s
BenchmarkR-2 1 1 ns/op 1 x/s
command: go test ./receiver/a/
command: go test ./receiver/b/
`
	s, err := Parse(strings.NewReader(in))
	require.NoError(t, err)
	assert.Equal(t, []string{"go test ./receiver/a/", "go test ./receiver/b/"}, s.Commands)

	tests := []struct {
		pkg, name, unit string
		want            Stats
		ok              bool
	}{
		{"receiver/a", "BenchmarkR", "x/s", Stats{Median: 20, Min: 10, Max: 30, Runs: 3}, true},
		{"example.com/m/receiver/a", "BenchmarkR", "x/s", Stats{Median: 20, Min: 10, Max: 30, Runs: 3}, true},
		{"receiver/b", "BenchmarkR", "x/s", Stats{Median: 4, Min: 1, Max: 7, Runs: 2}, true},
		{"a", "BenchmarkR", "y/s", Stats{}, false},
		{"receiver/c", "BenchmarkR", "x/s", Stats{}, false},
		{"ceiver/a", "BenchmarkR", "x/s", Stats{}, false},
	}
	for _, tt := range tests {
		t.Run(tt.pkg+"/"+tt.unit, func(t *testing.T) {
			got, ok := s.Figure(tt.pkg, tt.name, tt.unit)
			assert.Equal(t, tt.ok, ok)
			assert.Equal(t, tt.want, got)
		})
	}
}

func FuzzParse(f *testing.F) {
	f.Add("goos: linux\npkg: a/b\nBenchmarkX-2 \t 10\t 5 ns/op\t 3.5 entries/s\nPASS\n")
	f.Add("BenchmarkRead/journalctl-o-cat 3 1 ns/op 4 entries/s\n")
	f.Add("BenchmarkX-2 1 1\n")
	f.Add("BenchmarkX--1 1 NaN ns/op\n")
	f.Add("command: go test -run '^$'\nload-start: 1 2 3\n")
	f.Fuzz(func(t *testing.T, in string) {
		s, err := Parse(strings.NewReader(in))
		if err != nil {
			return
		}
		for _, r := range s.Results {
			if !strings.HasPrefix(r.Name, "Benchmark") || r.Iterations <= 0 || r.Procs <= 0 {
				t.Fatalf("bad result %+v from %q", r, in)
			}
		}
	})
}
