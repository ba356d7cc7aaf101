# Shared by the datapath benchmarks (sourced, not run): a two-node netns topology on either underlay, the datapaths
# to put on it, and one measured row per datapath. Needs root, iperf3, ethtool, iproute2. Traffic stays inside the
# namespaces it creates. The caller sets T (seconds per test) and W (warm-up seconds) and runs from the repository
# root. UNDERLAY (nic-like or veth, default nic-like) picks the underlay of topology():
#   nic-like – behaves like a real NIC: transmit checksums complete (a wire carries no partial ones), GRO on receive
#   veth     – veths with their default offloads, as Docker, kind and network namespaces give them (the kernel path
#              neither segments nor checksums there; a kernel node hands its peers partial checksums)
# V6=1 makes the topology dual-stack (nodes fd00:31::i on the underlay, pods fd00:10:244:i::5/64), the VTEPs carry
# IPv6 too (flannel-v6.1 over the IPv6 underlay, as flannel's vxlan backend), and each row adds IPv6 TCP and RTT.
JAVA_HOME=${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}
JAVA=$JAVA_HOME/bin/java
for tool in iperf3 ethtool ping ip bridge; do command -v $tool >/dev/null || { echo "bench: needs $tool" >&2; exit 1; }; done
if [ ! -f lab/target/lib/weft-lab.jar ]; then
  JAVA_HOME=$JAVA_HOME mvn -B -q -ntp -pl lab -am package -DskipTests >&2
fi
CP="lab/target/lib/*"
# The launcher's memory options (agent/src/main/launcher/weftd), as a DaemonSet's agent runs; AGENT_JAVA_OPTS overrides.
AGENT_JAVA_OPTS=${AGENT_JAVA_OPTS:-$(sed -n 's/^mem_opts="\(.*\)"$/\1/p' agent/src/main/launcher/weftd)}
P=wb$$
NS=()
AGENTS=()
cleanup() {
  # Kill and reap the agents with stderr closed for the whole block: bash reports a killed background job as
  # "Killed" at the first command boundary after its death, which can come before the wait that reaps it.
  {
    for n in "${NS[@]:-}"; do [ -n "$n" ] && for pid in $(ip netns pids "$n"); do kill -9 "$pid" || true; done; done
    for pid in "${AGENTS[@]:-}"; do [ -n "$pid" ] && wait "$pid" || true; done
  } 2>/dev/null
  for n in "${NS[@]:-}"; do [ -n "$n" ] && ip netns del "$n" 2>/dev/null || true; done
  NS=(); AGENTS=()
}
trap 'cleanup; rm -f /tmp/$P-*.log' EXIT
mk() { ip netns add "$1"; NS+=("$1"); ip -n "$1" link set lo up; }
MAC=(x 0a:00:00:00:00:01 0a:00:00:00:00:02)
MAC6=(x 0a:00:00:00:06:01 0a:00:00:00:06:02)
V6=${V6:-}

topology() {  # [pod MTU, as the CNI plugin sets it from FLANNEL_MTU]: fresh namespaces for each datapath
  cleanup
  mk $P-ul; ip -n $P-ul link add br0 type bridge; ip -n $P-ul link set br0 up
  for i in 1 2; do
    mk $P-n$i; mk $P-p$i
    ip link add eth0 netns $P-n$i type veth peer name p$i netns $P-ul
    ip -n $P-ul link set p$i master br0; ip -n $P-ul link set p$i up
    ip -n $P-n$i addr add 172.31.0.$i/24 dev eth0; ip -n $P-n$i link set eth0 up
    if [ "${UNDERLAY:-nic-like}" = nic-like ]; then
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
    if [ -n "${1:-}" ]; then
      ip -n $P-p$i link set eth0 mtu "$1"; ip -n $P-n$i link set veth$i mtu "$1"; ip -n $P-n$i link set cni0 mtu "$1"
    fi
    if [ -n "$V6" ]; then  # nodad: usable at once
      ip netns exec $P-n$i sysctl -qw net.ipv6.conf.all.forwarding=1
      ip -n $P-n$i addr add fd00:31::$i/64 dev eth0 nodad; ip -n $P-n$i addr add fd00:10:244:$i::1/64 dev cni0 nodad
      ip -n $P-p$i addr add fd00:10:244:$i::5/64 dev eth0 nodad; ip -n $P-p$i -6 route add default via fd00:10:244:$i::1
    fi
  done
}

