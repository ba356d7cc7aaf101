#!/usr/bin/env bash
# Installs Docker (and mmdebstrap, which makes the node image's base without a registry) and starts dockerd when
# it is not running. Sourced by run-tests.sh: the Docker tests (it-tests) run the node image as nodes.
set -euo pipefail
docker_missing=()
for p in docker.io mmdebstrap; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || docker_missing+=("$p")
done
if [ "${#docker_missing[@]}" -gt 0 ]; then
  echo "weft: installing ${docker_missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  apt-get install -y -qq --no-install-recommends "${docker_missing[@]}" >/dev/null
fi
if ! docker info >/dev/null 2>&1; then
  echo "weft: starting dockerd (log: /var/log/dockerd.log)" >&2
  rm -f /var/run/docker.pid
  setsid nohup dockerd >>/var/log/dockerd.log 2>&1 </dev/null &
  for _ in $(seq 60); do docker info >/dev/null 2>&1 && break; sleep 0.5; done
  docker info >/dev/null 2>&1 || { echo "weft: dockerd did not start; see /var/log/dockerd.log" >&2; exit 1; }
fi
