import { posix } from "node:path";
import { Readable } from "node:stream";
import { extract, pack } from "tar-stream";
import { withTimeout, type DockerClient } from "../docker/index.ts";

/** FileOwner is who a file put into a container belongs to. */
export interface FileOwner {
  uid: number;
  gid: number;
  mode: number;
}

/**
 * readContainerFile streams one file out of a container (running or stopped) through the Engine's archive
 * API: the tar stream is unpacked on the fly, so the file is never held in memory. Also returns its owner.
 */
export async function readContainerFile(docker: DockerClient, container: string, path: string, signal: AbortSignal): Promise<{ stream: Readable; size: number; owner: FileOwner }> {
  const archive = (await docker.getContainer(container).getArchive({ path, abortSignal: signal } as never)) as unknown as Readable;
  const unpack = extract();
  archive.pipe(unpack);
  archive.on("error", (error) => unpack.destroy(error));
  const iterator = unpack[Symbol.asyncIterator]();
  const first = await iterator.next();
  if (first.done) throw new Error(`${path}: the archive from the container is empty`);
  const entry = first.value;
  const { size = 0, uid = 0, gid = 0, mode = 0o644 } = entry.header;
  async function* body() {
    for await (const chunk of entry) yield chunk as Buffer;
    // Finish the archive so its connection is released.
    for (let next = await iterator.next(); !next.done; next = await iterator.next()) next.value.resume();
  }
  return { stream: Readable.from(body(), { objectMode: false }), size, owner: { uid, gid, mode } };
}

/**
 * writeContainerFile puts a file of `size` bytes, read from `source`, into a container (running or stopped),
 * streamed as a one-entry tar through the archive API.
 */
export async function writeContainerFile(docker: DockerClient, container: string, path: string, source: Readable, size: number, owner: FileOwner, signal: AbortSignal): Promise<void> {
  const tar = pack();
  const entry = tar.entry({ name: posix.basename(path), size, mode: owner.mode, uid: owner.uid, gid: owner.gid });
  const feeding = new Promise<void>((resolve, reject) => {
    source.on("error", reject);
    entry.on("error", reject);
    source.pipe(entry);
    entry.on("finish", () => {
      tar.finalize();
      resolve();
    });
  });
  const upload = docker.getContainer(container).putArchive(tar as unknown as NodeJS.ReadableStream, { path: posix.dirname(path), abortSignal: signal } as never);
  await Promise.all([feeding, upload]);
}

/** writeSmallFile puts a short text file into a container (a tool's config), readable by its owner only. */
export async function writeSmallFile(docker: DockerClient, container: string, path: string, text: string, signal?: AbortSignal): Promise<void> {
  const body = Buffer.from(text, "utf8");
  await writeContainerFile(docker, container, path, Readable.from([body]), body.length, { uid: 0, gid: 0, mode: 0o600 }, withTimeout(signal));
}

/**
 * writeAofBase replaces a stopped Redis's append-only files with one RDB-format base file and a manifest that
 * names only it (Redis 7's multi-part AOF): with `appendonly yes` the server loads its AOF, not dump.rdb.
 */
export async function writeAofBase(docker: DockerClient, container: string, dataDir: string, aofDir: string, aofName: string, source: Readable, size: number, owner: FileOwner, signal: AbortSignal): Promise<void> {
  const tar = pack();
  const base = `${aofName}.1.base.rdb`;
  const ids = { uid: owner.uid, gid: owner.gid };
  tar.entry({ name: `${aofDir}/`, type: "directory", mode: 0o755, ...ids });
  tar.entry({ name: `${aofDir}/${aofName}.manifest`, mode: 0o644, ...ids }, `file ${base} seq 1 type b\n`);
  const entry = tar.entry({ name: `${aofDir}/${base}`, size, mode: 0o644, ...ids });
  const feeding = new Promise<void>((resolve, reject) => {
    source.on("error", reject);
    entry.on("error", reject);
    source.pipe(entry);
    entry.on("finish", () => {
      tar.finalize();
      resolve();
    });
  });
  const upload = docker.getContainer(container).putArchive(tar as unknown as NodeJS.ReadableStream, { path: dataDir, abortSignal: signal } as never);
  await Promise.all([feeding, upload]);
}