kernel_vtep() {  # i j
  local i=$1 j=$2 n=$P-n$1
  ip -n $n link add flannel.1 address ${MAC[$i]} mtu 1450 type vxlan id 1 local 172.31.0.$i dev eth0 dstport 8472 nolearning
  ip -n $n addr add 10.244.$i.0/32 dev flannel.1; ip -n $n link set flannel.1 up
  ip -n $n route add 10.244.$j.0/24 via 10.244.$j.0 dev flannel.1 onlink
  ip -n $n neigh replace 10.244.$j.0 lladdr ${MAC[$j]} dev flannel.1 nud permanent
  bridge -n $n fdb append ${MAC[$j]} dev flannel.1 dst 172.31.0.$j self permanent
  [ -n "$V6" ] || return 0
  # flannel-v6.1 as flannel's vxlan backend makes it; MTU as the kernel gives a vxlan6 device (underlay - 70)
  ip -n $n link add flannel-v6.1 address ${MAC6[$i]} mtu 1430 type vxlan id 1 local fd00:31::$i dev eth0 dstport 8472 nolearning
  ip -n $n addr add fd00:10:244:$i::/128 dev flannel-v6.1; ip -n $n link set flannel-v6.1 up
  ip -n $n route add fd00:10:244:$j::/64 via fd00:10:244:$j:: dev flannel-v6.1 onlink
  ip -n $n neigh replace fd00:10:244:$j:: lladdr ${MAC6[$j]} dev flannel-v6.1 nud permanent
  bridge -n $n fdb append ${MAC6[$j]} dev flannel-v6.1 dst fd00:31::$j self permanent
}

agent_java() {  # i log main-class args...: a datapath JVM in node i, waited for until it prints READY
  local i=$1 log=$2; shift 2
  # shellcheck disable=SC2086
  ip netns exec $P-n$i env MALLOC_ARENA_MAX=2 "$JAVA" --enable-native-access=ALL-UNNAMED $AGENT_JAVA_OPTS -cp "$CP" "$@" >"$log" 2>&1 &
  AGENTS+=($!)
  for _ in $(seq 150); do grep -q READY "$log" && return 0; sleep 0.1; done
  echo "bench: agent in node $i did not start:" >&2; cat "$log" >&2; exit 1
}

user_vtep() {  # i j [options of UserspaceNode]
  local i=$1 j=$2 v6=""
  [ -n "$V6" ] && v6="--public-ipv6 fd00:31::$i --subnet6 fd00:10:244:$i::/64 --mac6 ${MAC6[$i]} --peer6 fd00:10:244:$j::/64,fd00:31::$j,${MAC6[$j]}"
  # shellcheck disable=SC2086
  agent_java "$i" /tmp/$P-agent$1.log io.weft.lab.userspace.UserspaceNode --public-ip 172.31.0.$i \
    --subnet 10.244.$i.0/24 --mac ${MAC[$i]} --peer 10.244.$j.0/24,172.31.0.$j,${MAC[$j]} $v6 ${3:-}
}

