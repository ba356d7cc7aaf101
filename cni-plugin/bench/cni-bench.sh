#!/bin/bash
# ADD and DEL latency of the weft plugin and of the reference bridge + host-local, in the same run, on the
# same kind of pods: N pods each (default 50), calls interleaved weft/reference so both see the same machine.
# Each plugin runs inside its own test "node" namespace, the pods are namespaces made here: nothing touches
# the machine's own network namespace. Needs root, `mvn -DskipTests package` (target/weft) and Debian's
# containernetworking-plugins (/usr/lib/cni).
#
#   cni-plugin/bench/cni-bench.sh [pods] [path/to/weft] [path/to/other/weft]
#   DUAL_STACK=1 cni-plugin/bench/cni-bench.sh ...   # every pod gets an IPv4 and an IPv6 address, both plugins
#
# With a second weft (e.g. a build of an earlier commit), both are measured interleaved with the reference in
# the same run, each in a node namespace of its own: on a loaded machine, runs minutes apart are not comparable.
set -euo pipefail
pods=${1:-50}
here=$(cd "$(dirname "$0")" && pwd)
weft=${2:-$here/../target/weft}
other=${3:-}
ref=/usr/lib/cni
[ "$(id -u)" = 0 ] || { echo "cni-bench: needs root (network namespaces)" >&2; exit 1; }
[ -x "$weft" ] || { echo "cni-bench: $weft missing: mvn -pl cni-plugin -am -DskipTests package" >&2; exit 1; }
[ -z "$other" ] || [ -x "$other" ] || { echo "cni-bench: $other is not executable" >&2; exit 1; }
[ -x "$ref/bridge" ] && [ -x "$ref/host-local" ] || { echo "cni-bench: apt-get install containernetworking-plugins" >&2; exit 1; }

tag=cnib-$$
dir=$(mktemp -d)
cleanup() {
  for ns in $(ip netns list | awk '{print $1}' | grep "^$tag-" || true); do ip netns del "$ns" 2>/dev/null || true; done
  rm -rf "$dir"
}
trap cleanup EXIT

ip netns add "$tag-wnode"; ip netns add "$tag-rnode"
for i in $(seq 1 "$pods"); do ip netns add "$tag-w$i"; ip netns add "$tag-r$i"; done
if [ -n "$other" ]; then ip netns add "$tag-onode"; for i in $(seq 1 "$pods"); do ip netns add "$tag-o$i"; done; fi
printf 'FLANNEL_NETWORK=10.244.0.0/16\nFLANNEL_SUBNET=10.244.1.1/24\nFLANNEL_MTU=1450\nFLANNEL_IPMASQ=true\n' > "$dir/subnet.env"
ranges='[[{"subnet":"10.244.1.0/24"}]]'
routes='[{"dst":"10.244.0.0/16"}]'
if [ "${DUAL_STACK:-0}" = 1 ]; then
  # flannel's dual-stack subnet.env, and host-local's ranges as flannel's CNI plugin hands them to the bridge plugin
  printf 'FLANNEL_NETWORK=10.244.0.0/16\nFLANNEL_SUBNET=10.244.1.1/24\nFLANNEL_IPV6_NETWORK=fd00:10:244::/56\nFLANNEL_IPV6_SUBNET=fd00:10:244:1::1/64\nFLANNEL_MTU=1450\nFLANNEL_IPMASQ=true\n' > "$dir/subnet.env"
  ranges='[[{"subnet":"10.244.1.0/24"}],[{"subnet":"fd00:10:244:1::/64"}]]'
  routes='[{"dst":"10.244.0.0/16"},{"dst":"fd00:10:244::/56"}]'
fi
wconf='{"cniVersion":"1.0.0","name":"bench","type":"weft","subnetFile":"'$dir'/subnet.env","dataDir":"'$dir/w'","hairpinMode":true,"isDefaultGateway":true}'
oconf='{"cniVersion":"1.0.0","name":"bench","type":"weft","subnetFile":"'$dir'/subnet.env","dataDir":"'$dir/o'","hairpinMode":true,"isDefaultGateway":true}'
rconf='{"cniVersion":"1.0.0","name":"bench","type":"bridge","bridge":"cni0","isGateway":true,"isDefaultGateway":true,"hairpinMode":true,"mtu":1450,"ipam":{"type":"host-local","dataDir":"'$dir/r/networks'","ranges":'$ranges',"routes":'$routes'}}'

