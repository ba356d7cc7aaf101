#!/usr/bin/env bash
# JMH: per-packet Java cost of the userspace datapath (encap, decap, TSO segmentation, receive coalescing).
# Usage: bench/jmh.sh [extra JMH args]   (defaults: 1 fork, 2x1s warmup, 3x1s measurement)
set -euo pipefail
cd "$(dirname "$0")/.."
export JAVA_HOME=${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}
mvn -B -q -ntp -pl agent -am test-compile dependency:build-classpath -Dmdep.includeScope=test \
  -Dmdep.outputFile=target/jmh.classpath >&2
CP="agent/target/test-classes:agent/target/classes:core/target/classes:$(cat agent/target/jmh.classpath)"
exec "$JAVA_HOME/bin/java" --enable-native-access=ALL-UNNAMED -cp "$CP" org.openjdk.jmh.Main \
  -f 1 -wi 2 -w 1s -i 3 -r 1s "${@:-EncapDecapBenchmark}"
