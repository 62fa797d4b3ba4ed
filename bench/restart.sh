#!/usr/bin/env bash
# Restart after kill -9: `skein up` (embedded broker in the same JVM) holds some sessions, its whole
# process group is SIGKILLed, and the same command starts again on the same data directory. Prints,
# in ms from the kill, when each phase of the new start was reached (read from the log) and when
# every probed session answered a turn again; repeats --runs times on the same data directory.
#
#   bench/restart.sh [--runs 3] [--sessions 200] [--probes 16] [--verbose] [--keep] [--app DIR]
#
# --verbose logs Kafka's own INFO lines (log recovery, Kafka Streams' restore and rebalance): more
# phases, and a little slower. --app: a folder with skein-app.jar and lib/ (default app/target; a
# copy of another build's makes an A/B comparison). Needs ./skein's build and curl. Figures are in
# docs/benchmarks.md, "Restart after kill -9".
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
runs=3 sessions=200 probes=16 verbose=0 keep=0 app="$here/app/target"
while [ $# -gt 0 ]; do
  case "$1" in
    --runs) runs="$2"; shift 2 ;;
    --sessions) sessions="$2"; shift 2 ;;
    --probes) probes="$2"; shift 2 ;;
    --verbose) verbose=1; shift ;;
    --keep) keep=1; shift ;;
    --app) app="$(cd "$2" && pwd)"; shift 2 ;;
    *) echo "usage: $0 [--runs N] [--sessions N] [--probes N] [--verbose] [--keep]" >&2; exit 2 ;;
  esac
done

jar="$app/skein-app.jar"
[ -f "$jar" ] || { echo "restart.sh: $jar is missing: run ./skein build first" >&2; exit 2; }
java="${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}/bin/java"
work="$(mktemp -d -t skein-restart.XXXXXX)"
data="$work/data"
log="$work/skein.log"
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
http_port="$(free_port)"
kafka_port="$(free_port)"
pid=""

cleanup() {
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then kill -TERM -- "-$pid" 2>/dev/null || true; sleep 5; kill -KILL -- "-$pid" 2>/dev/null || true; fi
  if [ "$keep" = 0 ]; then rm -rf "$work"; else echo "kept $work" >&2; fi
}
trap cleanup EXIT

jvm_opts=(-Xmx1g --enable-native-access=ALL-UNNAMED --sun-misc-unsafe-memory-access=allow)
if [ "$verbose" = 1 ]; then
  cat >"$work/logback.xml" <<'EOF'
<configuration>
  <turboFilter class="dev.skein.app.logging.ExpectedRecoveryFilter"/>
  <appender name="CONSOLE" class="ch.qos.logback.core.ConsoleAppender">
    <encoder><pattern>%d{HH:mm:ss.SSS} %-5level %logger{0} - %msg%n</pattern></encoder>
  </appender>
  <logger name="org.apache.kafka" level="INFO"/>
  <logger name="kafka" level="INFO"/>
  <logger name="org.apache.kafka.clients" level="WARN"/>
  <logger name="org.apache.kafka.common" level="WARN"/>
  <logger name="org.apache.kafka.streams.processor.internals.StreamsProducer" level="WARN"/>
  <root level="INFO"><appender-ref ref="CONSOLE"/></root>
</configuration>
EOF
  jvm_opts+=("-Dlogback.configurationFile=$work/logback.xml")
fi
# ./skein's own JVM options (SKEIN_JAVA_OPTS) apply here too.
# shellcheck disable=SC2206
jvm_opts+=(${SKEIN_JAVA_OPTS:-})

