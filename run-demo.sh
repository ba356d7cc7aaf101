#!/usr/bin/env bash
# The weft demo: a 3-node cluster in network namespaces on this machine, pods pinging across nodes.
# Usage: sudo ./run-demo.sh [--nodes N] [--pods N] [--backend vxlan|host-gw|userspace] [--store dir|etcd] [--cleanup]
set -euo pipefail
cd "$(dirname "$0")"
source scripts/ensure-deps.sh
if [ ! -x lab/target/weft-lab ] || [ -n "$(find core agent cni-plugin lab -newer lab/target/weft-lab -name '*.java' -print -quit 2>/dev/null)" ]; then
  echo "building weft (mvn -DskipTests package) ..." >&2
  mvn -B -q -ntp -DskipTests package >&2
fi
exec lab/target/weft-lab demo "$@"
