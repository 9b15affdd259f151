package main

import (
	"fmt"
	"io"
	"math"
	"strings"
	"time"
)

// figure names one reported value: a unit of a benchmark in a package.
type figure struct {
	pkg, bench, unit string
}

const (
	pkgJournald = "receiver/journaldmetricsreceiver"
	pkgGitHub   = "receiver/githubworkflowreceiver"
	pkgPostgres = "exporter/postgresexporter"
)

// target is a bound a figure must meet: at least (min) or at most.
type target struct {
	text  string
	atMin bool
	bound float64
}

func (t target) met(v float64) bool {
	if t.atMin {
		return v >= t.bound
	}
	return v <= t.bound
}

// row is one line of the table: a figure, or the ratio of two figures'
// medians when of is set.
type row struct {
	label  string
	fig    figure
	of     *figure // ratio fig / of
	format func(float64) string
	unit   string // after the median, not after the range
	anchor string
	target *target
}

var (
	sdjournal   = figure{pkgJournald, "BenchmarkRead/sdjournal", "entries/s"}
	journalctlR = figure{pkgJournald, "BenchmarkRead/journalctl", "entries/s"}
	catAnchor   = figure{pkgJournald, "BenchmarkRead/journalctl-o-cat", "entries/s"}
	jsonAnchor  = figure{pkgJournald, "BenchmarkRead/journalctl-o-json", "entries/s"}
	spansOne    = figure{pkgPostgres, "BenchmarkIntegrationTraces/exporter", "spans/s"}
	spansPar    = figure{pkgPostgres, "BenchmarkIntegrationTraces/exporter_parallel", "spans/s"}
	spansRaw    = figure{pkgPostgres, "BenchmarkIntegrationTraces/raw_server_copy", "spans/s"}
	pointsOne   = figure{pkgPostgres, "BenchmarkIntegrationMetrics/exporter", "points/s"}
	pointsPar   = figure{pkgPostgres, "BenchmarkIntegrationMetrics/exporter_parallel", "points/s"}
	pointsRaw   = figure{pkgPostgres, "BenchmarkIntegrationMetrics/raw_server_copy", "points/s"}
	pollReqs    = figure{pkgGitHub, "BenchmarkPollRealisticHistory/polling", "requests/attempt"}
	pollJobs    = figure{pkgGitHub, "BenchmarkPollRealisticHistory/polling", "jobs-requests/attempt"}
	pollExcl    = figure{pkgGitHub, "BenchmarkPollRealisticHistory/polling", "requests/attempt-excl-pagination"}
	hookExcl    = figure{pkgGitHub, "BenchmarkPollRealisticHistory/polling+webhooks", "requests/attempt-excl-pagination"}
	pollLists   = figure{pkgGitHub, "BenchmarkPollRealisticHistory/polling", "listings/attempt"}
	poll304     = figure{pkgGitHub, "BenchmarkPollRealisticHistory/polling", "idle-304-share"}
	hookReqs    = figure{pkgGitHub, "BenchmarkPollRealisticHistory/polling+webhooks", "requests/attempt"}
	hook304     = figure{pkgGitHub, "BenchmarkPollRealisticHistory/polling+webhooks", "idle-304-share"}
	webhook     = figure{pkgGitHub, "BenchmarkWebhook", "deliveries/s"}
)

func times(v float64) string   { return fmt.Sprintf("%.1f×", v) }
func percent(v float64) string { return fmt.Sprintf("%.0f%%", 100*v) }
func plain(v float64) string   { return fmt.Sprintf("%.3f", v) }

// si writes a rate the way the READMEs do: 283k, 1.25M, 5.3k, 812.
func si(v float64) string {
	switch a := math.Abs(v); {
	case a >= 1e6:
		return fmt.Sprintf("%.2fM", v/1e6)
	case a >= 1e4:
		return fmt.Sprintf("%.0fk", v/1e3)
	case a >= 1e3:
		return fmt.Sprintf("%.1fk", v/1e3)
	default:
		return fmt.Sprintf("%.0f", v)
	}
}

