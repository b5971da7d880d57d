#!/usr/bin/env bash
# run.sh installs what is missing, starts Docker, then starts berthd in the background and waits until its API
# answers. Settings: BERTH_DATA_DIR (default /var/lib/berth as root, ~/.berth otherwise), BERTH_API_PORT (7443),
# BERTH_START_TIMEOUT seconds (60); extra arguments are passed to berthd. A berthd that is already running
# (pid file and live process) is left alone.
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
if [ "$(id -u)" = 0 ]; then DEFAULT_DATA_DIR=/var/lib/berth; else DEFAULT_DATA_DIR="$HOME/.berth"; fi
DATA_DIR="${BERTH_DATA_DIR:-$DEFAULT_DATA_DIR}"
API_PORT="${BERTH_API_PORT:-7443}"
TIMEOUT="${BERTH_START_TIMEOUT:-60}"
PID_FILE="$DATA_DIR/berthd.pid"
LOG_FILE="$DATA_DIR/berthd.log"
API_URL="https://127.0.0.1:$API_PORT"

bash "$REPO/scripts/install.sh"
bash "$REPO/scripts/start-docker.sh"

# healthy asks /readyz once (200 once the API, the proxy and the controllers are all started); node is the one HTTPS client sure to be here (the certificate is self-signed).
healthy() {
  node -e '
    const req = require("node:https").get(process.argv[1], { rejectUnauthorized: false, timeout: 2000 }, (res) => process.exit(res.statusCode === 200 ? 0 : 1));
    req.on("timeout", () => req.destroy(new Error("timeout")));
    req.on("error", () => process.exit(1));
  ' "$API_URL/readyz"
}

summary() {
  cat <<INFO
berthd is running (pid $(cat "$PID_FILE"), data in $DATA_DIR, log in $LOG_FILE).
  API:        $API_URL  (Kubernetes-style REST; health at $API_URL/healthz, readiness at $API_URL/readyz)
  web UI:     $API_URL/  (read-only; sign in with the token in the CLI config or one from berth token create)
  CLI config: $HOME/.berth/config.yaml  (server, admin token and CA for the berth CLI)
  kubeconfig: $HOME/.berth/kubeconfig  (KUBECONFIG=~/.berth/kubeconfig /opt/berth-kubectl/usr/bin/kubectl get apps)
Try: berth apply -f $REPO/examples/ && berth get apps
INFO
}

# A pid file alone proves nothing after a reboot or a kill -9: the process must be alive and be berthd.
if [ -f "$PID_FILE" ]; then
  pid="$(cat "$PID_FILE")"
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null && grep -q berthd "/proc/$pid/cmdline" 2>/dev/null; then
    echo "==> berthd is already running"
    summary
    exit 0
  fi
  rm -f "$PID_FILE"
fi

echo "==> starting berthd (log: $LOG_FILE)"
mkdir -p "$DATA_DIR"
setsid nohup "$REPO/bin/berthd" --data-dir "$DATA_DIR" --api-port "$API_PORT" "$@" >>"$LOG_FILE" 2>&1 </dev/null &
pid=$!
echo "$pid" >"$PID_FILE"

deadline=$((SECONDS + TIMEOUT))
until healthy; do
  if ! kill -0 "$pid" 2>/dev/null; then
    echo "run.sh: berthd exited during start-up; last lines of $LOG_FILE:" >&2
    tail -n 30 "$LOG_FILE" >&2 || true
    rm -f "$PID_FILE"
    exit 1
  fi
  if [ "$SECONDS" -ge "$deadline" ]; then
    echo "run.sh: berthd was not ready ($API_URL/readyz) within ${TIMEOUT}s (still running as pid $pid); last lines of $LOG_FILE:" >&2
    tail -n 30 "$LOG_FILE" >&2 || true
    exit 1
  fi
  sleep 0.5
done
summary
