#!/usr/bin/env bash
# Starts the real services the test suite talks to: Redis (limits, budgets, exact cache) and
# ClickHouse (usage analytics), each on its own port with its own data folder so that a
# developer's own servers are left alone. Installs them with apt when missing and running as root.
# Idempotent: a service already answering on its port is reused.
set -euo pipefail

REDIS_PORT="${SLUICE_TEST_REDIS_PORT:-6390}"
CH_HTTP_PORT="${SLUICE_TEST_CLICKHOUSE_PORT:-8124}"
CH_TCP_PORT="${SLUICE_TEST_CLICKHOUSE_TCP_PORT:-9010}"
STATE_DIR="${SLUICE_TEST_STATE_DIR:-/tmp/sluice-test-services}"
mkdir -p "$STATE_DIR"

need_install=()
command -v redis-server >/dev/null 2>&1 || need_install+=(redis-server)
command -v clickhouse-server >/dev/null 2>&1 || need_install+=(clickhouse-server)
if [ "${SLUICE_TEST_SKIP_BROWSER:-0}" != 1 ] && ! command -v chromium >/dev/null 2>&1; then need_install+=(chromium); fi
if [ ${#need_install[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "[services] installing ${need_install[*]} with apt-get"
    apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_install[@]}" >/dev/null
  else
    echo "[services] missing: ${need_install[*]}. Install them (Debian: sudo apt-get install ${need_install[*]}) and rerun." >&2
    exit 1
  fi
fi

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# --- Redis -------------------------------------------------------------------------------
if ! port_open "$REDIS_PORT"; then
  mkdir -p "$STATE_DIR/redis"
  redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --daemonize yes --dir "$STATE_DIR/redis" \
    --save '' --appendonly no --logfile "$STATE_DIR/redis/redis.log" --pidfile "$STATE_DIR/redis/redis.pid"
  for _ in $(seq 1 50); do port_open "$REDIS_PORT" && break; sleep 0.1; done
fi
port_open "$REDIS_PORT" || { echo "[services] redis did not start on $REDIS_PORT" >&2; exit 1; }
echo "[services] redis on 127.0.0.1:$REDIS_PORT"

# --- ClickHouse ------------------------------------------------------------------------------
if ! port_open "$CH_HTTP_PORT"; then
  CH_DIR="$STATE_DIR/clickhouse"
  mkdir -p "$CH_DIR/data" "$CH_DIR/tmp" "$CH_DIR/user_files" "$CH_DIR/format_schemas" "$CH_DIR/log"
  sed -e "s#<http_port>8123</http_port>#<http_port>$CH_HTTP_PORT</http_port>#" \
      -e "s#<tcp_port>9000</tcp_port>#<tcp_port>$CH_TCP_PORT</tcp_port>#" \
      -e "s#<interserver_http_port>9009</interserver_http_port>##" \
      -e "s#/var/lib/clickhouse/tmp/#$CH_DIR/tmp/#" \
      -e "s#/var/lib/clickhouse/user_files/#$CH_DIR/user_files/#" \
      -e "s#/var/lib/clickhouse/format_schemas/#$CH_DIR/format_schemas/#" \
      -e "s#<path>/var/lib/clickhouse/</path>#<path>$CH_DIR/data/</path>#" \
      -e "s#/var/log/clickhouse-server/#$CH_DIR/log/#g" \
      -e "s#<listen_host>::1</listen_host>##" \
      /etc/clickhouse-server/config.xml > "$CH_DIR/config.xml"
  cp /etc/clickhouse-server/users.xml "$CH_DIR/users.xml"
  ( cd "$CH_DIR" && nohup clickhouse-server --config-file="$CH_DIR/config.xml" >"$CH_DIR/log/stdout.log" 2>&1 & echo $! > "$CH_DIR/pid" )
  for _ in $(seq 1 150); do
    curl -sf "http://127.0.0.1:$CH_HTTP_PORT/ping" >/dev/null 2>&1 && break
    sleep 0.2
  done
fi
curl -sf "http://127.0.0.1:$CH_HTTP_PORT/ping" >/dev/null || {
  echo "[services] clickhouse did not start on $CH_HTTP_PORT; see $STATE_DIR/clickhouse/log" >&2
  tail -20 "$STATE_DIR/clickhouse/log/"*.log >&2 || true
  exit 1
}
echo "[services] clickhouse on http://127.0.0.1:$CH_HTTP_PORT ($(curl -s "http://127.0.0.1:$CH_HTTP_PORT/?query=SELECT%20version()"))"
