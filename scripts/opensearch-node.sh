#!/usr/bin/env bash
# One OpenSearch 2.19 node on this machine for the request metrics (tools/opensearch-node): OpenSearch's own jars
# from Maven Central, started in one JVM, since no OpenSearch image can be pulled here. Called by
# ensure-services.sh (so by `npm test`, `npm start` and `npm run services`); `docker compose up` uses the official
# image instead.
#
#   bash scripts/opensearch-node.sh [start|stop|status]     (default: start)
#
# start: builds the launcher once (Maven; the jars are kept in ~/.m2 and tools/opensearch-node/target, which git
# ignores), starts the node when nothing answers yet, waits until it answers and prints where it listens.
#
# Environment:
#   OPENSEARCH_NODE_PORT       HTTP port on 127.0.0.1 (default 9200); the transport port is this + 100
#   OPENSEARCH_NODE_HOME       its data, log and pid file (default ${PLATFORM_HOME:-~/.platform}/opensearch-node)
#   OPENSEARCH_NODE_HEAP       JVM heap (default 512m)
set -uo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
# shellcheck source=scripts/lib/common.sh
source "$HERE/lib/common.sh"

PORT=${OPENSEARCH_NODE_PORT:-9200}
TRANSPORT_PORT=$(( PORT + 100 ))
NODE_HOME=${OPENSEARCH_NODE_HOME:-${PLATFORM_HOME:-$HOME/.platform}/opensearch-node}
HEAP=${OPENSEARCH_NODE_HEAP:-512m}
PROJECT=$ROOT/tools/opensearch-node
TARGET=$PROJECT/target
BUILT=$TARGET/built.stamp
LOG=$NODE_HOME/node.log
PID_FILE=$NODE_HOME/node.pid
URL="http://127.0.0.1:$PORT"

answers() { [[ $(curl -s -m 2 "$URL/" 2>/dev/null) == *'"cluster_name" : "platform-metrics"'* ]]; }
something_listens() { tcp_open 127.0.0.1 "$PORT" 1; }

# The launcher is rebuilt only when its sources changed since the last build.
build() {
  if [[ -f $BUILT && -z $(find "$PROJECT/pom.xml" "$PROJECT/src" -newer "$BUILT" -print -quit) ]]; then return 0; fi
  command -v mvn >/dev/null || { say_fail "Maven is not installed"; say_hint "as root, run: apt-get install -y maven"; return 1; }
  say_info "building the OpenSearch launcher with Maven (the first time it downloads OpenSearch's jars, a minute or two)"
  local started; started=$(now_ms)
  mkdir -p "$TARGET"
  # Maven prints one line per jar it downloads: shown as a count every 10 s rather than as hundreds of lines.
  mvn -B -f "$PROJECT/pom.xml" package -DskipTests >"$TARGET/build.log" 2>&1 &
  local maven=$!
  while kill -0 "$maven" 2>/dev/null; do
    sleep 10
    kill -0 "$maven" 2>/dev/null && say_info "still building ($(grep -c 'Downloaded from' "$TARGET/build.log") files downloaded so far)"
  done
  if ! wait "$maven"; then
    tail -n 25 "$TARGET/build.log" | sed 's/^/    /'
    say_fail "the OpenSearch launcher did not build (log in $TARGET/build.log)"
    return 1
  fi
  touch "$BUILT"
  say_ok "built the OpenSearch launcher ($(elapsed_since "$started"))"
}

start() {
  if answers; then say_ok "OpenSearch $URL (node of tools/opensearch-node, already running)"; return 0; fi
  if something_listens; then
    say_fail "something else listens on 127.0.0.1:$PORT"
    say_hint "stop it, or choose another port with OPENSEARCH_NODE_PORT (and OPENSEARCH_URL for the platform)"
    return 1
  fi
  command -v java >/dev/null || { say_fail "Java is not installed"; say_hint "as root, run: apt-get install -y openjdk-17-jdk-headless maven"; return 1; }
  build || return 1
  mkdir -p "$NODE_HOME"
  [[ -f $LOG ]] && mv -f "$LOG" "$LOG.1"
  say_info "starting OpenSearch on $URL (data in $NODE_HOME, log in $LOG)"
  # Its own session, so that it outlives this script and the test run that called it. The flags are those of
  # OpenSearch's own jvm.options that matter for one small node.
  setsid java -Xms"$HEAP" -Xmx"$HEAP" -XX:+UseG1GC -Dio.netty.noUnsafe=true -Dio.netty.noKeySetOptimization=true \
      -Dio.netty.allocator.numDirectArenas=0 -Dlog4j2.disable.jmx=true -Dfile.encoding=UTF-8 \
      -cp "$TARGET/classes:$TARGET/lib/*" platform.opensearch.OpenSearchNode "$NODE_HOME" "$PORT" "$TRANSPORT_PORT" \
      >"$LOG" 2>&1 </dev/null 9>&- &
  echo $! >"$PID_FILE"
  if ! wait_until 90 answers; then
    tail -n 25 "$LOG" | sed 's/^/    /'
    say_fail "OpenSearch did not answer on $URL within 90 s (log in $LOG)"
    return 1
  fi
  say_ok "OpenSearch $URL (node of tools/opensearch-node, heap $HEAP)"
}

stop() {
  [[ -f $PID_FILE ]] || { say_ok "no OpenSearch node of this script runs"; return 0; }
  local pid; pid=$(<"$PID_FILE")
  if kill -0 "$pid" 2>/dev/null; then
    kill "$pid"
    wait_until 30 bash -c "! kill -0 $pid 2>/dev/null" || kill -9 "$pid"
  fi
  rm -f "$PID_FILE"
  say_ok "OpenSearch stopped"
}

case ${1:-start} in
  start) start ;;
  stop) stop ;;
  status) if answers; then say_ok "OpenSearch $URL"; else say_fail "no OpenSearch node answers on $URL"; exit 1; fi ;;
  *) say_fail "unknown command '$1'"; say_hint "use: start, stop or status"; exit 2 ;;
esac
