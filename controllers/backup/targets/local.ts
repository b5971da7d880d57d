import { STREAM_BUFFER } from "../tee.ts";
import { createWriteStream } from "node:fs";
import { mkdir, open, readdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { Readable } from "node:stream";
import { manifestFile, parseManifest, type Manifest } from "../snapshot.ts";
import type { PendingWrite, SnapshotTarget } from "./target.ts";

/** PARTIAL marks a file still being written; it is never listed, and a later run sweeps it. */
const PARTIAL = ".partial";

/**
 * LocalTarget keeps snapshots in a host directory, `<path>/<namespace>/<backup>/`. A snapshot is written
 * under a `.partial` name, fsynced, then renamed (and the directory fsynced), so a crash never leaves a
 * half-written file under a snapshot's name; its manifest is written the same way once it is verified.
 */
export class LocalTarget implements SnapshotTarget {
  readonly kind = "local" as const;
  readonly dir: string;

  constructor(root: string, namespace: string, backup: string) {
    this.dir = join(root, namespace, backup);
  }

  location(file: string): string {
    return join(this.dir, file);
  }

  async begin(file: string): Promise<PendingWrite> {
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    const partial = join(this.dir, `.${file}${PARTIAL}`);
    const stream = createWriteStream(partial, { mode: 0o600, highWaterMark: STREAM_BUFFER });
    const final = join(this.dir, file);
    return {
      stream,
      commit: async () => {
        await fsync(partial);
        await rename(partial, final);
        await fsync(this.dir);
        return final;
      },
      abort: async () => {
        stream.destroy();
        await rm(partial, { force: true });
        await rm(final, { force: true });
      },
    };
  }

  async open(file: string): Promise<Readable> {
    const path = join(this.dir, file);
    // Opened first so a missing file fails here, not in the middle of a pipeline.
    const handle = await open(path, "r");
    return handle.createReadStream({ highWaterMark: STREAM_BUFFER });
  }

  async writeManifest(manifest: Manifest): Promise<void> {
    const tmp = join(this.dir, `.${manifestFile(manifest.id)}${PARTIAL}`);
    await writeFile(tmp, `${JSON.stringify(manifest, null, 2)}\n`, { mode: 0o600 });
    await fsync(tmp);
    await rename(tmp, join(this.dir, manifestFile(manifest.id)));
    await fsync(this.dir);
  }

  async list(): Promise<Manifest[]> {
    const names = await readdir(this.dir).catch((error: NodeJS.ErrnoException) => {
      if (error.code === "ENOENT") return [] as string[];
      throw error;
    });
    const present = new Set(names);
    const manifests: Manifest[] = [];
    for (const name of names.filter((n) => n.endsWith(".json") && !n.startsWith("."))) {
      const manifest = parseManifest(await readFile(join(this.dir, name), "utf8").catch(() => ""));
      if (manifest && present.has(manifest.file)) manifests.push(manifest);
    }
    return manifests.sort((a, b) => a.id.localeCompare(b.id));
  }

  async remove(manifest: Pick<Manifest, "id" | "file">): Promise<void> {
    await rm(join(this.dir, manifestFile(manifest.id)), { force: true });
    await rm(join(this.dir, manifest.file), { force: true });
  }

  async sweep(): Promise<number> {
    const names = await readdir(this.dir).catch(() => [] as string[]);
    const listed = new Set((await this.list()).flatMap((m) => [m.file, manifestFile(m.id)]));
    let removed = 0;
    for (const name of names) {
      if (listed.has(name)) continue;
      await rm(join(this.dir, name), { force: true, recursive: false }).catch(() => {});
      removed++;
    }
    return removed;
  }
}

/** fsync flushes a file or directory to disk. */
async function fsync(path: string): Promise<void> {
  const handle = await open(path, "r");
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
