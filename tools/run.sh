#!/usr/bin/env bash
# EdgeLoss's main job (the README's first command): builds if needed and runs the demonstration on its
# embedded default. No hardware and no set-up needed.
set -euo pipefail
cd "$(dirname "$0")/.."
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
dotnet build EdgeHost/EdgeLoss.EdgeHost.csproj -c Release -nologo -v quiet >/dev/null
exec dotnet EdgeHost/bin/Release/net10.0/edgehost.dll demo "$@"
