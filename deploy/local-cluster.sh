#!/usr/bin/env bash
# deploy/local-cluster.sh: a Spark standalone cluster on this machine, bound to 127.0.0.1, started from the
# Spark jars Maven already resolved (cli/target/lib) -- no Spark download.
#
#   deploy/local-cluster.sh start [--workers N] [--cores C] [--memory M] [--port P] [--webui-port P]
#   deploy/local-cluster.sh stop
#   deploy/local-cluster.sh status
#
# start prints the master URL (and only that) on stdout: URL=$(deploy/local-cluster.sh start --workers 2).
# Each worker offers C cores and M memory to executors (defaults 1 core, 2g); Master and Worker daemons
# themselves run with -Xmx256m. --port 0 picks a free master port (the URL is read back from the log);
# a busy --port is retried upward by Spark, so always use the printed URL. Worker ports are random.
#
# Environment:
#   PIKE_CLUSTER_DIR  state directory: pid files, logs, worker dirs (default: target/local-cluster)
#   PIKE_CLASSPATH    classpath holding Spark and its dependencies (default: cli/target/lib/*)
#   JAVA              java executable (default: java on PATH)
#
# The Worker launches executors with SPARK_HOME/jars/* on their classpath (Spark's launcher refuses to start
# without a jars directory and a Scala version), so start builds STATE/spark-home/jars as symlinks to the
# jars of PIKE_CLASSPATH and exports SPARK_SCALA_VERSION=2.12.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
STATE="${PIKE_CLUSTER_DIR:-$ROOT/target/local-cluster}"
CLASSPATH_="${PIKE_CLASSPATH:-$ROOT/cli/target/lib/*}"
JAVA="${JAVA:-java}"
FLAGS_FILE="$ROOT/cli/target/jvm.flags"

die() { echo "local-cluster: $*" >&2; exit 2; }
say() { echo "local-cluster: $*" >&2; }

# a pid from a pid file, if that process is alive and still a Spark daemon (pids get reused)
live_pid() {
  local f="$1" pid
  [[ -f "$f" ]] || return 1
  pid="$(cat "$f")"
  [[ -n "$pid" && -r "/proc/$pid/cmdline" ]] || return 1
  tr '\0' ' ' < "/proc/$pid/cmdline" | grep -q "org.apache.spark.deploy" || return 1
  echo "$pid"
}

# direct children of a pid (the executors a Worker launched), from /proc
children() {
  local parent="$1" stat
  for stat in /proc/[0-9]*/stat; do
    # field 4 is the ppid; the command name (field 2) may contain spaces, so cut after the last ')'
    local rest; rest="$(cat "$stat" 2>/dev/null)" || continue
    rest="${rest##*) }"
    set -- $rest
    [[ "${2:-}" == "$parent" ]] && { local p="${stat#/proc/}"; echo "${p%/stat}"; }
  done
  return 0
}

jvm_flags() {
  [[ -f "$FLAGS_FILE" ]] || die "$FLAGS_FILE not found; build first: mvn -B -DskipTests install"
  cat "$FLAGS_FILE"
}

