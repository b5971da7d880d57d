import type { Readable } from "node:stream";
import type { DockerClient } from "../docker/index.ts";
import type { DatabaseHandle } from "./database.ts";
import { dumpCommand, MONGO_CONFIG, redisEnv } from "./engines.ts";
import { ExecFailedError, execToString, startExec } from "./exec.ts";
import { readContainerFile, writeSmallFile } from "./container-files.ts";
import { StepError } from "./step-error.ts";

/** Dump is a dump being made: its bytes as a stream, and `finished` that rejects when the tool failed. */
export interface Dump {
  stream: Readable;
  finished: Promise<void>;
}

/** BGSAVE_POLL_MS is how often a Redis background save is polled. */
const BGSAVE_POLL_MS = 100;

/**
 * startDump starts the engine's own dump inside the database's container and returns its output as a stream:
 * pg_dump -Fc, mariadb-dump/mysqldump, mongodump --archive --gzip, or for Redis a fresh RDB file (BGSAVE, then
 * LASTSAVE polled until it moves) read out of the container. A tool that exits non-zero rejects `finished`
 * with its own error text.
 */
export async function startDump(docker: DockerClient, db: DatabaseHandle, signal: AbortSignal): Promise<Dump> {
  if (db.engine === "redis") return startRedisDump(docker, db, signal);
  if (db.engine === "mongodb") await writeSmallFile(docker, db.container, MONGO_CONFIG, `password: ${JSON.stringify(db.credentials.password)}\n`, signal);
  const command = dumpCommand(db.engine, db.credentials);
  const running = await startExec(docker, { container: db.container, cmd: command.cmd, env: command.env, signal });
  const finished = running.done.then((result) => {
    if (result.exitCode !== 0) throw new StepError("dump", new ExecFailedError(command.tool, result.exitCode, result.stderr).message);
  });
  finished.catch(() => {});
  return { stream: running.stdout, finished };
}

/** redisCli runs one redis-cli command in the container, authenticated through REDISCLI_AUTH. */
export function redisCli(docker: DockerClient, db: DatabaseHandle, args: string[], signal: AbortSignal): Promise<string> {
  return execToString(docker, { container: db.container, cmd: ["redis-cli", "--no-raw", ...args], env: redisEnv(db.credentials), signal }, "redis-cli").then((out) => {
    // redis-cli exits 0 on a server error reply: the reply says so.
    if (/^\(error\)/m.test(out)) throw new Error(`redis-cli ${args[0]}: ${out.trim()}`);
    return out;
  });
}

/** redisValue reads one reply of `redis-cli --no-raw` (`(integer) 5`, `"text"`, `1) "dir" 2) "/data"`). */
export function redisValues(out: string): string[] {
  return out
    .split("\n")
    .map((line) => line.replace(/^\s*\d+\)\s*/, "").trim())
    .filter((line) => line !== "")
    .map((line) => line.replace(/^\(integer\)\s*/, "").replace(/^"(.*)"$/, "$1"));
}

/** rdbPath is where the server writes its RDB file (`CONFIG GET dir` + `dbfilename`). */
export async function rdbPath(docker: DockerClient, db: DatabaseHandle, signal: AbortSignal): Promise<string> {
  const dir = redisValues(await redisCli(docker, db, ["CONFIG", "GET", "dir"], signal))[1] ?? "/data";
  const file = redisValues(await redisCli(docker, db, ["CONFIG", "GET", "dbfilename"], signal))[1] ?? "dump.rdb";
  return `${dir.replace(/\/$/, "")}/${file}`;
}

async function startRedisDump(docker: DockerClient, db: DatabaseHandle, signal: AbortSignal): Promise<Dump> {
  const lastSave = async () => Number(redisValues(await redisCli(docker, db, ["LASTSAVE"], signal))[0]);
  const before = await lastSave();
  // LASTSAVE counts seconds: wait for the server's clock to pass it, so the new save's time is strictly later.
  for (;;) {
    const now = Number(redisValues(await redisCli(docker, db, ["TIME"], signal))[0]);
    if (now > before) break;
    await sleep(200, signal);
  }
  for (;;) {
    try {
      await redisCli(docker, db, ["BGSAVE"], signal);
      break;
    } catch (error) {
      // A save already running (an automatic one, or AOF rewrite): wait for it, then ask for ours.
      if (!/in progress|already/i.test((error as Error).message)) throw new StepError("dump", (error as Error).message);
      await sleep(BGSAVE_POLL_MS, signal);
    }
  }
  while ((await lastSave()) <= before) await sleep(BGSAVE_POLL_MS, signal);
  const info = await redisCli(docker, db, ["INFO", "persistence"], signal);
  if (/rdb_last_bgsave_status:err/.test(info)) throw new StepError("dump", "redis BGSAVE failed (rdb_last_bgsave_status:err); see the server's log");
  const path = await rdbPath(docker, db, signal);
  const file = await readContainerFile(docker, db.container, path, signal);
  let resolveFinished!: () => void;
  let rejectFinished!: (error: unknown) => void;
  const finished = new Promise<void>((resolve, reject) => ((resolveFinished = resolve), (rejectFinished = reject)));
  finished.catch(() => {});
  file.stream.once("end", () => resolveFinished());
  file.stream.once("error", (error) => rejectFinished(new StepError("dump", `reading ${path}: ${error.message}`)));
  file.stream.once("close", () => resolveFinished());
  return { stream: file.stream, finished };
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    signal.addEventListener("abort", onAbort, { once: true });
  });
}
