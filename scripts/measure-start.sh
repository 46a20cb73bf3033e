#!/usr/bin/env bash
# Start time as a new developer sees it: clones the committed branch to /tmp (node_modules hard-linked, as after
# `npm ci`), times `npm start` until GET /healthz answers 200 on the embedded database (first start: build and
# database initialisation included), stops it, then times a second `npm start` on the same clone.
#   scripts/measure-start.sh [repository, default .] [runs of the repeated start, default 1] [revision, default the
#   branch's last commit]
set -euo pipefail

repo=$(cd "${1:-.}" && pwd)
repeats=${2:-1}
revision=${3:-}
branch=$(git -C "$repo" branch --show-current)
work=$(mktemp -d /tmp/aura-start-XXXXXX)
port=$((20000 + RANDOM % 20000))
trap 'rm -rf "$work"' EXIT

git clone --quiet --branch "$branch" "$repo" "$work/app"
cp -al "$repo/node_modules" "$work/app/node_modules"
cd "$work/app"
if [ -n "$revision" ]; then
  git checkout --quiet "$revision"
fi

now_ms() { date +%s%3N; }

# One `npm start`: prints the milliseconds until /healthz answered 200, then stops the service with SIGTERM.
timed_start() {
  local started pid status elapsed
  started=$(now_ms)
  setsid env -u DATABASE_URL PORT="$port" LOG_LEVEL=warn npm start >"$work/start.log" 2>&1 &
  pid=$!
  until status=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/healthz") && [ "$status" = 200 ]; do
    if ! kill -0 "$pid" 2>/dev/null; then
      echo "npm start exited before /healthz answered:" >&2
      cat "$work/start.log" >&2
      exit 1
    fi
    sleep 0.05
  done
  elapsed=$(($(now_ms) - started))
  kill -TERM -- "-$pid"
  wait "$pid" || true
  echo "$elapsed"
}

echo "load before: $(uptime | sed 's/.*load average: //')"
echo "first start (fresh clone, build + embedded database init): $(timed_start) ms"
for _ in $(seq "$repeats"); do
  echo "repeated start: $(timed_start) ms"
done
echo "load after: $(uptime | sed 's/.*load average: //')"
