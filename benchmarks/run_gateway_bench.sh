#!/usr/bin/env bash
# run_gateway_bench.sh - benchmark our gateway (and, with --anchor, the real
# OpenClaw gateway) with the shared gatewaybench harness.  Run by hand, not in CI.
#
# Usage:
#   benchmarks/run_gateway_bench.sh [--anchor] [--rounds N] [--reps N]
#        [--dur S] [--hs-n N] [--idle-k K] [--idle-hold S] [--idle-s S]
#        [--rpc-methods LIST] [--procs N] [--wait-quiet P] [--out DIR]
#        [--no-startup] [--no-idle-cpu] [--quick]
#
# Per round it runs, for our gateway and then (with --anchor) for the anchor,
# with identical harness flags:
#   1. idle CPU/RSS of a freshly started, unconnected gateway (idle_cpu.py)
#   2. gatewaybench idle-conns (--reps 1, while the heap is still fresh), then
#      handshake and rpc against the same running gateway
#   3. gatewaybench startup (the harness starts and stops the gateway itself)
# --rounds 2 gives ours, anchor, ours, anchor.  Results (JSON, gateway logs,
# report.md) go to benchmarks/results/<timestamp>/ (git-ignored).
#
# Environment:
#   BENCH_PYTHON   Python with aiohttp (+ uvloop, orjson, cryptography) for the
#                  harness; default python3.  Keep it out of the project venv.
#   GWB_BENCH      the shared bench directory; default <repo>/../shared/bench
#   OPENCLAW_BIN   our CLI; default <repo>/.venv/bin/openclaw, else openclaw on PATH
#   GWB_CACHE      passed through to anchor-openclaw.sh (its install cache)
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/.." && pwd)"
BENCH="${GWB_BENCH:-$REPO/../shared/bench}"
PY="${BENCH_PYTHON:-python3}"

ANCHOR=0
ROUNDS=1
REPS=3
DUR=3            # seconds per measured handshake / rpc window
HS_N=200         # sequential handshakes per rep
IDLE_K=1000      # idle connections
IDLE_HOLD=10     # seconds the idle connections are held
IDLE_S=30        # idle-CPU window, and the startup scenario's idle window
RPC_METHODS="health,system-presence"   # each method is measured separately
PROCS=2
WAIT_QUIET=30    # % of one core the rest of the machine may use before a window
WAIT_QUIET_MAX=30
OUT=""
DO_STARTUP=1
DO_IDLE=1
TOKEN="gwb-bench-token-0123456789abcdef"

while [ $# -gt 0 ]; do
  case "$1" in
    --anchor) ANCHOR=1; shift;;
    --rounds) ROUNDS="$2"; shift 2;;
    --reps) REPS="$2"; shift 2;;
    --dur) DUR="$2"; shift 2;;
    --hs-n) HS_N="$2"; shift 2;;
    --idle-k) IDLE_K="$2"; shift 2;;
    --idle-hold) IDLE_HOLD="$2"; shift 2;;
    --idle-s) IDLE_S="$2"; shift 2;;
    --rpc-methods) RPC_METHODS="$2"; shift 2;;
    --procs) PROCS="$2"; shift 2;;
    --wait-quiet) WAIT_QUIET="$2"; shift 2;;
    --out) OUT="$2"; shift 2;;
    --no-startup) DO_STARTUP=0; shift;;
    --no-idle-cpu) DO_IDLE=0; shift;;
    --quick) REPS=1; DUR=2; HS_N=50; IDLE_HOLD=5; IDLE_S=10; WAIT_QUIET=0; shift;;
    -h|--help) sed -n '2,25p' "$0"; exit 0;;
    *) echo "unknown option: $1" >&2; exit 2;;
  esac
done

log() { echo "[bench] $*" >&2; }
die() { log "$*"; exit 1; }

[ -f "$BENCH/gatewaybench.py" ] || die "gatewaybench.py not found in $BENCH (set GWB_BENCH)"
BENCH="$(cd "$BENCH" && pwd)"
"$PY" -c 'import aiohttp' 2>/dev/null || die "$PY lacks aiohttp; e.g. python3 -m venv /tmp/benchvenv && /tmp/benchvenv/bin/pip install aiohttp uvloop orjson cryptography, then BENCH_PYTHON=/tmp/benchvenv/bin/python"
if [ -z "${OPENCLAW_BIN:-}" ]; then
  if [ -x "$REPO/.venv/bin/openclaw" ]; then OPENCLAW_BIN="$REPO/.venv/bin/openclaw"
  else OPENCLAW_BIN="$(command -v openclaw)" || die "our openclaw CLI not found (set OPENCLAW_BIN)"; fi
