#!/usr/bin/env bash
# Side by side on one core, in one run: the built binary reading a journal end
# to end (start -> every entry counted at the prometheus exporter), against
# `journalctl -o cat` (libsystemd's own loop, the practical limit) and
# `journalctl -o json` (the contrib journald receiver's input) on the same files.
# The journal (N entries, default 500k) is written by systemd-journal-remote.
# Rounds are interleaved; medians and ratios are printed last.
#
#   scripts/bench-journal.sh [bin/otelcol-diagnostics]
#   N=500000 ROUNDS=3 CPU=1 READER=sdjournal scripts/bench-journal.sh
set -euo pipefail
cd "$(dirname "$0")/.."

BIN=${1:-bin/otelcol-diagnostics}
N=${N:-500000}
ROUNDS=${ROUNDS:-3}
CPU=${CPU:-1}
READER=${READER:-sdjournal}
REMOTE=/lib/systemd/systemd-journal-remote

[ -x "$BIN" ] || { echo "build the binary first (make build): $BIN" >&2; exit 1; }
[ -x "$REMOTE" ] || { echo "$REMOTE is needed (Debian package systemd-journal-remote)" >&2; exit 1; }
command -v taskset >/dev/null || { echo "taskset is needed (util-linux)" >&2; exit 1; }

work=$(mktemp -d)
pid=
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT

echo "writing $N entries with systemd-journal-remote" >&2
mkdir -p "$work/journal"
go run ./internal/journaltest/cmd/journalgen -n "$N" |
  "$REMOTE" --split-mode=none --compress=no --output="$work/journal/bench.journal" - 2>/dev/null
[ "$(journalctl --directory="$work/journal" -o cat | wc -l)" -eq "$N" ] || { echo "journal does not hold $N entries" >&2; exit 1; }

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# The workload: entries_metric and one regex rule on MESSAGE that every entry matches.
config() {
  cat <<YAML
receivers:
  journaldmetrics:
    reader: $READER
    directory: $work/journal
    start_at: beginning
    collection_interval: 100ms
    entries_metric: true
    metrics:
      - name: bench.messages
        type: counter
        match:
          regex: {MESSAGE: '^(?P<kind>order|tick) '}
        attributes: {kind: kind}
exporters:
  prometheus:
    endpoint: 127.0.0.1:$1
service:
  telemetry:
    metrics:
      level: none
  pipelines:
    metrics:
      receivers: [journaldmetrics]
      exporters: [prometheus]
YAML
}

now() { date +%s.%N; }

# sum of a metric's samples in a Prometheus text exposition
sum_of() { awk -v m="$1" '$1 ~ "^"m"({|$)" { s += $NF } END { printf "%d", s }'; }

run_binary() {
  local port; port=$(free_port)
  config "$port" > "$work/config.yaml"
  local t0; t0=$(now)
  taskset -c "$CPU" "$BIN" --config "$work/config.yaml" > "$work/collector.log" 2>&1 &
  pid=$!
  while :; do
    local body entries messages
    body=$(curl -fsS "http://127.0.0.1:$port/metrics" 2>/dev/null || true)
    entries=$(sum_of journald_entries_total <<<"$body")
    messages=$(sum_of bench_messages_total <<<"$body")
    if [ "$entries" -ge "$N" ] && [ "$messages" -ge "$N" ]; then break; fi
    kill -0 "$pid" 2>/dev/null || { cat "$work/collector.log" >&2; exit 1; }
    sleep 0.02
  done
  local t1; t1=$(now)
  kill "$pid"; wait "$pid" 2>/dev/null || true; pid=
  [ "$entries" -eq "$N" ] && [ "$messages" -eq "$N" ] || { echo "counted $entries entries, $messages messages, want $N" >&2; exit 1; }
  echo "$t1 - $t0" | bc -l
}

run_journalctl() {
  local t0 t1 lines
  t0=$(now)
  lines=$(taskset -c "$CPU" journalctl --directory="$work/journal" --no-pager -o "$1" | wc -l)
  t1=$(now)
  [ "$lines" -eq "$N" ] || { echo "journalctl -o $1 printed $lines lines, want $N" >&2; exit 1; }
  echo "$t1 - $t0" | bc -l
}

median() { sort -g | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
rate() { echo "$N / $1" | bc -l | xargs printf '%.0f'; }

: > "$work/binary"; : > "$work/cat"; : > "$work/json"; : > "$work/ratio"
for r in $(seq "$ROUNDS"); do
  b=$(run_binary); c=$(run_journalctl cat); j=$(run_journalctl json)
  echo "$b" >> "$work/binary"; echo "$c" >> "$work/cat"; echo "$j" >> "$work/json"
  # the round's own ratio: its runs sat side by side, so a noisy neighbour hits both
  echo "$c / $b" | bc -l >> "$work/ratio"
  printf 'round %d: binary %s/s, journalctl -o cat %s/s, journalctl -o json %s/s, binary/cat %.2fx\n' \
    "$r" "$(rate "$b")" "$(rate "$c")" "$(rate "$j")" "$(tail -n 1 "$work/ratio")"
done

mb=$(rate "$(median < "$work/binary")"); mc=$(rate "$(median < "$work/cat")"); mj=$(rate "$(median < "$work/json")")
printf '\nmedians of %d rounds, %d entries, one core (cpu %s), reader %s:\n' "$ROUNDS" "$N" "$CPU" "$READER"
printf 'binary (start -> all counted at the exporter)  %8d entries/s  %.2fx journalctl -o cat\n' "$mb" "$(echo "$mb / $mc" | bc -l)"
printf 'journalctl -o cat                               %8d entries/s\n' "$mc"
printf 'journalctl -o json                              %8d entries/s  %.2fx journalctl -o cat\n' "$mj" "$(echo "$mj / $mc" | bc -l)"
printf 'binary / journalctl -o json                     %.2fx\n' "$(echo "$mb / $mj" | bc -l)"
printf 'binary / journalctl -o cat, median of the rounds'"'"' own ratios: %.2fx\n' "$(median < "$work/ratio")"
