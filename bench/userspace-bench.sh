#!/usr/bin/env bash
# One run comparing weft's userspace VXLAN datapath with the kernel's, on the two underlays users have, side by side
# (bench/lib/netns-bench.sh describes them): nic-like, and veth with its default offloads as Docker, kind and network
# namespaces give it. On each: two nodes in network namespaces on one underlay bridge, one pod each, both nodes on
# the kernel's VXLAN device (flannel.1 as flannel sets it up), then both on weft's userspace datapath. For each:
# iperf3 TCP 1 and 4 streams, UDP with 64-byte payloads (the received packet rate; for the userspace path offered at
# the rate the kernel path reached in this run, and unlimited), ping RTT, CPU of both agents during the 1-stream TCP
# test, and each agent's RSS (agents run with the launcher's memory options); the userspace rows show the ratio to
# the kernel row above them. Last, how long this machine takes to wake a thread that slept 20 ms (the floor under
# the userspace path's RTT: a round trip wakes agent threads). The topology is dual-stack: each row also shows TCP
# (1 stream) and RTT over IPv6, pods talking through flannel-v6.1 over the IPv6 underlay (V6= for IPv4 alone).
# Usage: bench/userspace-bench.sh [seconds-per-test (default 10)] [warm-up seconds (default 20)]
#        UNDERLAYS="nic-like veth" (default both) picks the underlays; NO_OFFLOAD=1 adds a row with TAP offloads,
#        UDP GSO and UDP_GRO off (one read, one datagram per packet: the flannel-udp-like baseline).
# Builds the lab (which holds the agent) with `mvn package -DskipTests` if lab/target/lib is missing.
set -euo pipefail
cd "$(dirname "$0")/.."
T=${1:-10}
# A fresh agent needs ~10 s of traffic before the JIT has compiled its hot path (TCP climbs from ~1 to ~4 Gb/s
# over that time, see bench/README.md); a DaemonSet's agent runs for days, so the steady state is what counts.
W=${2:-20}
V6=${V6-1}
. bench/lib/netns-bench.sh

echo "weft VXLAN datapath benchmark: $(uname -r), $(nproc) CPUs, ${T}s per test after ${W}s of warm-up, $(date -u +%FT%TZ)"
echo "agents: $AGENT_JAVA_OPTS"
header
for UNDERLAY in ${UNDERLAYS:-nic-like veth}; do
  K_UDP=0
  topology; kernel_vtep 1 2; kernel_vtep 2 1; run kernel
  topology; user_vtep 1 2; user_vtep 2 1; run userspace
  grep -h READY /tmp/$P-agent1.log | sed "s/^/  # $UNDERLAY: /" >&2
  if [ -n "${NO_OFFLOAD:-}" ]; then
    topology; user_vtep 1 2 "--no-offload --no-udp-gro"; user_vtep 2 1 "--no-offload --no-udp-gro"
    run userspace-no-offload
  fi
done
read -r wake50 wake90 < <("$JAVA" -cp "$CP" io.weft.lab.bench.WakeLatency 200 20)
echo "thread wake-up after 20 ms asleep on this machine: p50 ${wake50} us, p90 ${wake90} us (a round trip through two"
echo "  userspace VTEPs wakes agent threads three times, the kernel's VXLAN path none)"
cpu_footnote