# one call, timed with bash's microsecond clock (no fork for the clock itself); prints milliseconds
call() { # node exe cmd id netns conf
  local t0 t1
  t0=$EPOCHREALTIME
  if ! printf '%s' "$6" | ip netns exec "$1" env -i PATH="$PATH" CNI_COMMAND="$3" CNI_CONTAINERID="$4" \
      CNI_NETNS="/var/run/netns/$5" CNI_IFNAME=eth0 CNI_PATH="$ref" "$2" > "$dir/out" 2> "$dir/err"; then
    echo "cni-bench: $2 $3 $4 failed: $(cat "$dir/out" "$dir/err")" >&2; exit 1
  fi
  t1=$EPOCHREALTIME
  echo "$(( (${t1/./} - ${t0/./}) ))" | awk '{printf "%.2f\n", $1/1000}'
}

# warm-up outside the measurement (page cache, first bridge creation)
call "$tag-wnode" "$weft" ADD warm "$tag-w1" "$wconf" >/dev/null; call "$tag-wnode" "$weft" DEL warm "$tag-w1" "$wconf" >/dev/null
call "$tag-rnode" "$ref/bridge" ADD warm "$tag-r1" "$rconf" >/dev/null; call "$tag-rnode" "$ref/bridge" DEL warm "$tag-r1" "$rconf" >/dev/null
if [ -n "$other" ]; then
  call "$tag-onode" "$other" ADD warm "$tag-o1" "$oconf" >/dev/null; call "$tag-onode" "$other" DEL warm "$tag-o1" "$oconf" >/dev/null
fi

: > "$dir/w.add"; : > "$dir/r.add"; : > "$dir/w.del"; : > "$dir/r.del"; : > "$dir/o.add"; : > "$dir/o.del"
for i in $(seq 1 "$pods"); do
  call "$tag-wnode" "$weft" ADD "c$i" "$tag-w$i" "$wconf" >> "$dir/w.add"
  call "$tag-rnode" "$ref/bridge" ADD "c$i" "$tag-r$i" "$rconf" >> "$dir/r.add"
  [ -z "$other" ] || call "$tag-onode" "$other" ADD "c$i" "$tag-o$i" "$oconf" >> "$dir/o.add"
done
for i in $(seq 1 "$pods"); do
  call "$tag-wnode" "$weft" DEL "c$i" "$tag-w$i" "$wconf" >> "$dir/w.del"
  call "$tag-rnode" "$ref/bridge" DEL "c$i" "$tag-r$i" "$rconf" >> "$dir/r.del"
  [ -z "$other" ] || call "$tag-onode" "$other" DEL "c$i" "$tag-o$i" "$oconf" >> "$dir/o.del"
done

version() { # exe -> ms
  local t0 t1
  t0=$EPOCHREALTIME
  printf '{"cniVersion":"1.0.0"}' | env -i CNI_COMMAND=VERSION "$1" > /dev/null
  t1=$EPOCHREALTIME
  echo "$(( (${t1/./} - ${t0/./}) ))" | awk '{printf "%.2f\n", $1/1000}'
}
: > "$dir/w.ver"; : > "$dir/o.ver"
for i in $(seq 1 "$pods"); do
  version "$weft" >> "$dir/w.ver"
  [ -z "$other" ] || version "$other" >> "$dir/o.ver"
done

stats() { # file -> "median p99"
  sort -n "$1" | awk '{a[NR]=$1} END {
    m = (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2;
    i = int(NR * 0.99 + 0.999999); if (i < 1) i = 1; if (i > NR) i = NR;
    printf "%8.1f %8.1f", m, a[i] }'
}
echo "CNI plugin latency over $pods pods$([ "${DUAL_STACK:-0}" = 1 ] && echo ", dual-stack"), ms (each call includes 'ip netns exec'; $(nproc) cores, load $(cut -d' ' -f1 /proc/loadavg))"
printf '%-28s %8s %8s   %8s %8s\n' plugin "ADD med" "ADD p99" "DEL med" "DEL p99"
printf '%-28s %s   %s\n' "weft ($(basename "$weft"))" "$(stats "$dir/w.add")" "$(stats "$dir/w.del")"
[ -z "$other" ] || printf '%-28s %s   %s\n' "other weft ($other)" "$(stats "$dir/o.add")" "$(stats "$dir/o.del")"
printf '%-28s %s   %s\n' "reference bridge+host-local" "$(stats "$dir/r.add")" "$(stats "$dir/r.del")"
printf '%-28s %s   (weft VERSION: launcher + JVM start, no work)\n' "weft VERSION" "$(stats "$dir/w.ver")"
[ -z "$other" ] || printf '%-28s %s\n' "other weft VERSION" "$(stats "$dir/o.ver")"
