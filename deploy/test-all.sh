#!/usr/bin/env bash
# Install everything, build, and run every test: the CUnit unit suites, the
# generated-code check, the integration tests and the fault-injection suite
# on real ZooKeeper and a real HBase with its Thrift2 gateway.
#
#   deploy/test-all.sh                 everything
#   deploy/test-all.sh --no-faults     skip the fault-injection suite
#
# One HBase serves every suite; each test starts its own ZooKeeper. The
# run folder (HBase data and all logs) is kept under $JOBLEADER_TEST_DIR
# when that is set, else in a temporary folder that is removed on success.
set -euo pipefail

SCRIPT_NAME=test-all.sh
DEPLOY_DIR=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd -P)
# shellcheck source=deploy/common.sh
. "$DEPLOY_DIR/common.sh"

SOURCE_DIR=$(dirname -- "$DEPLOY_DIR")
BUILD_DIR=${JOBLEADER_BUILD_DIR:-$SOURCE_DIR/build}
FAULT_SEED=${JOBLEADER_FAULT_SEED:-20261204}
RUN_FAULTS=1

for argument in "$@"; do
    case $argument in
        --no-faults) RUN_FAULTS=0 ;;
        *) die "unknown option '$argument': use --no-faults or nothing" ;;
    esac
done

ensure_pytest() {
    if ! python3 -m pytest --version >/dev/null 2>&1; then
        log "installing pytest for $(command -v python3)"
        python3 -m pip install --quiet pytest
    fi
}

build() {
    if [[ -f $BUILD_DIR/build.ninja ]]; then
        meson setup --reconfigure "$BUILD_DIR" "$SOURCE_DIR" >/dev/null
    else
        meson setup "$BUILD_DIR" "$SOURCE_DIR" >/dev/null
    fi
    ninja -C "$BUILD_DIR"
}

RUN_DIR=${JOBLEADER_TEST_DIR:-$(mktemp -d /tmp/jobleader-test.XXXXXX)}
mkdir -p "$RUN_DIR"

cleanup() {
    local status=$?
    "$DEPLOY_DIR/hbase.sh" stop "$RUN_DIR/hbase" >/dev/null 2>&1 || true
    if ((status == 0)) && [[ -z ${JOBLEADER_TEST_DIR:-} ]]; then
        rm -rf -- "$RUN_DIR"
    else
        log "logs kept in $RUN_DIR"
    fi
}
trap cleanup EXIT

"$DEPLOY_DIR/install-deps.sh"
ensure_pytest
build

log "starting HBase and its Thrift2 gateway in $RUN_DIR/hbase"
"$DEPLOY_DIR/hbase.sh" start "$RUN_DIR/hbase" >/dev/null
export JOBLEADER_THRIFT_SERVERS
JOBLEADER_THRIFT_SERVERS=$(cat "$RUN_DIR/hbase/thrift-servers")
export JOBLEADER_BUILD_DIR=$BUILD_DIR
# The gateway-outage tests kill and restart this HBase's Thrift2 gateway.
export JOBLEADER_HBASE_DIR=$RUN_DIR/hbase
# The status cases of the store test use the ZooKeeper inside HBase.
export JOBLEADER_ZOOKEEPER
JOBLEADER_ZOOKEEPER=127.0.0.1:$(cat "$RUN_DIR/hbase/zookeeper-port")

failed=0
meson test -C "$BUILD_DIR" --print-errorlogs || failed=1

if ((RUN_FAULTS)); then
    python3 "$SOURCE_DIR/tests/faults/run.py" --build-dir "$BUILD_DIR" \
        --seed "$FAULT_SEED" --out "$RUN_DIR/faults" \
        --thrift-servers "$JOBLEADER_THRIFT_SERVERS" \
        --hbase-dir "$RUN_DIR/hbase" || failed=1
fi

python3 "$SOURCE_DIR/tests/summarize.py" "$BUILD_DIR/meson-logs/testlog.json"
exit "$failed"
