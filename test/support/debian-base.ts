import { spawn } from "node:child_process";

/**
 * DEBIAN_BASE_IMAGE is a real Debian 12 (bookworm) base image built on this machine, since no registry can be
 * reached: `debootstrap --variant=minbase` into a folder, then `docker import`. Test images that need real
 * software (Postgres, MariaDB, Redis, Node, Python, Go from Debian's packages) start `FROM` it and install
 * with `apt-get` inside `docker build`, which reaches Debian's mirror.
 */
export const DEBIAN_BASE_IMAGE = "berth-test/debian:bookworm";

/** MIRROR is Debian's mirror, the one apt uses on this machine. */
const MIRROR = process.env.BERTH_DEBIAN_MIRROR ?? "http://deb.debian.org/debian";

/**
 * BUILD_SCRIPT makes the base image unless it exists. It runs under `flock`, so test files (or processes) that
 * ask at the same time build it once: the second waits, then finds the tag.
 */
const BUILD_SCRIPT = `
set -euo pipefail
docker image inspect "$TAG" >/dev/null 2>&1 && exit 0
dir="$(mktemp -d /tmp/berth-debootstrap.XXXXXX)"
trap 'rm -rf "$dir"' EXIT
debootstrap --variant=minbase bookworm "$dir" "$MIRROR" >"$dir.log" 2>&1 || { tail -n 40 "$dir.log" >&2; rm -f "$dir.log"; exit 1; }
rm -f "$dir.log"
# The image's apt uses the same mirror; the apt lists are left out (RUN apt-get update first).
echo "deb $MIRROR bookworm main" > "$dir/etc/apt/sources.list"
rm -rf "$dir"/var/lib/apt/lists/* "$dir"/var/cache/apt/archives/*.deb
tar -C "$dir" -c . | docker import --change 'CMD ["/bin/bash"]' --change 'ENV LANG=C.UTF-8' - "$TAG" >/dev/null
`;

/**
 * ensureDebianBaseImage builds DEBIAN_BASE_IMAGE if it is missing (about 30 s the first time, nothing after),
 * within `timeoutMs`. It fails with debootstrap's own output when the mirror cannot be reached.
 */
export function ensureDebianBaseImage(timeoutMs = 300_000): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn("flock", ["/tmp/berth-debian-base.lock", "bash", "-c", BUILD_SCRIPT], {
      env: { ...process.env, TAG: DEBIAN_BASE_IMAGE, MIRROR },
      stdio: ["ignore", "ignore", "pipe"],
      timeout: timeoutMs,
      killSignal: "SIGKILL",
    });
    let stderr = "";
    child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
    child.on("error", reject);
    child.on("close", (code, signal) => {
      if (code === 0) resolve();
      else reject(new Error(`building ${DEBIAN_BASE_IMAGE} failed (${signal ?? `exit ${code}`}): ${stderr.trim()}`));
    });
  });
}
