#!/usr/bin/env bash
# EdgeLoss's test command (the README's second command; .ci/run calls it).
# On a fresh Debian machine run as root it installs what the suite needs, builds the solution in Release with
# warnings as errors, runs every test and prints the totals. Exits non-zero on any failure.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

# --- what the suite needs beyond the .NET SDK -------------------------------------------------------------
# Debian package -> a file that proves it is installed.
declare -A need=(
  [clang]=/usr/bin/clang
  [lld]=/usr/bin/ld.lld
  [gcc-aarch64-linux-gnu]=/usr/bin/aarch64-linux-gnu-gcc
  [libc6-dev-arm64-cross]=/usr/aarch64-linux-gnu/include/stdio.h
  [qemu-user]=/usr/bin/qemu-aarch64
  [socat]=/usr/bin/socat
  [make]=/usr/bin/make
)
missing=()
for pkg in "${!need[@]}"; do [ -e "${need[$pkg]}" ] || missing+=("$pkg"); done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "test.sh: installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q >/dev/null
    apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
  else
    echo "test.sh: missing Debian packages: ${missing[*]} (run as root to install them, or: sudo apt-get install ${missing[*]})" >&2
    echo "test.sh: tests that need them will fail" >&2
  fi
fi

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

# --- build (warnings are errors) ----------------------------------------------------------------------------
dotnet build EdgeLoss.sln -c Release -nologo -v quiet

# --- Native AOT artifacts the suite calls and runs (libedgeloss.so, edgehost) for both RIDs -------------------
tools/publish.sh linux-x64
tools/publish.sh linux-arm64

# --- test --------------------------------------------------------------------------------------------------
results="$root/artifacts/test-results"
rm -rf "$results"; mkdir -p "$results"
set +e
dotnet test Tests/EdgeLoss.Tests.csproj -c Release --no-build -nologo \
  --logger "trx;LogFileName=tests.trx" --logger "console;verbosity=minimal" --results-directory "$results" "$@"
status=$?
set -e

# --- totals, as one plain line --------------------------------------------------------------------------------
trx="$results/tests.trx"
if [ -f "$trx" ]; then
  counters=$(grep -o '<Counters [^>]*>' "$trx" | head -1)
  get() { echo "$counters" | grep -o " $1=\"[0-9]*\"" | grep -o '[0-9]*'; }
  passed=$(get passed); failed=$(get failed); total=$(get total); executed=$(get executed)
  skipped=$(( total - executed ))
  echo "tests: ${passed:-0} passed, ${failed:-0} failed, ${skipped:-0} skipped"
  if [ "${executed:-0}" = 0 ]; then echo "test.sh: no test ran" >&2; exit 1; fi
else
  echo "test.sh: no test results were written" >&2
  [ $status -ne 0 ] || status=1
fi
exit $status
