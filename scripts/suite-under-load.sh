#!/usr/bin/env bash
# The whole test suite on a clean clone while two busy loops hold both cores, N times (default 3): each run's
# passed/failed/pending counts and wall time. On PostgreSQL when TEST_DATABASE_URL is set, else the embedded one.
# It tests what is committed on the current branch (a clone), not uncommitted changes.
#
#   scripts/suite-under-load.sh [N]
set -euo pipefail

runs="${1:-3}"
root="$(git rev-parse --show-toplevel)"
branch="$(git -C "$root" rev-parse --abbrev-ref HEAD)"
clone="$(mktemp -d "${TMPDIR:-/tmp}/suite-under-load.XXXXXX")"
logs="$(mktemp -d "${TMPDIR:-/tmp}/suite-under-load-logs.XXXXXX")"
busy=()

stop() {
  for pid in "${busy[@]}"; do kill "$pid" 2>/dev/null || true; done
  rm -rf "$clone"
}
trap stop EXIT
trap 'exit 130' INT TERM

for _ in 1 2; do
  yes >/dev/null &
  busy+=("$!")
done
echo "busy loops ${busy[*]}; $branch cloned to $clone; database: $([ -n "${TEST_DATABASE_URL:-}" ] && echo PostgreSQL || echo embedded); logs in $logs"

git clone --quiet --branch "$branch" "$root" "$clone"
cd "$clone"
npm ci --no-audit --no-fund --loglevel=error >"$logs/npm-ci.log" 2>&1

failed=0
for run in $(seq 1 "$runs"); do
  # As a fresh clone has it: no dist/ (the global setup builds it), nothing a run left; node_modules stays.
  git clean -fdxq -e node_modules
  started=$SECONDS
  # --forceExit: a run that leaves a handle open (Jest then waits for ever) still ends and is counted.
  npm test -- --json --forceExit --outputFile="$logs/run-$run.json" >"$logs/run-$run.log" 2>&1 || failed=1
  node -e '
    const [file, run, wall] = process.argv.slice(1);
    const r = JSON.parse(require("node:fs").readFileSync(file, "utf8"));
    console.log(`run ${run}: ${r.numPassedTests} passed, ${r.numFailedTests} failed, ${r.numPendingTests} pending, ${wall} s wall`);
  ' "$logs/run-$run.json" "$run" "$((SECONDS - started))" || echo "run $run: no Jest report (see $logs/run-$run.log)"
done
exit "$failed"
