#!/usr/bin/env bash
# Run Debian's ZooKeeper server (package zookeeper, 3.8.0 on Debian 12) on
# 127.0.0.1 for tests: one standalone server or an ensemble, each server in its
# own JVM with its config, data, log and pid file under a run folder.
#
# Layout of a run folder DIR:
#   DIR/connect-string        127.0.0.1:PORT[,127.0.0.1:PORT...] for clients
#   DIR/server-ID/zoo.cfg     config of server ID (ID = 1..N)
#   DIR/server-ID/data/       snapshots, transaction logs and myid
#   DIR/server-ID/server.log  stdout and stderr of the JVM, appended across restarts
#   DIR/server-ID/server.pid  pid of the running JVM
#
# Timing: tickTime is 500 ms, so the server accepts session timeouts from
# 2 ticks (1 s) to 20 ticks (10 s) and clamps requests outside that range.
set -euo pipefail

SCRIPT_NAME=zk.sh
DEPLOY_DIR=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd -P)
# shellcheck source=deploy/common.sh
. "$DEPLOY_DIR/common.sh"

TICK_TIME_MS=500
MIN_SESSION_TIMEOUT_MS=$((2 * TICK_TIME_MS))
MAX_SESSION_TIMEOUT_MS=$((20 * TICK_TIME_MS))
MAX_SERVERS=9
ZK_HEAP=${ZK_HEAP:-256m}
ZK_START_TIMEOUT=${ZK_START_TIMEOUT:-60}
ZK_STOP_GRACE=${ZK_STOP_GRACE:-10}
# Debian's zookeeper.jar names its dependencies in its manifest Class-Path.
# That list has no SLF4J binding, so slf4j-simple (package libslf4j-java)
# is added to get server logs on stderr.
ZK_CLASSPATH=${ZK_CLASSPATH:-/usr/share/java/zookeeper.jar:/usr/share/java/slf4j-simple.jar}
ZK_MAIN_CLASS=org.apache.zookeeper.server.quorum.QuorumPeerMain

usage() {
    cat <<EOF
Usage:
  deploy/zk.sh start DIR [--servers N]   start N servers (default 1 = standalone; 3 = ensemble)
  deploy/zk.sh stop DIR                  stop every server of DIR (SIGTERM, then SIGKILL after ${ZK_STOP_GRACE}s)
  deploy/zk.sh kill DIR ID               send SIGKILL to server ID
  deploy/zk.sh restart DIR ID [--no-wait-quorum]
                                         start server ID again with its config and data
  deploy/zk.sh status DIR                print one line per server: ID ADDRESS MODE PID
  deploy/zk.sh leader DIR                print the ID of the leader (or of the standalone server)

start writes DIR/connect-string and prints it. When DIR already contains a
stopped deployment, start runs it again with the same ports and data.
restart waits until the server is serving (leader, follower or standalone);
with --no-wait-quorum it returns once the client port accepts connections,
for a server that cannot reach a quorum.

MODE is leader, follower or standalone; not-serving when the process
runs but has no quorum; no-response when the process runs but does not
answer 'srvr'; down when no process runs.

Environment: ZK_HEAP (JVM -Xmx, default 256m), ZK_START_TIMEOUT (seconds,
default 60), ZK_STOP_GRACE (seconds, default 10), ZK_CLASSPATH, JAVA_HOME.
EOF
}

server_dir() { printf '%s/server-%s\n' "$1" "$2"; }
config_file() { printf '%s/server-%s/zoo.cfg\n' "$1" "$2"; }
pid_file() { printf '%s/server-%s/server.pid\n' "$1" "$2"; }
log_file() { printf '%s/server-%s/server.log\n' "$1" "$2"; }

# Print the IDs of the servers configured in DIR, in ascending order.
server_ids() {
    local dir=$1 path
    for path in "$dir"/server-*/zoo.cfg; do
        [[ -f $path ]] || continue
        path=${path%/zoo.cfg}
        printf '%s\n' "${path##*/server-}"
    done | sort -n
}

client_port() {
    local config
    config=$(config_file "$1" "$2")
    sed -n 's/^clientPort=//p' "$config"
}

server_pid() {
    running_pid "$(pid_file "$1" "$2")" "$(config_file "$1" "$2")"
}

