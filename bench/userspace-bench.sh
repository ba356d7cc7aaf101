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
JAVA_HOME=${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}
JAVA=$JAVA_HOME/bin/java
for tool in iperf3 ethtool ping ip bridge; do command -v $tool >/dev/null || { echo "bench: needs $tool" >&2; exit 1; }; done
if [ ! -f lab/target/lib/weft-lab.jar ]; then
  JAVA_HOME=$JAVA_HOME mvn -B -q -ntp -pl lab -am package -DskipTests >&2
fi
CP="lab/target/lib/*"
# A DaemonSet would cap the heap; without it the JVM commits 1/64 of RAM up front (RSS then says little).
AGENT_HEAP=${AGENT_HEAP:--Xms16m -Xmx128m}
P=wb$$
NS=()
cleanup() {
  for n in "${NS[@]}"; do for pid in $(ip netns pids "$n" 2>/dev/null); do kill -9 "$pid" 2>/dev/null || true; done; done
  # reap the agents so bash does not report each one as "Killed"
  for pid in "${AGENTS[@]:-}"; do [ -n "$pid" ] && wait "$pid" 2>/dev/null || true; done
  for n in "${NS[@]}"; do ip netns del "$n" 2>/dev/null || true; done
}
trap cleanup EXIT
mk() { ip netns add "$1"; NS+=("$1"); ip -n "$1" link set lo up; }
MAC=(x 0a:00:00:00:00:01 0a:00:00:00:00:02)

topology() {  # fresh namespaces for each datapath
  cleanup; NS=()
  mk $P-ul; ip -n $P-ul link add br0 type bridge; ip -n $P-ul link set br0 up
  for i in 1 2; do
    mk $P-n$i; mk $P-p$i
    ip link add eth0 netns $P-n$i type veth peer name p$i netns $P-ul
    ip -n $P-ul link set p$i master br0; ip -n $P-ul link set p$i up
    ip -n $P-n$i addr add 172.31.0.$i/24 dev eth0; ip -n $P-n$i link set eth0 up
    # GRO on the node's end; the bridge's end needs tx checksumming (and so TSO) off as well, or the veth does not
    # hand the packets it forwards to GRO at all.
    if [ "${UNDERLAY_GRO:-1}" = 0 ]; then
      ip netns exec $P-n$i ethtool -K eth0 tx off >/dev/null
    else
      ip netns exec $P-n$i ethtool -K eth0 tx off gro on >/dev/null; ip netns exec $P-ul ethtool -K p$i tx off >/dev/null
    fi
    ip netns exec $P-n$i sysctl -qw net.ipv4.ip_forward=1
    ip link add eth0 netns $P-p$i type veth peer name veth$i netns $P-n$i
    ip -n $P-n$i link add cni0 type bridge; ip -n $P-n$i addr add 10.244.$i.1/24 dev cni0
    ip -n $P-n$i link set cni0 up; ip -n $P-n$i link set veth$i master cni0; ip -n $P-n$i link set veth$i up
    ip -n $P-p$i addr add 10.244.$i.5/24 dev eth0; ip -n $P-p$i link set eth0 up
    ip -n $P-p$i route add default via 10.244.$i.1
  done
}

kernel_vtep() {  # i j
  local i=$1 j=$2 n=$P-n$1
  ip -n $n link add flannel.1 address ${MAC[$i]} mtu 1450 type vxlan id 1 local 172.31.0.$i dev eth0 dstport 8472 nolearning
  ip -n $n addr add 10.244.$i.0/32 dev flannel.1; ip -n $n link set flannel.1 up
  ip -n $n route add 10.244.$j.0/24 via 10.244.$j.0 dev flannel.1 onlink
  ip -n $n neigh replace 10.244.$j.0 lladdr ${MAC[$j]} dev flannel.1 nud permanent
  bridge -n $n fdb append ${MAC[$j]} dev flannel.1 dst 172.31.0.$j self permanent
}

AGENTS=()
user_vtep() {  # i j [options of UserspaceNode]
  local i=$1 j=$2 log=/tmp/$P-agent$1.log
  ip netns exec $P-n$i "$JAVA" --enable-native-access=ALL-UNNAMED -XX:+UseSerialGC $AGENT_HEAP -cp "$CP" \
    io.weft.lab.userspace.UserspaceNode --public-ip 172.31.0.$i --subnet 10.244.$i.0/24 --mac ${MAC[$i]} \
    --peer 10.244.$j.0/24,172.31.0.$j,${MAC[$j]} ${3:-} >"$log" 2>&1 &
  AGENTS+=($!)
  for _ in $(seq 100); do grep -q READY "$log" && return 0; sleep 0.1; done
  echo "bench: userspace agent in node $i did not start:" >&2; cat "$log" >&2; exit 1
}

