#!/usr/bin/env bash
# Starts the services the integration tests talk to, when they are not running:
# systemd-journald (live journal tests) and the machine's PostgreSQL cluster.
# The PostgreSQL tests start their own throwaway cluster; this only makes the
# machine's one available too. Needs root; otherwise it says what is missing.
set -euo pipefail

if ! pgrep -x systemd-journal >/dev/null; then
  if [ "$(id -u)" -eq 0 ]; then
    echo "starting systemd-journald" >&2
    mkdir -p /run/systemd/journal
    setsid /lib/systemd/systemd-journald </dev/null >/dev/null 2>&1 &
    for _ in $(seq 50); do [ -S /run/systemd/journal/socket ] && break; sleep 0.1; done
  else
    echo "systemd-journald is not running and this is not root: live journal tests will fail" >&2
  fi
fi

if command -v pg_lsclusters >/dev/null && [ "$(id -u)" -eq 0 ]; then
  pg_lsclusters --no-header 2>/dev/null | while read -r ver name _ status _; do
    [ "$status" = online ] || pg_ctlcluster --skip-systemctl-redirect "$ver" "$name" start || true
  done
fi
exit 0
