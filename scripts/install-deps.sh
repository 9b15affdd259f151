#!/usr/bin/env bash
# Installs the Debian packages the build (cgo journal reader) or the tests need.
# As root it runs apt-get; otherwise it prints the exact line to run and fails.
set -euo pipefail

mode=${1:-build}
need=()

have_pkg() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'; }

for p in gcc libsystemd-dev pkg-config; do have_pkg "$p" || need+=("$p"); done
if [ "$mode" = test ]; then
  for p in systemd postgresql pgbouncer systemd-journal-remote prometheus util-linux dpkg; do
    have_pkg "$p" || need+=("$p")
  done
fi

[ ${#need[@]} -eq 0 ] && exit 0

line="apt-get install -y --no-install-recommends ${need[*]}"
if [ "$(id -u)" -ne 0 ]; then
  echo "missing Debian packages: ${need[*]}" >&2
  echo "run: sudo apt-get update && sudo $line" >&2
  exit 1
fi
echo "installing: ${need[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# Debian's policy-rc.d may refuse to start services in containers; the tests start their own.
$line >/dev/null
