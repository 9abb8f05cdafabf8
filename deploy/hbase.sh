#!/usr/bin/env bash
# Run a standalone HBase and its Thrift2 gateway on 127.0.0.1 for tests.
#
# The HMaster JVM runs in local mode (hbase.cluster.distributed=false), so
# it runs the master, one region server and an in-process ZooKeeper server,
# and stores tables on the local file system. The Thrift2 gateway
# (org.apache.hadoop.hbase.thrift2.ThriftServer, buffered transport and
# binary protocol) runs in a second JVM, so fault tests can kill and restart
# it alone.
#
# Layout of a run folder DIR:
#   DIR/conf/                hbase-site.xml and log4j.properties of both JVMs
#   DIR/data/                HBase root dir, tmp dir and ZooKeeper data
#   DIR/master.log, DIR/thrift.log    JVM output, appended across restarts
#   DIR/stop.log             output of the cluster shutdown command
#   DIR/master.pid, DIR/thrift.pid
#   DIR/zookeeper-port       client port of the in-process ZooKeeper
#   DIR/thrift-port          port of the Thrift2 gateway
#   DIR/thrift-servers       127.0.0.1:PORT of the gateway
set -euo pipefail

SCRIPT_NAME=hbase.sh
DEPLOY_DIR=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd -P)
# shellcheck source=deploy/common.sh
. "$DEPLOY_DIR/common.sh"

HBASE_MASTER_HEAP=${HBASE_MASTER_HEAP:-768m}
HBASE_THRIFT_HEAP=${HBASE_THRIFT_HEAP:-256m}
HBASE_START_TIMEOUT=${HBASE_START_TIMEOUT:-180}
HBASE_STOP_GRACE=${HBASE_STOP_GRACE:-60}
MASTER_CLASS=org.apache.hadoop.hbase.master.HMaster
THRIFT2_CLASS=org.apache.hadoop.hbase.thrift2.ThriftServer

# Module flags for JDK 11 and later. HBase's own launcher (add_jdk11_jvm_flags
# in bin/hbase) adds the same list, because HBase's shaded Netty, its unsafe
# access and Hadoop's DNS code reflect into these JDK internals.
JDK_MODULE_FLAGS=(
    -Dorg.apache.hbase.thirdparty.io.netty.tryReflectionSetAccessible=true
    --add-modules jdk.unsupported
    --add-opens java.base/java.io=ALL-UNNAMED
    --add-opens java.base/java.nio=ALL-UNNAMED
    --add-opens java.base/sun.nio.ch=ALL-UNNAMED
    --add-opens java.base/java.lang=ALL-UNNAMED
    --add-opens java.base/jdk.internal.ref=ALL-UNNAMED
    --add-opens java.base/java.lang.reflect=ALL-UNNAMED
    --add-opens java.base/java.util=ALL-UNNAMED
    --add-opens java.base/java.util.concurrent=ALL-UNNAMED
    --add-exports java.base/jdk.internal.misc=ALL-UNNAMED
    --add-exports java.security.jgss/sun.security.krb5=ALL-UNNAMED
    --add-exports java.base/sun.net.dns=ALL-UNNAMED
    --add-exports java.base/sun.net.util=ALL-UNNAMED
)

usage() {
    cat <<EOF
Usage:
  deploy/hbase.sh start DIR          start HBase and the Thrift2 gateway, wait until the gateway serves
  deploy/hbase.sh stop DIR           stop the gateway, then shut HBase down (signals if that fails)
  deploy/hbase.sh kill-thrift DIR    send SIGKILL to the Thrift2 gateway only
  deploy/hbase.sh start-thrift DIR   start the Thrift2 gateway again on the same port
  deploy/hbase.sh status DIR         print the state of the master and the gateway

start prints the gateway address (127.0.0.1:PORT) and writes it to
DIR/thrift-servers. When DIR contains a stopped deployment, start runs it
again with the same ports and data.

status prints two lines of NAME ADDRESS STATE PID:
  master ZOOKEEPER_ADDRESS running|starting|down PID
  thrift GATEWAY_ADDRESS serving|not-serving|down PID
where serving means the gateway returned getThriftServerType and tableExists.

The jars come from deploy/hbase-fetch.sh, which downloads them on first use.

Environment: HBASE_MASTER_HEAP (default 768m), HBASE_THRIFT_HEAP (default
256m), HBASE_START_TIMEOUT (seconds, default 180), HBASE_STOP_GRACE (seconds,
default 60), JOBLEADER_CACHE, JAVA_HOME.
EOF
}

# Print the folder of HBase jars, downloading them when the cache is empty.
hbase_lib_dir() {
    "$DEPLOY_DIR/hbase-fetch.sh" || die "deploy/hbase-fetch.sh failed: HBase jars are not available"
}

