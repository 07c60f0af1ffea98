#!/usr/bin/env bash
# Proves the production install starts: builds, installs only the runtime dependencies (npm ci --omit=dev, as the
# Docker image does) into an empty folder with dist/ and schemas/, then starts every role from what is there.
# Needs redis-server on PATH. Run by .ci/run after the tests.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
pids=()
cleanup() {
  # Roles first (newest first), Redis last, so every role can shut down cleanly.
  for ((i = ${#pids[@]} - 1; i >= 0; i--)); do
    kill "${pids[$i]}" 2>/dev/null || true
    timeout 10 tail --pid="${pids[$i]}" -f /dev/null 2>/dev/null || kill -9 "${pids[$i]}" 2>/dev/null || true
  done
  rm -rf "$work"
}
trap cleanup EXIT

free_port() { node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'; }
wait_ready() { # url what
  for _ in $(seq 1 100); do
    if curl -sf -m 2 -o /dev/null "$1"; then return 0; fi
    sleep 0.2
  done
  echo "production check: $2 did not become ready at $1" >&2
  return 1
}

cd "$root"
npm run build --silent
cp -r package.json package-lock.json dist schemas "$work/"
cd "$work"
npm ci --omit=dev --no-audit --no-fund --loglevel=error >/dev/null
echo "production check: runtime dependencies installed ($(ls node_modules | wc -l) packages)"

node dist/src/cli.js keygen | grep -q '^BOURSE_ADDRESS=0x' && echo "production check: keygen ok"

redis_port=$(free_port)
redis-server --port "$redis_port" --bind 127.0.0.1 --save "" --appendonly no --daemonize no --loglevel warning >/dev/null &
pids+=($!)
export REDIS_URL="redis://127.0.0.1:$redis_port" BOURSE_AUTH_SECRET="production-check-secret-0123456789abcdef"
export LOG_LEVEL=warn BOURSE_DATA_DIR="$work/data"

api_port=$(free_port)
PORT=$api_port node dist/src/cli.js api &
pids+=($!)
wait_ready "http://127.0.0.1:$api_port/ready" api
echo "production check: api ok"

runner_key=$(node dist/src/cli.js keygen | sed -n 's/^BOURSE_PRIVATE_KEY=//p')
# A runner is a client of the API only: it refuses REDIS_URL.
env -u REDIS_URL BOURSE_API_URL="http://127.0.0.1:$api_port" BOURSE_RUNNER_PRIVATE_KEY="$runner_key" \
  BOURSE_RUNNER_WORK_DIR="$work/runner-jobs" node dist/src/cli.js runner &
runner=$!
pids+=($runner)
for _ in $(seq 1 100); do
  envs=$(curl -s -m 2 "http://127.0.0.1:$api_port/api/services/computeEnvironments" | node -e 'let t="";process.stdin.on("data",d=>t+=d).on("end",()=>{try{console.log(JSON.parse(t).length)}catch{console.log(0)}})')
  [ "$envs" -ge 1 ] && break
  kill -0 "$runner" || { echo "production check: runner exited" >&2; exit 1; }
  sleep 0.2
done
[ "$envs" -ge 1 ] || { echo "production check: the runner never announced itself" >&2; exit 1; }
echo "production check: runner ok"

dev_port=$(free_port)
PORT=$dev_port BOURSE_KEY_PREFIX=dev: node dist/src/cli.js dev &
pids+=($!)
wait_ready "http://127.0.0.1:$dev_port/ready" dev
echo "production check: dev ok"
echo "production check: every role starts from the pruned install"
