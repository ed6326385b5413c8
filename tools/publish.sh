#!/usr/bin/env bash
# Builds EdgeLoss Native AOT for one runtime identifier:
#   tools/publish.sh linux-x64 | linux-arm64
# writes artifacts/RID/libedgeloss.so and artifacts/RID/edgehost (with libSystem.IO.Ports.Native.so beside it),
# and artifacts/include/edgeloss.h. Fails on any trim or AOT warning (IL2xxx / IL3xxx).
# It installs nothing: when the arm64 cross toolchain is missing it says which Debian packages to install.
set -euo pipefail
cd "$(dirname "$0")/.."
rid=${1:-}
case "$rid" in
  linux-x64|linux-arm64) ;;
  *) echo "usage: tools/publish.sh linux-x64|linux-arm64" >&2; exit 2 ;;
esac
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

extra=()
if [ "$rid" = linux-arm64 ] && [ "$(uname -m)" != aarch64 ]; then
  # Cross-compiling from x64: clang drives lld with the aarch64 glibc from Debian's cross packages.
  declare -A need=(
    [clang]=/usr/bin/clang
    [lld]=/usr/bin/ld.lld
    [gcc-aarch64-linux-gnu]=/usr/bin/aarch64-linux-gnu-gcc
    [binutils-aarch64-linux-gnu]=/usr/bin/aarch64-linux-gnu-objcopy
    [libc6-dev-arm64-cross]=/usr/aarch64-linux-gnu/include/stdio.h
  )
  missing=()
  for pkg in clang lld gcc-aarch64-linux-gnu binutils-aarch64-linux-gnu libc6-dev-arm64-cross; do
    [ -e "${need[$pkg]}" ] || missing+=("$pkg")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    echo "publish.sh: cross-compiling for linux-arm64 needs the Debian packages: ${missing[*]}" >&2
    echo "publish.sh: install them with: sudo apt-get install ${missing[*]}" >&2
    exit 1
  fi
  extra+=(-p:LinkerFlavor=lld -p:ObjCopyName=aarch64-linux-gnu-objcopy)
fi

out="artifacts/$rid"
mkdir -p "$out" artifacts/include
log=$(mktemp)
trap 'rm -f "$log"' EXIT

publish() { # project, then extra msbuild arguments
  local project=$1; shift
  echo "publish.sh: $project -> $out"
  if ! dotnet publish "$project" -c Release -r "$rid" -o "$out" -nologo -v quiet \
       -p:InvariantGlobalization=true "${extra[@]}" "$@" >"$log" 2>&1; then
    cat "$log" >&2; echo "publish.sh: publishing $project for $rid failed" >&2; exit 1
  fi
  if grep -Eq 'warning (IL[23][0-9]{3})' "$log"; then
    grep -E 'warning (IL[23][0-9]{3})' "$log" | sort -u >&2
    echo "publish.sh: trim/AOT warnings in $project: they must be fixed" >&2; exit 1
  fi
}

publish EdgeHost/Native/EdgeLoss.Native.csproj
publish EdgeHost/EdgeLoss.EdgeHost.csproj
cp EdgeHost/Native/edgeloss.h artifacts/include/edgeloss.h
# Debug symbols stay out of the deliverable folder.
rm -f "$out"/*.dbg "$out"/*.pdb "$out"/*.h "$out"/*.xml
echo "publish.sh: $(ls "$out" | tr '\n' ' ')"
