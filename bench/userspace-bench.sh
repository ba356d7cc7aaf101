#!/usr/bin/env bash
# One run comparing weft's userspace VXLAN datapath with the kernel's, on the two underlays users have, side by side:
#   nic-like  – the underlay behaves like a real NIC: transmit checksums complete, GRO on receive
#   veth      – veths with their default offloads, as Docker, kind and network namespaces give them (the kernel
#               path neither segments nor checksums there; a kernel node hands its peers partial checksums)
# On each: two nodes in network namespaces on one underlay bridge, one pod each, both nodes on the kernel's VXLAN
# device (flannel.1 as flannel sets it up), then both on weft's userspace datapath. For each: iperf3 TCP 1 and 4
# streams, UDP with 64-byte payloads (the received packet rate; for the userspace path offered at the rate the
# kernel path reached in this run, and unlimited), ping RTT, CPU of both agents during the 1-stream TCP test, and
# each agent's RSS; the userspace rows show the ratio to the kernel row above them. Last, how long this machine takes
# to wake a thread that slept 20 ms (the floor under the userspace path's RTT: a round trip wakes agent threads).
# Usage: bench/userspace-bench.sh [seconds-per-test (default 10)] [warm-up seconds (default 20)]
#        UNDERLAYS="nic-like veth" (default both) picks the underlays; NO_OFFLOAD=1 adds a row with TAP offloads,
#        UDP GSO and UDP_GRO off (one read, one datagram per packet: the flannel-udp-like baseline).
# Needs root, iperf3, ethtool, iproute2; builds the agent if agent/target/lib is missing. Traffic stays inside the
# namespaces it creates.
set -euo pipefail
cd "$(dirname "$0")/.."
T=${1:-10}
# A fresh agent needs ~10 s of traffic before the JIT has compiled its hot path (TCP climbs from ~1 to ~4 Gb/s
# over that time, see bench/README.md); a DaemonSet's agent runs for days, so the steady state is what counts.
W=${2:-20}
JAVA_HOME=${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}
JAVA=$JAVA_HOME/bin/java
for tool in iperf3 ethtool ping ip bridge; do command -v $tool >/dev/null || { echo "bench: needs $tool" >&2; exit 1; }; done
if [ ! -f agent/target/lib/weft-agent.jar ]; then
  JAVA_HOME=$JAVA_HOME mvn -B -q -ntp -pl agent -am package -DskipTests >&2
fi
CP="agent/target/lib/*"
# The launcher's memory options (agent/src/main/launcher/weftd), as a DaemonSet's agent runs; AGENT_JAVA_OPTS overrides.
AGENT_JAVA_OPTS=${AGENT_JAVA_OPTS:-$(sed -n 's/^mem_opts="\(.*\)"$/\1/p' agent/src/main/launcher/weftd)}
P=wb$$
NS=()
AGENTS=()
cleanup() {
  for n in "${NS[@]:-}"; do [ -n "$n" ] && for pid in $(ip netns pids "$n" 2>/dev/null); do kill -9 "$pid" 2>/dev/null || true; done; done
  # reap the agents so bash does not report each one as "Killed"
  for pid in "${AGENTS[@]:-}"; do [ -n "$pid" ] && wait "$pid" 2>/dev/null || true; done
  for n in "${NS[@]:-}"; do [ -n "$n" ] && ip netns del "$n" 2>/dev/null || true; done
  NS=(); AGENTS=()
}
trap 'cleanup; rm -f /tmp/$P-agent*.log' EXIT
mk() { ip netns add "$1"; NS+=("$1"); ip -n "$1" link set lo up; }
MAC=(x 0a:00:00:00:00:01 0a:00:00:00:00:02)

