#!/usr/bin/env bash
# Installs what weft's demo, tests and benchmarks need on a fresh Debian machine, and picks JDK 25.
# Sourced by run-demo.sh and run-tests.sh; safe to run again (installs only what is missing).
set -euo pipefail

if [ "$(id -u)" != 0 ]; then
  echo "weft: run this as root: it creates network namespaces, veths and VXLAN devices" >&2
  exit 1
fi

# weft_install PKG...: installs those of the Debian packages that are missing (scripts/ensure-docker.sh uses it too)
weft_install() {
  local missing=() p
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  [ "${#missing[@]}" -gt 0 ] || return 0
  echo "weft: installing ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}
weft_install iproute2 iptables nftables libpcap0.8 iputils-ping iperf3 procps util-linux kmod tcpdump ethtool containernetworking-plugins gcc libc6-dev openssl strace \
  etcd-server etcd-client

if [ -z "${JAVA_HOME:-}" ] || ! grep -qE '^JAVA_VERSION="(2[5-9]|[3-9][0-9])' "$JAVA_HOME/release" 2>/dev/null; then
  for cand in /usr/lib/jvm/temurin-25-jdk-amd64 /usr/lib/jvm/java-25-openjdk-amd64; do
    if [ -x "$cand/bin/javac" ]; then export JAVA_HOME=$cand; break; fi
  done
fi
if ! grep -qE '^JAVA_VERSION="(2[5-9]|[3-9][0-9])' "${JAVA_HOME:-/nonexistent}/release" 2>/dev/null; then
  echo "weft: needs a JDK 25 (expected at /usr/lib/jvm/temurin-25-jdk-amd64, or set JAVA_HOME)" >&2
  exit 1
fi
export PATH="$JAVA_HOME/bin:$PATH"
command -v mvn >/dev/null || { echo "weft: installing maven" >&2; apt-get install -y -qq maven >/dev/null; }
