#!/bin/sh
# Regenerates gen-c_glib/ from thrift/hbase.thrift with `thrift --gen c_glib`.
# Every file in gen-c_glib/ except meson.build is generated and replaced.
#
# Usage: thrift/regen.sh [SOURCE_ROOT]
# SOURCE_ROOT defaults to the folder above this script.
set -eu

root=${1:-$(dirname "$0")/..}
idl="$root/thrift/hbase.thrift"
out="$root/gen-c_glib"
thrift=${THRIFT:-thrift}

if ! command -v "$thrift" >/dev/null 2>&1; then
  echo "regen.sh: Thrift compiler '$thrift' not found;" \
       "install thrift-compiler 0.17" >&2
  exit 1
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

"$thrift" --gen c_glib -out "$tmp" "$idl"

find "$out" -maxdepth 1 -type f ! -name meson.build -delete
cp "$tmp"/* "$out"/
echo "regen.sh: regenerated $out with $("$thrift" --version)"
