#!/usr/bin/env bash
# Builds the weft node image: docker/build-image.sh [tag]   (default tag weft:0.1.0; needs root and a running dockerd)
#
# The context holds weftd's jars and launcher, a Java runtime made with jlink from the build JDK (only the modules
# weftd uses), and the CNI plugin with its installer. The base image is $WEFT_BASE_IMAGE (default
# weft-base:bookworm); when it is not there, it is made with mmdebstrap from this machine's apt sources: Debian's
# essential set plus iproute2, iptables, nftables, libpcap (weftd trace captures with it), kmod and ping, nothing
# pulled from a registry.
set -euo pipefail
cd "$(dirname "$0")/.."
TAG=${1:-weft:0.1.0}
BASE=${WEFT_BASE_IMAGE:-weft-base:bookworm}
JAVA_HOME=${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}
command -v docker >/dev/null || { echo "build-image: needs docker" >&2; exit 1; }
docker info >/dev/null 2>&1 || { echo "build-image: dockerd is not running" >&2; exit 1; }

if [ ! -f agent/target/lib/weft-agent.jar ] || [ ! -x cni-plugin/target/weft ]; then
  JAVA_HOME=$JAVA_HOME mvn -B -q -ntp -pl agent,cni-plugin -am package -DskipTests >&2
fi

# A default base made before libpcap or nftables joined its package list lacks them: make it again.
if [ -z "${WEFT_BASE_IMAGE:-}" ] && docker image inspect "$BASE" >/dev/null 2>&1 \
   && ! docker run --rm --entrypoint /bin/sh "$BASE" -c 'command -v nft && ls /usr/lib/*/libpcap.so.0.8' >/dev/null 2>&1; then
  echo "build-image: $BASE lacks nft or libpcap; making it again" >&2
  docker rmi "$BASE" >/dev/null
fi
if ! docker image inspect "$BASE" >/dev/null 2>&1; then
  command -v mmdebstrap >/dev/null || { echo "build-image: installing mmdebstrap" >&2; DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends mmdebstrap >/dev/null; }
  sources=""
  for f in /etc/apt/sources.list.d/*.sources /etc/apt/sources.list; do [ -s "$f" ] && { sources=$f; break; }; done
  [ -n "$sources" ] || { echo "build-image: no apt sources on this machine to build $BASE from" >&2; exit 1; }
  echo "build-image: making base image $BASE from Debian's packages ($sources)" >&2
  mmdebstrap --quiet --variant=essential --include=iproute2,iptables,nftables,libpcap0.8,kmod,iputils-ping \
    --aptopt='Acquire::Check-Valid-Until "false"' \
    --dpkgopt='path-exclude=/usr/share/doc/*' --dpkgopt='path-exclude=/usr/share/man/*' \
    --dpkgopt='path-exclude=/usr/share/locale/*' \
    bookworm - "$sources" | docker import - "$BASE" >/dev/null
fi

ctx=$(mktemp -d)
trap 'rm -rf "$ctx"' EXIT
# The modules jdeps finds in weftd's jars, plus java.management and java.naming that Netty and the Kubernetes
# client load reflectively when present.
"$JAVA_HOME/bin/jlink" --add-modules java.base,java.desktop,java.logging,java.management,java.naming,java.net.http,java.sql,jdk.httpserver,jdk.jfr,jdk.net,jdk.unsupported \
  --strip-debug --no-header-files --no-man-pages --output "$ctx/jre"
cp -r agent/target/lib "$ctx/lib"
mkdir -p "$ctx/native" && cp agent/target/native/*.so "$ctx/native/"
cp agent/target/weftd agent/target/make-aot-cache "$ctx/"
mkdir "$ctx/cni"
cp -pR cni-plugin/target/weft cni-plugin/target/weft-runtime cni-plugin/target/install-cni.sh "$ctx/cni/"
cp docker/Dockerfile "$ctx/"
docker build -q --build-arg BASE="$BASE" -t "$TAG" "$ctx" >/dev/null
# the image this tag named before is now untagged: remove it (and only weft's own such leftovers)
docker image prune -f --filter label=io.weft.image=node >/dev/null
echo "$TAG"