fi

[ -n "$OUT" ] || OUT="$HERE/results/$(date +%Y%m%d-%H%M%S)"
mkdir -p "$OUT"
OUT="$(cd "$OUT" && pwd)"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/gwbench.XXXXXX")"

# isolated HOME / state / config for our gateway, fixed token, file log in WORK
mkdir -p "$WORK/ours-home" "$WORK/ours-state"
OURS_CONF="$WORK/ours-openclaw.json"
printf '{"gateway":{"mode":"local","auth":{"token":"%s"}},"logging":{"file":"%s"}}\n' \
  "$TOKEN" "$WORK/ours-file.log" > "$OURS_CONF"
OURS_ENV=(HOME="$WORK/ours-home" OPENCLAW_STATE_DIR="$WORK/ours-state" OPENCLAW_CONFIG_PATH="$OURS_CONF")
ANCHOR_HOME="$WORK/anchor-home"

code_version() { git -C "$REPO" describe --always --dirty 2>/dev/null || echo '?'; }
. "$HERE/bench_common.sh"

descendants() {  # pid -> its descendants, deepest last
  local k
  for k in $(ps -o pid= --ppid "$1" 2>/dev/null); do echo "$k"; descendants "$k"; done
}

stop_tree() {  # stop a process we started, and its children, by pid
  local pid="$1" kids i
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 0
  kids="$(descendants "$pid" | tr '\n' ' ')"
  kill -TERM "$pid" 2>/dev/null || true
  for i in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
  kill -0 "$pid" 2>/dev/null && { log "pid $pid ignored SIGTERM for 20 s; SIGKILL"; kill -KILL "$pid" 2>/dev/null || true; }
  for i in $kids; do kill -0 "$i" 2>/dev/null && kill -KILL "$i" 2>/dev/null || true; done
  wait "$pid" 2>/dev/null || true
}

