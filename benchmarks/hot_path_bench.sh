#!/usr/bin/env bash
# hot_path_bench.sh - the per-frame floor, broadcast fan-out and idle connections,
# for several servers in one run, with the same harness flags.  Run by hand.
#
# Usage:
#   benchmarks/hot_path_bench.sh [--kinds "ours raw anchor"] [--rounds N] [--reps N]
#        [--dur S] [--idle-k K] [--idle-reps N] [--fanout-k K] [--out DIR]
#
# Kinds:
#   ours    our gateway (OPENCLAW_BIN, default <repo>/.venv/bin/openclaw)
#   base    our gateway at another revision: BASE_BIN names its openclaw command
#   raw     benchmarks/raw_echo_server.py: autobahn (its own framing) + orjson, nothing else
#   anchor  the real OpenClaw (../shared/bench/anchor-openclaw.sh; install it once)
# Per kind and round, on a freshly started server:
#   1. gatewaybench idle-conns: --idle-k connections, --idle-reps rounds of
#      connect/hold/close (RSS per connection, RSS after close, flat over rounds);
#      --idle-reps 0 skips it, so step 2 meets a server that served nothing yet
#   2. gatewaybench rpc (last-heartbeat, health at 16 connections) and handshake
#   3. broadcast_fanout.py: time until all --fanout-k clients have a presence event
# (the raw echo server only runs 2).  Results: benchmarks/results/hot-<timestamp>/.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/.." && pwd)"
BENCH="$(cd "${GWB_BENCH:-$REPO/../shared/bench}" && pwd)"
PY="${BENCH_PYTHON:-python3}"
OURS_BIN="${OPENCLAW_BIN:-$REPO/.venv/bin/openclaw}"
PROJECT_PY="$REPO/.venv/bin/python"

KINDS="ours raw anchor"
ROUNDS=1
REPS=3
DUR=3
IDLE_K=5000
IDLE_REPS=3
FANOUT_K=1000
OUT=""
TOKEN="gwb-bench-token-0123456789abcdef"

while [ $# -gt 0 ]; do
  case "$1" in
    --kinds) KINDS="$2"; shift 2;;
    --rounds) ROUNDS="$2"; shift 2;;
    --reps) REPS="$2"; shift 2;;
    --dur) DUR="$2"; shift 2;;
    --idle-k) IDLE_K="$2"; shift 2;;
    --idle-reps) IDLE_REPS="$2"; shift 2;;
    --fanout-k) FANOUT_K="$2"; shift 2;;
    --out) OUT="$2"; shift 2;;
    -h|--help) sed -n '2,23p' "$0"; exit 0;;
    *) echo "unknown option: $1" >&2; exit 2;;
  esac
done

log() { echo "[hot] $*" >&2; }
[ -n "$OUT" ] || OUT="$HERE/results/hot-$(date +%Y%m%d-%H%M%S)"
mkdir -p "$OUT"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/hotbench.XXXXXX")"
. "$HERE/bench_common.sh"

PID=""
stop_server() {
  [ -n "$PID" ] && kill -0 "$PID" 2>/dev/null || { PID=""; return 0; }
  local kids i
  kids="$( (ps -o pid= --ppid "$PID" 2>/dev/null || true) | tr "\n" " ")"
  kill -TERM "$PID" 2>/dev/null || true
  for i in $(seq 1 100); do kill -0 "$PID" 2>/dev/null || break; sleep 0.2; done
  kill -0 "$PID" 2>/dev/null && kill -KILL "$PID" 2>/dev/null || true
  for i in $kids; do kill -0 "$i" 2>/dev/null && kill -KILL "$i" 2>/dev/null || true; done
  wait "$PID" 2>/dev/null || true
  PID=""
}
trap 'stop_server; rm -rf "$WORK"' EXIT
trap 'exit 130' INT TERM

