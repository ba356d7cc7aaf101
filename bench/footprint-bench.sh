#!/usr/bin/env bash
# weftd's memory, the way a node runs it (the launcher agent/target/weftd with its JVM options and AOT cache), for
# each lease store and datapath, beside the goals of issue 16: two nodes in network namespaces, each agent's RSS
# after SECONDS (default 60) of running; the userspace datapath with iperf3 TCP between the nodes' pods all that time.
#   lease directory / kernel VXLAN     goal <= 64 MiB
#   etcd (Debian's etcd) / kernel      goal <= 64 MiB
#   Kubernetes / kernel                goal <= 96 MiB  (against the lab's stand-in API server, fabric8's mock with
#                                                       kube-apiserver's nodes/status rules: no real one runs here)
#   lease directory / userspace        goal <= 128 MiB (under load)
# Usage: sudo bench/footprint-bench.sh [seconds]      FOOTPRINT_NMT=1 adds the JVM's own account (NMT) per agent;
#        ROWS="dir etcd kube userspace" picks rows; WEFT_JAVA_OPTS is passed on to the launcher and AGENT_ENV
#        (VAR=value ...) to its environment, to try options.
# Needs root, iproute2, iperf3, etcd-server + etcd-client. Traffic stays inside the namespaces it creates.
set -euo pipefail
cd "$(dirname "$0")/.."
S=${1:-60}
export JAVA_HOME=${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}
for tool in iperf3 ip etcd etcdctl; do command -v $tool >/dev/null || { echo "footprint: needs $tool" >&2; exit 1; }; done
if [ ! -x agent/target/weftd ] || [ ! -f lab/target/lib/weft-lab.jar ]; then
  mvn -B -q -ntp -pl lab -am package -DskipTests >&2
fi
LAB_CP="lab/target/lib/*"
P=wf$$
W=$(mktemp -d /tmp/weft-footprint-XXXX)
NS=()
PIDS=()
cleanup() {
  for n in "${NS[@]:-}"; do [ -n "$n" ] && for pid in $(ip netns pids "$n" 2>/dev/null); do kill -9 "$pid" 2>/dev/null || true; done; done
  for pid in "${PIDS[@]:-}"; do [ -n "$pid" ] && wait "$pid" 2>/dev/null || true; done
  for n in "${NS[@]:-}"; do [ -n "$n" ] && ip netns del "$n" 2>/dev/null || true; done
  NS=(); PIDS=()
}
trap 'cleanup; rm -rf "$W"' EXIT
mk() { ip netns add "$1"; NS+=("$1"); ip -n "$1" link set lo up; }

topology() {  # fresh namespaces: underlay bridge with 172.31.0.254 for services, two nodes, one pod each
  cleanup
  mk $P-ul; ip -n $P-ul link add br0 type bridge; ip -n $P-ul addr add 172.31.0.254/24 dev br0; ip -n $P-ul link set br0 up
  for i in 1 2; do
    mk $P-n$i; mk $P-p$i
    ip link add eth0 netns $P-n$i type veth peer name p$i netns $P-ul
    ip -n $P-ul link set p$i master br0; ip -n $P-ul link set p$i up
    ip -n $P-n$i addr add 172.31.0.$i/24 dev eth0; ip -n $P-n$i link set eth0 up
    ip netns exec $P-n$i sysctl -qw net.ipv4.ip_forward=1
    rm -rf "$W/n$i"; mkdir -p "$W/n$i"
  done
}

pods() {  # one pod per node on cni0 with the node's subnet (from subnet.env), as the CNI plugin would
  for i in 1 2; do
    local sub gw
    sub=$(sed -n 's/^FLANNEL_SUBNET=//p' "$W/n$i/subnet.env")
    gw=${sub%/*}
    ip link add eth0 netns $P-p$i type veth peer name veth$i netns $P-n$i
    ip -n $P-n$i link add cni0 type bridge; ip -n $P-n$i addr add "$sub" dev cni0; ip -n $P-n$i link set cni0 up
    ip -n $P-n$i link set veth$i master cni0; ip -n $P-n$i link set veth$i up
    ip -n $P-p$i addr add "${gw%.*}.5/${sub#*/}" dev eth0; ip -n $P-p$i link set eth0 up
    ip -n $P-p$i route add default via "$gw"
  done
}

agent() {  # i args... : weftd on node i through the launcher
  local i=$1; shift
  # shellcheck disable=SC2086
  ip netns exec $P-n$i env ${AGENT_ENV:-} NODE_NAME=node$i WEFT_JAVA_OPTS="${NMT_OPTS:-} ${WEFT_JAVA_OPTS:-}" agent/target/weftd --iface eth0 \
    --subnet-file "$W/n$i/subnet.env" --debug-socket "$W/n$i/weftd.sock" "$@" >"$W/n$i/weftd.log" 2>&1 &
  PIDS+=($!)
}

await_subnets() {
  for i in 1 2; do
    for _ in $(seq 300); do [ -s "$W/n$i/subnet.env" ] && break; sleep 0.1; done
    [ -s "$W/n$i/subnet.env" ] || { echo "footprint: agent on node $i did not start:" >&2; cat "$W/n$i/weftd.log" >&2; exit 1; }
  done
}

rss() {  # pid -> "RSS (anon+file)" in MiB
  awk '/^Rss:/{r=$2} /^Anonymous:/{a=$2} END{printf "%d (%d+%d)", r/1024, a/1024, (r-a)/1024}' "/proc/$1/smaps_rollup"
}

