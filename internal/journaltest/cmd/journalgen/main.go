// Command journalgen writes the synthetic journal workload of the tests as a
// Journal Export Format stream on stdout, for systemd-journal-remote to turn
// into journal files (scripts/bench-journal.sh).
package main

import (
	"bufio"
	"flag"
	"fmt"
	"os"

	"github.com/otelcol-diagnostics/otelcol-diagnostics/internal/journaltest"
)

func main() {
	n := flag.Int("n", 500_000, "number of entries")
	flag.Parse()
	w := bufio.NewWriterSize(os.Stdout, 1<<20)
	x := journaltest.NewExportWriter(w)
	gen := journaltest.Synthetic(0)
	for i := range *n {
		if err := x.Write(gen(i)); err != nil {
			fmt.Fprintln(os.Stderr, "journalgen:", err)
			os.Exit(1)
		}
	}
	if err := x.Flush(); err != nil {
		fmt.Fprintln(os.Stderr, "journalgen:", err)
		os.Exit(1)
	}
	if err := w.Flush(); err != nil {
		fmt.Fprintln(os.Stderr, "journalgen:", err)
		os.Exit(1)
	}
}