cpu_ticks() { local s=0; for pid in "${AGENTS[@]}"; do s=$((s + $(awk '{print $14+$15}' /proc/$pid/stat))); done; echo $s; }
rss_mb() { local s=0; for pid in "${AGENTS[@]}"; do s=$((s + $(awk '/VmRSS/{print $2}' /proc/$pid/status))); done; echo $((s / 1024)); }
busy() { awk '/^cpu /{print $2+$3+$4+$7+$8, $2+$3+$4+$5+$6+$7+$8}' /proc/stat; }

iperf_tcp() {  # streams -> Gbit/s received
  ip netns exec $P-p2 iperf3 -s -1 -D -p 5201 >/dev/null; sleep 0.3
  ip netns exec $P-p1 iperf3 -c 10.244.2.5 -p 5201 -t "$T" -P "$1" -J 2>/dev/null \
    | awk -F'[:,]' '/"sum_received"/{f=1} f&&/"bits_per_second"/{printf "%.2f", $2/1e9; exit}'
}
iperf_udp64() {  # -> kpps received
  ip netns exec $P-p2 iperf3 -s -1 -D -p 5202 >/dev/null; sleep 0.3
  ip netns exec $P-p1 iperf3 -c 10.244.2.5 -p 5202 -u -l 64 -b 0 -t "$T" -J 2>/dev/null | awk -F'[:,]' '
    /"sum"/{f=1} f&&/"packets"/{p=$2} f&&/"lost_packets"/{l=$2} f&&/"seconds"/{s=$2} f&&/"lost_percent"/{printf "%.0f (%.1f%% lost)", (p-l)/s/1000, $2; exit}'
}
ping_rtt() { ip netns exec $P-p1 ping -q -c 50 -i 0.02 10.244.2.5 | awk -F'/' '/rtt/{printf "%.0f", $5*1000}'; }

run() {  # name
  local name=$1
  ip netns exec $P-p1 ping -c 3 -i 0.2 -W 2 10.244.2.5 >/dev/null || { echo "bench: $name: no connectivity" >&2; exit 1; }
  # warm up (JIT) so the measurement sees steady state, as a long-running agent would; the kernel path gets the
  # same traffic first, so both are measured after the same history
  ip netns exec $P-p2 iperf3 -s -1 -D -p 5209 >/dev/null; sleep 0.3
  ip netns exec $P-p1 iperf3 -c 10.244.2.5 -p 5209 -t "$W" -P 2 >/dev/null 2>&1 || true
  local c0 b0 b1 c1 tcp1 tcp4 udp rtt
  c0=$(cpu_ticks); read -r b0 t0 < <(busy)
  tcp1=$(iperf_tcp 1)
  c1=$(cpu_ticks); read -r b1 t1 < <(busy)
  tcp4=$(iperf_tcp 4)
  udp=$(iperf_udp64)
  rtt=$(ping_rtt)
  local hz; hz=$(getconf CLK_TCK)
  local agentcpu="-" rss="-"
  if [ ${#AGENTS[@]} -gt 0 ]; then
    agentcpu=$(awk -v d=$((c1 - c0)) -v hz="$hz" -v t="$T" 'BEGIN{printf "%.0f%%", 100*d/hz/t}')
    rss="$(rss_mb) MiB"
  fi
  local sys; sys=$(awk -v a=$((b1 - b0)) -v b=$((t1 - t0)) 'BEGIN{printf "%.0f%%", (b > 0) ? 100*a/b : 0}')
  printf "%-22s %9s %9s %22s %9s %11s %12s %10s\n" "$name" "$tcp1" "$tcp4" "$udp" "$rtt" "$agentcpu" "$sys" "$rss"
}

echo "weft VXLAN datapath benchmark: $(uname -r), $(nproc) CPUs, ${T}s per test after ${W}s of warm-up, underlay GRO $([ "${UNDERLAY_GRO:-1}" = 0 ] && echo off || echo on), $(date -u +%FT%TZ)"
printf "%-22s %9s %9s %22s %9s %11s %12s %10s\n" datapath "TCP1 Gb/s" "TCP4 Gb/s" "UDP64 kpps" "RTT us" "agent CPU*" "machine CPU*" "agent RSS"
topology; kernel_vtep 1 2; kernel_vtep 2 1; AGENTS=(); run kernel
topology; AGENTS=(); user_vtep 1 2; user_vtep 2 1; run userspace
grep -h READY /tmp/$P-agent*.log | sed 's/^/  # /' >&2
topology; AGENTS=(); user_vtep 1 2 "--no-offload --no-udp-gro"; user_vtep 2 1 "--no-offload --no-udp-gro"; run userspace-no-offload
read -r wake50 wake90 < <("$JAVA" -cp "$CP" io.weft.lab.bench.WakeLatency 200 20)
echo "thread wake-up after 20 ms asleep on this machine: p50 ${wake50} us, p90 ${wake90} us (a round trip through two"
echo "  userspace VTEPs wakes agent threads three times, the kernel's VXLAN path none)"
echo "* CPU during the 1-stream TCP test: agent = both agents' user+sys time / wall time (100% = one core);"
echo "  machine = all CPUs busy (kernel softirq work included), shared with whatever else runs on this host."
rm -f /tmp/$P-agent*.log
