#!/usr/bin/env bash
# agent_bench.sh - agent runs side by side: our gateway and the real OpenClaw, the
# same fake model upstream, the same client flags, one command.  Run by hand.
#
# Usage:
#   benchmarks/agent_bench.sh [--kinds "ours anchor"] [--rounds N] [--reps N]
#        [--conc 1,16] [--tokens N] [--sessions N] [--seed-max-s S]
#        [--max-concurrent N] [--wait-quiet P] [--no-rss] [--no-chat] [--out DIR]
#
# One fake upstream (../shared/bench/fake_upstream.py, as fast as it can) serves
# every gateway as the OpenAI-compatible provider "fakeup/fake-model".  Per round
# and kind, on a freshly started gateway with an isolated state directory:
#   1. agent_bench.py agent: C concurrent `agent` runs (one new session each) and,
#      right before, the same streams straight to the upstream: TTFT added by the
#      gateway, aggregate tokens/s, gateway CPU seconds per turn
#   2. gatewaybench chat-stream (POST /v1/chat/completions, stream:true) at the
#      same concurrencies, when the gateway serves that endpoint (skipped on 404)
# then, on another fresh start of the same kind:
#   3. agent_bench.py rss: --sessions one-token turns (one session each; no new one
#      after --seed-max-s, default 600), then 20 slow runs in flight; the gateway
#      tree's RSS while they stream.
# Both gateways get agents.defaults.maxConcurrent = --max-concurrent (default 32,
# so that 16 and 20 runs are all admitted at once).  On a shared machine, run the
# whole script under `nice -n -10` so both gateways get the CPU they ask for.
# Results: benchmarks/results/agent-<timestamp>/ (report.md by agent_report.py).
#
# Environment: BENCH_PYTHON (aiohttp, uvloop, orjson), GWB_BENCH (the shared bench
# directory), OPENCLAW_BIN (our CLI; default <repo>/.venv/bin/openclaw), GWB_CACHE
# (anchor-openclaw.sh's install cache; install it once with --install-only).
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/.." && pwd)"
BENCH="$(cd "${GWB_BENCH:-$REPO/../shared/bench}" && pwd)"
PY="${BENCH_PYTHON:-python3}"
OURS_BIN="${OPENCLAW_BIN:-$REPO/.venv/bin/openclaw}"

KINDS="ours anchor"
ROUNDS=1
REPS=3
CONC="1,16"
TOKENS=256
SESSIONS=1000
SEED_MAX_S=600
MAX_CONCURRENT=32
WAIT_QUIET=30
WAIT_QUIET_MAX=10
DO_RSS=1
DO_CHAT=1
OUT=""
TOKEN="gwb-bench-token-0123456789abcdef"

while [ $# -gt 0 ]; do
  case "$1" in
    --kinds) KINDS="$2"; shift 2;;
    --rounds) ROUNDS="$2"; shift 2;;
    --reps) REPS="$2"; shift 2;;
    --conc) CONC="$2"; shift 2;;
    --tokens) TOKENS="$2"; shift 2;;
    --sessions) SESSIONS="$2"; shift 2;;
    --seed-max-s) SEED_MAX_S="$2"; shift 2;;
    --max-concurrent) MAX_CONCURRENT="$2"; shift 2;;
    --wait-quiet) WAIT_QUIET="$2"; shift 2;;
    --no-rss) DO_RSS=0; shift;;
    --no-chat) DO_CHAT=0; shift;;
    --out) OUT="$2"; shift 2;;
    -h|--help) sed -n '2,31p' "$0"; exit 0;;
    *) echo "unknown option: $1" >&2; exit 2;;
  esac
done

. "$HERE/bench_common.sh"
bench_setup agent
start_fake_upstream "$OUT/upstream.log"