# Send a ZooKeeper four-letter command and print the reply.
send_four_letter_word() {
    local port=$1 command=$2
    timeout 5 bash -c '
        exec 3<>"/dev/tcp/127.0.0.1/$1" || exit 1
        printf "%s" "$2" >&3
        cat <&3
    ' four-letter-word "$port" "$command" 2>/dev/null
}

# Print the mode of server ID: leader, follower, standalone, not-serving, no-response or down.
server_mode() {
    local dir=$1 id=$2 reply mode
    if [[ -z $(server_pid "$dir" "$id") ]]; then
        printf 'down\n'
        return
    fi
    reply=$(send_four_letter_word "$(client_port "$dir" "$id")" srvr || true)
    mode=$(sed -n 's/^Mode: //p' <<<"$reply")
    if [[ -n $mode ]]; then
        printf '%s\n' "$mode"
    elif grep -q 'not currently serving' <<<"$reply"; then
        printf 'not-serving\n'
    else
        printf 'no-response\n'
    fi
}

require_deployment() {
    local dir=$1
    [[ -d $dir ]] || die "folder '$dir' does not exist: run 'deploy/zk.sh start $dir' first"
    [[ -n $(server_ids "$dir") ]] || die "no ZooKeeper config found under '$dir' (expected $dir/server-ID/zoo.cfg): run 'deploy/zk.sh start $dir' first"
}

require_server_id() {
    local dir=$1 id=$2
    [[ $id =~ ^[0-9]+$ ]] || die "invalid server ID '$id': expected a number such as 1"
    [[ -f $(config_file "$dir" "$id") ]] || die "server $id is not configured in '$dir' (configured: $(server_ids "$dir" | paste -sd, -))"
}

write_config() {
    local dir=$1 id=$2 count=$3 client_port=$4
    shift 4
    local -a quorum_ports=("$@")
    local data_dir
    data_dir="$(server_dir "$dir" "$id")/data"
    mkdir -p -- "$data_dir"
    {
        printf '# Written by deploy/zk.sh for server %s of %s.\n' "$id" "$count"
        printf 'tickTime=%s\n' "$TICK_TIME_MS"
        printf 'minSessionTimeout=%s\n' "$MIN_SESSION_TIMEOUT_MS"
        printf 'maxSessionTimeout=%s\n' "$MAX_SESSION_TIMEOUT_MS"
        # Followers get 10 s (20 ticks) to connect and sync to a new leader,
        # and are dropped after 2.5 s (5 ticks) without contact.
        printf 'initLimit=20\n'
        printf 'syncLimit=5\n'
        printf 'dataDir=%s\n' "$data_dir"
        printf 'clientPort=%s\n' "$client_port"
        printf 'clientPortAddress=127.0.0.1\n'
        printf '4lw.commands.whitelist=srvr,ruok,mntr,stat\n'
        printf 'admin.enableServer=false\n'
        # forceSync=no skips the fsync after each write, which slows tests
        # down. A killed JVM loses nothing that reached the page cache, so
        # only a machine crash could lose data.
        printf 'forceSync=no\n'
        if ((count > 1)); then
            local peer
            for ((peer = 1; peer <= count; peer++)); do
                # server.ID=host:quorum port:election port
                printf 'server.%s=127.0.0.1:%s:%s\n' "$peer" \
                    "${quorum_ports[2 * (peer - 1)]}" "${quorum_ports[2 * (peer - 1) + 1]}"
            done
        fi
    } >"$(config_file "$dir" "$id")"
    printf '%s\n' "$id" >"$data_dir/myid"
}

