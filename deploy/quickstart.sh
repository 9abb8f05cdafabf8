#!/usr/bin/env bash
# Try jobleader on one host: install what it needs, build it, start a local
# ZooKeeper and three job-mode nodes that share a local metastore folder,
# then show who leads.
#
#   deploy/quickstart.sh          start (again) and print `jobleader status`
#   deploy/quickstart.sh stop     stop the nodes and ZooKeeper
#
# Everything lives under .quickstart/ in the checkout: each node's
# kylin.properties, log and event log, the ZooKeeper run folder and the
# metastore. The nodes use Kylin's host-address form, localhost:7071 to
# localhost:7073, as three Kylin servers on one host would.
set -euo pipefail

SCRIPT_NAME=quickstart.sh
DEPLOY_DIR=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd -P)
# shellcheck source=deploy/common.sh
. "$DEPLOY_DIR/common.sh"

SOURCE_DIR=$(dirname -- "$DEPLOY_DIR")
BUILD_DIR=${JOBLEADER_BUILD_DIR:-$SOURCE_DIR/build}
RUN_DIR=$SOURCE_DIR/.quickstart
NODES=3

build() {
    if [[ ! -f $BUILD_DIR/build.ninja ]]; then
        meson setup "$BUILD_DIR" "$SOURCE_DIR" >/dev/null
    fi
    ninja -C "$BUILD_DIR" >/dev/null
}

write_node_config() {
    local id=$1 folder=$RUN_DIR/node-$1
    mkdir -p "$folder"
    cat >"$folder/kylin.properties" <<CONF
# Node $id of the jobleader quick start.
kylin.server.mode=job
kylin.server.host-address=localhost:707$id
kylin.metadata.url=$RUN_DIR/metastore
kylin.env.zookeeper-connect-string=$(cat "$RUN_DIR/zk/connect-string")
kylin.jobleader.event-log=$folder/events.jsonl
CONF
}

start_node() {
    local folder=$RUN_DIR/node-$1
    start_background "$folder/jobleaderd.pid" "$folder/jobleaderd.log" \
        "$BUILD_DIR/jobleaderd" --config "$folder/kylin.properties"
}

stop_nodes() {
    local folder
    for folder in "$RUN_DIR"/node-*; do
        [[ -f $folder/jobleaderd.pid ]] || continue
        stop_process "$folder/jobleaderd.pid" "$folder/kylin.properties" \
            "jobleaderd $(basename "$folder")" 15
    done
}

check_nodes_running() {
    local folder
    for folder in "$RUN_DIR"/node-*; do
        if [[ -z $(running_pid "$folder/jobleaderd.pid" "$folder/kylin.properties") ]]; then
            show_log_tail "$folder/jobleaderd.log" 20
            die "jobleaderd $(basename "$folder") exited; its log is above"
        fi
    done
}

wait_for_leader() {
    local config=$RUN_DIR/node-1/kylin.properties
    for _ in $(seq 1 150); do
        check_nodes_running
        if "$BUILD_DIR/jobleader" --config "$config" status >/dev/null 2>&1; then
            return 0
        fi
        sleep 0.2
    done
    return 1
}

stop_all() {
    stop_nodes
    if [[ -d $RUN_DIR/zk ]]; then
        "$DEPLOY_DIR/zk.sh" stop "$RUN_DIR/zk" >/dev/null 2>&1 || true
    fi
}

start_all() {
    "$DEPLOY_DIR/install-deps.sh" --skip-hbase
    build
    stop_all
    # ZooKeeper keeps its data across runs: its czxids are the fencing
    # epochs, and a fresh ensemble would restart them below the epoch the
    # metastore already holds.
    mkdir -p "$RUN_DIR"
    "$DEPLOY_DIR/zk.sh" start "$RUN_DIR/zk" >/dev/null

    for id in $(seq 1 $NODES); do
        write_node_config "$id"
        start_node "$id"
    done

    if ! wait_for_leader; then
        die "no consistent leader within 30 s; node logs are in $RUN_DIR/node-*/jobleaderd.log"
    fi
    "$BUILD_DIR/jobleader" --config "$RUN_DIR/node-1/kylin.properties" status
    log "running; stop with: deploy/quickstart.sh stop"
}

case ${1:-start} in
    start) start_all ;;
    stop) stop_all ;;
    *) die "unknown command '$1': use 'start' or 'stop'" ;;
esac
