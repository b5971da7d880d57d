import { readFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { setTimeout as sleep } from "node:timers/promises";
import type { Logger } from "../../lib/logger.ts";

/** isAlive tells whether a process exists and is not a zombie (in a container nobody may reap orphans). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "EPERM") return false;
  }
  try {
    // The state follows the command name in parentheses: `123 (nats-server) Z ...`.
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z";
  } catch (err) {
    return (err as NodeJS.ErrnoException).code !== "ENOENT";
  }
}

/**
 * stopStaleProcess ends a process left behind by an earlier run (a parent killed with SIGKILL cannot stop its
 * children): the pid in `pidFile`, if it is alive and its command line contains every one of `mustMatch`.
 * SIGTERM first, SIGKILL after `timeoutMs`. Returns the pid it stopped, if any.
 */
export async function stopStaleProcess(pidFile: string, mustMatch: string[], logger: Logger, timeoutMs = 5000): Promise<number | undefined> {
  const pid = Number((await readFile(pidFile, "utf8").catch(() => "")).trim());
  if (!Number.isInteger(pid) || pid <= 0 || pid === process.pid || !isAlive(pid)) return undefined;
  const cmdline = (await readFile(`/proc/${pid}/cmdline`, "utf8").catch(() => "")).split("\0").join(" ");
  if (!mustMatch.every((part) => cmdline.includes(part))) return undefined;
  logger.warn({ pid, cmdline }, "stopping a process left behind by an earlier run");
  process.kill(pid, "SIGTERM");
  const deadline = Date.now() + timeoutMs;
  while (isAlive(pid) && Date.now() < deadline) await sleep(50);
  if (isAlive(pid)) {
    process.kill(pid, "SIGKILL");
    while (isAlive(pid) && Date.now() < deadline + 2000) await sleep(20);
  }
  return pid;
}
