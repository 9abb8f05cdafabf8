#!/usr/bin/env bash
# Install the Debian packages that jobleader needs to build, test and run
# its test servers, then cache the HBase jars with deploy/hbase-fetch.sh.
#
# Idempotent: apt-get runs only when a package is missing, so a repeated run
# takes about a second once the HBase jars are cached as well.
set -euo pipefail

SCRIPT_NAME=install-deps.sh
DEPLOY_DIR=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd -P)
# shellcheck source=deploy/common.sh
. "$DEPLOY_DIR/common.sh"

PACKAGES=(
    # Build: C11 compiler, meson and ninja
    build-essential
    meson
    ninja-build
    pkg-config
    # Libraries the service links against
    libglib2.0-dev
    libjson-glib-dev
    libthrift-c-glib-dev
    thrift-compiler
    libzookeeper-mt-dev
    libsystemd-dev
    # Tests
    libcunit1-dev
    python3
    iproute2
    # Test servers: Debian's ZooKeeper for deploy/zk.sh, and Java plus Maven
    # for the HBase jars that deploy/hbase.sh runs
    zookeeper
    openjdk-17-jdk-headless
    maven
)

usage() {
    cat <<EOF
Usage: deploy/install-deps.sh [--skip-hbase]

Installs the missing packages among:
  ${PACKAGES[*]}
with apt-get (as root, or through sudo), then runs deploy/hbase-fetch.sh.

  --skip-hbase   do not download the HBase jars
EOF
}

missing_packages() {
    local package status
    for package in "${PACKAGES[@]}"; do
        status=$(dpkg-query --show --showformat='${db:Status-Status}' "$package" 2>/dev/null || true)
        [[ $status == installed ]] || printf '%s\n' "$package"
    done
}

run_as_root() {
    if ((EUID == 0)); then
        "$@"
    elif command -v sudo >/dev/null 2>&1; then
        sudo "$@"
    else
        die "installing packages needs root: run this script as root or install sudo"
    fi
}

install_packages() {
    local -a missing
    mapfile -t missing < <(missing_packages)
    if ((${#missing[@]} == 0)); then
        log "all ${#PACKAGES[@]} Debian packages are installed"
        return 0
    fi
    log "installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    run_as_root apt-get update || die "apt-get update failed: check the network and /etc/apt/sources.list"
    run_as_root apt-get install -y --no-install-recommends "${missing[@]}" ||
        die "apt-get install failed for: ${missing[*]}"

    mapfile -t missing < <(missing_packages)
    ((${#missing[@]} == 0)) || die "still not installed after apt-get: ${missing[*]}"
}

main() {
    local fetch_hbase=1
    while (($#)); do
        case $1 in
            --skip-hbase) fetch_hbase=0 ;;
            -h | --help)
                usage
                return 0
                ;;
            *)
                usage >&2
                die "unknown argument '$1'"
                ;;
        esac
        shift
    done

    require_command dpkg-query "this script supports Debian and its derivatives only"
    install_packages
    if ((fetch_hbase)); then
        "$DEPLOY_DIR/hbase-fetch.sh" >/dev/null
        log "HBase jars are in $("$DEPLOY_DIR/hbase-fetch.sh")"
    fi
}

main "$@"
