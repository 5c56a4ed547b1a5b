#!/usr/bin/env bash
# Installs whatever this checkout needs and is missing, and nothing else: Debian packages (chromium
# for the browser tests, openssl for the benchmark, python3-venv, a C toolchain and OpenSSL's headers
# for the codec's native cipher), the npm dependencies, the native cipher, and the Python virtualenv
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
if [ ${#missing[@]} -gt 0 ]; then
  if command -v apt-get >/dev/null; then
    say "installing Debian packages: ${missing[*]}"
    as_root apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
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
