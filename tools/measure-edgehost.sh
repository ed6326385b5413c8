#!/usr/bin/env bash
# Measures the published edgehost binaries and prints the numbers of docs/edgehost.md ("Numbers"):
#   tools/measure-edgehost.sh            # both RIDs: linux-x64 natively, linux-arm64 under qemu-user
#   tools/measure-edgehost.sh linux-x64  # one of them
# Needs artifacts/RID/edgehost (tools/publish.sh RID), socat, /usr/bin/python3 with numpy, and for linux-arm64 on an
# x64 machine qemu-aarch64 with the aarch64 sysroot. Takes a few minutes: it enrolls 12k templates over a socket
# (each fsynced) and starts each binary some twenty times. These are measurements of this machine, not tests.
set -euo pipefail
cd "$(dirname "$0")/.."
rids=("$@")
[ ${#rids[@]} -gt 0 ] || rids=(linux-x64 linux-arm64)
python=/usr/bin/python3
for tool in socat "$python"; do
  command -v "$tool" >/dev/null || { echo "measure-edgehost.sh: $tool is missing" >&2; exit 1; }
done
for rid in linux-x64 "${rids[@]}"; do
  [ -x "artifacts/$rid/edgehost" ] || { echo "measure-edgehost.sh: artifacts/$rid/edgehost is missing: run tools/publish.sh $rid" >&2; exit 1; }
done

command_for() { # the command that runs the edgehost of RID here
  local rid=$1 binary="$PWD/artifacts/$1/edgehost"
  if [ "$rid" = linux-arm64 ] && [ "$(uname -m)" != aarch64 ]; then
    [ -x /usr/bin/qemu-aarch64 ] || { echo "measure-edgehost.sh: linux-arm64 here needs qemu-user (sudo apt-get install qemu-user)" >&2; exit 1; }
    echo "/usr/bin/qemu-aarch64 -L /usr/aarch64-linux-gnu $binary"
  else
    echo "$binary"
  fi
}

work=$(mktemp -d /tmp/edgehost-measure.XXXXXX)
trap 'rm -rf "$work"' EXIT

echo "== machine ($(date -u '+%Y-%m-%d %H:%M UTC'))"
lscpu | head -n 15
echo "cores available: $(nproc); memory $(awk '/MemTotal/ {printf "%.1f GiB", $2 / 1048576}' /proc/meminfo); kernel $(uname -r)"
echo "load average before measuring: $(cut -d' ' -f1-3 /proc/loadavg) (other work on the machine shows in the numbers)"
[ ! -x /usr/bin/qemu-aarch64 ] || echo "$(/usr/bin/qemu-aarch64 --version | head -n 1)"
echo "edgehost $(git describe --always --dirty 2>/dev/null || echo '?')"

echo "== sizes (bytes)"
for rid in "${rids[@]}"; do
  for file in edgehost libedgeloss.so libSystem.IO.Ports.Native.so; do
    [ -f "artifacts/$rid/$file" ] && printf '  %-12s %-30s %10d\n' "$rid" "$file" "$(stat -c %s "artifacts/$rid/$file")"
  done
done

echo "== galleries (made with the linux-x64 binary, shared by both RIDs: the file format is the same)"
# shellcheck disable=SC2046
"$python" tools/measure_edgehost.py prepare "$work" $(command_for linux-x64)
echo "== the pseudo-terminal pair alone (what the round trips below include besides edgehost)"
"$python" tools/measure_edgehost.py relay "$work"
for rid in "${rids[@]}"; do
  label=$rid
  [ "$(command_for "$rid")" = "$PWD/artifacts/$rid/edgehost" ] || label="$rid (under qemu-user: emulation, not a board)"
  # shellcheck disable=SC2046
  "$python" tools/measure_edgehost.py measure "$work" "$label" $(command_for "$rid")
done
