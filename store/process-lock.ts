import { readFileSync } from "node:fs";
import { open, readFile, unlink } from "node:fs/promises";
import { StoreLockedError } from "./durable-errors.ts";
import { writeFully } from "./durable-fs.ts";

/** LockOwner identifies a process across pid reuse: the pid and the time the kernel started it. */
interface LockOwner {
  pid: number;
  started: string;
}

/** ProcessLock is a held lock file; release() removes it. */
export interface ProcessLock {
  release(): Promise<void>;
}

const ATTEMPTS = 5;

/**
 * acquireLock takes the lock file for this process, so two daemons never write the same files. A lock left by
 * a process that is gone (killed, or a pid reused after a reboot) is taken over; one held by a live process,
 * this one included, is refused with StoreLockedError.
 */
export async function acquireLock(file: string): Promise<ProcessLock> {
  const me: LockOwner = { pid: process.pid, started: startTime(process.pid) ?? "" };
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    try {
      const handle = await open(file, "wx", 0o644);
      try {
        await writeFully(handle, Buffer.from(`${JSON.stringify(me)}\n`));
      } finally {
        await handle.close();
      }
      return { release: () => releaseLock(file, me) };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    }
    const owner = await readOwner(file);
    if (owner && isAlive(owner)) throw new StoreLockedError(file, owner.pid);
    // Stale (or half-written by a process that died at once): remove it and try again.
    await unlink(file).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== "ENOENT") throw error;
    });
  }
  throw new StoreLockedError(file, -1);
}

async function releaseLock(file: string, me: LockOwner): Promise<void> {
  const owner = await readOwner(file);
  if (owner?.pid === me.pid && owner.started === me.started) await unlink(file).catch(() => undefined);
}

async function readOwner(file: string): Promise<LockOwner | undefined> {
  try {
    const parsed = JSON.parse(await readFile(file, "utf8")) as Partial<LockOwner>;
    return typeof parsed.pid === "number" ? { pid: parsed.pid, started: String(parsed.started ?? "") } : undefined;
  } catch {
    return undefined;
  }
}

function isAlive(owner: LockOwner): boolean {
  try {
    process.kill(owner.pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EPERM") return false;
  }
  const fields = procStat(owner.pid);
  // Where /proc is missing we cannot tell pid reuse apart, so a live pid counts as the owner.
  if (!fields) return true;
  // A zombie (killed, not yet reaped by its parent) holds nothing any more.
  if (fields[0] === "Z" || fields[0] === "X") return false;
  return owner.started === "" || fields[19] === owner.started;
}

/** startTime reads a process's start time (clock ticks since boot, field 22 of /proc/PID/stat) on Linux. */
function startTime(pid: number): string | undefined {
  return procStat(pid)?.[19];
}

/** procStat returns the fields of /proc/PID/stat from field 3 (state) on, or undefined off Linux. */
function procStat(pid: number): string[] | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // The command name (field 2) may contain spaces and parentheses: count fields after its closing one.
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  } catch {
    return undefined;
  }
}
