#!/usr/bin/env bash
# `npm start`: the desktop app where Electron's binary is installed, and otherwise the same app in a
# browser through the browser host (`bin/slipstream app`), saying which. Sets the checkout up first
# (scripts/setup.sh), as the README's other commands do. Arguments go on: files to send for Electron,
# the host's options (see `bin/slipstream app --help`) for the browser host.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh

# The electron package answers require() with its binary's path, and throws when the binary was never
# downloaded (setup.sh installs with ELECTRON_SKIP_BINARY_DOWNLOAD=1 where that cannot work).
electron_path() { node -e 'try { process.stdout.write(require("electron")) } catch {}'; }
electron=$(electron_path)
# Set-up skips Electron's download (test machines cannot make it); on a desktop, fetch it once now.
if { [ -z "$electron" ] || [ ! -x "$electron" ]; } && [ "${SLIPSTREAM_BROWSER_HOST:-}" != 1 ] &&
  { [ -n "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ] || [ "$(uname)" = Darwin ]; }; then
  echo "npm start: downloading Electron's binary (once; SLIPSTREAM_BROWSER_HOST=1 skips this)" >&2
  if node node_modules/electron/install.js >/dev/null 2>&1; then
    electron=$(electron_path)
  else
    echo "npm start: Electron's binary could not be downloaded here" >&2
  fi
fi
if [ -n "$electron" ] && [ -x "$electron" ]; then
  echo "npm start: running the Electron app ($electron)" >&2
  node --import tsx scripts/build-app.ts
  # '.' is the checkout: package.json's "main" is the bundle build-app.ts just wrote.
  exec "$electron" . "$@"
fi

echo "npm start: Electron's binary is not installed here, so the app runs in your browser through the browser host instead: bin/slipstream app $*" >&2
exec bin/slipstream app "$@"
