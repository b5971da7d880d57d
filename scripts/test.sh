#!/usr/bin/env bash
# test.sh runs Berth's whole test suite on this host: install what is missing, start Docker, build, then every
# compiled test file under dist/test/{unit,integration,e2e}, one file at a time, under a total time limit
# (BERTH_TEST_TIMEOUT seconds, default 4500). Extra arguments are passed to `node --test`
# (e.g. --test-name-pattern). The exit code is the test runner's (124 when the time limit hit). install.sh also
# fetches the supported Node lines, on which test/e2e/node-lines.test.ts runs berthd (the suite itself runs on
# the `node` on PATH).
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TIMEOUT="${BERTH_TEST_TIMEOUT:-4500}"
cd "$REPO"

BERTH_INSTALL_SKIP_BUILD=1 bash scripts/install.sh
bash scripts/start-docker.sh

TAP="$(mktemp -t berth-tests.XXXXXX.tap)"
BUILD_LOG="$(mktemp -t berth-build.XXXXXX.log)"
trap 'rm -f "$TAP" "$BUILD_LOG"' EXIT

echo "==> npm run build"
if ! npm run build --silent >"$BUILD_LOG" 2>&1; then
  echo "test.sh: the build failed:" >&2
  cat "$BUILD_LOG" >&2
  exit 1
fi

# The files are listed explicitly rather than left to `--test DIR`, whose discovery rules differ between Node
# releases: every *.test.js, and only those whose TypeScript source still exists (not stale output in dist/).
files=()
for dir in dist/test/unit dist/test/integration dist/test/e2e; do
  [ -d "$dir" ] || continue
  while IFS= read -r file; do
    source="${file#dist/}"
    [ -f "${source%.js}.ts" ] && files+=("$file")
  done < <(find "$dir" -type f -name '*.test.js' | sort)
done
if [ "${#files[@]}" -eq 0 ]; then
  echo "test.sh: no test files found under dist/test" >&2
  exit 1
fi

echo "==> node --test: ${#files[@]} files (time limit ${TIMEOUT}s)"
status=0
timeout --signal=TERM --kill-after=30 "$TIMEOUT" \
  node --test --test-concurrency=1 \
  --test-reporter=spec --test-reporter-destination=stdout \
  --test-reporter=tap --test-reporter-destination="$TAP" \
  "$@" "${files[@]}" || status=$?

if [ "$status" -eq 124 ]; then echo "test.sh: the tests did not finish within ${TIMEOUT}s" >&2; fi
echo "==> summary"
grep -E '^# (tests|suites|pass|fail|cancelled|skipped|todo|duration_ms) ' "$TAP" || echo "# (no summary: the runner was stopped)"
# A skipped test is a dependency that was missing (or an opt-in test): say how many, and which, so a green run
# that skipped half the suite does not look like a full one. Under CI=true a missing dependency fails instead.
skipped="$(grep -cE '^\s*ok [0-9]+ - .* # SKIP' "$TAP" || true)"
echo "==> skipped tests: ${skipped:-0}"
grep -E '^\s*ok [0-9]+ - .* # SKIP' "$TAP" | sed -E 's/^\s*ok [0-9]+ - /    /' || true
exit "$status"
