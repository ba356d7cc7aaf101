#!/usr/bin/env bash
# Runs every weft test: unit tests, real-kernel tests in network namespaces, and the node image run as Docker
# containers (needs root; installs Docker and starts dockerd if needed).
set -euo pipefail
cd "$(dirname "$0")"
source scripts/ensure-deps.sh
source scripts/ensure-docker.sh
exec mvn -B -ntp verify "$@"
