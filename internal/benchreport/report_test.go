package main

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden from the current output")

var reportTime = time.Date(2026, 11, 24, 15, 40, 0, 0, time.UTC)

// TestReportGolden runs the command on a captured `make bench` output and
// compares the table with testdata/report.golden.md.
func TestReportGolden(t *testing.T) {
	in, err := os.Open(filepath.Join("testdata", "bench.txt"))
	require.NoError(t, err)
	t.Cleanup(func() { assert.NoError(t, in.Close()) })
	var out bytes.Buffer
	require.NoError(t, run([]string{"-proc", filepath.Join("testdata", "proc"), "-cpus", "2"}, in, &out, reportTime))

	golden := filepath.Join("testdata", "report.golden.md")
	if *update {
		require.NoError(t, os.WriteFile(golden, out.Bytes(), 0o600))
	}
	want, err := os.ReadFile(golden)
	require.NoError(t, err)
	assert.Equal(t, string(want), out.String())
}

func TestRunFailures(t *testing.T) {
	full, err := os.ReadFile(filepath.Join("testdata", "bench.txt"))
	require.NoError(t, err)
	withoutWebhook := strings.Join(filterLines(string(full), "BenchmarkWebhook"), "\n")
	tests := []struct {
		name    string
		args    []string
		in      string
		wantErr string
		wantOut string
	}{
		{name: "empty input", in: "PASS\n", wantErr: "no benchmark results on stdin"},
		{name: "bad result line", in: "BenchmarkX-2 1 x ns/op\n", wantErr: "line 1: BenchmarkX-2"},
		{
			name: "missing figure: table printed, then an error", in: withoutWebhook,
			wantErr: "figures missing from the benchmark output: webhook deliveries",
			wantOut: "| webhook deliveries (signed `workflow_run`, 20 KB), 1 CPU | not measured |",
		},
		{name: "no proc", args: []string{"-proc", t.TempDir()}, in: string(full), wantErr: "read cpu model"},
		{name: "unknown flag", args: []string{"-bogus"}, in: string(full), wantErr: "flag provided but not defined"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := tt.args
			if args == nil {
				args = []string{"-proc", filepath.Join("testdata", "proc")}
			}
			var out bytes.Buffer
			err := run(args, strings.NewReader(tt.in), &out, reportTime)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.wantErr)
			assert.Contains(t, out.String(), tt.wantOut)
		})
	}
}

func filterLines(s, drop string) []string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if !strings.Contains(l, drop) {
			out = append(out, l)
		}
	}
	return out
}

func TestMachine(t *testing.T) {
	m, err := readMachine(filepath.Join("testdata", "proc"), 2)
	require.NoError(t, err)
	assert.Equal(t, Machine{CPUs: 2, Model: "AMD EPYC 7B13", Kernel: "6.1.0-test-amd64"}, m)
	load, err := readLoad(filepath.Join("testdata", "proc"))
	require.NoError(t, err)
	assert.Equal(t, "0.50 0.65 1.75", load)

	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "loadavg"), []byte("1.0\n"), 0o600))
	_, err = readLoad(dir)
	assert.ErrorContains(t, err, "unexpected")
}

func TestLoadNote(t *testing.T) {
	tests := []struct {
		name string
		cfg  map[string]string
		want string
	}{
		{"both", map[string]string{"load-start": "1 2 3", "load-end": "4 5 6"}, "1 2 3 before the benchmarks, 4 5 6 after them"},
		{"none: the load now", map[string]string{}, "0.1 0.2 0.3 when the report was written"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, loadNote(&Set{Config: tt.cfg}, "0.1 0.2 0.3"))
		})
	}
}

func TestSI(t *testing.T) {
	for v, want := range map[float64]string{812: "812", 5321: "5.3k", 283_456: "283k", 1_254_000: "1.25M"} {
		assert.Equal(t, want, si(v))
	}
}
