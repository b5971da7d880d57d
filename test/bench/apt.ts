import { spawnSync } from "node:child_process";

/** BenchPackage is a Debian package a bench needs, and the command that shows it is installed. */
export interface BenchPackage {
  pkg: string;
  command: string;
}

/**
 * ensurePackages installs, with apt, the benchmark baselines that are missing (nginx, Caddy, wrk...). They are
 * not part of Berth's own install: on a systemd host their packages start services on :80, which is Berth's
 * port, so any service a package started here is stopped and disabled again. Best effort: a package that cannot
 * be installed is reported by the caller as a skipped comparison.
 */
export function ensurePackages(packages: readonly BenchPackage[], log: (line: string) => void): void {
  const missing = packages.filter((p) => spawnSync("sh", ["-c", `command -v ${p.command}`]).status !== 0);
  if (missing.length === 0) return;
  const names = missing.map((p) => p.pkg);
  log(`installing ${names.join(", ")} with apt-get`);
  const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
  const install = () => spawnSync("apt-get", ["install", "-y", "-q", "--no-install-recommends", ...names], { stdio: "ignore", timeout: 300_000, env });
  if (install().status !== 0) {
    spawnSync("apt-get", ["update", "-q"], { stdio: "ignore", timeout: 300_000, env });
    install();
  }
  if (spawnSync("sh", ["-c", "command -v systemctl && systemctl is-system-running"]).status === 0) {
    for (const name of names) spawnSync("systemctl", ["disable", "--now", name], { stdio: "ignore", timeout: 30_000 });
  }
}
