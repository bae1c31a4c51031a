#!/usr/bin/env bash
# A throwaway S3-compatible server (Garage, one node on loopback) for the
# storage tests. Installs Garage from crates.io the first time (about 15
# minutes on 2 cores) and keeps the binary under ~/.cache between runs.
#
#   source .ci/garage.sh    # starts it, exports GEMBA_TEST_S3_*
#   garage_stop             # stops it
#
# Ports: S3 API 127.0.0.1:3900, RPC 127.0.0.1:3901, or a free pair when
# those are taken.

GARAGE_VERSION="${GARAGE_VERSION:-2.5.0}"
GARAGE_ROOT="${GARAGE_ROOT:-$HOME/.cache/gemba-ci/garage-$GARAGE_VERSION}"
GARAGE_BIN="$GARAGE_ROOT/bin/garage"

port_busy() { (echo >"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# 3900/3901 unless taken (a developer's own Garage), then a free pair.
garage_ports() {
  GARAGE_S3_PORT="${GARAGE_S3_PORT:-3900}"
  while port_busy "$GARAGE_S3_PORT" || port_busy "$((GARAGE_S3_PORT + 1))"; do
    GARAGE_S3_PORT=$((20000 + RANDOM % 20000))
  done
  GARAGE_RPC_PORT=$((GARAGE_S3_PORT + 1))
}

garage_install() {
  if [ -x "$GARAGE_BIN" ] && "$GARAGE_BIN" --version >/dev/null 2>&1; then
    return 0
  fi
  # An earlier build of the same version elsewhere in the cache.
  local found
  found="$(ls "$HOME"/.cache/gemba-ci/garage*/bin/garage 2>/dev/null | head -1 || true)"
  if [ -n "$found" ] && "$found" --version 2>/dev/null | grep -q "$GARAGE_VERSION"; then
    mkdir -p "$GARAGE_ROOT/bin" && cp "$found" "$GARAGE_BIN"
    return 0
  fi
  echo "installing garage $GARAGE_VERSION (cargo install, cached in $GARAGE_ROOT)"
  cargo install garage --version "$GARAGE_VERSION" --locked --root "$GARAGE_ROOT" --quiet
}

garage_start() {
  garage_install
  garage_ports
  GARAGE_DIR="$(mktemp -d /tmp/gemba-garage.XXXXXX)"
  local conf="$GARAGE_DIR/garage.toml"
  cat >"$conf" <<EOF
metadata_dir = "$GARAGE_DIR/meta"
data_dir = "$GARAGE_DIR/data"
db_engine = "sqlite"
replication_factor = 1
rpc_bind_addr = "127.0.0.1:$GARAGE_RPC_PORT"
rpc_public_addr = "127.0.0.1:$GARAGE_RPC_PORT"
rpc_secret = "$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')"

[s3_api]
s3_region = "garage"
api_bind_addr = "127.0.0.1:$GARAGE_S3_PORT"
EOF
  local g="$GARAGE_BIN -c $conf"
  $g server >"$GARAGE_DIR/server.log" 2>&1 &
  GARAGE_PID=$!
  local node=""
  for _ in $(seq 1 50); do
    node="$($g node id -q 2>/dev/null | cut -d@ -f1)" && [ -n "$node" ] && break
    sleep 0.2
  done
  if [ -z "$node" ]; then
    echo "garage did not start:"; tail -20 "$GARAGE_DIR/server.log"; return 1
  fi
  $g layout assign -z dc1 -c 1G "$node" >/dev/null
  $g layout apply --version 1 >/dev/null
  $g bucket create gemba-test >/dev/null
  local key
  key="$($g key create gemba-test)"
  $g bucket allow --read --write --owner gemba-test --key gemba-test >/dev/null
  export GEMBA_TEST_S3_ENDPOINT="http://127.0.0.1:$GARAGE_S3_PORT"
  export GEMBA_TEST_S3_REGION="garage"
  export GEMBA_TEST_S3_BUCKET="gemba-test"
  GEMBA_TEST_S3_ACCESS_KEY_ID="$(echo "$key" | awk '/Key ID:/ {print $3}')"
  GEMBA_TEST_S3_SECRET_ACCESS_KEY="$(echo "$key" | awk '/Secret key:/ {print $3}')"
  export GEMBA_TEST_S3_ACCESS_KEY_ID GEMBA_TEST_S3_SECRET_ACCESS_KEY
  if [ -z "$GEMBA_TEST_S3_ACCESS_KEY_ID" ] || [ -z "$GEMBA_TEST_S3_SECRET_ACCESS_KEY" ]; then
    echo "could not read the key garage created:"; echo "$key"; return 1
  fi
  # The S3 API answers once the layout is live.
  for _ in $(seq 1 50); do
    port_busy "$GARAGE_S3_PORT" && break
    sleep 0.2
  done
  echo "garage $("$GARAGE_BIN" --version | awk '{print $2}') on $GEMBA_TEST_S3_ENDPOINT, bucket gemba-test"
}

garage_stop() {
  if [ -n "${GARAGE_PID:-}" ]; then
    kill "$GARAGE_PID" 2>/dev/null || true
    wait "$GARAGE_PID" 2>/dev/null || true
  fi
  [ -n "${GARAGE_DIR:-}" ] && rm -rf "$GARAGE_DIR"
}
