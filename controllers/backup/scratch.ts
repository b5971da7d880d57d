import { randomBytes } from "node:crypto";
import { createContainer, inspectContainer, LABELS, removeContainer, startContainer, type DockerClient } from "../docker/index.ts";
import type { DatabaseHandle } from "./database.ts";
import { countTablesCommand, type Credentials, type Engine } from "./engines.ts";
import { execToString } from "./exec.ts";
import { restoreInto } from "./restore.ts";
import { parseManifest } from "./snapshot.ts";
import { StepError } from "./step-error.ts";
import type { SnapshotTarget } from "./targets/target.ts";

/** SCRATCH_READY_TIMEOUT_MS bounds how long a scratch database may take to initialise. */
const SCRATCH_READY_TIMEOUT_MS = 180_000;

/** scratchEnv is the official images' environment contract that initialises a throwaway database. */
function scratchEnv(engine: Engine, c: Credentials): string[] {
  switch (engine) {
    case "postgres":
      return [`POSTGRES_USER=${c.user}`, `POSTGRES_PASSWORD=${c.password}`, `POSTGRES_DB=${c.database}`];
    case "mysql":
    case "mariadb":
      return [
        `MARIADB_ROOT_PASSWORD=${c.rootPassword}`, `MYSQL_ROOT_PASSWORD=${c.rootPassword}`, `MARIADB_DATABASE=${c.database}`, `MYSQL_DATABASE=${c.database}`,
        `MARIADB_USER=${c.user}`, `MYSQL_USER=${c.user}`, `MARIADB_PASSWORD=${c.password}`, `MYSQL_PASSWORD=${c.password}`,
      ];
    case "mongodb":
      return [`MONGO_INITDB_ROOT_USERNAME=${c.user}`, `MONGO_INITDB_ROOT_PASSWORD=${c.password}`, `MONGO_INITDB_DATABASE=${c.database}`];
    case "redis":
      return [];
  }
}

/**
 * verifyByRestore is `verify: restore`: it starts a scratch container of the database's own image with
 * throwaway credentials (never the real ones), restores the snapshot into it, and counts its tables (keys for
 * Redis). The scratch container is removed whatever happens. Returns the count.
 */
export async function verifyByRestore(docker: DockerClient, db: DatabaseHandle, target: SnapshotTarget, file: string, key: Buffer | undefined, signal: AbortSignal): Promise<number> {
  const info = await inspectContainer(docker, db.container, signal);
  if (!info) throw new StepError("verify", "the database's container is gone");
  const throwaway = randomBytes(18).toString("base64url");
  const credentials: Credentials = { user: db.credentials.user, database: db.credentials.database, password: throwaway, rootPassword: throwaway };
  const name = `${info.Name.replace(/^\//, "")}-verify-${randomBytes(3).toString("hex")}`;
  const labels = { [LABELS.namespace]: db.namespace, [LABELS.managed]: "backup-verify" };
  const id = await createContainer(docker, { name, Image: info.Config.Image, Env: scratchEnv(db.engine, credentials), Labels: labels, HostConfig: { NetworkMode: "none", AutoRemove: false } }, signal);
  try {
    await startContainer(docker, id, signal);
    const scratch: DatabaseHandle = { ...db, container: id, credentials };
    const count = countTablesCommand(db.engine, credentials);
    const deadline = Date.now() + SCRATCH_READY_TIMEOUT_MS;
    for (;;) {
      const ok = await execToString(docker, { container: id, cmd: count.cmd, env: count.env, signal }).then(() => true, () => false);
      if (ok) break;
      if (Date.now() > deadline) throw new Error("the scratch database did not become ready");
      await new Promise((r) => setTimeout(r, 500));
    }
    const size = (await target.list(signal).catch(() => [])).find((m) => m.file === file);
    const bytes = size?.bytes ?? (await measure(target, file, signal));
    await restoreInto(docker, scratch, () => target.open(file, signal), { bytes, encrypted: key !== undefined }, key, signal);
    const out = await execToString(docker, { container: id, cmd: count.cmd, env: count.env, signal });
    const tables = Number(out.replace(/[^\d]/g, ""));
    if (!Number.isFinite(tables) || tables === 0) throw new Error(`the scratch restore holds no ${db.engine === "redis" ? "keys" : "tables"}`);
    return tables;
  } catch (error) {
    throw new StepError("verify", `restore into a scratch container: ${(error as Error).message}`, { cause: error });
  } finally {
    await removeContainer(docker, id, 0).catch(() => {});
  }
}

/** measure counts a snapshot's bytes by reading it (a snapshot not yet published has no manifest to say). */
async function measure(target: SnapshotTarget, file: string, signal: AbortSignal): Promise<number> {
  let bytes = 0;
  for await (const chunk of await target.open(file, signal)) bytes += (chunk as Buffer).length;
  return bytes;
}

export { parseManifest };
