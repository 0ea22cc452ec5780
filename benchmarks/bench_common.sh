# Shell functions the benchmark scripts share; source it after PY (the benchmark
# Python) and, for start_fake_upstream, BENCH (the shared harness dir) and log() are set.

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
