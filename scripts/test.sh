#!/usr/bin/env bash
# The whole test suite, as CI runs it: set-up, type-check, lint, then every test. Ends with one
# summary line: "Tests: N passed, N failed, N skipped".
set -uo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh || exit 1

status=0
step() {
  printf '\n== %s\n' "$1"
  shift
  "$@" || { printf '!! %s failed\n' "$*"; status=1; }
}

# The integration tests use the local stack (Synapse, the media server, nginx). Provision and start
# it here, outside any test timeout (a cold start installs Synapse), and stop it afterwards unless it
# was already running.
stack_was_running=no
if npm run --silent stack -- status 2>/dev/null | grep -q '^Synapse .*running'; then stack_was_running=yes; fi
step "start the local stack" npm run --silent stack -- up
stop_stack() { [ "$stack_was_running" = yes ] || npm run --silent stack -- down >/dev/null 2>&1 || true; }
trap stop_stack EXIT

step "type-check every layer" npm run --silent typecheck
step "lint (layering rules, style)" npm run --silent lint
mkdir -p .cache
rm -f .cache/vitest-report.json .cache/vitest-report-scaled.json
step "tests" npx vitest run --reporter=default --reporter=json --outputFile.json=.cache/vitest-report.json
# The MSC2246 conformance, streaming and tus suites again, against two media servers on the object
# store and PostgreSQL behind nginx (`npm run stack -- up --scale 2`; the trap stops it with the rest).
step "the stack suites against the scaled stack" env SLIPSTREAM_STACK_SCALE=2 npx vitest run \
  --reporter=default --reporter=json --outputFile.json=.cache/vitest-report-scaled.json \
  tests/msc2246-slipstream.test.ts tests/stack-streaming.test.ts tests/stack-tus.test.ts
node scripts/test-summary.mjs .cache/vitest-report.json .cache/vitest-report-scaled.json || status=1
exit $status
