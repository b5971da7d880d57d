import type { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { withTimeout, type DockerClient } from "../docker/index.ts";
import type { DatabaseHandle } from "./database.ts";
import { redisCli, redisValues, rdbPath } from "./dump.ts";
import { MONGO_CONFIG, restoreCommand } from "./engines.ts";
import { decryptStream, MAGIC } from "./encryption.ts";
import { ExecFailedError, execToString, startExec } from "./exec.ts";
import { readContainerFile, writeAofBase, writeContainerFile, writeSmallFile } from "./container-files.ts";
import type { Manifest } from "./snapshot.ts";
import { StepError } from "./step-error.ts";

/** ENCRYPTION_OVERHEAD is what encryption adds to a snapshot: magic, IV, tag. */
const ENCRYPTION_OVERHEAD = MAGIC.length + 12 + 16;

/** plainSize is the size of a snapshot's dump once decrypted. */
export function plainSize(manifest: Pick<Manifest, "bytes" | "encrypted">): number {
  return manifest.encrypted ? manifest.bytes - ENCRYPTION_OVERHEAD : manifest.bytes;
}

/**
 * restoreInto loads a snapshot into a running database, replacing its data: pg_restore --clean --if-exists,
 * the SQL dump through mariadb/mysql, mongorestore --drop; for Redis the server is stopped, its RDB file
 * replaced and the server started again. `open` reads the snapshot (decrypted here with `key`). A tool that
 * exits non-zero fails with its own error text (step `restore`).
 */
export async function restoreInto(
  docker: DockerClient, db: DatabaseHandle, open: () => Promise<Readable>, manifest: Pick<Manifest, "bytes" | "encrypted">, key: Buffer | undefined, signal: AbortSignal,
): Promise<void> {
  if (manifest.encrypted && !key) throw new StepError("restore", "the snapshot is encrypted: set spec.encryption on the Backup to the Secret that encrypted it");
  try {
    if (db.engine === "redis") return await restoreRedis(docker, db, open, plainSize(manifest), key, signal);
    if (db.engine === "mongodb") await writeSmallFile(docker, db.container, MONGO_CONFIG, `password: ${JSON.stringify(db.credentials.password)}\n`, signal);
    const command = restoreCommand(db.engine, db.credentials);
    const running = await startExec(docker, { container: db.container, cmd: command.cmd, env: command.env, stdin: true, signal });
    running.stdout.resume();
    const stages = [await open(), ...(key ? [decryptStream(key)] : []), running.stdin!] as unknown as NodeJS.ReadWriteStream[];
    const feeding = pipeline(stages, { signal });
    const [fed, result] = await Promise.allSettled([feeding, running.done]);
    if (result.status === "rejected") throw result.reason;
    if (result.value.exitCode !== 0) throw new ExecFailedError(command.tool, result.value.exitCode, result.value.stderr);
    if (fed.status === "rejected") throw fed.reason;
  } catch (error) {
    if (error instanceof StepError) throw error;
    throw new StepError("restore", (error as Error).message, { cause: error });
  }
}

/** REDIS_START_TIMEOUT_MS bounds how long a restarted Redis may take to load its data and answer PING. */
const REDIS_START_TIMEOUT_MS = 120_000;

/**
 * restoreRedis stops the server, puts the snapshot in place of its RDB file with the same owner (or, with
 * `appendonly yes`, as the RDB base of a fresh append-only directory, which is what the server loads), and
 * starts it again.
 */
async function restoreRedis(docker: DockerClient, db: DatabaseHandle, open: () => Promise<Readable>, size: number, key: Buffer | undefined, signal: AbortSignal): Promise<void> {
  const path = await rdbPath(docker, db, signal);
  const current = await readContainerFile(docker, db.container, path, signal).catch(() => undefined);
  current?.stream.destroy();
  const owner = current?.owner ?? { uid: 999, gid: 999, mode: 0o600 };
  const aof = redisValues(await redisCli(docker, db, ["CONFIG", "GET", "appendonly"], signal))[1] === "yes";
  const dir = path.slice(0, path.lastIndexOf("/")) || "/";
  const aofDir = aof ? redisValues(await redisCli(docker, db, ["CONFIG", "GET", "appenddirname"], signal))[1] ?? "appendonlydir" : "";
  const aofName = aof ? redisValues(await redisCli(docker, db, ["CONFIG", "GET", "appendfilename"], signal))[1] ?? "appendonly.aof" : "";
  // The old append-only files go first (while the server runs): the new directory must hold only the new base.
  if (aof) await execToString(docker, { container: db.container, cmd: ["rm", "-rf", `${dir}/${aofDir}`], signal });
  const container = docker.getContainer(db.container);
  await (container.stop({ t: 30, abortSignal: withTimeout(signal, 60_000) } as never) as unknown as Promise<unknown>).catch((error: { statusCode?: number }) => {
    if (error.statusCode !== 304) throw error; // 304: already stopped
  });
  try {
    const source = await open();
    const plain = key ? source.pipe(decryptStream(key)) : source;
    source.on("error", (error) => plain.destroy(error));
    if (aof) await writeAofBase(docker, db.container, dir, aofDir, aofName, plain, size, owner, signal);
    else await writeContainerFile(docker, db.container, path, plain, size, owner, signal);
  } finally {
    // The server comes back whatever happened: with the snapshot, or with the data it had.
    await (container.start({ abortSignal: withTimeout(undefined, 60_000) } as never) as unknown as Promise<unknown>).catch((error: { statusCode?: number }) => {
      if (error.statusCode !== 304) throw error;
    });
  }
  const deadline = Date.now() + REDIS_START_TIMEOUT_MS;
  for (;;) {
    const pong = await redisCli(docker, db, ["PING"], signal).catch((error: Error) => error.message);
    if (pong.includes("PONG")) return;
    if (Date.now() > deadline) throw new Error(`redis did not answer PING after the restore: ${pong.trim()}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}
