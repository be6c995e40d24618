#!/usr/bin/env bash
# Runs kinspect on live data: starts kinesis-local on 127.0.0.1, creates a 4-shard stream
# `demo`, keeps demo traffic (JSON, text and binary records) flowing into it, and opens the
# TUI on it. `q` quits and stops everything. `scripts/demo.sh tail` tails it instead; other
# arguments go to kinspect, e.g. `scripts/demo.sh --efo` to read with enhanced fan-out.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
scripts/install-emulators.sh

port="${KINSPECT_DEMO_PORT:-4568}"
tls_port="${KINSPECT_DEMO_TLS_PORT:-4567}"
endpoint="http://127.0.0.1:$port"
tools="$PWD/.tools"
log="$tools/demo-kinesis-local.log"

pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap cleanup EXIT INT TERM

echo "demo: building kinspect" >&2
cargo build --quiet --locked

echo "demo: starting kinesis-local on $endpoint (log: $log)" >&2
KINESIS_MOCK_CERT_PATH="$tools/node_modules/kinesis-local/server.json" \
KINESIS_MOCK_PLAIN_PORT="$port" KINESIS_MOCK_TLS_PORT="$tls_port" \
CREATE_STREAM_DURATION=0ms REGISTER_STREAM_CONSUMER_DURATION=0ms LOG_LEVEL=WARN \
  node "$tools/node_modules/kinesis-local/main.js" >"$log" 2>&1 &
pids+=($!)
for _ in $(seq 1 200); do
  if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then break; fi
  sleep 0.1
done

"$tools/venv/bin/python" scripts/demo_traffic.py "$endpoint" demo 4 &
pids+=($!)

export AWS_ACCESS_KEY_ID=demo AWS_SECRET_ACCESS_KEY=demo AWS_REGION=us-east-1
sleep 2
if [ "${1:-}" = "tail" ]; then
  shift
  echo "demo: kinspect --endpoint-url $endpoint tail demo --from trim-horizon $*   (Ctrl-C to stop)" >&2
  target/debug/kinspect --endpoint-url "$endpoint" tail demo --from trim-horizon "$@"
else
  target/debug/kinspect --endpoint-url "$endpoint" demo --from trim-horizon "$@"
fi