OURS_PID=""
ANCHOR_PID=""
cleanup() {
  stop_tree "$OURS_PID"; OURS_PID=""
  stop_tree "$ANCHOR_PID"; ANCHOR_PID=""
  cp -f "$WORK"/*.log "$OUT"/ 2>/dev/null || true
  cp -f "$ANCHOR_HOME"/gateway.log "$OUT"/anchor-gateway.log 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

start_ours() {  # $1 port -> OURS_PID
  env "${OURS_ENV[@]}" "$OPENCLAW_BIN" gateway --port "$1" >>"$WORK/ours-gateway.log" 2>&1 &
  OURS_PID=$!
  local i
  for i in $(seq 1 300); do
    listening "$1" && return 0
    kill -0 "$OURS_PID" 2>/dev/null || { tail -20 "$WORK/ours-gateway.log" >&2; die "our gateway exited"; }
    sleep 0.1
  done
  die "our gateway did not listen on $1 within 30 s"
}

start_anchor() {  # $1 port -> ANCHOR_PID
  local lines
  lines="$("$BENCH/anchor-openclaw.sh" --port "$1" --token "$TOKEN" --home "$ANCHOR_HOME")" \
    || { echo "$lines" >&2; die "anchor did not start (see $ANCHOR_HOME/gateway.log)"; }
  ANCHOR_PID="$(echo "$lines" | sed -n 's/^GATEWAY_PID=//p')"
  [ -n "$ANCHOR_PID" ] || die "anchor printed no GATEWAY_PID"
}

GWB=("$PY" "$BENCH/gatewaybench.py")
COMMON=(--token "$TOKEN" --reps "$REPS" --procs "$PROCS" --wait-quiet "$WAIT_QUIET"
        --wait-quiet-max "$WAIT_QUIET_MAX")
LOAD=(--hs-n "$HS_N" --hs-conc 16 --hs-duration "$DUR"
      --rpc-methods "$RPC_METHODS" --rpc-conns 1,16,128 --rpc-duration "$DUR")
# idle-conns runs first, once, on the freshly started gateway: a Python (or V8)
# heap keeps its high-water mark after connections close, so a second
# repetition in the same process would under-count the bytes per connection.
CONNS=(--idle-k "$IDLE_K" --idle-hold "$IDLE_HOLD" --open-conc 16)

run_gwb() {  # label json args... ; a failing harness run is reported, not fatal
  local label="$1" json="$2"; shift 2
  log "gatewaybench $label -> $(basename "$json")"
  local rc=0
  "${GWB[@]}" --label "$label" --json "$json" "$@" 2> >(tee -a "$OUT/harness.log" >&2) >"$json.table.md" || rc=$?
  [ "$rc" = 0 ] || log "gatewaybench $label FAILED (exit $rc); see $OUT/harness.log"
}

bench_one() {  # kind(ours|anchor) round
  local kind="$1" r="$2" port sport cmd pid
  port="$(free_port)"
  log "== round $r: $kind on port $port"
  # our code is an editable install that others may change mid-run: record what each start loads
  [ "$kind" = ours ] && echo "round $r ours started $(date -u +%H:%M:%SZ) at commit $(code_version)" >> "$OUT/report.md"
  if [ "$kind" = ours ]; then start_ours "$port"; pid="$OURS_PID"; else start_anchor "$port"; pid="$ANCHOR_PID"; fi
  sleep 3  # let it settle after ready
  if [ "$DO_IDLE" = 1 ]; then
    "$PY" "$HERE/idle_cpu.py" --pid "$pid" --seconds "$IDLE_S" --label "$kind" --json "$OUT/$kind-idle-r$r.json" \
      2> >(tee -a "$OUT/harness.log" >&2)
  fi
  run_gwb "$kind" "$OUT/$kind-conns-r$r.json" --url "ws://127.0.0.1:$port" --pid "$pid" "${COMMON[@]}" --reps 1 \
    "${CONNS[@]}" idle-conns
  run_gwb "$kind" "$OUT/$kind-load-r$r.json" --url "ws://127.0.0.1:$port" --pid "$pid" "${COMMON[@]}" "${LOAD[@]}" \
    handshake rpc
  if [ "$kind" = ours ]; then stop_tree "$OURS_PID"; OURS_PID=""; else stop_tree "$ANCHOR_PID"; ANCHOR_PID=""; fi
  if [ "$DO_STARTUP" = 1 ]; then
    sport="$(free_port)"
    if [ "$kind" = ours ]; then
      echo "round $r ours startup $(date -u +%H:%M:%SZ) at commit $(code_version)" >> "$OUT/report.md"
      cmd="exec env $(printf '%q ' "${OURS_ENV[@]}")$(printf '%q' "$OPENCLAW_BIN") gateway --port $sport"
    else
      cmd="$("$BENCH/anchor-openclaw.sh" --port "$sport" --token "$TOKEN" --home "$ANCHOR_HOME" --print-cmd)"
    fi
    run_gwb "$kind" "$OUT/$kind-startup-r$r.json" --url "ws://127.0.0.1:$sport" "${COMMON[@]}" \
      --cmd "$cmd" --startup-idle "$IDLE_S" --startup-log "$OUT/$kind-startup-gateway.log" startup
  fi
}

{
  echo "# gateway bench $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "repo commit at start: $(code_version)"
  echo "machine: $(nproc) cpus, $(uname -r); harness: $("$PY" --version 2>&1)"
  echo "flags: reps=$REPS dur=$DUR hs_n=$HS_N idle_k=$IDLE_K idle_hold=$IDLE_HOLD idle_s=$IDLE_S rpc=$RPC_METHODS procs=$PROCS wait_quiet=$WAIT_QUIET rounds=$ROUNDS anchor=$ANCHOR"
} > "$OUT/report.md"

for r in $(seq 1 "$ROUNDS"); do
  bench_one ours "$r"
  [ "$ANCHOR" = 1 ] && bench_one anchor "$r"
done

REPORT=("$PY" "$BENCH/gwb_report.py")
for r in $(seq 1 "$ROUNDS"); do
  for part in idle startup conns load; do
    a="$OUT/ours-$part-r$r.json" b="$OUT/anchor-$part-r$r.json"
    [ -f "$a" ] || continue
    files=("$a"); [ -f "$b" ] && files+=("$b")
    {
      echo; echo "## round $r: $part ($( [ ${#files[@]} = 2 ] && echo 'ours vs anchor, ratio = ours/anchor' || echo ours))"; echo
      if [ "$part" = idle ]; then "$PY" "$HERE/idle_cpu.py" --report "${files[@]}"; else "${REPORT[@]}" "${files[@]}"; fi
    } >> "$OUT/report.md" || log "report for $part r$r failed"
  done
done
cat "$OUT/report.md"
log "results in $OUT"
