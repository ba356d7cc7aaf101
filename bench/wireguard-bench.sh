#!/usr/bin/env bash
# One run comparing encrypted and plain pod-to-pod paths on the two-node netns topology of bench/lib (needs root,
# iperf3, ethtool, wireguard-go and wg from Debian's wireguard-go and wireguard-tools):
#   weft userspace VXLAN  – weft's own VXLAN datapath (no encryption: the cost of the userspace path alone)
#   wireguard-go          – Debian's wireguard-go on both nodes, configured with wg as flannel configures flannel-wg
#   weft userspace WG     – weft's own WireGuard (TUN TSO in, sealed segments out with UDP GSO) on both nodes
#   kernel VXLAN          – the Linux VXLAN device, for scale
# For each: iperf3 TCP 1 and 4 streams, UDP 64-byte packets, ping RTT, the datapath processes' CPU and RSS.
# Pods get the datapath's MTU (1450 for VXLAN, 1420 for WireGuard), as the CNI plugin sets it from FLANNEL_MTU.
# Usage: bench/wireguard-bench.sh [seconds-per-test (default 10)] [warm-up seconds (default 20)]
set -euo pipefail
cd "$(dirname "$0")/.."
T=${1:-10}
W=${2:-20}
for tool in wg wireguard-go; do command -v $tool >/dev/null || { echo "bench: needs $tool (apt-get install wireguard-go wireguard-tools)" >&2; exit 1; }; done
. bench/lib/netns-bench.sh
KEYS=$(mktemp -d)
for i in 1 2; do (umask 077; wg genkey >"$KEYS/k$i"); wg pubkey <"$KEYS/k$i" >"$KEYS/p$i"; done

wireguard_go() {  # i j: the device flannel configures, run by wireguard-go (a name per node: their sockets share a directory)
  local i=$1 j=$2 n=$P-n$1 dev=wgb$1
  ip netns exec $n wireguard-go $dev
  ip netns exec $n wg set $dev private-key "$KEYS/k$i" listen-port 51820 \
    peer "$(cat "$KEYS/p$j")" endpoint 172.31.0.$j:51820 allowed-ips 10.244.$j.0/24
  ip -n $n link set $dev mtu 1420; ip -n $n addr add 10.244.$i.0/32 dev $dev; ip -n $n link set $dev up
  ip -n $n route add 10.244.0.0/16 dev $dev
  AGENTS+=($(ip netns pids $n))
}

weft_wg() {  # i j [options of WgNode]
  local i=$1 j=$2
  agent_java "$i" /tmp/$P-wg$1.log io.weft.lab.wireguard.WgNode --public-ip 172.31.0.$i --subnet 10.244.$i.0/24 \
    --key-file "$KEYS/k$i" --peer 10.244.$j.0/24,172.31.0.$j,"$(cat "$KEYS/p$j")" ${3:-}
}

echo "weft WireGuard benchmark: $(uname -r), $(nproc) CPUs, ${T}s per test after ${W}s of warm-up, underlay ${UNDERLAY:-nic-like}, $(wireguard-go --version 2>/dev/null | head -1), $(date -u +%FT%TZ)"
header
topology 1450; user_vtep 1 2; user_vtep 2 1; run "weft userspace VXLAN"
topology 1420; wireguard_go 1 2; wireguard_go 2 1; run "wireguard-go"
topology 1420; weft_wg 1 2; weft_wg 2 1; run "weft userspace WG"
grep -h "userspace WireGuard on" /tmp/$P-wg1.log | sed 's/^.*INFO: /  # /' >&2 || true
topology 1450; kernel_vtep 1 2; kernel_vtep 2 1; run "kernel VXLAN"
cpu_footnote
rm -rf "$KEYS"