# STATE/spark-home/jars: one symlink per jar of the classpath (entries DIR/* are expanded)
spark_home() {
  local home="$STATE/spark-home" entry jar n=0
  rm -rf "$home"; mkdir -p "$home/jars" "$home/conf"
  IFS=':' read -r -a entries <<< "$CLASSPATH_"
  for entry in "${entries[@]}"; do
    if [[ "$entry" == */\* ]]; then
      for jar in "${entry%/\*}"/*.jar; do [[ -f "$jar" ]] && ln -sf "$jar" "$home/jars/" && n=$((n + 1)); done
    elif [[ "$entry" == *.jar && -f "$entry" ]]; then
      ln -sf "$entry" "$home/jars/" && n=$((n + 1))
    fi
  done
  # the daemons log at INFO whatever log4j2 config is on the classpath (start reads their log lines)
  printf '%s\n' 'rootLogger.level = info' 'rootLogger.appenderRef.stdout.ref = console' \
    'appender.console.type = Console' 'appender.console.name = console' 'appender.console.target = SYSTEM_OUT' \
    'appender.console.layout.type = PatternLayout' 'appender.console.layout.pattern = %d{yy/MM/dd HH:mm:ss} %p %c{1}: %m%n%ex' \
    > "$home/conf/log4j2.properties"
  ls "$home/jars" | grep -q '^spark-core_2.12-.*\.jar$' || die "no spark-core_2.12 jar on PIKE_CLASSPATH ($CLASSPATH_); build first: mvn -B -DskipTests install"
  echo "$home"
}

# start a daemon in its own session, detached from this shell; writes NAME.pid
launch() {
  local name="$1"; shift
  local detach=(); command -v setsid >/dev/null && detach=(setsid)
  "${detach[@]}" nohup "$JAVA" "$@" > "$STATE/logs/$name.log" 2>&1 < /dev/null &
  echo $! > "$STATE/$name.pid"
}

# wait until the log of NAME has a line matching REGEX (prints the match), or fail
await() {
  local name="$1" regex="$2" secs="${3:-60}" i line
  for ((i = 0; i < secs * 5; i++)); do
    line="$(grep -m1 -oE "$regex" "$STATE/logs/$name.log" 2>/dev/null || true)"
    [[ -n "$line" ]] && { echo "$line"; return 0; }
    # kill -0, not live_pid: while setsid/nohup exec into java, /proc/PID/cmdline can read empty for a moment
    kill -0 "$(cat "$STATE/$name.pid")" 2>/dev/null || { tail -20 "$STATE/logs/$name.log" >&2; die "$name exited during start (log: $STATE/logs/$name.log)"; }
    sleep 0.2
  done
  tail -20 "$STATE/logs/$name.log" >&2
  die "$name did not report '$regex' within ${secs}s (log: $STATE/logs/$name.log)"
}

start() {
  local workers=2 cores=1 memory=2g port=7077 webui=8080
  while [[ $# -gt 0 ]]; do
    case "$1" in
      --workers) workers="$2"; shift 2 ;;
      --cores) cores="$2"; shift 2 ;;
      --memory) memory="$2"; shift 2 ;;
      --port) port="$2"; shift 2 ;;
      --webui-port) webui="$2"; shift 2 ;;
      *) die "unknown option '$1' for start; expected --workers N, --cores C, --memory M, --port P, --webui-port P" ;;
    esac
  done
  [[ "$workers" =~ ^[1-9][0-9]*$ ]] || die "--workers must be a positive integer, got '$workers'"
  if pid="$(live_pid "$STATE/master.pid")"; then die "a master is already running (pid $pid, $(cat "$STATE/master.url" 2>/dev/null)); run: $0 stop"; fi
  rm -f "$STATE"/*.pid "$STATE/master.url"
  mkdir -p "$STATE/logs"; rm -f "$STATE"/logs/*.log
  local home flags url i
  home="$(spark_home)"
  flags="$(jvm_flags)"
  export SPARK_HOME="$home" SPARK_SCALA_VERSION=2.12 SPARK_LOCAL_IP=127.0.0.1
  # shellcheck disable=SC2086
  launch master -Xmx256m $flags "-Dlog4j2.configurationFile=$home/conf/log4j2.properties" -cp "$CLASSPATH_" org.apache.spark.deploy.master.Master \
    --host 127.0.0.1 --port "$port" --webui-port "$webui"
  url="$(await master 'spark://127\.0\.0\.1:[0-9]+')" || { stop; exit 1; }
  echo "$url" > "$STATE/master.url"
  say "master $url (pid $(cat "$STATE/master.pid"), log $STATE/logs/master.log)"
  for ((i = 1; i <= workers; i++)); do
    mkdir -p "$STATE/work/worker-$i"
    # shellcheck disable=SC2086
    launch "worker-$i" -Xmx256m $flags "-Dlog4j2.configurationFile=$home/conf/log4j2.properties" -cp "$CLASSPATH_" org.apache.spark.deploy.worker.Worker "$url" \
      --host 127.0.0.1 --cores "$cores" --memory "$memory" --webui-port 0 --work-dir "$STATE/work/worker-$i"
  done
  for ((i = 1; i <= workers; i++)); do
    await "worker-$i" 'Successfully registered with master' >/dev/null || { stop; exit 1; }
    say "worker-$i registered ($cores core(s), $memory; pid $(cat "$STATE/worker-$i.pid"))"
  done
  echo "$url"
}

stop() {
  local f pid name kids k i stopped=0
  for f in "$STATE"/worker-*.pid "$STATE"/master.pid; do
    [[ -f "$f" ]] || continue
    name="$(basename "$f" .pid)"
    if pid="$(live_pid "$f")"; then
      kids="$(children "$pid")"      # executors; the Worker's shutdown hook kills them, check anyway
      kill -TERM "$pid" 2>/dev/null || true
      for ((i = 0; i < 50; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
      kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null || true
      for k in $kids; do kill -0 "$k" 2>/dev/null && kill -KILL "$k" 2>/dev/null || true; done
      say "stopped $name (pid $pid)"; stopped=$((stopped + 1))
    fi
    rm -f "$f"
  done
  rm -f "$STATE/master.url"
  [[ $stopped -gt 0 ]] || say "nothing running (state: $STATE)"
}

status() {
  local f pid name up=0 down=0
  [[ -f "$STATE/master.url" ]] && echo "master url: $(cat "$STATE/master.url")"
  for f in "$STATE"/master.pid "$STATE"/worker-*.pid; do
    [[ -f "$f" ]] || continue
    name="$(basename "$f" .pid)"
    if pid="$(live_pid "$f")"; then
      echo "$name: running, pid $pid, rss $(awk '/VmRSS/ {print $2 " " $3}' "/proc/$pid/status"), log $STATE/logs/$name.log"
      up=$((up + 1))
    else
      echo "$name: not running (stale pid file $f)"; down=$((down + 1))
    fi
  done
  [[ $((up + down)) -gt 0 ]] || { echo "not running (state: $STATE)"; return 3; }
  [[ $down -eq 0 ]] || return 1
}

cmd="${1:-}"; shift || true
case "$cmd" in
  start) start "$@" ;;
  stop) stop ;;
  status) status ;;
  *) echo "usage: $0 start [--workers N] [--cores C] [--memory M] [--port P] [--webui-port P] | stop | status" >&2; exit 2 ;;
esac
