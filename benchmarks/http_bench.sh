#!/usr/bin/env bash
# http_bench.sh - the OpenAI-compatible HTTP endpoints side by side: our gateway and the
# real OpenClaw, one fake model upstream, the same client flags, one command.  Run by hand.
#
# Usage:
#   benchmarks/http_bench.sh [--kinds "ours anchor"] [--reps N] [--models-conc 16]
#        [--chat-conc 1,16] [--tokens N] [--duration S] [--wait-quiet P] [--out DIR]
#
# Per kind, on a freshly started gateway (isolated state, chatCompletions enabled):
#   1. gatewaybench http-models: GET /v1/models with keep-alive at --models-conc
#      connections: requests/s and the gateway's CPU per request
#   2. gatewaybench chat-stream: streaming POST /v1/chat/completions at --chat-conc,
#      through the gateway and straight to the upstream: added TTFT, aggregate tokens/s,
#      gateway CPU per turn
# The report (gwb_report.py, ours / anchor ratios) goes to <out>/report.md.
#
# Environment: BENCH_PYTHON (aiohttp, uvloop, orjson), GWB_BENCH (the shared bench
# directory), OPENCLAW_BIN (our CLI; default <repo>/.venv/bin/openclaw).
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/.." && pwd)"
BENCH="$(cd "${GWB_BENCH:-$REPO/../shared/bench}" && pwd)"
PY="${BENCH_PYTHON:-python3}"
OURS_BIN="${OPENCLAW_BIN:-$REPO/.venv/bin/openclaw}"

KINDS="ours anchor"
REPS=3
MODELS_CONC=16
CHAT_CONC="1,16"
TOKENS=256
DURATION=10
WAIT_QUIET=30
OUT=""
TOKEN="gwb-bench-token-0123456789abcdef"

while [ $# -gt 0 ]; do
  case "$1" in
    --kinds) KINDS="$2"; shift 2;;
    --reps) REPS="$2"; shift 2;;
    --models-conc) MODELS_CONC="$2"; shift 2;;
    --chat-conc) CHAT_CONC="$2"; shift 2;;
    --tokens) TOKENS="$2"; shift 2;;
    --duration) DURATION="$2"; shift 2;;
    --wait-quiet) WAIT_QUIET="$2"; shift 2;;
    --out) OUT="$2"; shift 2;;
    -h|--help) sed -n '2,19p' "$0"; exit 0;;
    *) echo "unknown option: $1" >&2; exit 2;;
  esac
done

. "$HERE/bench_common.sh"
bench_setup http
start_fake_upstream "$OUT/upstream.log"

PROVIDER="$(printf '"models":{"mode":"merge","providers":{"fakeup":{"baseUrl":"%s/v1","apiKey":"fake-key","api":"openai-completions","models":[{"id":"fake-model","name":"Fake Model","contextWindow":128000,"maxTokens":8192}]}}},"agents":{"defaults":{"model":{"primary":"fakeup/fake-model"},"maxConcurrent":32}}' "$UPSTREAM")"

GWB=("$PY" "$BENCH/gatewaybench.py" --token "$TOKEN" --upstream "$UPSTREAM" --upstream-pid "$UP_PID"
     --wait-quiet "$WAIT_QUIET" --reps "$REPS")
{
  echo "# OpenAI-compatible HTTP bench $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "repo: $(git -C "$REPO" describe --always --dirty)  kinds: $KINDS  reps=$REPS models-conc=$MODELS_CONC chat-conc=$CHAT_CONC tokens=$TOKENS"
  echo "machine: $(nproc) cpus, load $(cut -d' ' -f1-3 /proc/loadavg)"
} > "$OUT/report.md"

for kind in $KINDS; do
  port="$(free_port)"
  log "== $kind on port $port"
  if start_gateway "$kind" "$port" "$PROVIDER" ',"http":{"endpoints":{"chatCompletions":{"enabled":true}}}'; then
    "${GWB[@]}" --url "ws://127.0.0.1:$port" --pid "$PID" --label "$kind" --http-conc "$MODELS_CONC" \
      --http-duration "$DURATION" --json "$OUT/$kind-models.json" http-models >/dev/null 2>>"$OUT/harness.log" \
      || log "http-models failed (see harness.log)"
    "${GWB[@]}" --url "ws://127.0.0.1:$port" --pid "$PID" --label "$kind" --chat-conc "$CHAT_CONC" \
      --chat-tokens "$TOKENS" --json "$OUT/$kind-chat.json" chat-stream >/dev/null 2>>"$OUT/harness.log" \
      || log "chat-stream failed (see harness.log)"
  fi
  stop_pid "$PID"; PID=""
done

for scenario in models chat; do
  files=()
  for kind in $KINDS; do [ -f "$OUT/$kind-$scenario.json" ] && files+=("$OUT/$kind-$scenario.json"); done
  [ "${#files[@]}" -gt 0 ] && "$PY" "$BENCH/gwb_report.py" "${files[@]}" >> "$OUT/report.md"
done
cat "$OUT/report.md"
log "results in $OUT"
