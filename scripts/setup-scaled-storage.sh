#!/usr/bin/env bash
# Installs what the scaled media server needs (docs/deploy.md, "Several instances"): SeaweedFS, the
# S3-compatible object store, built from its Go module into .cache/seaweedfs/<version>/weed, and
# PostgreSQL from Debian. Safe to run again; with both in place it only checks (well under a second).
#
# SeaweedFS is Apache-2.0 (MinIO and Garage are AGPL). `go install …/weed@VERSION` refuses its module
# (it has replace directives), so the module is downloaded, copied somewhere writable and built there:
# about five minutes on two cores, 2 GB of module cache, a 230 MB binary. The build runs under `nice`,
# so other work on the machine keeps its share of the cores.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf 'setup: %s\n' "$*" >&2; }

SEAWEEDFS_MODULE=github.com/seaweedfs/seaweedfs
SEAWEEDFS_VERSION=v0.0.0-20261109003541-7506e5f91cd6
weed_dir=.cache/seaweedfs/$SEAWEEDFS_VERSION
weed=$weed_dir/weed

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
    say "need root to run: $*"; exit 1
  fi
}

# --- PostgreSQL (Debian) ---------------------------------------------------------------------
# Only the server binaries are needed: the stack and the tests run their own cluster as the
# `postgres` user in a data directory of theirs (PostgreSQL refuses to run as root), on their own port.
pg_bin() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1; }
if [ -z "$(pg_bin)" ] || [ ! -x "$(pg_bin)/initdb" ] || ! id postgres >/dev/null 2>&1; then
  if ! command -v apt-get >/dev/null; then say "please install PostgreSQL 15 (no apt-get here)"; exit 1; fi
  say "installing PostgreSQL from Debian"
  # As for nginx in setup.sh: no system-wide cluster started by the package's maintainer scripts.
  own_policy=no
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    as_root sh -c 'printf "#!/bin/sh\nexit 101\n" > /usr/sbin/policy-rc.d && chmod 755 /usr/sbin/policy-rc.d'
    own_policy=yes
  fi
  status=0
  as_root env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 update -qq &&
    as_root env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq \
      --no-install-recommends postgresql >/dev/null || status=$?
  [ "$own_policy" = yes ] && as_root rm -f /usr/sbin/policy-rc.d
  [ "$status" -eq 0 ] || exit "$status"
fi

# --- SeaweedFS (built from its Go module) ----------------------------------------------------
if [ -x "$weed" ] && [ -f "$weed_dir/.slipstream-built" ]; then exit 0; fi
if ! command -v go >/dev/null && command -v apt-get >/dev/null; then
  say "installing Go from Debian, to build SeaweedFS"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq \
    --no-install-recommends golang-go >/dev/null || true
fi
if ! command -v go >/dev/null; then
  say "Go is needed to build SeaweedFS (the object store of the scaled stack) and was not found"; exit 1
fi
say "building SeaweedFS $SEAWEEDFS_VERSION (once; about five minutes on two cores)"
mkdir -p "$weed_dir"
log=$PWD/$weed_dir/build.log
: >"$log"
module_dir=$(GOFLAGS=-mod=mod go mod download -json "$SEAWEEDFS_MODULE@$SEAWEEDFS_VERSION" 2>>"$log" |
  node -e 'let s="";process.stdin.on("data",(d)=>(s+=d)).on("end",()=>{const j=JSON.parse(s);if(j.Error){console.error(j.Error);process.exit(1)}console.log(j.Dir)})') || {
  say "could not download the SeaweedFS module (details: $log)"; exit 1; }
src=$weed_dir/src
rm -rf "$src"
cp -r "$module_dir" "$src"
chmod -R u+w "$src"
# The lowest priority: every core when the machine is idle (CI), little when other work runs.
if ! (cd "$src" && GOFLAGS=-buildvcs=false nice -n 19 go build -o ../weed.tmp ./weed) >>"$log" 2>&1; then
  say "SeaweedFS did not build (details: $log)"; exit 1
fi
mv "$weed_dir/weed.tmp" "$weed"
rm -rf "$src"
"$weed" version >>"$log" 2>&1 || { say "the SeaweedFS binary does not run (details: $log)"; exit 1; }
echo "$SEAWEEDFS_VERSION" >"$weed_dir/.slipstream-built"
say "SeaweedFS is in $weed"
