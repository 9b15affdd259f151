// Command benchreport reads `go test -bench` output on stdin (several
// -count runs of the component benchmarks, with their b.ReportMetric units),
// takes the median of each figure across runs and prints one Markdown table
// of the figures beside their anchors and targets, headed by the
// date, the machine, the load average and the command. `make bench` runs it.
package main