# Write the configs of a new deployment of COUNT servers and DIR/connect-string.
create_deployment() {
    local dir=$1 count=$2
    local -a ports client_ports quorum_ports
    mapfile -t ports < <(pick_free_ports $((3 * count)))
    ((${#ports[@]} == 3 * count)) || die "could not pick $((3 * count)) free ports on 127.0.0.1"
    client_ports=("${ports[@]:0:count}")
    quorum_ports=("${ports[@]:count}")

    local id
    for ((id = 1; id <= count; id++)); do
        write_config "$dir" "$id" "$count" "${client_ports[id - 1]}" "${quorum_ports[@]}"
    done
    local port
    for port in "${client_ports[@]}"; do
        printf '127.0.0.1:%s\n' "$port"
    done | paste -sd, - >"$dir/connect-string"
}

launch_server() {
    local dir=$1 id=$2 java
    java=$(java_command)
    local port
    port=$(client_port "$dir" "$id")
    if port_is_listening "$port"; then
        die "client port $port of server $id is already in use by another process: stop it, or start a new deployment in an empty folder"
    fi
    start_background "$(pid_file "$dir" "$id")" "$(log_file "$dir" "$id")" \
        "$java" "-Xmx$ZK_HEAP" -XX:+ExitOnOutOfMemoryError \
        -Dorg.slf4j.simpleLogger.showDateTime=true \
        "-Dorg.slf4j.simpleLogger.dateTimeFormat=yyyy-MM-dd HH:mm:ss,SSS" \
        -cp "$ZK_CLASSPATH" "$ZK_MAIN_CLASS" "$(config_file "$dir" "$id")"
    log "started server $id (pid $(<"$(pid_file "$dir" "$id")"), client port $port)"
}

fail_server() {
    local dir=$1 id=$2 reason=$3
    show_log_tail "$(log_file "$dir" "$id")"
    die "server $id: $reason (log: $(log_file "$dir" "$id"))"
}

# Wait until server ID accepts connections and replies imok to 'ruok'.
wait_listening() {
    local dir=$1 id=$2 deadline=$3 port
    port=$(client_port "$dir" "$id")
    while true; do
        [[ -n $(server_pid "$dir" "$id") ]] || fail_server "$dir" "$id" "JVM exited during startup"
        [[ $(send_four_letter_word "$port" ruok || true) == imok ]] && return 0
        ((SECONDS < deadline)) || fail_server "$dir" "$id" "timed out after ${ZK_START_TIMEOUT}s waiting for 'ruok' on port $port"
        sleep 0.2
    done
}

# Wait until server ID reports leader, follower or standalone.
wait_serving() {
    local dir=$1 id=$2 deadline=$3 mode
    while true; do
        mode=$(server_mode "$dir" "$id")
        case $mode in
            leader | follower | standalone) return 0 ;;
            down) fail_server "$dir" "$id" "JVM exited during startup" ;;
        esac
        ((SECONDS < deadline)) || fail_server "$dir" "$id" "timed out after ${ZK_START_TIMEOUT}s waiting to serve requests (last mode: $mode)"
        sleep 0.2
    done
}

# EXIT trap of start and restart: after a failure, stop server ID, or every
# server of DIR when no ID is given, so no JVM is left behind.
stop_after_failed_start() {
    local status=$?
    local dir=$1 id=${2:-}
    ((status != 0)) || return 0
    if [[ -n $id ]]; then
        log "restart failed, stopping server $id"
        stop_process "$(pid_file "$dir" "$id")" "$(config_file "$dir" "$id")" "ZooKeeper server $id" "$ZK_STOP_GRACE" || true
    else
        log "start failed, stopping the servers it launched"
        cmd_stop "$dir" || true
    fi
}

cmd_start() {
    local dir_arg=${1:-} count=1
    [[ -n $dir_arg ]] || die "missing DIR: usage: deploy/zk.sh start DIR [--servers N]"
    shift
    while (($#)); do
        case $1 in
            --servers)
                [[ $# -ge 2 ]] || die "--servers needs a value, e.g. --servers 3"
                count=$2
                shift 2
                ;;
            --servers=*)
                count=${1#--servers=}
                shift
                ;;
            *) die "unknown option '$1' for start: expected --servers N" ;;
        esac
    done
    [[ $count =~ ^[0-9]+$ ]] && ((count >= 1 && count <= MAX_SERVERS)) ||
        die "invalid --servers '$count': expected a number from 1 to $MAX_SERVERS (3 for a typical ensemble)"

    local dir id existing
    dir=$(absolute_dir "$dir_arg")
    existing=$(server_ids "$dir" | wc -l)
    if ((existing > 0)); then
        ((existing == count)) ||
            die "'$dir' already contains a deployment of $existing server(s), not $count: use an empty folder"
        for id in $(server_ids "$dir"); do
            [[ -z $(server_pid "$dir" "$id") ]] ||
                die "server $id in '$dir' is already running (pid $(server_pid "$dir" "$id")): run 'deploy/zk.sh stop $dir' first"
        done
        log "reusing the existing config and data in $dir"
    else
        create_deployment "$dir" "$count"
    fi

    trap 'stop_after_failed_start "$dir"' EXIT
    for id in $(server_ids "$dir"); do
        launch_server "$dir" "$id"
    done
    local deadline=$((SECONDS + ZK_START_TIMEOUT))
    for id in $(server_ids "$dir"); do
        wait_serving "$dir" "$id" "$deadline"
    done
    if ((count > 1)); then
        # Every server that serves has found a leader, so one must report it.
        cmd_leader "$dir" >/dev/null || die "all servers serve but none reports Mode: leader"
    fi
    trap - EXIT
    cat -- "$dir/connect-string"
}

cmd_stop() {
    local dir_arg=${1:-}
    [[ -n $dir_arg ]] || die "missing DIR: usage: deploy/zk.sh stop DIR"
    [[ -d $dir_arg ]] || die "folder '$dir_arg' does not exist"
    local dir id
    dir=$(cd -- "$dir_arg" && pwd -P)
    for id in $(server_ids "$dir"); do
        stop_process "$(pid_file "$dir" "$id")" "$(config_file "$dir" "$id")" "ZooKeeper server $id" "$ZK_STOP_GRACE"
    done
}

cmd_kill() {
    local dir_arg=${1:-} id=${2:-}
    [[ -n $dir_arg && -n $id ]] || die "missing argument: usage: deploy/zk.sh kill DIR ID"
    local dir
    dir=$(cd -- "$dir_arg" 2>/dev/null && pwd -P) || die "folder '$dir_arg' does not exist"
    require_deployment "$dir"
    require_server_id "$dir" "$id"
    kill_process "$(pid_file "$dir" "$id")" "$(config_file "$dir" "$id")" "ZooKeeper server $id"
}

cmd_restart() {
    local dir_arg=${1:-} id=${2:-} wait_quorum=1
    [[ -n $dir_arg && -n $id ]] || die "missing argument: usage: deploy/zk.sh restart DIR ID [--no-wait-quorum]"
    shift 2
    while (($#)); do
        case $1 in
            --no-wait-quorum) wait_quorum=0 ;;
            *) die "unknown option '$1' for restart: expected --no-wait-quorum" ;;
        esac
        shift
    done
    local dir
    dir=$(cd -- "$dir_arg" 2>/dev/null && pwd -P) || die "folder '$dir_arg' does not exist"
    require_deployment "$dir"
    require_server_id "$dir" "$id"
    local pid
    pid=$(server_pid "$dir" "$id")
    [[ -z $pid ]] || die "server $id is already running (pid $pid): kill or stop it first"

    trap 'stop_after_failed_start "$dir" "$id"' EXIT
    launch_server "$dir" "$id"
    local deadline=$((SECONDS + ZK_START_TIMEOUT))
    wait_listening "$dir" "$id" "$deadline"
    if ((wait_quorum)); then
        wait_serving "$dir" "$id" "$deadline"
    fi
    trap - EXIT
    log "server $id is $(server_mode "$dir" "$id")"
}

cmd_status() {
    local dir_arg=${1:-}
    [[ -n $dir_arg ]] || die "missing DIR: usage: deploy/zk.sh status DIR"
    local dir id pid
    dir=$(cd -- "$dir_arg" 2>/dev/null && pwd -P) || die "folder '$dir_arg' does not exist"
    require_deployment "$dir"
    for id in $(server_ids "$dir"); do
        pid=$(server_pid "$dir" "$id")
        printf '%s 127.0.0.1:%s %s %s\n' "$id" "$(client_port "$dir" "$id")" \
            "$(server_mode "$dir" "$id")" "${pid:--}"
    done
}

cmd_leader() {
    local dir_arg=${1:-}
    [[ -n $dir_arg ]] || die "missing DIR: usage: deploy/zk.sh leader DIR"
    local dir id
    dir=$(cd -- "$dir_arg" 2>/dev/null && pwd -P) || die "folder '$dir_arg' does not exist"
    require_deployment "$dir"
    for id in $(server_ids "$dir"); do
        case $(server_mode "$dir" "$id") in
            leader | standalone)
                printf '%s\n' "$id"
                return 0
                ;;
        esac
    done
    log "no server in '$dir' reports Mode: leader or standalone"
    return 1
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
        kill) cmd_kill "$@" ;;
        restart) cmd_restart "$@" ;;
        status) cmd_status "$@" ;;
        leader) cmd_leader "$@" ;;
        -h | --help | help) usage ;;
        *)
            usage >&2
            die "unknown command '$command'"
            ;;
    esac
}

main "$@"