provider_config() {  # the provider block both gateways get, as JSON
  printf '"models":{"mode":"merge","providers":{"fakeup":{"baseUrl":"%s/v1","apiKey":"fake-key","api":"openai-completions","timeoutSeconds":120,"models":[{"id":"fake-model","name":"Fake Model","reasoning":false,"input":["text"],"contextWindow":128000,"maxTokens":8192}]}}},"agents":{"defaults":{"model":{"primary":"fakeup/fake-model"},"maxConcurrent":%s}}' \
    "$UPSTREAM" "$MAX_CONCURRENT"
}

serves_chat() {  # port: does the gateway answer /v1/chat/completions (anything but 404/405)?
  local code
  code="$(curl -s -o /dev/null -w '%{http_code}' -X POST -H "Authorization: Bearer $TOKEN" \
    -H 'Content-Type: application/json' -d '{}' "http://127.0.0.1:$1/v1/chat/completions" || true)"
  [ "$code" != 404 ] && [ "$code" != 405 ] && [ "$code" != 000 ]
}

AGENT=("$PY" "$HERE/agent_bench.py" --bench "$BENCH" --token "$TOKEN" --upstream "$UPSTREAM"
       --upstream-pid "$UP_PID" --wait-quiet "$WAIT_QUIET" --wait-quiet-max "$WAIT_QUIET_MAX")
GWB=("$PY" "$BENCH/gatewaybench.py" --token "$TOKEN" --upstream "$UPSTREAM" --upstream-pid "$UP_PID"
     --wait-quiet "$WAIT_QUIET" --wait-quiet-max "$WAIT_QUIET_MAX")
{
  echo "# agent runs bench $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "repo: $(git -C "$REPO" describe --always --dirty)  kinds: $KINDS  rounds=$ROUNDS reps=$REPS conc=$CONC tokens=$TOKENS sessions=$SESSIONS (at most ${SEED_MAX_S}s) maxConcurrent=$MAX_CONCURRENT"
  echo "machine: $(nproc) cpus, load $(cut -d' ' -f1-3 /proc/loadavg)"
} > "$OUT/report.md"

for r in $(seq 1 "$ROUNDS"); do
  for kind in $KINDS; do
    port="$(free_port)"
    log "== round $r: $kind on port $port (agent, chat-stream)"
    if start_gateway "$kind" "$port" "$(provider_config)"; then
      "${AGENT[@]}" --url "ws://127.0.0.1:$port" --pid "$PID" --label "$kind" --reps "$REPS" --conc "$CONC" \
        --tokens "$TOKENS" --json "$OUT/$kind-agent-r$r.json" agent >/dev/null 2>>"$OUT/harness.log" \
        || log "agent scenario failed (see harness.log)"
      if [ "$DO_CHAT" = 1 ] && serves_chat "$port"; then
        "${GWB[@]}" --url "ws://127.0.0.1:$port" --pid "$PID" --label "$kind" --reps "$REPS" --chat-conc "$CONC" \
          --chat-tokens "$TOKENS" --json "$OUT/$kind-chat-r$r.json" chat-stream >/dev/null 2>>"$OUT/harness.log" \
          || log "chat-stream failed (see harness.log)"
      elif [ "$DO_CHAT" = 1 ]; then
        log "$kind does not serve /v1/chat/completions: chat-stream skipped"
      fi
    fi
    stop_pid "$PID"; PID=""
    [ "$DO_RSS" = 1 ] || continue
    port="$(free_port)"
    log "== round $r: $kind on port $port (rss)"
    if start_gateway "$kind" "$port" "$(provider_config)"; then
      "${AGENT[@]}" --url "ws://127.0.0.1:$port" --pid "$PID" --label "$kind" --sessions "$SESSIONS" \
        --seed-max-s "$SEED_MAX_S" --json "$OUT/$kind-rss-r$r.json" rss >/dev/null 2>>"$OUT/harness.log" \
        || log "rss scenario failed (see harness.log)"
    fi
    stop_pid "$PID"; PID=""
  done
done

"$PY" "$HERE/agent_report.py" "$OUT" >> "$OUT/report.md"
cat "$OUT/report.md"
log "results in $OUT"
