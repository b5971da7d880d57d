import { unlink } from "node:fs/promises";
import path from "node:path";
import type { Logger } from "../lib/logger.ts";
import type { Resource } from "../resources/index.ts";
import { syncDir } from "./durable-fs.ts";
import { listSegments } from "./journal-segments.ts";
import { encodeDelete, encodePut } from "./journal-format.ts";
import { recoverState } from "./journal-loader.ts";
import { Journal } from "./journal.ts";
import type { JournalRecord, Persistence } from "./memory-store.ts";
import type { ProcessLock } from "./process-lock.ts";
import type { SecretCipher } from "./secret-cipher.ts";
import { SNAPSHOT_FILE, writeSnapshot } from "./snapshot.ts";

/** JournalPersistenceOptions configure where and when the journal is kept and compacted. */
export interface JournalPersistenceOptions {
  /** dir is the store directory (`<data-dir>/store`). */
  dir: string;
  cipher: SecretCipher;
  logger: Logger;
  /**
   * compactBytes: a segment larger than this is compacted into a new snapshot (default 8 MiB), once it is also
   * at least as large as the last snapshot.
   */
  compactBytes?: number;
  /** compactRecords: a segment with more records than this is compacted (default 20,000), with the same proviso. */
  compactRecords?: number;
  /** lock is released on close. */
  lock?: ProcessLock;
}

/**
 * JournalPersistence is the durable Persistence of MemoryStore (docs/architecture.md, "The store"): a group-committed append-only
 * journal in front of a lowdb snapshot. It keeps every live object in its stored form (Secrets sealed): the
 * JSON written to the journal for objects written since start, the loaded object for the others (stringified
 * by the next compaction, not at start), so compaction never stringifies an object twice. Compaction runs in the
 * background: the journal rotates to a new segment at revision R, the objects as of R are written to a new
 * snapshot, and only then are the segments up to R deleted; writers keep appending to the new segment meanwhile.
 */
export class JournalPersistence implements Persistence {
  private readonly options: JournalPersistenceOptions;
  private readonly compactBytes: number;
  private readonly compactRecords: number;
  private readonly stored = new Map<string, string | Resource>();
  private journal: Journal | undefined;
  private compaction: Promise<void> | undefined;
  private snapshotBytes = 0;

  constructor(options: JournalPersistenceOptions) {
    this.options = options;
    this.compactBytes = options.compactBytes ?? 8 * 1024 * 1024;
    this.compactRecords = options.compactRecords ?? 20_000;
  }

  async load(): Promise<{ revision: number; objects: Resource[] }> {
    const started = performance.now();
    const state = await recoverState(this.options.dir, this.options.logger);
    this.snapshotBytes = state.snapshotBytes;
    const objects: Resource[] = [];
    for (const [key, stored] of state.objects) {
      this.stored.set(key, stored);
      objects.push(this.options.cipher.unseal(stored));
    }
    this.journal = new Journal(this.options.dir, state.active);
    this.options.logger.info({ revision: state.revision, objects: objects.length, snapshotRevision: state.snapshotRevision, ms: Math.round(performance.now() - started) }, "store loaded");
    return { revision: state.revision, objects };
  }

  append(record: JournalRecord): Promise<void> {
    const journal = this.journal!;
    let line: string;
    if (record.op === "put") {
      const json = JSON.stringify(this.options.cipher.seal(record.object!));
      this.stored.set(record.key, json);
      line = encodePut(record.revision, record.key, json);
    } else {
      this.stored.delete(record.key);
      line = encodeDelete(record.revision, record.key);
    }
    const durable = journal.append(line);
    if (!this.compaction && this.shouldCompact()) this.compaction = this.compact(record.revision).finally(() => (this.compaction = undefined));
    return durable;
  }

  async close(): Promise<void> {
    try {
      await this.compaction;
      await this.journal?.close();
    } finally {
      await this.options.lock?.release();
    }
  }

  /**
   * shouldCompact: the segment passed a threshold and has grown as large as the snapshot. The second rule (Redis
   * rewrites its AOF the same way) keeps the bytes written per byte of change at most about 2, however many
   * objects there are: a fixed threshold would rewrite a 15 MB snapshot for every 8 MiB of changes.
   */
  private shouldCompact(): boolean {
    const stats = this.journal!.stats();
    return (stats.bytes > this.compactBytes || stats.records > this.compactRecords) && stats.bytes >= this.snapshotBytes;
  }

  /** compact snapshots the objects as of `revision` (the last record appended) and drops the segments it covers. */
  private async compact(revision: number): Promise<void> {
    const { dir, logger } = this.options;
    const started = performance.now();
    this.journal!.rotate(revision + 1);
    const objects = [...this.stored.values()];
    try {
      this.snapshotBytes = await writeSnapshot(path.join(dir, SNAPSHOT_FILE), revision, objects);
      let removed = 0;
      for (const segment of await listSegments(dir)) {
        if (segment.start > revision) break;
        await unlink(segment.file);
        removed++;
      }
      await syncDir(dir);
      logger.info({ revision, objects: objects.length, bytes: this.snapshotBytes, segmentsRemoved: removed, ms: Math.round(performance.now() - started) }, "store compacted");
    } catch (error) {
      // The old snapshot and every segment are still there, so nothing is lost; the next segment retries.
      logger.error({ err: error, revision }, "store compaction failed");
    }
  }
}
