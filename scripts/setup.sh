#!/usr/bin/env bash
# Installs whatever this checkout needs and is missing, and nothing else: Debian packages (chromium
# for the browser tests, openssl for the benchmark, python3-venv, a C toolchain and OpenSSL's headers
# for the codec's native cipher, nginx for the local stack), the npm dependencies, the native cipher, and the Python virtualenv
# for the interop oracle. Safe to run again; fast when everything is there.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf 'setup: %s\n' "$*" >&2; }

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
    say "need root to run: $*"; exit 1
  fi
}

# --- Node.js ---------------------------------------------------------------------------------
if ! command -v node >/dev/null; then
  say "Node.js 20.19 or newer is required and was not found; install it and run this again"; exit 1
fi
node -e 'const [a,b]=process.versions.node.split(".").map(Number); process.exit(a>20||(a===20&&b>=19)?0:1)' || {
  say "Node.js $(node -v) is too old: 20.19 or newer is required"; exit 1; }

# --- Debian packages -------------------------------------------------------------------------
missing=()
[ -x /usr/bin/chromium ] || missing+=(chromium)
command -v openssl >/dev/null || missing+=(openssl)
command -v python3 >/dev/null || missing+=(python3)
if command -v python3 >/dev/null && ! python3 -c 'import ensurepip, venv' 2>/dev/null; then missing+=(python3-venv); fi
command -v make >/dev/null || missing+=(make)
command -v g++ >/dev/null || missing+=(g++)
[ -f /usr/include/openssl/evp.h ] || missing+=(libssl-dev)
# nginx for the local stack (the stack would install it too; here its apt-get waits its turn with the rest).
command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || missing+=(nginx)
# ffmpeg makes the demo's sample video and the test videos.
{ command -v ffmpeg >/dev/null && command -v ffprobe >/dev/null; } || missing+=(ffmpeg)
# Another package manager at work (unattended-upgrades, a second apt-get) holds apt's locks: wait for
# it, saying so, rather than fail with "Could not get lock"; give up after ten minutes.
apt_get() {
  local waited=0 output status
  while :; do
    output=$(as_root env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=60 "$@" 2>&1) && status=0 || status=$?
    if [ $status -eq 0 ] || ! grep -q 'Could not get lock\|Unable to acquire the dpkg frontend lock' <<<"$output"; then
      [ $status -eq 0 ] || printf '%s\n' "$output" >&2
      return $status
    fi
    if [ $waited -ge 600 ]; then
      say "another package manager has held apt's lock for ten minutes; run this again when it is done"
      printf '%s\n' "$output" >&2
      return 1
    fi
    [ $waited -eq 0 ] && say "another package manager is running (apt-get, unattended-upgrades); waiting for it to finish"
    sleep 10
    waited=$((waited + 10))
  done
}

if [ ${#missing[@]} -gt 0 ]; then
  if command -v apt-get >/dev/null; then
    say "installing Debian packages: ${missing[*]}"
    # nginx's maintainer scripts would start a system-wide nginx on port 80; the standard Debian
    # switch (policy-rc.d) stops that: the only nginx running is the stack's, on 127.0.0.1.
    own_policy=no
    if [ ! -e /usr/sbin/policy-rc.d ]; then
      as_root sh -c 'printf "#!/bin/sh\nexit 101\n" > /usr/sbin/policy-rc.d && chmod 755 /usr/sbin/policy-rc.d'
      own_policy=yes
    fi
    apt_get update -qq && apt_get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null || apt_status=$?
    [ "$own_policy" = yes ] && as_root rm -f /usr/sbin/policy-rc.d
    [ "${apt_status:-0}" -eq 0 ] || exit "$apt_status"
  else
    say "please install: ${missing[*]} (no apt-get here)"; exit 1
  fi
fi

# --- npm dependencies ------------------------------------------------------------------------
# Electron's own binary is downloaded by its install script from outside the package registry;
# skip it where that cannot work. The CLI, the server and the tests do not need it.
lock_hash=$(sha256sum package-lock.json | cut -d' ' -f1)
stamp=node_modules/.slipstream-installed
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$lock_hash" ]; then
  say "installing npm dependencies (npm ci)"
  ELECTRON_SKIP_BINARY_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error
  echo "$lock_hash" > "$stamp"
fi

# --- the codec's native cipher (optional: on failure a warning, and node:crypto) -----------------
# CI insists on it, so the suites that compare it with node:crypto always run there.
if [ "${CI:-}" = true ]; then bash scripts/build-native-cipher.sh --strict; else bash scripts/build-native-cipher.sh; fi

# --- Python virtualenv for the interop oracle ------------------------------------------------
req_hash=$(sha256sum tests/interop/requirements.txt | cut -d' ' -f1)
if [ ! -f .venv/.slipstream-installed ] || [ "$(cat .venv/.slipstream-installed)" != "$req_hash" ]; then
  say "creating the Python virtualenv .venv"
  python3 -m venv .venv
  .venv/bin/pip install --quiet --disable-pip-version-check -r tests/interop/requirements.txt
  echo "$req_hash" > .venv/.slipstream-installed
fi

# --- the scaled media server's services (issue 19) ---------------------------------------------
# SeaweedFS (built once from its Go module into .cache/seaweedfs/, about five minutes on two cores)
# and PostgreSQL from Debian, for `npm run stack -- up --scale N` and tests/scaled-*.test.ts.
# Idempotent: with both in place this only checks.
bash scripts/setup-scaled-storage.sh
