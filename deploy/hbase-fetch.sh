#!/usr/bin/env bash
# Download the jars that deploy/hbase.sh runs (HBase standalone plus its
# Thrift2 gateway) from Maven Central into a cache folder, and print the
# folder that contains them.
#
# The jar list is the runtime class path of deploy/hbase/pom.xml. A run is
# skipped when the cache already contains a complete copy made from the same
# pom.xml and version. The cache is marked complete only after every jar is
# in place, so an interrupted download is redone on the next run.
set -euo pipefail

SCRIPT_NAME=hbase-fetch.sh
DEPLOY_DIR=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd -P)
# shellcheck source=deploy/common.sh
. "$DEPLOY_DIR/common.sh"

# Maven Central serves hbase-thrift 2.6.1 but no 2.6.x "-hadoop3" build of it.
HBASE_VERSION=${HBASE_VERSION:-2.6.1}
DEPENDENCY_PLUGIN=org.apache.maven.plugins:maven-dependency-plugin:3.8.1
POM=$DEPLOY_DIR/hbase/pom.xml

usage() {
    cat <<EOF
Usage: deploy/hbase-fetch.sh [--force]

Downloads org.apache.hbase:hbase-thrift:$HBASE_VERSION and its runtime
dependencies with Maven and prints the folder that contains the jars:
  \${JOBLEADER_CACHE:-\$HOME/.cache/jobleader}/hbase-$HBASE_VERSION/lib

  --force   download again even when the cache is complete

Environment: JOBLEADER_CACHE (cache root), HBASE_VERSION (default 2.6.1).
EOF
}

cache_root() {
    local root=${JOBLEADER_CACHE:-}
    if [[ -z $root ]]; then
        [[ -n ${HOME:-} ]] || die "neither JOBLEADER_CACHE nor HOME is set: set JOBLEADER_CACHE to a writable folder"
        root=$HOME/.cache/jobleader
    fi
    printf '%s\n' "$root"
}

# The completion stamp names the version and the pom.xml checksum, so editing
# the pom or changing HBASE_VERSION invalidates the cache.
expected_stamp() {
    printf 'hbase %s pom-sha256 %s\n' "$HBASE_VERSION" "$(sha256sum "$POM" | cut -d' ' -f1)"
}

cache_is_complete() {
    local version_dir=$1
    [[ -f $version_dir/complete && -d $version_dir/lib ]] || return 1
    [[ $(<"$version_dir/complete") == "$(expected_stamp)" ]] || return 1
    [[ -f $version_dir/lib/hbase-thrift-$HBASE_VERSION.jar ]]
}

download() {
    local version_dir=$1 staging=$1/lib.partial maven_log=$1/maven.log
    require_command mvn "run deploy/install-deps.sh to install maven"
    [[ -f $POM ]] || die "missing $POM: the deploy/ folder is incomplete"

    rm -rf -- "$staging" "$version_dir/complete"
    mkdir -p -- "$staging"
    log "downloading hbase-thrift $HBASE_VERSION and its dependencies with Maven (log: $maven_log)"
    if ! mvn --batch-mode --quiet --file "$POM" \
        "-Dhbase.version=$HBASE_VERSION" \
        "$DEPENDENCY_PLUGIN:copy-dependencies" \
        -DincludeScope=runtime \
        "-DoutputDirectory=$staging" >"$maven_log" 2>&1; then
        show_log_tail "$maven_log" 30
        die "Maven could not resolve hbase-thrift $HBASE_VERSION (see $maven_log): check that Maven Central is reachable and that HBASE_VERSION names a published release"
    fi
    [[ -f $staging/hbase-thrift-$HBASE_VERSION.jar ]] ||
        die "Maven finished but $staging has no hbase-thrift-$HBASE_VERSION.jar: see $maven_log"

    if [[ -d $version_dir/lib ]] && diff -r -q -- "$version_dir/lib" "$staging" >/dev/null; then
        # The jars did not change, for example after an edit of the pom's
        # comments. Keep the old folder, because running JVMs read from it.
        rm -rf -- "$staging"
    else
        rm -rf -- "$version_dir/lib"
        mv -- "$staging" "$version_dir/lib"
    fi
    expected_stamp >"$version_dir/complete"
    log "cached $(find "$version_dir/lib" -name '*.jar' | wc -l) jars ($(du -sh "$version_dir/lib" | cut -f1)) in $version_dir/lib"
}

main() {
    local force=0
    while (($#)); do
        case $1 in
            --force) force=1 ;;
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

    local version_dir
    version_dir=$(cache_root)/hbase-$HBASE_VERSION
    mkdir -p -- "$version_dir" || die "cannot create cache folder '$version_dir': set JOBLEADER_CACHE to a writable folder"
    version_dir=$(cd -- "$version_dir" && pwd -P)

    # Serialize concurrent runs (parallel tests) so only one downloads.
    require_command flock "install util-linux"
    exec 9>"$version_dir/lock"
    flock 9
    if ((force)) || ! cache_is_complete "$version_dir"; then
        download "$version_dir"
    fi
    flock --unlock 9
    printf '%s\n' "$version_dir/lib"
}

main "$@"
