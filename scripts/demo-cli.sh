#!/usr/bin/env bash
# `npm run demo:cli`: the command-line demo. Sets everything up on a fresh machine (scripts/setup.sh;
# the local stack's Synapse, nginx and media server on first use), then streams a generated 1 GiB file
# between two users with the slipstream CLI. SLIPSTREAM_DEMO_MIB changes the size.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec node --import tsx scripts/demo/transfer-demo.ts
