#!/usr/bin/env bash
# The postgres exporter end to end on the built binary, side by side in each run
# with a raw server-side binary COPY of the very same rows into a table with the
# same indexes (e2e BenchmarkPostgresEndToEnd): 100,000 two-span traces with
# attribute_index on (the default) and off, and 500,000 int sum points over 1000
# series, sent by otlpload (whole OTLP/HTTP requests, 4 in flight, each retried
# until accepted) and timed until the exporter has committed every item (the
# collector's own count; the table's count then checks all landed). Each round is
# one run; medians of the rounds are printed last, with the CPU seconds the
# client, the collector (its whole life) and the PostgreSQL server spent end to end, and the
# server on the raw COPY.
#
#   scripts/bench-postgres.sh [bin/otelcol-diagnostics]
#   ROUNDS=3 scripts/bench-postgres.sh
set -euo pipefail
cd "$(dirname "$0")/.."

BIN=${1:-bin/otelcol-diagnostics}
ROUNDS=${ROUNDS:-3}
[ -x "$BIN" ] || { echo "build the binary first (make build): $BIN" >&2; exit 1; }

out=$(mktemp)
trap 'rm -f "$out"' EXIT
echo "load-start: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
OTELCOL_BINARY=$(realpath "$BIN") go test -run '^$' -bench '^BenchmarkPostgresEndToEnd$' \
  -benchtime 1x -count "$ROUNDS" -timeout 60m ./e2e/ > "$out" 2>&1 || { cat "$out" >&2; exit 1; }
echo "load-end: $(cut -d' ' -f1-3 /proc/loadavg)" >&2

awk -v rounds="$ROUNDS" '
function median(key,   n, i, j, t, v) {
  n = count[key]
  for (i = 1; i <= n; i++) v[i] = val[key, i]
  for (i = 2; i <= n; i++) for (j = i; j > 1 && v[j - 1] > v[j]; j--) { t = v[j]; v[j] = v[j - 1]; v[j - 1] = t }
  return (n % 2) ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2
}
/^BenchmarkPostgresEndToEnd\// {
  name = $1; sub(/^BenchmarkPostgresEndToEnd\//, "", name); sub(/-[0-9]+$/, "", name)
  if (!(name in seen)) { seen[name] = 1; order[++names] = name }
  rate = ""
  for (i = 5; i < NF; i += 2) {
    key = name SUBSEP $(i + 1); val[key, ++count[key]] = $i; f[$(i + 1)] = $i
    if ($(i + 1) ~ /^(spans|points)\/s$/) { unit[name] = $(i + 1); rate = $i }
  }
  printf "round %d %-28s %8.0f %s, raw COPY %8.0f rows/s, ratio %.2f, CPU client %.2f s, collector %.2f s, server %.2f s (raw COPY %.2f s)\n",
    count[name SUBSEP "ratio"], name, rate, unit[name], f["raw_copy_rows/s"], f["ratio"], f["client_cpu_s"], f["collector_cpu_s"], f["server_cpu_s"], f["raw_copy_server_cpu_s"]
}
END {
  printf "\nmedians of %d rounds (ratio: median of the per-round ratios, each measured side by side):\n", rounds
  printf "%-28s %16s %18s %6s %14s %11s %13s  %s\n", "load", "end to end", "raw server COPY", "ratio", "collector CPU", "server CPU", "raw COPY CPU", "target"
  for (k = 1; k <= names; k++) {
    name = order[k]; u = unit[name]
    r = median(name SUBSEP u); ratio = median(name SUBSEP "ratio")
    if (u == "spans/s") target = sprintf("ratio >= 0.70: %s", ratio >= 0.7 ? "met" : "not met")
    else target = sprintf(">= 250000 points/s: %s", r >= 250000 ? "met" : "not met")
    printf "%-28s %8.0f %-7s %11.0f rows/s %6.2f %12.2f s %9.2f s %11.2f s  %s\n", name, r, u, median(name SUBSEP "raw_copy_rows/s"), ratio,
      median(name SUBSEP "collector_cpu_s"), median(name SUBSEP "server_cpu_s"), median(name SUBSEP "raw_copy_server_cpu_s"), target
  }
}' "$out"