read_port_file() {
    local file=$1
    [[ -f $file ]] || die "missing $file: run 'deploy/hbase.sh start $(dirname -- "$file")' first"
    local port
    port=$(<"$file")
    [[ $port =~ ^[0-9]+$ ]] || die "invalid port '$port' in $file: remove the folder and start again"
    printf '%s\n' "$port"
}

master_pid() { running_pid "$1/master.pid" "$1/conf"; }
thrift_pid() { running_pid "$1/thrift.pid" "$1/conf"; }

write_property() {
    printf '  <property>\n    <name>%s</name>\n    <value>%s</value>\n  </property>\n' "$1" "$2"
}

write_site_config() {
    local dir=$1 zookeeper_port=$2
    {
        printf '<?xml version="1.0"?>\n'
        printf '<!-- Written by deploy/hbase.sh: standalone HBase on 127.0.0.1 for tests. -->\n'
        printf '<configuration>\n'
        write_property hbase.cluster.distributed false
        write_property hbase.rootdir "file://$dir/data/root"
        write_property hbase.tmp.dir "$dir/data/tmp"
        write_property hbase.zookeeper.quorum 127.0.0.1
        write_property hbase.zookeeper.property.clientPort "$zookeeper_port"
        write_property hbase.zookeeper.property.dataDir "$dir/data/zookeeper"
        # The local file system has no hflush/hsync capability, which the
        # write-ahead log checks for unless this is false.
        write_property hbase.unsafe.stream.capability.enforce false
        # Bind every RPC server to loopback and advertise 127.0.0.1 in
        # ZooKeeper, whatever the machine's host name resolves to.
        write_property hbase.master.hostname 127.0.0.1
        write_property hbase.unsafe.regionserver.hostname 127.0.0.1
        write_property hbase.master.ipc.address 127.0.0.1
        write_property hbase.regionserver.ipc.address 127.0.0.1
        # Master and region server RPC ports are picked by the OS at bind
        # time, which avoids races with other processes over fixed ports.
        write_property hbase.localcluster.assign.random.ports true
        # -1 disables the web UIs.
        write_property hbase.master.info.port -1
        write_property hbase.regionserver.info.port -1
        write_property hbase.thrift.info.port -1
        printf '</configuration>\n'
    } >"$dir/conf/hbase-site.xml"
}

write_log_config() {
    local dir=$1
    cat >"$dir/conf/log4j.properties" <<'EOF'
# Written by deploy/hbase.sh. Both JVMs log to stderr, which deploy/hbase.sh
# appends to DIR/master.log or DIR/thrift.log.
log4j.rootLogger=INFO,console
log4j.appender.console=org.apache.log4j.ConsoleAppender
log4j.appender.console.target=System.err
log4j.appender.console.layout=org.apache.log4j.PatternLayout
log4j.appender.console.layout.ConversionPattern=%d{ISO8601} %-5p [%t] %c{2}: %m%n
# The metrics system warns every 10 s that hadoop-metrics2.properties is missing.
log4j.logger.org.apache.hadoop.metrics2.impl.MetricsConfig=ERROR
EOF
}

