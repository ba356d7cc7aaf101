#!/bin/sh
# Installs the weft CNI plugin on a node: the launcher as <root>/opt/cni/bin/weft with its runtime directory
# <root>/opt/cni/bin/weft-runtime, and a conflist <root>/etc/cni/net.d/10-weft.conflist (weft, then the
# reference portmap). Run from the directory holding `weft` and `weft-runtime` (cni-plugin/target, or the
# node image). Each piece is written next to its target and renamed over it (the runtime directory through a
# symlink), so a runtime calling the plugin during an upgrade sees the old or the new one, never half of one.
#
#   install-cni.sh [--root DIR] [--bin-dir DIR] [--conf-dir DIR] [--name NET] [--no-conflist] [--force-conflist]
#
# --root prefixes both default directories (tests install into a temporary root). An existing conflist is
# kept unless --force-conflist is given.
set -eu
src=$(dirname "$(readlink -f "$0")")
root=""
bin_dir=""
conf_dir=""
name=cbr0
write_conf=1
force_conf=0
while [ $# -gt 0 ]; do
  case $1 in
    --root) root=$2; shift 2 ;;
    --bin-dir) bin_dir=$2; shift 2 ;;
    --conf-dir) conf_dir=$2; shift 2 ;;
    --name) name=$2; shift 2 ;;
    --no-conflist) write_conf=0; shift ;;
    --force-conflist) force_conf=1; shift ;;
    -h|--help) sed -n '2,13p' "$0"; exit 0 ;;
    *) echo "install-cni.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done
bin_dir=${bin_dir:-$root/opt/cni/bin}
conf_dir=${conf_dir:-$root/etc/cni/net.d}

[ -x "$src/weft" ] && [ -d "$src/weft-runtime/lib" ] || { echo "install-cni.sh: $src has no weft launcher and weft-runtime" >&2; exit 1; }
mkdir -p "$bin_dir"

# The runtime directory (jars, jlink runtime, AOT cache) goes to a new hidden directory of its own;
# `weft-runtime` is a symlink switched to it with one rename, so a call during an upgrade runs entirely on the
# old runtime or entirely on the new one. cp -p keeps the mtimes the launcher compares to decide whether the
# AOT cache still matches the jars.
stamp=$(date +%s).$$
new_rt=".weft-runtime.$stamp"
cp -pR "$src/weft-runtime" "$bin_dir/$new_rt"
ln -s "$new_rt" "$bin_dir/.weft-runtime.lnk.$$"
if [ -d "$bin_dir/weft-runtime" ] && [ ! -L "$bin_dir/weft-runtime" ]; then
  # a plain directory from an older layout: cannot be replaced by a symlink in one rename
  mv "$bin_dir/weft-runtime" "$bin_dir/.weft-runtime.old.$$"
fi
mv -T "$bin_dir/.weft-runtime.lnk.$$" "$bin_dir/weft-runtime"
# earlier versions: a plugin still running from one keeps its open files, deleting them is safe
for d in "$bin_dir"/.weft-runtime.*; do
  [ -e "$d" ] || continue
  [ "${d##*/}" = "$new_rt" ] || rm -rf "$d"
done
cp -p "$src/weft" "$bin_dir/.weft.new.$$"
chmod 755 "$bin_dir/.weft.new.$$"
mv -f "$bin_dir/.weft.new.$$" "$bin_dir/weft"

if [ "$write_conf" = 1 ]; then
  mkdir -p "$conf_dir"
  target="$conf_dir/10-weft.conflist"
  if [ -e "$target" ] && [ "$force_conf" = 0 ]; then
    echo "install-cni.sh: keeping existing $target" >&2
  else
    cat > "$conf_dir/.10-weft.conflist.$$" <<CONF
{
  "name": "$name",
  "cniVersion": "1.0.0",
  "plugins": [
    {
      "type": "weft",
      "subnetFile": "/run/flannel/subnet.env",
      "bridge": "cni0",
      "isDefaultGateway": true,
      "hairpinMode": true
    },
    {
      "type": "portmap",
      "capabilities": { "portMappings": true }
    }
  ]
}
CONF
    mv -f "$conf_dir/.10-weft.conflist.$$" "$target"
  fi
fi
echo "install-cni.sh: installed $bin_dir/weft" >&2
