# Shell helpers shared by the deploy/ scripts. Source it, do not run it.
# The caller sets SCRIPT_NAME (used as the message prefix) and runs with
# `set -euo pipefail`.

log() {
    printf '%s: %s\n' "${SCRIPT_NAME:-deploy}" "$*" >&2
}

die() {
    printf '%s: error: %s\n' "${SCRIPT_NAME:-deploy}" "$*" >&2
    exit 1
}

# Print the last lines of a log file to stderr between marker lines, so CI output shows where it starts and ends.
show_log_tail() {
    local file=$1 lines=${2:-40}
    if [[ -s $file ]]; then
        printf -- '----- last %s lines of %s -----\n' "$lines" "$file" >&2
        tail -n "$lines" "$file" >&2
        printf -- '----- end of %s -----\n' "$file" >&2
    else
        printf '(log file %s is missing or empty)\n' "$file" >&2
    fi
}

require_command() {
    local name=$1 hint=$2
    command -v "$name" >/dev/null 2>&1 || die "command '$name' not found: $hint"
}

# Print the java launcher: $JAVA_HOME/bin/java when JAVA_HOME is set, else java from PATH.
java_command() {
    if [[ -n ${JAVA_HOME:-} ]]; then
        [[ -x $JAVA_HOME/bin/java ]] || die "JAVA_HOME=$JAVA_HOME has no executable bin/java: fix or unset JAVA_HOME"
        printf '%s\n' "$JAVA_HOME/bin/java"
    else
        require_command java "run deploy/install-deps.sh to install openjdk-17-jdk-headless"
        printf 'java\n'
    fi
}

# Create a folder if needed and print its absolute path.
absolute_dir() {
    local dir=$1
    [[ -n $dir ]] || die "missing folder argument"
    mkdir -p -- "$dir" || die "cannot create folder '$dir'"
    (cd -- "$dir" && pwd -P)
}

# Print COUNT distinct TCP ports that are free on 127.0.0.1, one per line.
# All sockets stay bound until every port is chosen, so the ports differ.
# NOTE: another process can still take a port between this check and the
# server's bind. The start commands then fail with the server's log tail.
pick_free_ports() {
    local count=$1
    require_command python3 "run deploy/install-deps.sh to install python3"
    python3 - "$count" <<'PY'
import socket
import sys

sockets = []
for _ in range(int(sys.argv[1])):
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    sockets.append(sock)
for sock in sockets:
    print(sock.getsockname()[1])
for sock in sockets:
    sock.close()
PY
}

# Return 0 when something accepts TCP connections on 127.0.0.1:PORT.
port_is_listening() {
    local port=$1
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null
}

# Return 0 when PID is a live process whose command line contains MARKER.
# The marker (a config path inside the run folder) keeps a stale pid file
# from matching an unrelated process that reused the pid.
pid_is_ours() {
    local pid=$1 marker=$2
    [[ $pid =~ ^[0-9]+$ ]] || return 1
    [[ -r /proc/$pid/cmdline ]] || return 1
    tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "$marker"
}

# Print the pid stored in PIDFILE when that process is alive and ours, else nothing.
running_pid() {
    local pidfile=$1 marker=$2 pid
    [[ -f $pidfile ]] || return 0
    pid=$(<"$pidfile")
    if pid_is_ours "$pid" "$marker"; then
        printf '%s\n' "$pid"
    fi
}

# Wait up to SECONDS for PID to exit. Returns 1 on timeout.
wait_for_exit() {
    local pid=$1 seconds=$2 deadline
    deadline=$((SECONDS + seconds))
    while [[ -e /proc/$pid ]]; do
        # A child of this shell stays a zombie until it is reaped.
        if [[ $(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null) == Z ]]; then
            wait "$pid" 2>/dev/null || true
            return 0
        fi
        ((SECONDS < deadline)) || return 1
        sleep 0.2
    done
}

# Stop the process in PIDFILE: SIGTERM, then SIGKILL after GRACE seconds.
# Removes the pid file. Prints nothing when the process is not running.
stop_process() {
    local pidfile=$1 marker=$2 name=$3 grace=$4 pid
    pid=$(running_pid "$pidfile" "$marker")
    if [[ -z $pid ]]; then
        rm -f -- "$pidfile"
        return 0
    fi
    log "stopping $name (pid $pid)"
    kill -TERM "$pid" 2>/dev/null || true
    if ! wait_for_exit "$pid" "$grace"; then
        log "$name (pid $pid) did not exit within ${grace}s of SIGTERM, sending SIGKILL"
        kill -KILL "$pid" 2>/dev/null || true
        wait_for_exit "$pid" 10 || die "$name (pid $pid) is still alive after SIGKILL"
    fi
    rm -f -- "$pidfile"
}

# Send SIGKILL to the process in PIDFILE and wait for it to exit.
kill_process() {
    local pidfile=$1 marker=$2 name=$3 pid
    pid=$(running_pid "$pidfile" "$marker")
    [[ -n $pid ]] || die "$name is not running (no live process in $pidfile)"
    kill -KILL "$pid"
    wait_for_exit "$pid" 10 || die "$name (pid $pid) is still alive 10s after SIGKILL"
    rm -f -- "$pidfile"
    log "killed $name (pid $pid) with SIGKILL"
}

# Start a command in the background, detached from the caller's terminal,
# with stdout and stderr appended to LOGFILE, and write its pid to PIDFILE.
start_background() {
    local pidfile=$1 logfile=$2
    shift 2
    printf '=== %s starting: %s\n' "$(date '+%Y-%m-%d %H:%M:%S')" "$*" >>"$logfile"
    nohup "$@" >>"$logfile" 2>&1 </dev/null &
    printf '%s\n' "$!" >"$pidfile"
}
