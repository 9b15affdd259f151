package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"runtime"
	"strings"
	"time"
)

func main() {
	if err := run(os.Args[1:], os.Stdin, os.Stdout, time.Now()); err != nil {
		fmt.Fprintln(os.Stderr, "benchreport:", err)
		os.Exit(1)
	}
}

func run(args []string, in io.Reader, out io.Writer, now time.Time) error {
	fs := flag.NewFlagSet("benchreport", flag.ContinueOnError)
	proc := fs.String("proc", "/proc", "where to read cpuinfo, kernel release and load average")
	cpus := fs.Int("cpus", runtime.NumCPU(), "CPUs available (what nproc prints)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	s, err := Parse(in)
	if err != nil {
		return err
	}
	if len(s.Results) == 0 {
		return fmt.Errorf("no benchmark results on stdin")
	}
	m, err := readMachine(*proc, *cpus)
	if err != nil {
		return err
	}
	load, err := readLoad(*proc)
	if err != nil {
		return err
	}
	missing, err := Write(out, Header{Date: now, Machine: m, LoadNote: loadNote(s, load)}, s)
	if err != nil {
		return err
	}
	if len(missing) > 0 {
		return fmt.Errorf("figures missing from the benchmark output: %s", strings.Join(missing, "; "))
	}
	return nil
}