row() {  # label goal
  local label=$1 goal=$2 r1 r2
  r1=$(rss "${PIDS[0]}"); r2=$(rss "${PIDS[1]}")
  printf "%-28s %-20s %-20s %s\n" "$label" "$r1" "$r2" "$goal"
  if [ -n "${FOOTPRINT_NMT:-}" ]; then
    "$JAVA_HOME/bin/jcmd" "${PIDS[0]}" VM.native_memory summary 2>/dev/null | grep -E "^-|Total:" | sed 's/^/    /' || true
    "$JAVA_HOME/bin/jcmd" "${PIDS[0]}" GC.heap_info 2>/dev/null | sed 1d | sed 's/^/    /' || true
    echo "    threads: $(ls /proc/${PIDS[0]}/task | wc -l); largest mappings (RSS kB):"
    awk '/^[0-9a-f]+-[0-9a-f]+ /{name=$6} /^Rss:/{r[name]+=$2} END{for (n in r) print r[n], (n == "" ? "[anon]" : n)}' \
      "/proc/${PIDS[0]}/smaps" | sort -rn | head -6 | sed 's/^/      /'
  fi
}

NETCONF='{"Network":"10.244.0.0/16","Backend":{"Type":"vxlan"}}'
NETCONF_US='{"Network":"10.244.0.0/16","Backend":{"Type":"vxlan","Datapath":"userspace"}}'
[ -n "${FOOTPRINT_NMT:-}" ] && NMT_OPTS="-XX:NativeMemoryTracking=summary"

echo "weftd footprint: $(uname -r), $(nproc) CPUs, RSS after ${S}s per agent, $(date -u +%FT%TZ)"
echo "launcher: $(sed -n 's/^mem_opts="\(.*\)"$/\1/p' agent/target/weftd), $(sed -n 's/^lean_opts="\(.*\)"$/\1/p' agent/target/weftd) unless net-conf.json's Datapath is userspace, AOT cache $(case " ${AGENT_ENV:-} " in *" WEFT_AOT_CACHE=on "*) echo "on for every row";; *" WEFT_AOT_CACHE=off "*) echo "off for every row";; *) echo "on for the userspace row, off for the kernel rows (the launcher's default; AGENT_ENV=WEFT_AOT_CACHE=on|off for all)";; esac)"
printf "%-28s %-20s %-20s %s\n" "store / datapath" "node1 MiB (anon+file)" "node2 MiB (anon+file)" goal

row_dir() {
  topology; echo "$NETCONF" >"$W/net-conf.json"; rm -rf "$W/leases"; mkdir -p "$W/leases"
  for i in 1 2; do agent $i --lease-dir "$W/leases" --net-config-path "$W/net-conf.json"; done
  await_subnets; sleep "$S"; row "lease directory / kernel" "<= 64 MiB"
}

row_etcd() {
  topology
  rm -rf "$W/etcd"; mkdir -p "$W/etcd"
  ip netns exec $P-ul etcd --name wf --data-dir "$W/etcd" --listen-client-urls http://172.31.0.254:2379 \
    --advertise-client-urls http://172.31.0.254:2379 --listen-peer-urls http://127.0.0.1:2380 >"$W/etcd.log" 2>&1 &
  for _ in $(seq 100); do ip netns exec $P-ul etcdctl --endpoints http://172.31.0.254:2379 endpoint health >/dev/null 2>&1 && break; sleep 0.1; done
  ip netns exec $P-ul etcdctl --endpoints http://172.31.0.254:2379 put /coreos.com/network/config "$NETCONF" >/dev/null
  for i in 1 2; do agent $i --etcd-endpoints http://172.31.0.254:2379; done
  await_subnets; sleep "$S"; row "etcd / kernel" "<= 64 MiB"
}

row_kube() {
  topology; echo "$NETCONF" >"$W/net-conf.json"
  coproc API { ip netns exec $P-ul "$JAVA_HOME/bin/java" -Xmx256m -cp "$LAB_CP" io.weft.lab.kube.MockApiServer 172.31.0.254 6443 2>/dev/null; }
  local ready
  read -r ready <&"${API[0]}"; [[ $ready == READY* ]] || { echo "footprint: mock API server: $ready" >&2; exit 1; }
  for i in 1 2; do echo "node node$i 10.244.$((i * 4)).0/24" >&"${API[1]}"; read -r _ <&"${API[0]}"; done
  for i in 1 2; do agent $i --kube-subnet-mgr --kube-api-url http://172.31.0.254:6443 --net-config-path "$W/net-conf.json"; done
  await_subnets; sleep "$S"; row "Kubernetes (stand-in) / kernel" "<= 96 MiB"
}

row_userspace() {
  topology; echo "$NETCONF_US" >"$W/net-conf-us.json"; rm -rf "$W/leases"; mkdir -p "$W/leases"
  for i in 1 2; do agent $i --lease-dir "$W/leases" --net-config-path "$W/net-conf-us.json"; done
  await_subnets; pods
  ip netns exec $P-p2 iperf3 -s -1 -D -p 5201 >/dev/null; sleep 0.3
  local dst load
  dst=$(ip -n $P-p2 -4 -o addr show dev eth0 | awk '{print $4}'); dst=${dst%/*}
  ip netns exec $P-p1 iperf3 -c "$dst" -p 5201 -t "$S" -P 2 >/dev/null 2>&1 &
  load=$!
  sleep "$((S - 2))"; row "lease directory / userspace" "<= 128 MiB (iperf3 TCP)"
  wait $load || true
}

for r in ${ROWS:-dir etcd kube userspace}; do "row_$r"; done
echo "RSS = VmRSS: anonymous memory (heap, metaspace, code, stacks, direct buffers) + file pages (jars, the AOT cache, libraries)"
