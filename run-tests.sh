#!/usr/bin/env bash
# Runs every weft test: unit tests and real-kernel tests in network namespaces (needs root).
set -euo pipefail
cd "$(dirname "$0")"
source scripts/ensure-deps.sh
exec mvn -B -ntp verify "$@"
