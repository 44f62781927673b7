# Shared by the server scripts in tests/servers/ (sourced, not run: it lives
# in lib/ because with-servers.sh runs every tests/servers/*.sh as a server).

# listening PORT: something accepts TCP connections on 127.0.0.1:PORT.
listening() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# wait_ready DIR PORT LINE CHECK...: waits up to 10 s until the server whose
# PID start recorded in DIR/pid is alive and CHECK (a command) succeeds, then
# prints LINE and returns 0; exits the script when the server died (the port
# may be taken by another), returns 1 when it never answered.
wait_ready() {
  local dir=$1 port=$2 line=$3
  shift 3
  for _ in $(seq 1 100); do
    # Our own process must be the one answering (the port may be taken).
    if ! kill -0 "$(cat "$dir/pid")" 2>/dev/null; then
      echo "server exited (port $port in use?)" >&2
      exit 1
    fi
    if "$@" && kill -0 "$(cat "$dir/pid")" 2>/dev/null; then
      echo "$line"
      return 0
    fi
    sleep 0.1
  done
  return 1
}

# stop_by_pid DIR: stops the process whose PID start recorded in DIR/pid
# and waits up to 5 s for it to exit.
stop_by_pid() {
  local dir=$1 pid
  if [[ -f "$dir/pid" ]]; then
    pid=$(cat "$dir/pid")
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    rm -f "$dir/pid"
  fi
}