# Write the config and port files of a new deployment.
create_deployment() {
    local dir=$1
    local -a ports
    mapfile -t ports < <(pick_free_ports 2)
    ((${#ports[@]} == 2)) || die "could not pick 2 free ports on 127.0.0.1"
    mkdir -p -- "$dir/conf" "$dir/data"
    write_site_config "$dir" "${ports[0]}"
    write_log_config "$dir"
    printf '%s\n' "${ports[0]}" >"$dir/zookeeper-port"
    printf '%s\n' "${ports[1]}" >"$dir/thrift-port"
    printf '127.0.0.1:%s\n' "${ports[1]}" >"$dir/thrift-servers"
}

# Start a JVM with HBase's class path: the conf folder first, so
# hbase-site.xml and log4j.properties are found, then every cached jar.
launch_jvm() {
    local dir=$1 name=$2 heap=$3
    shift 3
    local java lib
    java=$(java_command)
    lib=$(hbase_lib_dir)
    start_background "$dir/$name.pid" "$dir/$name.log" \
        "$java" "-Xmx$heap" -XX:+ExitOnOutOfMemoryError \
        "${JDK_MODULE_FLAGS[@]}" \
        "-Dlog4j.configuration=file:$dir/conf/log4j.properties" \
        -cp "$dir/conf:$lib/*" "$@"
}

launch_master() {
    local dir=$1 port
    port=$(read_port_file "$dir/zookeeper-port")
    if port_is_listening "$port"; then
        die "ZooKeeper port $port is already in use by another process: stop it, or start HBase in an empty folder"
    fi
    launch_jvm "$dir" master "$HBASE_MASTER_HEAP" "$MASTER_CLASS" start
    log "started HBase master (pid $(<"$dir/master.pid"), ZooKeeper port $port)"
}

launch_thrift() {
    local dir=$1 port
    port=$(read_port_file "$dir/thrift-port")
    if port_is_listening "$port"; then
        die "Thrift port $port is already in use by another process: stop it, or start HBase in an empty folder"
    fi
    launch_jvm "$dir" thrift "$HBASE_THRIFT_HEAP" "$THRIFT2_CLASS" \
        -b 127.0.0.1 -p "$port" --infoport -1 start
    log "started Thrift2 gateway (pid $(<"$dir/thrift.pid"), port $port)"
}

fail_with_log() {
    local dir=$1 name=$2 reason=$3
    show_log_tail "$dir/$name.log" 60
    die "$reason (log: $dir/$name.log)"
}

# Wait until the gateway returns getThriftServerType=2 and tableExists
# returns a value, which needs the master, hbase:meta and the region server.
wait_thrift_serving() {
    local dir=$1 deadline=$2 port probe_error
    port=$(read_port_file "$dir/thrift-port")
    while true; do
        if [[ -f $dir/master.pid && -z $(master_pid "$dir") ]]; then
            fail_with_log "$dir" master "HBase master JVM exited during startup"
        fi
        [[ -n $(thrift_pid "$dir") ]] || fail_with_log "$dir" thrift "Thrift2 gateway JVM exited during startup"
        if probe_error=$(python3 "$DEPLOY_DIR/thrift-probe.py" --port "$port" --quiet --timeout 10 2>&1); then
            return 0
        fi
        if ((SECONDS >= deadline)); then
            show_log_tail "$dir/master.log" 40
            fail_with_log "$dir" thrift "timed out after ${HBASE_START_TIMEOUT}s waiting for the Thrift2 gateway on port $port to serve; last probe: $probe_error"
        fi
        sleep 1
    done
}

# EXIT trap of start and start-thrift: after a failure, stop the JVMs this
# command launched, so none is left behind.
stop_after_failed_start() {
    local status=$?
    local dir=$1
    shift
    ((status != 0)) || return 0
    local name
    for name in "$@"; do
        stop_process "$dir/$name.pid" "$dir/conf" "$name JVM" "$HBASE_STOP_GRACE" || true
    done
}

cmd_start() {
    local dir_arg=${1:-}
    [[ -n $dir_arg && $# -eq 1 ]] || die "usage: deploy/hbase.sh start DIR"
    require_command python3 "run deploy/install-deps.sh to install python3"
    local dir pid
    dir=$(absolute_dir "$dir_arg")
    pid=$(master_pid "$dir")
    [[ -z $pid ]] || die "HBase master in '$dir' is already running (pid $pid): run 'deploy/hbase.sh stop $dir' first"
    pid=$(thrift_pid "$dir")
    [[ -z $pid ]] || die "Thrift2 gateway in '$dir' is already running (pid $pid): run 'deploy/hbase.sh stop $dir' first"

    if [[ -f $dir/conf/hbase-site.xml ]]; then
        log "reusing the existing config and data in $dir"
    else
        create_deployment "$dir"
    fi
    hbase_lib_dir >/dev/null

    local started=$SECONDS
    trap 'stop_after_failed_start "$dir" thrift master' EXIT
    launch_master "$dir"
    # The gateway connects to HBase on its first request, so it can start
    # while the master is still initializing.
    launch_thrift "$dir"
    wait_thrift_serving "$dir" $((SECONDS + HBASE_START_TIMEOUT))
    trap - EXIT
    log "HBase and the Thrift2 gateway serve after $((SECONDS - started))s"
    cat -- "$dir/thrift-servers"
}

# Shut the cluster down with "HMaster stop --shutDownCluster", the command
# that HMaster's usage message names, and wait for the master JVM to exit.
# Returns 1 when that fails or times out.
shutdown_cluster() {
    local dir=$1 pid=$2 java lib
    java=$(java_command)
    lib=$(hbase_lib_dir)
    log "shutting down HBase (master pid $pid)"
    # On SIGTERM alone, the in-process ZooKeeper can stop before the region
    # server, which then keeps retrying it. One such stop took 22 s on a
    # 2-core machine, where this shutdown took 10 s.
    printf '=== %s running: HMaster stop --shutDownCluster\n' "$(date '+%Y-%m-%d %H:%M:%S')" >>"$dir/stop.log"
    timeout 60 "$java" -Xmx128m "${JDK_MODULE_FLAGS[@]}" \
        "-Dlog4j.configuration=file:$dir/conf/log4j.properties" \
        -cp "$dir/conf:$lib/*" "$MASTER_CLASS" stop --shutDownCluster >>"$dir/stop.log" 2>&1 || return 1
    wait_for_exit "$pid" "$HBASE_STOP_GRACE" || return 1
    rm -f -- "$dir/master.pid"
}

cmd_stop() {
    local dir_arg=${1:-}
    [[ -n $dir_arg && $# -eq 1 ]] || die "usage: deploy/hbase.sh stop DIR"
    [[ -d $dir_arg ]] || die "folder '$dir_arg' does not exist"
    local dir pid
    dir=$(cd -- "$dir_arg" && pwd -P)
    stop_process "$dir/thrift.pid" "$dir/conf" "Thrift2 gateway" "$HBASE_STOP_GRACE"

    pid=$(master_pid "$dir")
    [[ -n $pid ]] || return 0
    if ! shutdown_cluster "$dir" "$pid"; then
        log "cluster shutdown failed or timed out (log: $dir/stop.log), stopping the master JVM with signals"
        stop_process "$dir/master.pid" "$dir/conf" "HBase master" "$HBASE_STOP_GRACE"
    fi
}

require_deployment() {
    local dir_arg=$1
    [[ -f $dir_arg/conf/hbase-site.xml ]] ||
        die "no HBase deployment in '$dir_arg' (missing conf/hbase-site.xml): run 'deploy/hbase.sh start $dir_arg' first"
}

cmd_kill_thrift() {
    local dir_arg=${1:-}
    [[ -n $dir_arg && $# -eq 1 ]] || die "usage: deploy/hbase.sh kill-thrift DIR"
    require_deployment "$dir_arg"
    local dir
    dir=$(cd -- "$dir_arg" && pwd -P)
    kill_process "$dir/thrift.pid" "$dir/conf" "Thrift2 gateway"
}

cmd_start_thrift() {
    local dir_arg=${1:-}
    [[ -n $dir_arg && $# -eq 1 ]] || die "usage: deploy/hbase.sh start-thrift DIR"
    require_command python3 "run deploy/install-deps.sh to install python3"
    require_deployment "$dir_arg"
    local dir pid
    dir=$(cd -- "$dir_arg" && pwd -P)
    pid=$(thrift_pid "$dir")
    [[ -z $pid ]] || die "Thrift2 gateway is already running (pid $pid): run 'deploy/hbase.sh kill-thrift $dir' first"
    [[ -n $(master_pid "$dir") ]] || die "HBase master in '$dir' is not running: run 'deploy/hbase.sh start $dir' instead"

    local started=$SECONDS
    trap 'stop_after_failed_start "$dir" thrift' EXIT
    launch_thrift "$dir"
    wait_thrift_serving "$dir" $((SECONDS + HBASE_START_TIMEOUT))
    trap - EXIT
    log "Thrift2 gateway serves after $((SECONDS - started))s"
    cat -- "$dir/thrift-servers"
}

cmd_status() {
    local dir_arg=${1:-}
    [[ -n $dir_arg && $# -eq 1 ]] || die "usage: deploy/hbase.sh status DIR"
    require_deployment "$dir_arg"
    local dir pid port state
    dir=$(cd -- "$dir_arg" && pwd -P)

    pid=$(master_pid "$dir")
    port=$(read_port_file "$dir/zookeeper-port")
    if [[ -z $pid ]]; then
        state=down
    elif port_is_listening "$port"; then
        state=running
    else
        state=starting
    fi
    printf 'master 127.0.0.1:%s %s %s\n' "$port" "$state" "${pid:--}"

    pid=$(thrift_pid "$dir")
    port=$(read_port_file "$dir/thrift-port")
    if [[ -z $pid ]]; then
        state=down
    elif python3 "$DEPLOY_DIR/thrift-probe.py" --port "$port" --quiet --timeout 5 2>/dev/null; then
        state=serving
    else
        state=not-serving
    fi
    printf 'thrift 127.0.0.1:%s %s %s\n' "$port" "$state" "${pid:--}"
}

main() {
    local command=${1:-}
    [[ -n $command ]] || {
        usage >&2
        exit 2
    }
    shift
    case $command in
        start) cmd_start "$@" ;;
        stop) cmd_stop "$@" ;;
        kill-thrift) cmd_kill_thrift "$@" ;;
        start-thrift) cmd_start_thrift "$@" ;;
        status) cmd_status "$@" ;;
        -h | --help | help) usage ;;
        *)
            usage >&2
            die "unknown command '$command'"
            ;;
    esac
}

main "$@"