// rows are the benchmarked figures with their anchors and targets (docs/benchmarks.md).
var rows = []row{
	{
		label: "journaldmetrics, `sdjournal` reader, 3 rules, 1 CPU", fig: sdjournal, format: si, unit: "entries/s",
		target: &target{"≥ 250k entries/s", true, 250e3},
	},
	{
		label: "journaldmetrics, `journalctl` reader, 3 rules, 1 CPU", fig: journalctlR, format: si, unit: "entries/s",
		anchor: "`journalctl -o export`: ~260k entries/s",
	},
	{
		label: "`journalctl -o cat` (libsystemd's own loop)", fig: catAnchor, format: si, unit: "entries/s",
		anchor: "~540k entries/s",
	},
	{
		label: "`journalctl -o json` (contrib journald receiver's input)", fig: jsonAnchor, format: si, unit: "entries/s",
		anchor: "contrib journaldreceiver → count connector: ~51k entries/s",
	},
	{
		label: "`sdjournal` reader ÷ `journalctl -o json`", fig: sdjournal, of: &jsonAnchor, format: times,
		target: &target{"≥ 5× the contrib path", true, 5},
	},
	{
		label: "postgres exporter, spans, 1 connection", fig: spansOne, format: si, unit: "spans/s",
		anchor: "pgx COPY, 1 connection: ~59k spans/s (lean: ~143k)",
	},
	{label: "postgres exporter, spans, GOMAXPROCS writers", fig: spansPar, format: si, unit: "spans/s"},
	{label: "raw server-side `COPY` of the same spans, 1 connection", fig: spansRaw, format: si, unit: "spans/s"},
	{
		label: "exporter (1 connection) ÷ raw `COPY`, spans", fig: spansOne, of: &spansRaw, format: percent,
		target: &target{"≥ 50%", true, 0.5},
	},
	{
		label: "exporter (GOMAXPROCS writers) ÷ raw `COPY`, spans", fig: spansPar, of: &spansRaw, format: percent,
		target: &target{"≥ 50%", true, 0.5},
	},
	{
		label: "postgres exporter, metric points, 1 connection", fig: pointsOne, format: si, unit: "points/s",
		anchor: "pgx COPY, 1 connection: ~357k points/s",
	},
	{label: "postgres exporter, metric points, GOMAXPROCS writers", fig: pointsPar, format: si, unit: "points/s"},
	{label: "raw server-side `COPY` of the same points, 1 connection", fig: pointsRaw, format: si, unit: "points/s"},
	{
		label: "exporter (1 connection) ÷ raw `COPY`, points", fig: pointsOne, of: &pointsRaw, format: percent,
		target: &target{"≥ 50%", true, 0.5},
	},
	{
		label: "exporter (GOMAXPROCS writers) ÷ raw `COPY`, points", fig: pointsPar, of: &pointsRaw, format: percent,
		target: &target{"≥ 50%", true, 0.5},
	},
	{
		label: "GitHub API requests per completed attempt, polling (8 h of CI on 3 repositories, 60 s polls)", fig: pollReqs, format: plain,
		target: &target{"≤ 1.1", false, 1.1},
	},
	{
		label: "the same, not counting later pages", fig: pollExcl, format: plain,
		target: &target{"≤ 1.1", false, 1.1},
	},
	{label: "of which run listings", fig: pollLists, format: plain},
	{label: "of which jobs (each attempt's jobs fetched once, + pages)", fig: pollJobs, format: plain},
	{
		label: "GitHub API requests per completed attempt, polling + webhooks", fig: hookReqs, format: plain,
		target: &target{"≤ 1.1", false, 1.1},
	},
	{
		label: "the same, not counting later pages", fig: hookExcl, format: plain,
		target: &target{"≤ 1.1", false, 1.1},
	},
	{
		label: "idle repository's polls answered 304, polling", fig: poll304, format: percent,
		target: &target{"all (100%)", true, 1},
	},
	{
		label: "idle repository's polls answered 304, polling + webhooks", fig: hook304, format: percent,
		target: &target{"all (100%)", true, 1},
	},
	{
		label: "webhook deliveries (signed `workflow_run`, 20 KB), 1 CPU", fig: webhook, format: si, unit: "deliveries/s",
		target: &target{"2xx within milliseconds (≥ 1k/s: < 1 ms each)", true, 1000},
	},
}

// Header is what the report says about the run.
type Header struct {
	Date     time.Time
	Machine  Machine
	LoadNote string // load averages during the run
}

// Write prints the report: the header, the table and a line per missing
// figure. It returns the figures the benchmark output lacks.
func Write(w io.Writer, h Header, s *Set) ([]string, error) {
	var b strings.Builder
	fmt.Fprintf(&b, "- date: %s\n", h.Date.UTC().Format("2006-01-02 15:04 MST"))
	fmt.Fprintf(&b, "- machine: %d CPUs (`nproc`), %s, Linux %s\n", h.Machine.CPUs, h.Machine.Model, h.Machine.Kernel)
	if h.LoadNote != "" {
		fmt.Fprintf(&b, "- load average (1, 5, 15 min): %s\n", h.LoadNote)
	}
	if len(s.Commands) > 0 {
		b.WriteString("- command: `make bench`, which runs\n")
		for _, c := range s.Commands {
			fmt.Fprintf(&b, "  - `%s`\n", c)
		}
	}
	b.WriteString("\nEach figure is the median of the runs (`-count`); the range is the lowest and highest run. Ratios divide medians.\n\n")
	b.WriteString("| figure | measured (median) | range | runs | anchor | target | met |\n")
	b.WriteString("|---|---|---|---|---|---|---|\n")
	var missing []string
	for _, r := range rows {
		cells, ok := r.cells(s)
		if !ok {
			missing = append(missing, r.label)
		}
		b.WriteString("| " + strings.Join(cells, " | ") + " |\n")
	}
	_, err := io.WriteString(w, b.String())
	return missing, err
}

func (r row) cells(s *Set) ([]string, bool) {
	st, ok := s.Figure(r.fig.pkg, r.fig.bench, r.fig.unit)
	var den Stats
	if ok && r.of != nil {
		den, ok = s.Figure(r.of.pkg, r.of.bench, r.of.unit)
		ok = ok && den.Median != 0
	}
	tgt := ""
	if r.target != nil {
		tgt = r.target.text
	}
	if !ok {
		return []string{r.label, "not measured", "—", "—", dash(r.anchor), dash(tgt), "—"}, false
	}
	value, spread, runs := r.format(st.Median), r.format(st.Min)+" – "+r.format(st.Max), fmt.Sprint(st.Runs)
	if r.unit != "" {
		value += " " + r.unit
	}
	if r.of != nil {
		value, spread, runs = r.format(st.Median/den.Median), "", ""
	}
	met := ""
	if r.target != nil {
		v := st.Median
		if r.of != nil {
			v /= den.Median
		}
		met = "no"
		if r.target.met(v) {
			met = "yes"
		}
	}
	return []string{r.label, value, dash(spread), dash(runs), dash(r.anchor), dash(tgt), dash(met)}, true
}

func dash(s string) string {
	if s == "" {
		return "—"
	}
	return s
}
