#!/usr/bin/env bash
# `npm run demo`, the README's main job: sets everything up on a fresh machine (scripts/setup.sh, ffmpeg
# for the sample video included; the local stack's Synapse, nginx and media server on first use), then
# scripts/demo-app/main.ts: Alice and Bob in an encrypted room, a sample video, and the app open for
# each of them until Ctrl-C. `npm run demo:cli` is the command-line demo.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh

exec node --import tsx scripts/demo-app/main.ts