topology() {  # underlay: fresh namespaces for each datapath
  cleanup
  mk $P-ul; ip -n $P-ul link add br0 type bridge; ip -n $P-ul link set br0 up
  for i in 1 2; do
    mk $P-n$i; mk $P-p$i
    ip link add eth0 netns $P-n$i type veth peer name p$i netns $P-ul
    ip -n $P-ul link set p$i master br0; ip -n $P-ul link set p$i up
    ip -n $P-n$i addr add 172.31.0.$i/24 dev eth0; ip -n $P-n$i link set eth0 up
    if [ "$1" = nic-like ]; then
      # A wire carries complete checksums only, and a NIC hands the stack GRO trains. GRO on the node's end; the
      # bridge's end needs transmit checksumming (and so TSO) off as well, or the veth hands nothing to GRO.
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

user_vtep() {  # i j [options of UserspaceNode]
  local i=$1 j=$2 log=/tmp/$P-agent$1.log
  # shellcheck disable=SC2086
  ip netns exec $P-n$i "$JAVA" --enable-native-access=ALL-UNNAMED $AGENT_JAVA_OPTS -cp "$CP" \
    io.weft.agent.backend.userspace.UserspaceNode --public-ip 172.31.0.$i --subnet 10.244.$i.0/24 --mac ${MAC[$i]} \
    --peer 10.244.$j.0/24,172.31.0.$j,${MAC[$j]} ${3:-} >"$log" 2>&1 &
  AGENTS+=($!)
  for _ in $(seq 100); do grep -q READY "$log" && return 0; sleep 0.1; done
  echo "bench: userspace agent in node $i did not start:" >&2; cat "$log" >&2; exit 1
}

cpu_ticks() { local s=0; for pid in "${AGENTS[@]}"; do s=$((s + $(awk '{print $14+$15}' /proc/$pid/stat))); done; echo $s; }
rss_each() { local out=""; for pid in "${AGENTS[@]}"; do out="$out${out:+/}$(awk '/VmRSS/{printf "%d", $2/1024}' /proc/$pid/status)"; done; echo "$out"; }
busy() { awk '/^cpu /{print $2+$3+$4+$7+$8, $2+$3+$4+$5+$6+$7+$8}' /proc/stat; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN{ if (b > 0) printf "%.2fx", a/b; else printf "-" }'; }

iperf_tcp() {  # streams -> Gbit/s received
  ip netns exec $P-p2 iperf3 -s -1 -D -p 5201 >/dev/null; sleep 0.3
  ip netns exec $P-p1 iperf3 -c 10.244.2.5 -p 5201 -t "$T" -P "$1" -J 2>/dev/null \
    | awk -F'[:,]' '/"sum_received"/{f=1} f&&/"bits_per_second"/{printf "%.2f", $2/1e9; exit}'
}
iperf_udp64() {  # target bit rate (0 = unlimited) -> "kpps-received lost%"
  ip netns exec $P-p2 iperf3 -s -1 -D -p 5202 >/dev/null; sleep 0.3
  ip netns exec $P-p1 iperf3 -c 10.244.2.5 -p 5202 -u -l 64 -b "$1" -t "$T" -J 2>/dev/null | awk -F'[:,]' '
    /"sum"/{f=1} f&&/"packets"/{p=$2} f&&/"lost_packets"/{l=$2} f&&/"seconds"/{s=$2} f&&/"lost_percent"/{printf "%.0f %.1f", (p-l)/s/1000, $2; exit}'
}
ping_rtt() { ip netns exec $P-p1 ping -q -c 50 -i 0.02 10.244.2.5 | awk -F'/' '/rtt/{printf "%.0f", $5*1000}'; }

K_TCP1=0; K_TCP4=0; K_UDP=0; K_LOSS=0
run() {  # underlay name
  local ul=$1 name=$2
  ip netns exec $P-p1 ping -c 3 -i 0.2 -W 2 10.244.2.5 >/dev/null || { echo "bench: $name: no connectivity" >&2; exit 1; }
  # warm up (JIT) so the measurement sees steady state, as a long-running agent would; the kernel path gets the
  # same traffic first, so both are measured after the same history
  ip netns exec $P-p2 iperf3 -s -1 -D -p 5209 >/dev/null; sleep 0.3
  ip netns exec $P-p1 iperf3 -c 10.244.2.5 -p 5209 -t "$W" -P 2 >/dev/null 2>&1 || true
  local c0 c1 b0 b1 t0 t1 tcp1 tcp4 udp_at udp_max rtt agentcpu="-" rss="-" hz
  c0=$(cpu_ticks); read -r b0 t0 < <(busy)
  tcp1=$(iperf_tcp 1)
  c1=$(cpu_ticks); read -r b1 t1 < <(busy)
  tcp4=$(iperf_tcp 4)
  if [ "$name" = kernel ]; then
    udp_max=$(iperf_udp64 0); udp_at=$udp_max
    K_TCP1=$tcp1; K_TCP4=$tcp4; read -r K_UDP K_LOSS <<<"$udp_max"
  else
    # offered at the kernel path's rate in this run: what the kernel carried, the userspace path must carry too
    udp_at=$(iperf_udp64 $((K_UDP * 1000 * 64 * 8)))
    udp_max=$(iperf_udp64 0)
  fi
  rtt=$(ping_rtt)
  hz=$(getconf CLK_TCK)
  if [ ${#AGENTS[@]} -gt 0 ]; then
    agentcpu=$(awk -v d=$((c1 - c0)) -v hz="$hz" -v t="$T" 'BEGIN{printf "%.0f%%", 100*d/hz/t}')
    rss=$(rss_each)
  fi
  local sys; sys=$(awk -v a=$((b1 - b0)) -v b=$((t1 - t0)) 'BEGIN{printf "%.0f%%", (b > 0) ? 100*a/b : 0}')
  local r1="" r4="" ru=""
  if [ "$name" != kernel ]; then
    r1=" $(ratio "$tcp1" "$K_TCP1")"; r4=" $(ratio "$tcp4" "$K_TCP4")"; ru=" $(ratio "${udp_at%% *}" "$K_UDP")"
  fi
  printf "%-9s %-21s %-12s %-12s %-22s %-15s %6s %8s %9s %9s\n" "$ul" "$name" "$tcp1$r1" "$tcp4$r4" \
    "${udp_at%% *} (${udp_at##* }%)$ru" "${udp_max%% *} (${udp_max##* }%)" "$rtt" "$agentcpu" "$sys" "$rss"
}

echo "weft VXLAN datapath benchmark: $(uname -r), $(nproc) CPUs, ${T}s per test after ${W}s of warm-up, $(date -u +%FT%TZ)"
echo "agents: $AGENT_JAVA_OPTS"
printf "%-9s %-21s %-12s %-12s %-22s %-15s %6s %8s %9s %9s\n" underlay datapath "TCP1 Gb/s" "TCP4 Gb/s" \
  "UDP64 kpps (lost)" "UDP64 max kpps" "RTT us" "agents*" "machine*" "RSS MiB"
for ul in ${UNDERLAYS:-nic-like veth}; do
  topology "$ul"; kernel_vtep 1 2; kernel_vtep 2 1; AGENTS=(); run "$ul" kernel
  topology "$ul"; AGENTS=(); user_vtep 1 2; user_vtep 2 1; run "$ul" userspace
  grep -h READY /tmp/$P-agent1.log | sed "s/^/  # $ul: /" >&2
  if [ -n "${NO_OFFLOAD:-}" ]; then
    topology "$ul"; AGENTS=(); user_vtep 1 2 "--no-offload --no-udp-gro"; user_vtep 2 1 "--no-offload --no-udp-gro"
    run "$ul" userspace-no-offload
  fi
done
read -r wake50 wake90 < <("$JAVA" -cp "$CP" io.weft.agent.lab.WakeLatency 200 20)
echo "thread wake-up after 20 ms asleep on this machine: p50 ${wake50} us, p90 ${wake90} us (a round trip through two"
echo "  userspace VTEPs wakes agent threads three times, the kernel's VXLAN path none)"
echo "UDP64: received rate; userspace rows offered at the kernel row's rate (ratio to it), max = offered unlimited."
echo "* CPU during the 1-stream TCP test: agents = both agents' user+sys time / wall time (100% = one core);"
echo "  machine = all CPUs busy (kernel softirq work included), shared with whatever else runs on this host."
