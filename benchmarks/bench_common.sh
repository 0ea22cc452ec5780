# Shell functions the benchmark scripts share; source it after PY (the benchmark
# Python) and HERE are set. start_fake_upstream and start_gateway also use BENCH (the shared
# harness dir), log(), and start_gateway WORK, OUT, TOKEN, OURS_BIN and UP_PORT.

bench_setup() {  # name: log(), the aiohttp check, OUT (default results/<name>-<time>), WORK, cleanup traps
  BENCH_NAME="$1"
  log() { echo "[$BENCH_NAME-bench] $*" >&2; }
  "$PY" -c 'import aiohttp' 2>/dev/null || { log "$PY lacks aiohttp (set BENCH_PYTHON)"; exit 1; }
  [ -n "$OUT" ] || OUT="$HERE/results/$BENCH_NAME-$(date +%Y%m%d-%H%M%S)"
  mkdir -p "$OUT"
  OUT="$(cd "$OUT" && pwd)"
  WORK="$(mktemp -d "${TMPDIR:-/tmp}/${BENCH_NAME}bench.XXXXXX")"
  PID=""
  UP_PID=""
  trap 'stop_pid "$PID"; stop_pid "$UP_PID"; rm -rf "$WORK"' EXIT
  trap 'exit 130' INT TERM
}

free_port() { "$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
listening() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

stop_pid() {  # a process we started, and its children
  local pid="$1" kids i
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 0
  kids="$( (ps -o pid= --ppid "$pid" 2>/dev/null || true) | tr "\n" " ")"
  kill -TERM "$pid" 2>/dev/null || true
  for i in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
  kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null || true
  for i in $kids; do kill -0 "$i" 2>/dev/null && kill -KILL "$i" 2>/dev/null || true; done
  wait "$pid" 2>/dev/null || true
}

start_fake_upstream() {  # $1: its log file; sets UP_PORT, UPSTREAM and UP_PID
  UP_PORT="$(free_port)"
  UPSTREAM="http://127.0.0.1:$UP_PORT"
  "$PY" "$BENCH/fake_upstream.py" --port "$UP_PORT" >>"$1" 2>&1 &
  UP_PID=$!
  for _ in $(seq 1 100); do listening "$UP_PORT" && break; sleep 0.1; done
  listening "$UP_PORT" || { log "the fake upstream did not start"; exit 1; }
}

start_gateway() {  # kind port provider-json [more gateway keys for ours] -> PID (fresh state each time)
  local kind="$1" port="$2" provider="$3" more="${4:-}" home="$WORK/$1-$2" i lines
  mkdir -p "$home/home" "$home/state"
  if [ "$kind" = ours ]; then
    printf '{"gateway":{"mode":"local","auth":{"token":"%s"}%s},"logging":{"file":"%s"},%s}\n' \
      "$TOKEN" "$more" "$home/file.log" "$provider" > "$home/openclaw.json"
    env HOME="$home/home" OPENCLAW_STATE_DIR="$home/state" OPENCLAW_CONFIG_PATH="$home/openclaw.json" \
      "$OURS_BIN" gateway --port "$port" >>"$OUT/ours-gateway.log" 2>&1 &
    PID=$!
  else
    # anchor-openclaw.sh merges its own settings (token, port, chatCompletions on) into this file
    mkdir -p "$home/home/.openclaw-dev"
    printf '{%s}\n' "$provider" > "$home/home/.openclaw-dev/openclaw.json"
    lines="$("$BENCH/anchor-openclaw.sh" --port "$port" --token "$TOKEN" --upstream-port "$UP_PORT" \
      --home "$home/home")" || { log "anchor did not start"; return 1; }
    PID="$(echo "$lines" | sed -n 's/^GATEWAY_PID=//p')"
  fi
  for i in $(seq 1 600); do listening "$port" && break; kill -0 "$PID" 2>/dev/null || break; sleep 0.1; done
  listening "$port" || { log "$kind did not listen on $port"; return 1; }
  sleep 2
}
