#!/usr/bin/env bash
# Builds the codec's optional native AES-256-GCM batch cipher (main/core/codec/native) with node-gyp.
# The codec works without it, on node:crypto, giving the same bytes more slowly; so a failed build
# only warns (exit 0), unless --strict. Skips the work when the sources and the Node it was built
# for have not changed.
set -uo pipefail
cd "$(dirname "$0")/.."

say() { printf 'setup: %s\n' "$*" >&2; }
strict=no
[ "${1:-}" = --strict ] && strict=yes

dir=main/core/codec/native
addon=$dir/build/Release/msc4016_cipher.node
stamp=$dir/build/.slipstream-built
# The sources' digest and the Node version (hashed with Node: it is always there).
wanted=$(node -e '
  const { createHash } = require("node:crypto");
  const { readFileSync } = require("node:fs");
  const digest = createHash("sha256");
  for (const file of process.argv.slice(1)) digest.update(readFileSync(file));
  console.log(`${digest.digest("hex")} node ${process.version}`);
' "$dir/binding.gyp" "$dir/msc4016_cipher.c") || exit 1
if [ -f "$addon" ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$wanted" ]; then exit 0; fi

args=(rebuild --directory "$dir" --loglevel=error)
# Node's own headers when this Node was installed with them (a distribution's package): nothing to
# download. Otherwise node-gyp fetches the headers for this Node version, as it does for any addon.
prefix=$(dirname "$(dirname "$(readlink -f "$(command -v node)")")")
[ -f "$prefix/include/node/node_api.h" ] && args+=(--nodedir="$prefix")

say "building the native cipher (optional; the codec falls back to node:crypto without it)"
mkdir -p .cache
log=.cache/native-cipher-build.log
if node_modules/.bin/node-gyp "${args[@]}" >"$log" 2>&1 && [ -f "$addon" ]; then
  echo "$wanted" > "$stamp"
  exit 0
fi
rm -f "$stamp"
say "the native cipher did not build (details: $log); the codec will use node:crypto"
tail -n 5 "$log" >&2
[ "$strict" = yes ] && exit 1
exit 0