start() { # in a process group of its own, as a terminal runs ./skein up
  SKEIN_KAFKA_EMBEDDED_PORT="$kafka_port" SKEIN_SESSION_DEFAULT_AGENT=demo \
    setsid "$java" "${jvm_opts[@]}" -cp "$jar:$app/lib/*" dev.skein.app.Skein up \
    --data-dir "$data" --port "$http_port" >>"$log" 2>&1 &
  pid=$!
}
now_ms() { date +%s%3N; }
await_health() {
  until curl -fs -o /dev/null "http://127.0.0.1:$http_port/health"; do
    kill -0 "$pid" 2>/dev/null || { echo "skein up exited; see $log" >&2; tail -30 "$log" >&2; exit 1; }
    sleep 0.05
  done
}
turn() { # session message: retried until it is answered (connection refused while starting)
  local body
  until body="$(curl -fs --max-time 60 -X POST "http://127.0.0.1:$http_port/v1/sessions/$1/turns?wait=60" \
      -H 'content-type: application/json' -d "{\"message\":\"$2\"}")" && [[ "$body" == *'"COMPLETED"'* ]]; do
    sleep 0.02
  done
}
export -f turn
export http_port

start
await_health
echo "seeding $sessions sessions ..." >&2
seq 1 "$sessions" | xargs -P 8 -I{} bash -c 'turn s{} "what is 6*7?"'
# One clean stop and start first, as a node that has been stopped before (this is also when a
# JVM with -XX:+AutoCreateSharedArchive writes its class data archive).
stopped="$(now_ms)"
kill -TERM "$pid"
while kill -0 "$pid" 2>/dev/null; do sleep 0.05; done
echo "clean stop took $(($(now_ms) - stopped)) ms" >&2
start
await_health
history_before="$(curl -fs "http://127.0.0.1:$http_port/v1/sessions/s1/history")"

# The phases, as the log names them: "label|extended regex" (first match after the restart marker).
phases=(
  "first log line (JVM, config)|^[0-9:.]{12} "
  "broker: logs recovered|Loaded [0-9]+ logs"
  "broker: started|Kafka cluster .* started"
  "broker: answers metadata|Kafka ready at"
  "registry read|Embedded schema registry on topic"
  "tool worker started|Tool worker .* serving"
  "agent runner started|Agent runner started"
  "streams: tasks wiped|local state of tasks .* is deleted|no checkpoint after an unclean stop"
  "streams: RUNNING|Session topology .* -> RUNNING"
  "ingress listening|ingress listening on"
)

for run in $(seq 1 "$runs"); do
  load="$(cut -d' ' -f1 /proc/loadavg)"
  marker="==== restart.sh: run $run kill ===="
  killed="$(now_ms)"
  kill -KILL -- "-$pid"
  while kill -0 "$pid" 2>/dev/null; do sleep 0.01; done
  echo "$marker" >>"$log"
  restarted="$(now_ms)"
  start
  # Probes go out at once and are retried until the ingress takes them, so the last answer is the
  # moment every probed session works again.
  seq 1 "$probes" | xargs -P "$probes" -I{} bash -c "turn s{} 'what is 2+3?'" &
  probing=$!
  await_health
  healthy="$(now_ms)"
  wait "$probing"
  answered="$(now_ms)"
  after="$(curl -fs "http://127.0.0.1:$http_port/v1/sessions/s1/history")"
  intact="$(python3 -c 'import json,sys; b=json.loads(sys.argv[1])["messages"]; a=json.loads(sys.argv[2])["messages"]
print("yes" if a[:len(b)]==b and len(a)>len(b) else "NO")' "$history_before" "$after")"
  history_before="$after"
  day="$(date -u +%F)"
  echo "run $run (load $load): restart began +$((restarted - killed)) ms, healthy +$((healthy - killed)) ms," \
       "every probe answered +$((answered - killed)) ms, s1 history kept: $intact"
  section="$(sed -n "/$marker/,\$p" "$log")"
  for phase in "${phases[@]}"; do
    label="${phase%%|*}" pattern="${phase#*|}"
    line="$(grep -m1 -E "$pattern" <<<"$section" || true)"
    [ -n "$line" ] || continue
    at="$(date -u -d "$day ${line:0:12}" +%s%3N)"
    printf '  %-26s +%5d ms\n' "$label" "$((at - killed))"
  done
done