wait_listening() {  # port
  local i
  for i in $(seq 1 300); do listening "$1" && return 0; kill -0 "$PID" 2>/dev/null || return 1; sleep 0.1; done
  return 1
}

start_server() {  # kind port -> PID
  local kind="$1" port="$2" bin home
  case "$kind" in
    ours|base)
      bin="$OURS_BIN"; [ "$kind" = base ] && bin="${BASE_BIN:?set BASE_BIN to the openclaw command of the other revision}"
      home="$WORK/$kind-$port"; mkdir -p "$home/home" "$home/state"
      printf '{"gateway":{"mode":"local","auth":{"token":"%s"}},"logging":{"file":"%s"}}\n' "$TOKEN" "$home/file.log" > "$home/openclaw.json"
      env HOME="$home/home" OPENCLAW_STATE_DIR="$home/state" OPENCLAW_CONFIG_PATH="$home/openclaw.json" \
        "$bin" gateway --port "$port" >>"$OUT/$kind-gateway.log" 2>&1 &
      PID=$!;;
    raw)
      "$PROJECT_PY" "$HERE/raw_echo_server.py" --port "$port" >>"$OUT/raw-server.log" 2>&1 &
      PID=$!;;
    anchor)
      local lines
      lines="$("$BENCH/anchor-openclaw.sh" --port "$port" --token "$TOKEN" --home "$WORK/anchor-home")"
      PID="$(echo "$lines" | sed -n 's/^GATEWAY_PID=//p')";;
  esac
  wait_listening "$port" || { log "$kind did not start"; return 1; }
  sleep 2
}

GWB=("$PY" "$BENCH/gatewaybench.py" --token "$TOKEN" --procs 2 --wait-quiet 30 --wait-quiet-max 20 --settle 3)
{
  echo "# hot path bench $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "repo: $(git -C "$REPO" describe --always --dirty)  kinds: $KINDS  rounds=$ROUNDS reps=$REPS dur=$DUR idle_k=$IDLE_K idle_reps=$IDLE_REPS fanout_k=$FANOUT_K"
  echo "machine: $(nproc) cpus, load $(cut -d' ' -f1-3 /proc/loadavg)"
} > "$OUT/report.md"

for r in $(seq 1 "$ROUNDS"); do
  for kind in $KINDS; do
    port="$(free_port)"
    log "== round $r: $kind on port $port"
    start_server "$kind" "$port" || continue
    url="ws://127.0.0.1:$port"
    if [ "$kind" != raw ] && [ "$IDLE_REPS" -gt 0 ]; then
      "${GWB[@]}" --url "$url" --pid "$PID" --label "$kind" --reps "$IDLE_REPS" --idle-k "$IDLE_K" --idle-hold 10 \
        --open-conc 16 --json "$OUT/$kind-conns-r$r.json" idle-conns >/dev/null 2>>"$OUT/harness.log" || log "idle-conns failed"
    fi
    "${GWB[@]}" --url "$url" --pid "$PID" --label "$kind" --reps "$REPS" --rpc-methods last-heartbeat,health \
      --rpc-conns 16 --rpc-duration "$DUR" --hs-n 100 --hs-conc 16 --hs-duration "$DUR" \
      --json "$OUT/$kind-load-r$r.json" rpc handshake >/dev/null 2>>"$OUT/harness.log" || log "rpc/handshake failed"
    if [ "$kind" != raw ]; then
      "$PY" "$HERE/broadcast_fanout.py" --url "$url" --token "$TOKEN" --pid "$PID" -k "$FANOUT_K" --label "$kind" \
        $([ "$kind" = anchor ] && echo --device-key || true) \
        --json "$OUT/$kind-fanout-r$r.json" >>"$OUT/harness.log" 2>&1 || log "fanout failed"
    fi
    stop_server
  done
done

"$PROJECT_PY" "$HERE/hot_path_report.py" "$OUT" >> "$OUT/report.md"
cat "$OUT/report.md"
log "results in $OUT"
