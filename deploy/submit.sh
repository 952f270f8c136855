#!/usr/bin/env bash
# deploy/submit.sh: runs a pike subcommand under spark-submit.
#
#   deploy/submit.sh --master URL [spark-submit options] -- <pike subcommand and its options>
#   deploy/submit.sh --master spark://127.0.0.1:7077 -- etl --spec corpus/genres.yaml --out data/genres
#
# Builds the spark-submit line: main class io.pikemix.cli.Main, the application jar, the Java 17 flags
# (cli/target/jvm.flags) for the driver JVM and, through spark.{driver,executor}.extraJavaOptions, for
# cluster-mode drivers and executors, executor memory (default 1g), and the executors' classpath.
# Your own --conf spark.*.extraJavaOptions=... are kept, after the flags. Prints the command to stderr.
#
# Environment:
#   PIKE_JAR                 application jar (default: cli/target/pike.jar)
#   PIKE_CLASSPATH           Spark + dependencies for the client JVM (default: cli/target/lib/*)
#   PIKE_EXECUTOR_CLASSPATH  spark.executor.extraClassPath (default: PIKE_CLASSPATH -- right when executors run
#                            on this machine or see the same paths; set it empty with a shaded jar, see README)
#   PIKE_DRIVER_MEMORY       heap of the client-mode driver (default 2g; --driver-memory also sets it)
#   PIKE_EXECUTOR_MEMORY     spark.executor.memory unless given (default 1g)
#   SPARK_SUBMIT             a real spark-submit (e.g. /opt/spark/bin/spark-submit for YARN/Kubernetes);
#                            default: org.apache.spark.deploy.SparkSubmit run from PIKE_CLASSPATH (client mode)
#   JAVA                     java executable for that default (default: java on PATH)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
JAR="${PIKE_JAR:-$ROOT/cli/target/pike.jar}"
CLASSPATH_="${PIKE_CLASSPATH:-$ROOT/cli/target/lib/*}"
EXEC_CP="${PIKE_EXECUTOR_CLASSPATH-$CLASSPATH_}"
DRIVER_MEM="${PIKE_DRIVER_MEMORY:-2g}"
FLAGS_FILE="$ROOT/cli/target/jvm.flags"

die() { echo "submit: $*" >&2; exit 2; }
usage() { die "usage: $0 --master URL [spark-submit options] -- <pike subcommand and options>"; }

[[ -f "$JAR" ]] || die "$JAR not found; build first: mvn -B -DskipTests install (or set PIKE_JAR)"
[[ -f "$FLAGS_FILE" ]] || die "$FLAGS_FILE not found; build first: mvn -B -DskipTests install"
FLAGS="$(cat "$FLAGS_FILE")"

master="" submit=() driver_opts="" executor_opts="" has_exec_mem=0
while [[ $# -gt 0 && "$1" != "--" ]]; do
  case "$1" in
    --master) master="${2:-}"; shift 2 || usage ;;
    --master=*) master="${1#--master=}"; shift ;;
    --driver-memory) DRIVER_MEM="$2"; submit+=("$1" "$2"); shift 2 ;;
    --executor-memory) has_exec_mem=1; submit+=("$1" "$2"); shift 2 ;;
    --conf)
      case "$2" in
        spark.driver.extraJavaOptions=*) driver_opts="${2#*=}" ;;
        spark.executor.extraJavaOptions=*) executor_opts="${2#*=}" ;;
        spark.executor.memory=*) has_exec_mem=1; submit+=("$1" "$2") ;;
        *) submit+=("$1" "$2") ;;
      esac
      shift 2 ;;
    *) submit+=("$1"); shift ;;
  esac
done
[[ "${1:-}" == "--" ]] || usage
shift
[[ -n "$master" ]] || die "--master URL is required (local[2], spark://HOST:7077, yarn, k8s://https://HOST:443)"
[[ $# -gt 0 ]] || die "no pike subcommand after '--' (e.g. -- etl --spec corpus/genres.yaml --out data/genres)"

conf=(--conf "spark.driver.extraJavaOptions=$FLAGS -Dpike.home=$ROOT${driver_opts:+ $driver_opts}"
      --conf "spark.executor.extraJavaOptions=$FLAGS${executor_opts:+ $executor_opts}")
[[ $has_exec_mem -eq 1 ]] || conf+=(--conf "spark.executor.memory=${PIKE_EXECUTOR_MEMORY:-1g}")
[[ -z "$EXEC_CP" ]] || conf+=(--conf "spark.executor.extraClassPath=$EXEC_CP")

# a master on loopback: the driver must listen there too, or executors cannot reach it
case "$master" in local*|spark://127.*|spark://localhost*) export SPARK_LOCAL_IP="${SPARK_LOCAL_IP:-127.0.0.1}" ;; esac

if [[ -n "${SPARK_SUBMIT:-}" ]]; then
  cmd=("$SPARK_SUBMIT" --master "$master" --class io.pikemix.cli.Main "${conf[@]}" "${submit[@]}" "$JAR" "$@")
else
  # client mode in this JVM: its own flags and heap are the driver's
  # shellcheck disable=SC2206
  cmd=("${JAVA:-java}" "-Xmx$DRIVER_MEM" $FLAGS "-Dpike.home=$ROOT" -cp "$CLASSPATH_" org.apache.spark.deploy.SparkSubmit
       --master "$master" --class io.pikemix.cli.Main "${conf[@]}" "${submit[@]}" "$JAR" "$@")
fi
echo "submit: ${cmd[*]}" | cut -c1-400 >&2
exec "${cmd[@]}"
