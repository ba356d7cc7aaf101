#!/usr/bin/env bash
# One run comparing weft's VXLAN datapaths on a two-node netns topology (needs root, iperf3, ethtool):
#   kernel     – both nodes use the Linux kernel's VXLAN device (flannel.1, as flannel sets it up)
#   userspace  – both nodes run weft's userspace datapath (TAP TSO in, UDP GSO out)
#   userspace-no-offload – the same with TAP offloads, UDP GSO and UDP_GRO off: one read, one datagram per packet
#                          (the flannel-udp-like baseline)
# For each: iperf3 TCP 1 and 4 streams, UDP 64-byte packet rate, ping RTT, agent CPU and RSS; then how long this
# machine takes to wake a sleeping thread (the floor under the userspace path's RTT).
# Usage: bench/userspace-bench.sh [seconds-per-test (default 10)] [warm-up seconds (default 20)]
# Builds the lab (which holds the agent) with `mvn package -DskipTests` if lab/target/lib is missing. Traffic stays inside the
# namespaces it creates. The underlay is the same for all three datapaths and behaves like a real NIC: tx
# checksum offload off (a real wire cannot carry a partial checksum) and GRO on receive (UNDERLAY_GRO=0 for a
# veth's default, no GRO).
set -euo pipefail
cd "$(dirname "$0")/.."
T=${1:-10}
# A fresh agent needs ~10 s of traffic before the JIT has compiled its hot path (TCP climbs from ~1 to ~4 Gb/s
# over that time, see bench/README.md); a DaemonSet's agent runs for days, so the steady state is what counts.
W=${2:-20}
. bench/lib/netns-bench.sh

echo "weft VXLAN datapath benchmark: $(uname -r), $(nproc) CPUs, ${T}s per test after ${W}s of warm-up, underlay GRO $([ "${UNDERLAY_GRO:-1}" = 0 ] && echo off || echo on), $(date -u +%FT%TZ)"
header
topology; kernel_vtep 1 2; kernel_vtep 2 1; run kernel
topology; user_vtep 1 2; user_vtep 2 1; run userspace
grep -h READY /tmp/$P-agent*.log | sed 's/^/  # /' >&2
topology; user_vtep 1 2 "--no-offload --no-udp-gro"; user_vtep 2 1 "--no-offload --no-udp-gro"; run userspace-no-offload
read -r wake50 wake90 < <("$JAVA" -cp "$CP" io.weft.lab.bench.WakeLatency 200 20)
echo "thread wake-up after 20 ms asleep on this machine: p50 ${wake50} us, p90 ${wake90} us (a round trip through two"
echo "  userspace VTEPs wakes agent threads three times, the kernel's VXLAN path none)"
cpu_footnote
rm -f /tmp/$P-agent*.log