cpu_ticks() { local s=0; for pid in "${AGENTS[@]}"; do s=$((s + $(awk '{print $14+$15}' /proc/$pid/stat))); done; echo $s; }
rss_each() { local out=""; for pid in "${AGENTS[@]}"; do out="$out${out:+/}$(awk '/VmRSS/{printf "%d", $2/1024}' /proc/$pid/status)"; done; echo "$out"; }
busy() { awk '/^cpu /{print $2+$3+$4+$7+$8, $2+$3+$4+$5+$6+$7+$8}' /proc/stat; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN{ if (b > 0) printf "%.2fx", a/b; else printf "-" }'; }

iperf_tcp() {  # streams [destination, default pod 2's IPv4] -> Gbit/s received
  ip netns exec $P-p2 iperf3 -s -1 -D -p 5201 >/dev/null; sleep 0.3
  ip netns exec $P-p1 iperf3 -c "${2:-10.244.2.5}" -p 5201 -t "$T" -P "$1" -J 2>/dev/null \
    | awk -F'[:,]' '/"sum_received"/{f=1} f&&/"bits_per_second"/{printf "%.2f", $2/1e9; exit}'
}
iperf_udp64() {  # target bit rate (0 = unlimited) -> "kpps-received lost%"
  ip netns exec $P-p2 iperf3 -s -1 -D -p 5202 >/dev/null; sleep 0.3
  ip netns exec $P-p1 iperf3 -c 10.244.2.5 -p 5202 -u -l 64 -b "$1" -t "$T" -J 2>/dev/null | awk -F'[:,]' '
    /"sum"/{f=1} f&&/"packets"/{p=$2} f&&/"lost_packets"/{l=$2} f&&/"seconds"/{s=$2} f&&/"lost_percent"/{printf "%.0f %.1f", (p-l)/s/1000, $2; exit}'
}
ping_rtt() { ip netns exec $P-p1 ping -q -c 50 -i 0.02 "${1:-10.244.2.5}" | awk -F'/' '/rtt/{printf "%.0f", $5*1000}'; }

ROW="%-9s %-21s %-12s %-12s %-22s %-15s %6s %8s %9s %9s"
ROW6=" %-14s %9s"
header() {
  # shellcheck disable=SC2059
  printf "$ROW" underlay datapath "TCP1 Gb/s" "TCP4 Gb/s" "UDP64 kpps (lost)" "UDP64 max kpps" "RTT us" "agents*" "machine*" "RSS MiB"
  # shellcheck disable=SC2059
  [ -n "$V6" ] && printf "$ROW6" "v6 TCP1 Gb/s" "v6 RTT us"
  echo
}

K_TCP1=0; K_TCP4=0; K_UDP=0; K_LOSS=0; K_TCP6=0
run() {  # name: warm up, then one row (AGENTS: the datapath processes whose CPU and RSS count). A row named "kernel"
  # is the reference: rows after it on the same underlay show their ratio to it and get UDP offered at its rate.
  local name=$1 ul=${UNDERLAY:-nic-like} warm6=""
  ip netns exec $P-p1 ping -c 3 -i 0.2 -W 2 10.244.2.5 >/dev/null || { echo "bench: $name: no connectivity" >&2; exit 1; }
  # warm up (JIT) so the measurement sees steady state, as a long-running agent would; the kernel path gets the
  # same traffic first, so both are measured after the same history
  ip netns exec $P-p2 iperf3 -s -1 -D -p 5209 >/dev/null; sleep 0.3
  if [ -n "$V6" ]; then
    ip netns exec $P-p1 ping -6 -c 3 -i 0.2 -W 2 fd00:10:244:2::5 >/dev/null || { echo "bench: $name: no IPv6 connectivity" >&2; exit 1; }
    # IPv6 warms up at the same time: its branches of the hot path get compiled too
    ip netns exec $P-p2 iperf3 -s -1 -D -p 5208 >/dev/null; sleep 0.3
    ip netns exec $P-p1 iperf3 -c fd00:10:244:2::5 -p 5208 -t "$W" -P 1 >/dev/null 2>&1 &
    warm6=$!
  fi
  ip netns exec $P-p1 iperf3 -c 10.244.2.5 -p 5209 -t "$W" -P 2 >/dev/null 2>&1 || true
  [ -n "$warm6" ] && { wait "$warm6" || true; }
  local c0 c1 b0 b1 t0 t1 tcp1 tcp4 udp_at udp_max rtt agentcpu="-" rss="-" hz ref=""
  [ "$name" = kernel ] && ref=1
  c0=$(cpu_ticks); read -r b0 t0 < <(busy)
  tcp1=$(iperf_tcp 1)
  c1=$(cpu_ticks); read -r b1 t1 < <(busy)
  tcp4=$(iperf_tcp 4)
  udp_max=$(iperf_udp64 0); udp_at=$udp_max
  if [ -n "$ref" ]; then
    K_TCP1=$tcp1; K_TCP4=$tcp4; read -r K_UDP K_LOSS <<<"$udp_max"
  elif [ "$K_UDP" -gt 0 ]; then
    # offered at the kernel path's rate in this run: what the kernel carried, this path must carry too
    udp_at=$(iperf_udp64 $((K_UDP * 1000 * 64 * 8)))
  fi
  rtt=$(ping_rtt)
  local tcp6="" rtt6="" r6=""
  if [ -n "$V6" ]; then
    tcp6=$(iperf_tcp 1 fd00:10:244:2::5); rtt6=$(ping_rtt fd00:10:244:2::5)
    if [ -n "$ref" ]; then K_TCP6=$tcp6; elif [ "$K_UDP" -gt 0 ]; then r6=" $(ratio "$tcp6" "$K_TCP6")"; fi
  fi
  hz=$(getconf CLK_TCK)
  if [ ${#AGENTS[@]} -gt 0 ]; then
    agentcpu=$(awk -v d=$((c1 - c0)) -v hz="$hz" -v t="$T" 'BEGIN{printf "%.0f%%", 100*d/hz/t}')
    rss=$(rss_each)
  fi
  local sys; sys=$(awk -v a=$((b1 - b0)) -v b=$((t1 - t0)) 'BEGIN{printf "%.0f%%", (b > 0) ? 100*a/b : 0}')
  local r1="" r4="" ru=""
  if [ -z "$ref" ] && [ "$K_UDP" -gt 0 ]; then
    r1=" $(ratio "$tcp1" "$K_TCP1")"; r4=" $(ratio "$tcp4" "$K_TCP4")"; ru=" $(ratio "${udp_at%% *}" "$K_UDP")"
  fi
  # shellcheck disable=SC2059
  printf "$ROW" "$ul" "$name" "$tcp1$r1" "$tcp4$r4" \
    "${udp_at%% *} (${udp_at##* }%)$ru" "${udp_max%% *} (${udp_max##* }%)" "$rtt" "$agentcpu" "$sys" "$rss"
  # shellcheck disable=SC2059
  [ -n "$V6" ] && printf "$ROW6" "$tcp6$r6" "$rtt6"
  echo
}

cpu_footnote() {
  echo "UDP64: received rate (lost %); rows after the kernel row offered at its rate (ratio to it), max = offered unlimited."
  echo "* CPU during the 1-stream TCP test: agents = the datapath processes' user+sys time / wall time (100% = one"
  echo "  core); machine = all CPUs busy (kernel softirq work included), shared with whatever else runs on this host."
  echo "  RSS: each datapath process, node 1 / node 2."
}
