import { PassThrough, Writable, type Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { DockerClient } from "../docker/index.ts";
import type { DatabaseHandle } from "./database.ts";
import { headerCheckFor, listCommand } from "./engines.ts";
import { decryptStream } from "./encryption.ts";
import { ExecFailedError, startExec } from "./exec.ts";
import { HashCounter, type Digest } from "./tee.ts";
import type { SnapshotTarget } from "./targets/target.ts";
import { StepError } from "./step-error.ts";

/** EDGE_BYTES is how much of a dump's start and end a header check keeps. */
const EDGE_BYTES = 256;

/**
 * EdgeKeeper is a sink that keeps the first and last bytes of what it is given (for header/footer checks),
 * and nothing else.
 */
class EdgeKeeper extends Writable {
  head = Buffer.alloc(0);
  tail = Buffer.alloc(0);

  override _write(chunk: Buffer, _enc: BufferEncoding, callback: () => void): void {
    if (this.head.length < EDGE_BYTES) this.head = Buffer.concat([this.head, chunk.subarray(0, EDGE_BYTES - this.head.length)]);
    const joined = Buffer.concat([this.tail, chunk.subarray(Math.max(0, chunk.length - EDGE_BYTES))]);
    this.tail = joined.subarray(Math.max(0, joined.length - EDGE_BYTES));
    callback();
  }
}

/** engineCheck is a sink that checks a (plain) dump with the engine's own tool or header; `verdict` throws when it is not sound. */
interface EngineCheck {
  sink: Writable;
  verdict(): Promise<void>;
}

async function engineCheck(docker: DockerClient, db: DatabaseHandle, signal: AbortSignal): Promise<EngineCheck> {
  const list = listCommand(db.engine, db.credentials);
  if (list) {
    const running = await startExec(docker, { container: db.container, cmd: list.cmd, env: list.env, stdin: true, signal });
    running.stdout.resume(); // the listing itself is not kept: its exit code is the verdict
    return {
      sink: running.stdin!,
      verdict: async () => {
        const result = await running.done;
        if (result.exitCode !== 0) throw new Error(new ExecFailedError(list.tool, result.exitCode, result.stderr).message);
      },
    };
  }
  const check = headerCheckFor(db.engine);
  const edges = new EdgeKeeper();
  return {
    sink: edges,
    verdict: async () => {
      if (!check) return;
      const head = edges.head.toString("latin1");
      const tail = edges.tail.toString("latin1");
      if (!check.starts.test(head) || (check.ends && !check.ends.test(tail))) throw new Error(`the snapshot is not ${check.what}`);
    },
  };
}

/**
 * verifySnapshot reads a snapshot back from a target, re-hashes it and compares with what was written; with
 * `engine`, it also decrypts it (when `key` is given) and has the engine check it (pg_restore --list,
 * mongorestore --dryRun, or the RDB/SQL header and footer). Failures are StepErrors at step `verify`.
 */
export async function verifySnapshot(
  docker: DockerClient, db: DatabaseHandle, target: SnapshotTarget, file: string, expected: Digest,
  options: { engine: boolean; key?: Buffer; signal: AbortSignal },
): Promise<void> {
  try {
    const source: Readable = await target.open(file, options.signal);
    const hasher = new HashCounter();
    if (options.engine) {
      const check = await engineCheck(docker, db, options.signal);
      const stages = [source as unknown as NodeJS.ReadWriteStream, hasher, ...(options.key ? [decryptStream(options.key)] : []), check.sink as unknown as NodeJS.ReadWriteStream];
      await pipeline(stages, { signal: options.signal });
      await check.verdict();
    } else {
      const sink = new PassThrough();
      sink.resume();
      await pipeline(source, hasher, sink, { signal: options.signal });
    }
    const got = hasher.digest();
    if (got.sha256 !== expected.sha256 || got.bytes !== expected.bytes)
      throw new Error(`${target.location(file)} reads back as ${got.bytes} bytes, sha256 ${got.sha256.slice(0, 12)}…; ${expected.bytes} bytes, sha256 ${expected.sha256.slice(0, 12)}… were written`);
  } catch (error) {
    throw new StepError("verify", `${target.kind}: ${(error as Error).message}`, { cause: error });
  }
}
