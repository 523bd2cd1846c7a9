# Sourced by the .ci scripts that need a live server: start_server runs
# target/debug/qbank-server on free loopback ports with a temporary database,
# waits for its "serving" log line and sets QBANK_SERVER_ADDR and
# QBANK_METRICS_ADDR; the server is stopped (SIGTERM) when the script exits.

start_server() {
  local bin="${CARGO_TARGET_DIR:-target}/debug/qbank-server"
  # The binary `cargo test --workspace` built (same features, so nothing
  # recompiles after .ci/run's test step); builds it first when run by hand.
  cargo test --workspace --no-run --quiet
  SERVER_DIR="$(mktemp -d)"
  # Port 0: the kernel picks free ports, and the log says which.
  env -u QBANK_ADMIN_TOKEN -u QBANK_INITIAL_BANK RUST_LOG=info \
    "$bin" --listen 127.0.0.1:0 --metrics-listen 127.0.0.1:0 --log-format json \
    --db "$SERVER_DIR/qbank.db" 2>"$SERVER_DIR/server.log" &
  SERVER_PID=$!
  trap stop_server EXIT
  local _
  for _ in $(seq 300); do
    if grep -q '"message":"serving qbank.v1.QuestionBank"' "$SERVER_DIR/server.log"; then
      QBANK_SERVER_ADDR="$(grep '"message":"serving qbank.v1.QuestionBank"' "$SERVER_DIR/server.log" |
        grep -o '"addr":"[^"]*"' | cut -d'"' -f4)"
      QBANK_METRICS_ADDR="$(grep '"message":"serving metrics at /metrics"' "$SERVER_DIR/server.log" |
        grep -o '"addr":"[^"]*"' | cut -d'"' -f4)"
      export QBANK_SERVER_ADDR QBANK_METRICS_ADDR
      echo "qbank-server serving on $QBANK_SERVER_ADDR (metrics on $QBANK_METRICS_ADDR)"
      return 0
    fi
    if ! kill -0 "$SERVER_PID" 2>/dev/null; then
      break
    fi
    sleep 0.1
  done
  echo "qbank-server did not start; its log:" >&2
  cat "$SERVER_DIR/server.log" >&2
  return 1
}

stop_server() {
  if [[ -n "${SERVER_PID:-}" ]] && kill -0 "$SERVER_PID" 2>/dev/null; then
    kill -TERM "$SERVER_PID"
    wait "$SERVER_PID" || true
  fi
  rm -rf "${SERVER_DIR:-}"
}
