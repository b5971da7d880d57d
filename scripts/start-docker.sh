#!/usr/bin/env bash
# start-docker.sh makes sure a Docker daemon answers: if `docker info` fails it starts dockerd in the
# background (log: /var/log/berth-dockerd.log) and waits for it, at most BERTH_DOCKER_TIMEOUT seconds (60).
# Idempotent: a running daemon is left alone, and a daemon that is still starting is waited for.
set -euo pipefail

TIMEOUT="${BERTH_DOCKER_TIMEOUT:-60}"
LOG_FILE="${BERTH_DOCKERD_LOG:-/var/log/berth-dockerd.log}"

PID_FILE=/var/run/docker.pid

docker_ready() { timeout 10 docker info >/dev/null 2>&1; }
# running_pid prints the pid of a live dockerd from its pid file (no procps on a minimal Debian).
running_pid() {
  local pid
  pid="$(cat "$PID_FILE" 2>/dev/null)" || return 1
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null && grep -q dockerd "/proc/$pid/comm" 2>/dev/null && echo "$pid"
}

if ! command -v docker >/dev/null 2>&1 || ! command -v dockerd >/dev/null 2>&1; then
  echo "start-docker.sh: docker or dockerd not found: run scripts/install.sh first" >&2
  exit 1
fi

docker_ready && exit 0

if pid="$(running_pid)"; then
  echo "==> dockerd ($pid) is starting, waiting for it"
else
  echo "==> starting dockerd (log: $LOG_FILE)"
  # A daemon that died hard leaves its pid file behind, and dockerd refuses to start over it.
  rm -f "$PID_FILE"
  mkdir -p "$(dirname "$LOG_FILE")"
  setsid nohup dockerd >>"$LOG_FILE" 2>&1 </dev/null &
  pid=$!
fi

deadline=$((SECONDS + TIMEOUT))
until docker_ready; do
  if [ "$SECONDS" -ge "$deadline" ]; then
    echo "start-docker.sh: dockerd did not answer within ${TIMEOUT}s; last lines of $LOG_FILE:" >&2
    tail -n 30 "$LOG_FILE" >&2 || true
    exit 1
  fi
  if ! kill -0 "$pid" 2>/dev/null; then
    echo "start-docker.sh: dockerd exited; last lines of $LOG_FILE:" >&2
    tail -n 30 "$LOG_FILE" >&2 || true
    exit 1
  fi
  sleep 0.5
done
echo "==> dockerd is ready"
