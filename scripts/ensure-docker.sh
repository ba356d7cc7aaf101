#!/usr/bin/env bash
# Installs Docker (and mmdebstrap, which makes the node image's base without a registry) and starts dockerd when
# it is not running. Sourced by run-tests.sh after scripts/ensure-deps.sh: the Docker tests (it-tests) run the node
# image as nodes.
set -euo pipefail
weft_install docker.io mmdebstrap # weft_install: from scripts/ensure-deps.sh, sourced first
if ! docker info >/dev/null 2>&1; then
  echo "weft: starting dockerd (log: /var/log/dockerd.log)" >&2
  rm -f /var/run/docker.pid
  # dockerd outlives this script: it must not inherit any other open file (a caller's flock(1) lock file would
  # stay locked for as long as dockerd runs).
  (for fd in /proc/$BASHPID/fd/*; do fd=${fd##*/}; [ "$fd" -gt 2 ] && eval "exec $fd>&-"; done
   exec setsid nohup dockerd >>/var/log/dockerd.log 2>&1 </dev/null) &
  for _ in $(seq 60); do docker info >/dev/null 2>&1 && break; sleep 0.5; done
  docker info >/dev/null 2>&1 || { echo "weft: dockerd did not start; see /var/log/dockerd.log" >&2; exit 1; }
fi
